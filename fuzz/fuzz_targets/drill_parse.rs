//! Any bytes as a drill file, beside the built-in baseline: the linter must return a drill
//! set or located diagnostics, never panic, and every diagnostic about the file must point
//! inside it.
#![no_main]

use ecsdrill::drill::{embedded_drills, lint};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = "fuzz/fuzz-drill.yaml";
    let mut files = vec![(name.to_string(), text.to_string())];
    files.extend(embedded_drills().into_iter().filter(|(p, _)| p.ends_with("/baseline.yaml")));
    if let Err(diags) = lint(&files, None) {
        let mine: Vec<_> = diags.into_iter().filter(|d| d.file == name).collect();
        common::assert_located(name, text, &mine);
    }
});
