//! The command line (clap derive). This is the one definition the man page
//! and shell completions are generated from; nothing past `Config::from_cli`
//! sees clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::Format;
use crate::output::OutFormat;

#[derive(Debug, Parser)]
#[command(
    name = "streamctl",
    version,
    about = "Run a stream-processing pipeline over line-delimited events",
    long_about = "Reads JSON lines, CSV, TSV, logfmt or raw lines from files or stdin, runs a \
pipeline of stages written as one argument, and writes each result as soon as it exists.",
    after_help = crate::help::examples_after_help(),
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a pipeline into a job for a distributed engine (Flink SQL) and print it.
    Compile(Box<CompileArgs>),
    /// Print help: the options, or a topic such as the pipeline language.
    Help(HelpArgs),
}

/// `streamctl help [TOPIC]`
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// What to explain; without it, the options.
    #[arg(value_enum, value_name = "TOPIC")]
    pub topic: Option<HelpTopic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HelpTopic {
    /// The pipeline language: stages, aggregates, windows, expressions, functions.
    Language,
    /// The compile subcommand.
    Compile,
}

/// `streamctl generate DIR`: the developer command that writes the man pages
/// and shell completions (`cargo run -- generate .`). It is parsed apart from
/// [`Cli`] (`main` looks at the first argument), so it never shows in
/// `--help`, the man page or the completions, which are generated from `Cli`.
#[derive(Debug, Parser)]
#[command(
    name = "streamctl generate",
    about = "Write man/ and completions/ under DIR"
)]
pub struct GenerateArgs {
    /// The repository root; man/ and completions/ are written under it.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `streamctl compile --target flink-sql [OPTIONS] PIPELINE [FILE]...`
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The engine to compile for.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub target: CompileTarget,

    /// The pipeline to compile.
    #[arg(value_name = "PIPELINE")]
    pub pipeline: String,

    /// Input files (their format and a sample of their events shape the source tables).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Column names and types of the input, `name type` a line (e.g. `status BIGINT`);
    /// default: inferred from the first 1000 events of the FILE or --sample.
    #[arg(long, value_name = "F")]
    pub schema: Option<PathBuf>,

    /// Infer the schema from this file's first 1000 events instead of the FILE's.
    #[arg(long, value_name = "F")]
    pub sample: Option<PathBuf>,

    /// Input format; `auto` goes by extension, else by the first line.
    #[arg(
        short = 'i',
        long,
        value_enum,
        default_value = "auto",
        value_name = "FORMAT"
    )]
    pub input_format: InFormatArg,

    /// Field holding event time (default: the first of ts, timestamp, time, @timestamp).
    #[arg(long, value_name = "F")]
    pub time_field: Option<String>,

    /// Timestamp format: `auto` or a strftime pattern.
    #[arg(long, default_value = "auto", value_name = "FMT")]
    pub time_format: String,

    /// How far out of order event time may be (the watermark's delay).
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "D")]
    pub lateness: Duration,

    /// A source connector option `key=value` (repeatable); replaces the filesystem
    /// connector, e.g. `connector=kafka`.
    #[arg(long = "source-option", value_name = "K=V")]
    pub source_options: Vec<String>,

    /// A sink connector option `key=value` (repeatable); replaces the filesystem sink.
    #[arg(long = "sink-option", value_name = "K=V")]
    pub sink_options: Vec<String>,

    /// Directory the default filesystem sink writes JSON lines to.
    #[arg(long, value_name = "DIR")]
    pub sink_path: Option<String>,

    /// Say which Flink operators each stage becomes, and print no SQL.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompileTarget {
    /// Apache Flink SQL (a script for the SQL client or SQL gateway).
    FlinkSql,
}

