//! Any bytes as a lab file: the linter must return a lab set or located diagnostics,
//! never panic, and every diagnostic must point inside the file.
#![no_main]

use ecsdrill::lab::load::lint;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = "fuzz/99-fuzz.yaml";
    if let Err(diags) = lint(&[(name.to_string(), text.to_string())], None) {
        common::assert_located(name, text, &diags);
    }
});

