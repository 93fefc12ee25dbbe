//! Thin: parse the command line, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use streamctl::cli::{Cli, Command, Config};
use streamctl::run::{run, RunError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => Config::from_cli(cli.run)
            .map_err(RunError::Usage)
            .and_then(|cfg| run(&cfg)),
        Some(Command::Compile(args)) => Err(RunError::Usage(format!(
            "compile --target {:?} is not supported yet in this build",
            args.target
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match &e {
                // The pipeline's own rendering already starts with `error:`.
                RunError::Usage(msg) if msg.starts_with("error:") => eprint!("{msg}"),
                RunError::Usage(msg) | RunError::Runtime(msg) => eprintln!("streamctl: {msg}"),
                RunError::BrokenPipe => {}
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
