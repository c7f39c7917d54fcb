//! ecsdrill: learn Amazon ECS in the terminal. This file parses the command line,
//! dispatches to one module per subcommand and turns errors into a message, a hint and
//! an exit code (0 ok, 1 a check or answer failed, 2 usage or environment error).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use ecsdrill::cli::{Cli, Command, SandboxCommand};
use ecsdrill::error::UserError;
use ecsdrill::{app, commands};

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Completions { shell }) = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "ecsdrill",
            &mut std::io::stdout(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let app = app::App::new(cli)?;
    match &cli.command {
        None => commands::today::run(&app),
        Some(Command::Review(args)) => commands::review::run(&app, args),
        Some(Command::Stats(args)) => commands::stats::run(&app, args),
        Some(Command::Decks(cmd)) => commands::decks::run(&app, cmd),
        Some(Command::Assess(args)) => commands::assess::run(&app, args),
        Some(Command::Optimize { reset }) => commands::optimize::run(&app, *reset),
        Some(Command::Lab(cmd)) => commands::lab::run(&app, cmd),
        Some(Command::Sandbox(SandboxCommand::Use(t))) => commands::lab::use_target(&app, t),
        Some(Command::Sandbox(cmd)) => commands::sandbox::run(cmd),
        Some(Command::Doctor { restore }) => commands::doctor::run(&app, restore.as_ref()),
        Some(Command::Completions { .. }) => Ok(ExitCode::SUCCESS),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            match err.downcast_ref::<UserError>() {
                Some(user) => {
                    eprintln!("error: {}", user.message);
                    if let Some(hint) = &user.hint {
                        eprintln!("hint: {hint}");
                    }
                    ExitCode::from(user.exit_code)
                }
                None => {
                    eprintln!("error: {err:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