/// Options for running a pipeline (the default command).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The pipeline, e.g. 'where status >= 500 | count by path every 1m'.
    /// With -f, this is the first input file instead.
    #[arg(value_name = "PIPELINE")]
    pub pipeline: Option<String>,

    /// Input files, read in order; none or `-` means stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read the pipeline from a file (then every positional argument is a FILE).
    #[arg(short = 'f', long, value_name = "F")]
    pub pipeline_file: Option<PathBuf>,

    /// Keep reading the files as they grow, like `tail -F`.
    #[arg(short = 'F', long)]
    pub follow: bool,

    /// Input format; `auto` goes by extension, else by the first line.
    ///
    /// `auto`: `.csv`, `.tsv`, `.jsonl`/`.ndjson`/`.json` by extension (also under `.gz`/`.zst`),
    /// else the first non-blank line decides: `{` is JSON, two or more `key=value` pairs are
    /// logfmt, anything else is lines. Whatever the format, gzip and zstd input (told by its
    /// first bytes, not its name) is decompressed as it is read.
    #[arg(
        short = 'i',
        long,
        value_enum,
        default_value = "auto",
        value_name = "FORMAT"
    )]
    pub input_format: InFormatArg,

    /// Output format.
    #[arg(
        short = 'O',
        long,
        value_enum,
        default_value = "json",
        value_name = "FORMAT"
    )]
    pub output_format: OutFormat,

    /// Write results to F (appends) instead of stdout.
    #[arg(short = 'o', long, value_name = "F")]
    pub output: Option<PathBuf>,

    /// Field holding event time (default: the first of ts, timestamp, time, @timestamp).
    ///
    /// Read where the pipeline first needs time, so it may be a field made
    /// by `parse` or `eval`. `@arrival` chooses arrival (processing) time.
    #[arg(long, value_name = "F")]
    pub time_field: Option<String>,

    /// Timestamp format: `auto` (RFC 3339, epoch s/ms, common-log) or a strftime pattern.
    #[arg(long, default_value = "auto", value_name = "FMT")]
    pub time_format: String,

    /// How far out of order event time may be.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "D")]
    pub lateness: Duration,

    /// With no input for D, event time moves on with the wall clock (and a
    /// held multi-line event of a pipe or followed file is let go).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "D")]
    pub idle_timeout: Duration,

    /// A line matching REGEX starts an event; other lines join it with `\n`.
    ///
    /// For stack traces and tracebacks: `--multiline-start '^\d{4}-'` makes a
    /// log4j or Python log line and the lines after it one event (read as
    /// `-i lines`: one field, `line`). The event a pipe or followed file
    /// holds is let go after --idle-timeout without a new line; the whole
    /// event is bounded by --max-line-bytes.
    #[arg(long, value_name = "REGEX")]
    pub multiline_start: Option<String>,

    /// Checkpoint file: record offsets and state, resume from it.
    #[arg(long, value_name = "F")]
    pub checkpoint: Option<PathBuf>,

    /// Delivery guarantee with --checkpoint.
    #[arg(long, value_enum, value_name = "G")]
    pub guarantee: Option<Guarantee>,

    /// Commit a checkpoint every N events or every duration (`10000`, `1s`).
    #[arg(long, default_value = "1s", value_name = "N|D")]
    pub checkpoint_interval: String,

    /// Start over, ignoring (and replacing) an existing checkpoint.
    #[arg(long)]
    pub reset: bool,

    /// What to do with malformed input lines.
    #[arg(long, value_enum, default_value = "warn", value_name = "MODE")]
    pub on_error: OnError,

    /// Write every rejected line, byte for byte, to F.
    #[arg(long, value_name = "F")]
    pub dead_letter: Option<PathBuf>,

    /// Longest accepted line; longer lines are rejected without being held in memory.
    #[arg(long, default_value = "16777216", value_name = "BYTES")]
    pub max_line_bytes: usize,

    /// Print the parsed plan and run nothing.
    #[arg(long)]
    pub explain: bool,

    /// At exit, print counts, throughput and the state held (groups, windows, bytes) to stderr.
    #[arg(long)]
    pub stats: bool,

    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Flush after every output line.
    #[arg(long)]
    pub line_buffered: bool,

    /// Write nothing; exit 0 at the first result row, 1 if there was none.
    ///
    /// As `grep -q`: the run stops reading at the first result row and exits
    /// 0; if the input ends without one, it exits 1; errors exit 2. For
    /// scripts and alerts: `streamctl -q 'where status >= 500' app.jsonl && page`.
    #[arg(short = 'q', long, conflicts_with_all = ["output", "checkpoint", "explain"])]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InFormatArg {
    Auto,
    Json,
    Csv,
    Tsv,
    Logfmt,
    Lines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Guarantee {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    Warn,
    Skip,
    Fail,
}

