//! The man pages and shell completions, generated from the clap definitions
//! in `src/cli.rs` and the language reference in `src/help.rs`.
//!
//! They are committed (so packagers and users of a plain checkout get them)
//! and kept current by `tests/generated.rs`, which fails when they differ from
//! what this module produces. Regenerate them with
//! [`REGENERATE`](crate::generate::REGENERATE).

use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The one documented command that rewrites every generated file.
pub const REGENERATE: &str = "cargo run -- generate .";

/// Sections of the main man page written here rather than by clap_mangen.
const EXIT_STATUS: &str = "\
.SH \"EXIT STATUS\"
.TP
\\fB0\\fR
Success, including when malformed lines were skipped (see \\fB\\-\\-on\\-error\\fR) and when the
reader of the output went away (a closed pipe, as with \\fB| head\\fR).
.TP
\\fB1\\fR
A runtime failure: an input or output could not be read or written, or \\fB\\-\\-on\\-error fail\\fR
met a malformed line.
.TP
\\fB2\\fR
A usage error: a bad option or pipeline, a missing input file, or a checkpoint made by another
pipeline.
.PP
With \\fB\\-q\\fR (\\fB\\-\\-quiet\\fR), as with \\fBgrep \\-q\\fR: \\fB0\\fR as soon as the first result
row exists (nothing is written and reading stops there), \\fB1\\fR when the input ended without a
result row, \\fB2\\fR for any error, usage or runtime.
.PP
SIGINT and SIGTERM end the input: open windows and aggregates are emitted and the exit status is 0
(with \\fB\\-\\-checkpoint\\fR, the open state is committed instead and nothing is emitted early).
";

const ENVIRONMENT: &str = "\
.SH ENVIRONMENT
.TP
\\fBNO_COLOR\\fR
When set to a non-empty value, \\fB\\-O table\\fR prints no colour even on a terminal.
.SH \"STANDARD ERROR\"
A clean run writes nothing to standard error. Malformed lines are reported there as
\\fIFILE\\fR:\\fILINE\\fR: \\fIreason\\fR (the first ten, then a count at exit). The progress bar
(\\fB\\-\\-progress\\fR) is drawn there only when it is a terminal, and cleared before exit.
.SH \"SEE ALSO\"
\\fBjq\\fR(1), \\fBmlr\\fR(1), \\fBawk\\fR(1), \\fBtail\\fR(1)
";

/// Every generated file: its path relative to the repository root and its
/// contents.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let cmd = Cli::command();
    out.push((PathBuf::from("man/streamctl.1"), main_man_page(cmd.clone())));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("streamctl-{}", sub.get_name());
        let mut buf = Vec::new();
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("streamctl {}", sub.get_name()));
        let page = clap_mangen::Man::new(sub);
        page.render(&mut buf).expect("rendering to memory");
        out.push((PathBuf::from(format!("man/{name}.1")), buf));
    }
    for (shell, file) in [
        (Shell::Bash, "completions/streamctl.bash"),
        (Shell::Zsh, "completions/_streamctl"),
        (Shell::Fish, "completions/streamctl.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "streamctl", &mut buf);
        if shell == Shell::Fish {
            buf = fish_fixed(&buf);
        }
        out.push((PathBuf::from(file), buf));
    }
    out
}

/// clap_complete's fish script, made to complete what bash and zsh do:
/// - an option's values (`-O <TAB>`): its condition ran `argparse` on the
///   words so far, which fails while the option still waits for its value,
///   and returned that failure, so no value was offered; a failure now
///   counts as "no subcommand yet";
/// - `help <TAB>`: the topics, which clap_complete leaves out for fish.
fn fish_fixed(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let mut fixed = text.replacen(
        "    argparse -s (__fish_streamctl_global_optspecs) -- $cmd 2>/dev/null\n    or return\n",
        "    argparse -s (__fish_streamctl_global_optspecs) -- $cmd 2>/dev/null\n    or return 0\n",
        1,
    );
    use clap::ValueEnum;
    for topic in crate::cli::HelpTopic::value_variants() {
        let Some(v) = topic.to_possible_value() else {
            continue;
        };
        let about = v.get_help().map(|h| h.to_string()).unwrap_or_default();
        fixed.push_str(&format!(
            "complete -c streamctl -n \"__fish_streamctl_using_subcommand help\" -f -a {} -d '{}'\n",
            v.get_name(),
            about.replace('\\', "\\\\").replace('\'', "\\'")
        ));
    }
    fixed.into_bytes()
}

