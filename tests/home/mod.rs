//! The one way the end-to-end tests start the binary: a clean environment (only PATH), a
//! temporary home with its data directory, and a fixed clock, so no test reads the
//! developer's own progress, decks or AWS configuration.

use std::path::Path;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_ecsdrill");

/// `ecsdrill ARGS` in the home `home` at the time `now` (RFC 3339).
pub fn hermetic(home: &Path, now: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("ECSDRILL_NOW", now);
    c
}
