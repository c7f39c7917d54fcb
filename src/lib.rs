//! ecsdrill as a library: the pure core (decks, grading, scheduling, queue, mastery), the
//! SQLite store and the terminal edge. The binary in `main.rs` only parses arguments and
//! dispatches; benchmarks and fuzz targets use these modules directly.

pub mod app;
pub mod assess;
pub mod aws;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod deck;
pub mod drill;
pub mod error;
pub mod grade;
pub mod interrupt;
pub mod lab;
pub mod live;
pub mod mastery;
pub mod optimize;
pub mod progress;
pub mod queue;
pub mod rng;
pub mod sandbox;
pub mod sched;
pub mod session;
pub mod simulate;
pub mod store;
pub mod study;
pub mod ui;
pub mod workflow;