/// An option's duration, in the pipeline language's one grammar (`250ms`,
/// `5s`, `1m30s`: whole numbers, each with a unit `ms` `s` `m` `h` `d`), so
/// `--lateness 5s` and `every 5s` read alike; at most `MAX_DURATION`, so
/// event time plus or minus it cannot overflow.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let max = crate::timefmt::MAX_DURATION;
    match crate::lang::lexer::parse_duration(s) {
        Some(ms) if ms > max => Err(format!(
            "`{s}` is longer than the longest duration, {} (the span of event time, years 0000 to 9999)",
            crate::lang::print::duration(max)
        )),
        Some(ms) => Ok(Duration::from_millis(ms as u64)),
        None => Err(format!(
            "`{s}` is not a duration: write a whole number and a unit (ms, s, m, h, d), \
             several in a row if needed, as in the pipeline: 250ms, 5s, 1m30s"
        )),
    }
}

/// `-f F` could not be read. When F is no file but reads as a pipeline
/// (`streamctl -f 'where …' app.jsonl`), the user likely meant `-F` (follow)
/// or the pipeline as the first argument: say so.
fn pipeline_file_error(path: &std::path::Path, e: &std::io::Error) -> String {
    let msg = format!("cannot read pipeline file {}: {e}", path.display());
    let text = path.to_string_lossy();
    let looks_like_pipeline =
        e.kind() == std::io::ErrorKind::NotFound && crate::lang::parse(&text).is_ok();
    if looks_like_pipeline {
        format!(
            "{msg}; `{text}` looks like a pipeline: did you mean -F/--follow, or the pipeline \
             without -f? (-f FILE reads the pipeline from FILE)"
        )
    } else {
        msg
    }
}

/// How often to commit a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    Events(u64),
    Every(Duration),
}

/// Everything the engine needs, with clap left behind.
#[derive(Debug, Clone)]
pub struct Config {
    pub pipeline: String,
    /// `None` entries are stdin.
    pub inputs: Vec<Option<PathBuf>>,
    pub follow: bool,
    pub input_format: Option<Format>,
    pub output_format: OutFormat,
    pub output: Option<PathBuf>,
    pub time_field: Option<String>,
    pub time_format: String,
    pub lateness: Duration,
    pub idle_timeout: Duration,
    /// `--multiline-start`: a line it matches starts an event.
    pub multiline_start: Option<regex::bytes::Regex>,
    pub checkpoint: Option<PathBuf>,
    pub guarantee: Guarantee,
    pub checkpoint_interval: Interval,
    pub reset: bool,
    pub on_error: OnError,
    pub dead_letter: Option<PathBuf>,
    pub max_line_bytes: usize,
    pub explain: bool,
    pub stats: bool,
    pub progress: Option<bool>,
    pub line_buffered: bool,
    /// `-q`: no output; the exit status says whether there was a result row.
    pub quiet: bool,
}