/// The SYNOPSIS, with each option's argument (`-O FORMAT`), which
/// clap_mangen's leaves out.
fn synopsis(cmd: &clap::Command) -> String {
    let roff = |s: &str| s.replace('-', "\\-");
    let mut s = String::from(".SH SYNOPSIS\n\\fBstreamctl\\fR");
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        if arg.is_positional() {
            continue;
        }
        let mut names = Vec::new();
        if let Some(c) = arg.get_short() {
            names.push(format!("\\fB\\-{c}\\fR"));
        }
        if let Some(l) = arg.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", roff(l)));
        }
        let takes_value = arg.get_action().takes_values();
        let value = match arg.get_value_names() {
            Some(v) if takes_value => format!(
                " {}",
                v.iter()
                    .map(|n| format!("\\fI{}\\fR", roff(n)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            _ => String::new(),
        };
        s.push_str(&format!(" [{}{value}]", names.join("|")));
    }
    for arg in cmd.get_positionals() {
        let name = arg
            .get_value_names()
            .and_then(|v| v.first().map(|n| n.to_string()));
        let name = name.unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let more = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "..."
        } else {
            ""
        };
        s.push_str(&format!(" [\\fI{}\\fR]{more}", roff(&name)));
    }
    s.push_str("\n.br\n\\fBstreamctl\\fR \\fBcompile\\fR \\fB\\-\\-target\\fR \\fIflink\\-sql\\fR [\\fIOPTIONS\\fR] \\fIPIPELINE\\fR [\\fIFILE\\fR]...\n");
    s.push_str(".br\n\\fBstreamctl\\fR \\fBhelp\\fR [\\fITOPIC\\fR]\n");
    s
}

fn main_man_page(cmd: clap::Command) -> Vec<u8> {
    let synopsis_text = synopsis(&cmd);
    let page = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    let w: &mut dyn io::Write = &mut buf;
    let rendered = (|| {
        page.render_title(w)?;
        page.render_name_section(w)?;
        w.write_all(synopsis_text.as_bytes())?;
        page.render_description_section(w)?;
        page.render_options_section(w)?;
        page.render_subcommands_section(w)?;
        w.write_all(crate::help::language_roff().as_bytes())?;
        w.write_all(EXIT_STATUS.as_bytes())?;
        w.write_all(ENVIRONMENT.as_bytes())?;
        page.render_version_section(w)
    })();
    rendered.expect("rendering to memory");
    buf
}

/// Write every generated file under `root` (the repository root), creating
/// `man/` and `completions/`. Returns the paths written.
pub fn write_all(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, contents) in files() {
        let path = root.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, contents).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str) -> String {
        let (_, bytes) = files()
            .into_iter()
            .find(|(p, _)| p == Path::new(path))
            .expect("generated");
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn man_page_has_options_language_examples_and_exit_status() {
        let man = text("man/streamctl.1");
        for needle in [
            ".TH streamctl 1",
            ".SH OPTIONS",
            "\\-\\-follow",
            ".SH LANGUAGE",
            ".SS \"STAGES\"",
            ".SS \"AGGREGATES\"",
            ".SS \"WINDOWS\"",
            ".SS \"EMIT\"",
            ".SS \"OPERATORS\"",
            ".SS \"FUNCTIONS\"",
            ".SS \"VALUE RULES\"",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            "NO_COLOR",
        ] {
            assert!(man.contains(needle), "man page lacks {needle}");
        }
        // The hidden generator is not documented to users.
        assert!(!man.contains("generate"), "{man}");
    }

    #[test]
    fn the_developer_command_is_not_offered_to_users() {
        for (path, bytes) in files() {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                !text.contains("generate"),
                "{} mentions generate",
                path.display()
            );
        }
    }

    #[test]
    fn completions_know_the_flags() {
        assert!(text("completions/streamctl.bash").contains("--checkpoint-interval"));
        assert!(text("completions/_streamctl").contains("--output-format"));
        assert!(text("completions/streamctl.fish").contains("no-progress"));
        // The SYNOPSIS shows each option's argument.
        let man = text("man/streamctl.1");
        assert!(man.contains("[\\fB\\-O\\fR|\\fB\\-\\-output\\-format\\fR \\fIFORMAT\\fR]"));
        assert!(man.contains("[\\fB\\-\\-lateness\\fR \\fID\\fR]"));
        assert!(man.contains("[\\fB\\-F\\fR|\\fB\\-\\-follow\\fR]"));
        let fish = text("completions/streamctl.fish");
        assert!(
            fish.contains("    or return 0\n"),
            "the argparse fix was not applied"
        );
        assert!(fish.contains("using_subcommand help\" -f -a language"));
        // zsh completes the help topics too.
        assert!(text("completions/_streamctl").contains("language\\:"));
    }
}
