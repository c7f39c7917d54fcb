//! What the parser targets share: a rejected file must say why, at a place inside it.

use ecsdrill::deck::Diagnostic;

/// Checks the diagnostics of a rejected `text` that belong to `file`.
pub fn assert_located(file: &str, text: &str, diags: &[Diagnostic]) {
    assert!(!diags.is_empty(), "a rejected file must say why");
    let last_line = yaml_line_breaks(text) + 1;
    for d in diags.iter().filter(|d| d.file == file) {
        assert!(d.line >= 1 && d.line <= last_line, "line {} outside the file: {d:?}", d.line);
        assert!(d.column >= 1, "column 0: {d:?}");
    }
}

/// Line breaks as YAML counts them: `\r\n`, `\n` and a lone `\r` each end a line.
fn yaml_line_breaks(text: &str) -> u64 {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}
