//! Any bytes as a lab file: the linter must return a lab set or located diagnostics,
//! never panic, and every diagnostic must point inside the file.
#![no_main]

use ecsdrill::lab::load::lint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = "fuzz/99-fuzz.yaml";
    if let Err(diags) = lint(&[(name.to_string(), text.to_string())], None) {
        assert!(!diags.is_empty(), "a rejected lab must say why");
        let lines = yaml_line_breaks(text) + 1;
        for d in &diags {
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
