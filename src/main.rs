//! ecsdrill: learn Amazon ECS in the terminal. This file parses the command line,
//! dispatches to one module per subcommand and turns errors into a message, a hint and
//! an exit code (0 ok, 1 a check or answer failed, 2 usage or environment error).

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use ecsdrill::cli::{Cli, Command, SandboxCommand};
use ecsdrill::error::UserError;
use ecsdrill::{app, commands};

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Completions { shell }) = &cli.command {
        // clap_complete panics when its writer fails: write to memory, then to stdout.
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "ecsdrill", &mut script);
        std::io::stdout().lock().write_all(&script)?;
        return Ok(ExitCode::SUCCESS);
    }
    let app = app::App::new(cli)?;
    match &cli.command {
        None => commands::today::run(&app),
        Some(Command::Review(args)) => {
            // A review reads its cards from the database and may not load the decks.
            app.warn_skipped_decks()?;
            commands::review::run(&app, args)
        }
        Some(Command::Stats(args)) => commands::stats::run(&app, args),
        Some(Command::Decks(cmd)) => commands::decks::run(&app, cmd),
        Some(Command::Assess(args)) => commands::assess::run(&app, args),
        Some(Command::Optimize { reset }) => commands::optimize::run(&app, *reset),
        Some(Command::Simulate(args)) => commands::simulate::run(args),
        Some(Command::Lab(cmd)) => commands::lab::run(&app, cmd),
        Some(Command::Drill(args)) => commands::drill::run(&app, args),
        Some(Command::Sandbox(SandboxCommand::Use(t))) => commands::lab::use_target(&app, t),
        Some(Command::Sandbox(cmd)) => commands::sandbox::run(cmd),
        Some(Command::Doctor { restore }) => commands::doctor::run(&app, restore.as_ref()),
        Some(Command::Completions { .. }) => Ok(ExitCode::SUCCESS),
    }
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => match err.downcast_ref::<UserError>() {
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
        },
    }
}

/// Whether the error is a write to our closed stdout: a broken pipe anywhere in its chain
/// (serde_json and csv wrap the io::Error of the writer they were given) while stdout's
/// reader is gone. A broken pipe to anything else stays an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    stdout_closed()
        && err.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == BrokenPipe)
                || e.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
                    == Some(BrokenPipe)
                || e.downcast_ref::<csv::Error>().is_some_and(
                    |c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
                )
        })
}

/// Whether stdout is a pipe whose reader has gone (poll reports an error on it).
#[cfg(unix)]
fn stdout_closed() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the length given, and a zero timeout.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready == 1 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

#[cfg(not(unix))]
fn stdout_closed() -> bool {
    true
}

/// `ecsdrill lab list | head -3`: when the reader goes away, `println!` panics with a
/// broken pipe. That is not an error of ours or the user's: end quietly, as a pipe expects.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info)
    }));
}
