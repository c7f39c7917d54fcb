//! The command line, as clap definitions. `///` comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sandbox::ClockMode;

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
    /// A recall test across topics: scores out of 5, level, solid and fuzzy, calibration
    Assess(AssessArgs),
    /// Fit the FSRS memory model to your own review log (log loss and RMSE before and after)
    Optimize {
        /// Go back to the default parameters
        #[arg(long)]
        reset: bool,
    },
    /// Simulated learners study a year under ecsdrill, SM-2 (Anki) and Leitner: reviews
    /// needed for the same retention
    Simulate(SimulateArgs),
    /// Hands-on labs with the real `aws` CLI, checked against the sandbox's live state
    #[command(subcommand)]
    Lab(LabCommand),
    /// Incident drills: a fault in a healthy service, found and fixed with the `aws` CLI,
    /// brought back by FSRS when the skill is due
    Drill(DrillArgs),
    /// The local ECS sandbox the labs run against (moto plus ecsdrill's scheduler simulation)
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Check the progress database and restore it from the automatic backups
    Doctor {
        /// Replace the database with this backup (the current file is moved aside, not deleted)
        #[arg(long, value_name = "BACKUP")]
        restore: Option<PathBuf>,
    },
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

#[derive(Args, Debug, Default)]
pub struct AssessArgs {
    /// Only this topic (repeatable); one topic gets more questions
    #[arg(long, value_name = "T")]
    pub topic: Vec<String>,
    /// Only cards of this deck (repeatable)
    #[arg(long, value_name = "D")]
    pub deck: Vec<String>,
    /// Every past assessment and the trend per topic
    #[arg(long)]
    pub history: bool,
    /// The result as JSON on stdout (questions go to stderr)
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Days to simulate
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(30..=3650))]
    pub days: u32,
    /// New cards a day
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub new_per_day: u32,
    /// Simulated learners, each with its own memory parameters
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub learners: u32,
    /// Seed for the learners and their answers
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also simulate `ecsdrill optimize` rerun every 60 days (much slower)
    #[arg(long)]
    pub with_optimize: bool,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum DecksCommand {
    /// List decks with their card counts (or the topic or misconception ids decks use)
    List {
        #[arg(long)]
        json: bool,
        /// List the topic ids a card's `topic` may name, with their titles
        #[arg(long, conflicts_with = "misconceptions")]
        topics: bool,
        /// List the misconception ids a card's `misconceptions` may name
        #[arg(long)]
        misconceptions: bool,
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

#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// The labs in learning-path order, with your status in each
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a lab's steps, prepare its scenario and record the start
    Start {
        id: String,
        /// Confirm billable resources in a real AWS account without asking
        #[arg(long)]
        yes: bool,
        /// Draw the lab's names and numbers from this seed (to replay an attempt) [default: a new one]
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Check the live state (and your answers); exit 0 only if everything passes
    Check {
        /// The lab [default: the one started last]
        id: Option<String>,
        #[arg(long)]
        json: bool,
        /// Answer a question without being asked: ID=TEXT (repeatable)
        #[arg(long = "answer", value_name = "ID=TEXT")]
        answers: Vec<String>,
        /// When a check fails, schedule the cards that teach it for today without asking
        #[arg(long)]
        schedule_cards: bool,
    },
    /// The next hint of a lab
    Hint { id: Option<String> },
    /// CI/CD lab: replay the repository's workflow as GitHub Actions would run it on a push,
    /// its AWS steps against the sandbox (a stand-in push replaces the image build)
    Replay {
        /// The lab [default: the one started last]
        id: Option<String>,
        /// Push to this branch instead of the lab's
        #[arg(long, value_name = "B")]
        branch: Option<String>,
        /// A repository variable the workflow reads as `vars.NAME` (repeatable)
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// A repository secret the workflow reads as `secrets.NAME` (repeatable)
        #[arg(long = "secret", value_name = "NAME=VALUE")]
        secrets: Vec<String>,
    },
    /// Your labs: started, checked, passed
    Status,
    /// Delete what the lab's setup created, forget your progress in it, and start it again
    Reset {
        id: String,
        /// Draw the lab's names and numbers from this seed [default: a new one]
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Delete everything lab setups created (only resources tagged `ecsdrill:lab`)
    Cleanup,
    /// Lint lab files; every problem is printed as file:line:column
    CheckFiles {
        /// Lab files or directories [default: the built-in labs]
        paths: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DrillArgs {
    #[command(subcommand)]
    pub command: Option<DrillCommand>,
    /// List the drills: state, due date, last result (not their causes)
    #[arg(long)]
    pub list: bool,
    /// Practise a drill of this topic now, outside the schedule (logged as cram)
    #[arg(long, value_name = "T")]
    pub topic: Option<String>,
    /// With --list: as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum DrillCommand {
    /// Practise this drill now, outside the schedule (logged as cram, no rescheduling)
    Start {
        id: String,
        /// Draw the incident's names and values from this seed [default: a new one]
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Name the cause (asked if not given) and check the fix against the live state
    Check {
        /// The cause: its number or letter among the options, or its id
        #[arg(long, value_name = "CAUSE")]
        cause: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The next hint of the drill under way (a hint makes a fixed drill Hard)
    Hint,
    /// End the drill under way without a fix: rated Again, the answer and timeline shown
    GiveUp,
    /// Every attempt: when, the result, the time taken, the hints
    History {
        #[arg(long)]
        json: bool,
    },
    /// Lint drill files; every problem is printed as file:line:column
    CheckFiles {
        /// Drill files or directories [default: the built-in drills]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UseTarget {
    /// The local sandbox (the default)
    Local,
    /// Your own AWS account: checks read with your credentials; setup and cleanup write
    /// only in the account given here
    Aws {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        region: String,
        /// The only account id setup and cleanup may write in (checked with STS)
        #[arg(long, value_name = "ID")]
        account: String,
        /// Subnets for services a lab's setup creates (repeatable)
        #[arg(long = "subnet", value_name = "SUBNET_ID")]
        subnets: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Where labs run: the local sandbox or your own AWS account
    #[command(subcommand)]
    Use(UseTarget),
    /// Create the sandbox's Python environment (pinned moto, flask, the aws CLI)
    Install,
    /// Start the sandbox on 127.0.0.1 (installs it first if needed); prints the endpoint
    Up {
        /// Simulated seconds per real second
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// `manual`: time moves only when told to (for tests and demos)
        #[arg(long, value_enum, default_value_t = ClockMode::Realtime)]
        clock: ClockMode,
        /// Seed the sandbox's random ids and timings: the same commands then give the same
        /// world, after every reset too (for tests and reproducible bug reports)
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
    },
    /// Stop the sandbox this ecsdrill started
    Down,
    /// Whether the sandbox runs, where, and which moto it uses
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print export lines that point a shell's `aws` at the sandbox: eval "$(ecsdrill sandbox env)"
    Env,
    /// Open a shell in which `aws` talks to the sandbox
    Shell,
    /// Empty the sandbox (all clusters, images, roles...), keeping it running
    Reset,
    /// Stand in for `docker push`: put REPO:TAG into the sandbox's ECR with a behaviour
    PushImage {
        /// Repository and tag, e.g. web:v1
        image: String,
        #[arg(long, default_value = "healthy", value_parser = ["healthy", "crash", "oom", "slow-start", "no-health"])]
        behavior: String,
        /// The exit status of a `crash` image [default: 1]
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=255))]
        exit_code: Option<u8>,
        /// The setting (environment variable) a `crash` image requires: it exits without it
        /// and runs healthy when its container sets it [default: APP_MODE]
        #[arg(long, value_name = "NAME")]
        requires: Option<String>,
    },
    /// Simulate load on a service (drives target-tracking auto scaling)
    Load {
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        service: String,
        /// Average CPU utilisation in percent
        #[arg(long)]
        cpu: Option<f64>,
        /// Average memory utilisation in percent
        #[arg(long)]
        memory: Option<f64>,
        /// ALB requests per target per minute
        #[arg(long)]
        requests_per_target: Option<f64>,
    },
    /// Move the sandbox's clock forward by this many simulated seconds
    Advance { seconds: f64 },
    /// Whether a service's tasks can reach DNS_NAME:PORT through Service Connect, and why
    /// not (judged from the configuration); exit 0 when they can, 1 when they cannot
    Reach {
        #[arg(long, default_value = "default")]
        cluster: String,
        /// The calling service
        #[arg(long, value_name = "SERVICE")]
        from: String,
        /// What it calls: a client alias, e.g. orders:8080
        #[arg(value_name = "DNS_NAME:PORT")]
        to: String,
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
