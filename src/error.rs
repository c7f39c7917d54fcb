//! Errors the user sees: a message, an optional hint that says what to do, and the exit
//! code that classifies them (1: a check or an answer failed; 2: usage or environment).

use std::fmt;

/// An error meant for the person at the terminal.
#[derive(Debug)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
    pub exit_code: u8,
}

impl UserError {
    /// A usage or environment problem (exit code 2).
    pub fn env(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: None,
            exit_code: 2,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}
