//! Any bytes as a deck, topics or misconceptions file: the checker must return a catalog
//! or located diagnostics, never panic, and every diagnostic must point inside the file.
#![no_main]

use ecsdrill::deck::{Source, check_sources};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

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
        common::assert_located(name, text, &diags);
    }
});

