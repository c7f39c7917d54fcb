//! One module per subcommand: each takes the `App` and its arguments and returns the exit code.

pub mod assess;
pub mod decks;
pub mod doctor;
pub mod drill;
pub mod lab;
pub mod optimize;
pub mod review;
pub mod sandbox;
pub mod simulate;
pub mod stats;
pub mod today;
