//! The command line, as clap definitions. `///` comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ecsdrill",
    version,
    about = "Learn Amazon ECS in the terminal: spaced-repetition review of ECS cards"
)]
#[command(
    after_help = "Run without a command for today's summary; `ecsdrill review` starts the daily review."
)]
pub struct Cli {
    /// SQLite file with your progress [default: ecsdrill.db in your data directory]
    #[arg(long, global = true, env = "ECSDRILL_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Plain line mode (automatic when stdin or stdout is not a terminal)
    #[arg(long, global = true)]
    pub plain: bool,

    /// Extra or overriding decks from this directory (besides `decks/` in the data directory)
    #[arg(long = "decks", global = true, value_name = "DIR")]
    pub deck_dirs: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Review due cards (new cards up to today's limit), scheduled by FSRS-6
    Review(ReviewArgs),
    /// Progress: cards seen, due, retention, streak and per-topic scores
    Stats(StatsArgs),
    /// List, check or export decks
    #[command(subcommand)]
    Decks(DecksCommand),
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug, Default)]
pub struct ReviewArgs {
    /// Only cards of this topic (repeatable)
    #[arg(long, value_name = "T")]
    pub topic: Vec<String>,
    /// Only cards of this deck (repeatable)
    #[arg(long, value_name = "D")]
    pub deck: Vec<String>,
    /// At most this many cards in the session
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// New cards allowed today, instead of the daily limit of 20
    #[arg(long = "new", value_name = "N")]
    pub new_cards: Option<u32>,
    /// Practise without rescheduling: answers are logged, due dates stay as they are
    #[arg(long)]
    pub cram: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum DecksCommand {
    /// List decks with their card counts
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check deck files; every problem is printed as file:line:column
    Check {
        /// Deck files or directories [default: the built-in and user decks]
        paths: Vec<PathBuf>,
    },
    /// Export all cards
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    /// Tab-separated notes with HTML fields, for Anki's File > Import
    Anki,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
