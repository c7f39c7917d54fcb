//! Errors the user sees: a message, an optional hint that says what to do, and the exit
//! code that classifies them (1: a check or an answer failed; 2: usage or environment).
//! Also why a call to AWS or the sandbox failed ([`Failure`]), kept here rather than in
//! `aws` so that the lab read plan can tell "not there" from a broken environment without
//! depending on the SDK.

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

/// Why a call failed (the `aws` module makes these from SDK errors). `NotFound` is an answer
/// (the resource is not there); the others are environment errors that stop the command.
#[derive(Debug)]
pub enum Failure {
    NotFound(String),
    Unreachable(String),
    NoCredentials(String),
    Expired(String),
    BadCredentials(String),
    AccessDenied {
        action: String,
        message: String,
    },
    Throttled(String),
    /// An answer that is not an AWS response (not HTTP, or a body the SDK cannot read).
    Garbled(String),
    Unsupported {
        action: String,
        message: String,
    },
    Other(String),
}
