//! What the parser targets share: a rejected file must say why, at a place inside it.

use ecsdrill::deck::{Diagnostic, yaml_lines};

/// Checks the diagnostics of a rejected `text` that belong to `file`.
pub fn assert_located(file: &str, text: &str, diags: &[Diagnostic]) {
    assert!(!diags.is_empty(), "a rejected file must say why");
    let last_line = yaml_lines(text).len() as u64;
    for d in diags.iter().filter(|d| d.file == file) {
        assert!(d.line >= 1 && d.line <= last_line, "line {} outside the file: {d:?}", d.line);
        assert!(d.column >= 1, "column 0: {d:?}");
    }
}

