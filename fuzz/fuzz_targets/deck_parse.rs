//! Any bytes as a deck, topics or misconceptions file: the checker must return a catalog
//! or located diagnostics, never panic, and every diagnostic must point inside the file.
#![no_main]

use ecsdrill::deck::{Source, check_sources};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = match selector % 3 {
        0 => "fuzz/topics.yaml",
        1 => "fuzz/misconceptions.yaml",
        _ => "fuzz/deck.yaml",
    };
    let source = Source {
        path: name.to_string(),
        text: text.to_string(),
        builtin: false,
    };
    if let Err(diags) = check_sources(vec![source]) {
        assert!(!diags.is_empty(), "a rejected file must say why");
        let lines = yaml_line_breaks(text) + 1;
        for d in diags.iter().filter(|d| d.file == name) {
            assert!(d.line >= 1 && d.line <= lines, "line {} outside the file: {d:?}", d.line);
            assert!(d.column >= 1, "column 0: {d:?}");
        }
    }
});

/// Line breaks as YAML counts them: `\r\n`, `\n` and a lone `\r` each end a line.
fn yaml_line_breaks(text: &str) -> u64 {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}
