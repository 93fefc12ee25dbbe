//! Thin: parse the command line, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use std::io::Write;

use streamctl::cli::{Cli, Command, Config, GenerateArgs};
use streamctl::run::{run, RunError};

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "generate") {
        // The hidden developer command: `cargo run -- generate .`
        let argv = std::env::args_os().skip(2);
        let args =
            GenerateArgs::parse_from(std::iter::once("streamctl generate".into()).chain(argv));
        return exit(
            streamctl::generate::write_all(&args.dir)
                .map_err(|e| RunError::Runtime(e.to_string()))
                .and_then(|paths| {
                    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                    print(&format!("wrote {}\n", list.join(", ")))
                }),
        );
    }
    let cli = Cli::parse();
    let result = match cli.command {
        None => Config::from_cli(cli.run)
            .map_err(|e| RunError::Usage(e.0))
            .and_then(|cfg| run(&cfg)),
        Some(Command::Compile(args)) => streamctl::compile::run(args)
            .map_err(RunError::from)
            .and_then(|script| print(&script)),
        Some(Command::Help(args)) => print(&streamctl::cli::help_topic_text(args.topic)),
    };
    exit(result)
}

/// Map a result to the exit status, printing the error. A full or closed
/// stderr cannot be reported anywhere, so a failed write is ignored rather
/// than allowed to panic.
fn exit(result: Result<(), RunError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stderr().write_all(e.message().as_bytes());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Write text to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<(), RunError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => RunError::BrokenPipe,
            _ => RunError::Runtime(format!("cannot write to stdout: {e}")),
        })
}