/// A command line that cannot run: the message says which option and what to
/// give instead. Always a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Settle the command line into a Config; errors are usage errors (exit 2).
    pub fn from_cli(cli: RunArgs) -> Result<Config, ConfigError> {
        Config::settle(cli).map_err(ConfigError)
    }

    fn settle(cli: RunArgs) -> Result<Config, String> {
        let mut positionals: Vec<PathBuf> = Vec::new();
        let pipeline = match &cli.pipeline_file {
            Some(path) => {
                if let Some(p) = &cli.pipeline {
                    positionals.push(PathBuf::from(p));
                }
                std::fs::read_to_string(path).map_err(|e| pipeline_file_error(path, &e))?
            }
            None => cli.pipeline.clone().ok_or(
                "no pipeline given: pass it as the first argument, e.g. streamctl 'where status >= 500' app.jsonl, or use -f FILE",
            )?,
        };
        positionals.extend(cli.files.iter().cloned());
        let inputs: Vec<Option<PathBuf>> = if positionals.is_empty() {
            vec![None]
        } else {
            positionals
                .into_iter()
                .map(|p| (p.as_os_str() != "-").then_some(p))
                .collect()
        };
        let input_format = match cli.input_format {
            InFormatArg::Auto => None,
            InFormatArg::Json => Some(Format::Json),
            InFormatArg::Csv => Some(Format::Csv),
            InFormatArg::Tsv => Some(Format::Tsv),
            InFormatArg::Logfmt => Some(Format::Logfmt),
            InFormatArg::Lines => Some(Format::Lines),
        };
        let checkpoint_interval = match cli.checkpoint_interval.parse::<u64>() {
            Ok(0) => return Err("--checkpoint-interval must be at least 1 event".into()),
            Ok(n) => Interval::Events(n),
            Err(_) => Interval::Every(parse_duration(&cli.checkpoint_interval).map_err(|e| {
                format!(
                    "invalid value for --checkpoint-interval: {e}; or give a number of events such as 10000"
                )
            })?),
        };
        if cli.checkpoint.is_none() {
            if let Some(g) = cli.guarantee {
                let name = g.to_possible_value().map(|v| v.get_name().to_string());
                return Err(format!(
                    "--guarantee {} needs --checkpoint F: a guarantee is about carrying on from a checkpoint after a restart",
                    name.unwrap_or_default()
                ));
            }
            if cli.reset {
                return Err("--reset needs --checkpoint F (the checkpoint to start over)".into());
            }
        }
        if cli.guarantee == Some(Guarantee::ExactlyOnce) && cli.output.is_none() {
            return Err(
                "--guarantee exactly-once needs -o FILE: stdout cannot take back what it wrote before a crash, so results could repeat. Write to a file with -o, or use --guarantee at-least-once"
                    .into(),
            );
        }
        let multiline_start = match &cli.multiline_start {
            None => None,
            Some(re) => {
                if let Some(f) = input_format.filter(|f| *f != Format::Lines) {
                    return Err(format!(
                        "--multiline-start joins lines into one text event, read as -i lines \
                         (one field, `line`), not as -i {}; leave out -i, or parse the event's \
                         text with a `parse` stage",
                        format!("{f:?}").to_lowercase()
                    ));
                }
                Some(
                    regex::bytes::Regex::new(re)
                        .map_err(|e| format!("invalid --multiline-start regex `{re}`: {e}"))?,
                )
            }
        };
        if cli.max_line_bytes == 0 {
            return Err("--max-line-bytes must be at least 1".into());
        }
        let progress = if cli.no_progress {
            Some(false)
        } else if cli.progress {
            Some(true)
        } else {
            None
        };
        Ok(Config {
            pipeline,
            inputs,
            follow: cli.follow,
            input_format,
            output_format: cli.output_format,
            output: cli.output,
            time_field: cli.time_field,
            time_format: cli.time_format,
            lateness: cli.lateness,
            idle_timeout: cli.idle_timeout,
            multiline_start,
            guarantee: cli.guarantee.unwrap_or(Guarantee::AtLeastOnce),
            checkpoint: cli.checkpoint,
            checkpoint_interval,
            reset: cli.reset,
            on_error: cli.on_error,
            dead_letter: cli.dead_letter,
            max_line_bytes: cli.max_line_bytes,
            explain: cli.explain,
            stats: cli.stats,
            progress,
            line_buffered: cli.line_buffered,
            quiet: cli.quiet,
        })
    }
}

/// The text of `streamctl help [TOPIC]`.
pub fn help_topic_text(topic: Option<HelpTopic>) -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    match topic {
        Some(HelpTopic::Language) => crate::help::language_text(),
        Some(HelpTopic::Compile) => match cmd.find_subcommand_mut("compile") {
            Some(sub) => sub.render_long_help().to_string(),
            None => cmd.render_long_help().to_string(),
        },
        None => cmd.render_long_help().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn option_durations_are_the_language_durations() {
        let ms = |s: &str| parse_duration(s).map(|d| d.as_millis() as i64);
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("5s"), Ok(5_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("0s"), Ok(0));
        assert_eq!(ms("1d"), Ok(86_400_000));
        for bad in ["5", "5 s", "1.5s", "-1s", "5sec", "5S", "", " 5s", "1m 30s"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("250ms, 5s, 1m30s"), "{bad}: {err}");
        }
        // Whatever the language reads, the options read, and the other way round.
        for text in ["1h2m3s4ms", "90s", "10000ms", "2d", "1x"] {
            assert_eq!(
                ms(text).ok(),
                crate::lang::lexer::parse_duration(text),
                "{text}"
            );
        }
    }
}
