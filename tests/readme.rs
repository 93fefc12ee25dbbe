//! The README's examples are true: every ```sh block that has `$ ` lines is
//! run, command by command, in a fresh directory with this build's
//! `streamctl` first on PATH, and each command's output (stdout and stderr
//! together, as a terminal shows them) must equal the lines shown under it.
//!
//! Format of a tested block: `$ command` (a trailing `\` continues it on the
//! next line), then its exact output; `# ` lines are comments; trailing blank
//! lines of an output are not compared. Blocks in other fences (```text,
//! ```console) or without `$ ` lines are not run. An example that needs
//! files creates them in its own block or reads the samples in `examples/`,
//! which every block's directory has a copy of.
mod util;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{bin_path, Dir};

/// Longest a single README command may take.
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Example {
    /// 1-based line of the `$ ` in README.md.
    line: usize,
    command: String,
    output: String,
}

/// The tested blocks of a markdown text, each a list of examples.
fn blocks(markdown: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut in_sh = false;
    let mut in_other = false;
    let mut current: Vec<Example> = Vec::new();
    let mut lines = markdown.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let fence = line.trim_start().starts_with("```");
        if !in_sh && !in_other {
            if fence {
                let lang = line.trim_start().trim_start_matches('`').trim();
                if lang == "sh" {
                    in_sh = true;
                } else {
                    in_other = true;
                }
            }
            continue;
        }
        if in_other {
            if fence {
                in_other = false;
            }
            continue;
        }
        if fence {
            in_sh = false;
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let mut command = cmd.to_string();
            // `\` at the end continues the command (the shell joins the lines).
            while command.ends_with('\\') {
                match lines.next() {
                    Some((_, more)) => {
                        command.push('\n');
                        command.push_str(more);
                    }
                    None => break,
                }
            }
            // A here-document is part of its command, up to its end word.
            if let Some(end) = heredoc_end(&command) {
                for (_, more) in lines.by_ref() {
                    command.push('\n');
                    command.push_str(more);
                    if more == end {
                        break;
                    }
                }
            }
            current.push(Example {
                line: i + 1,
                command,
                output: String::new(),
            });
        } else if line.starts_with("# ") || line == "#" {
            // A comment between examples.
        } else if let Some(ex) = current.last_mut() {
            ex.output.push_str(line);
            ex.output.push('\n');
        }
    }
    blocks
}

/// The end word of a here-document started on this command line
/// (`<<EOF`, `<<'EOF'`, `<<"EOF"`).
fn heredoc_end(command: &str) -> Option<String> {
    let at = command.find("<<")?;
    let word: String = command[at + 2..]
        .trim_start_matches('-')
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace())
        .filter(|c| *c != '\'' && *c != '"')
        .collect();
    (!word.is_empty()).then_some(word)
}

fn trim_blank_tail(s: &str) -> &str {
    s.trim_end_matches('\n')
}

/// Run one command line in `dir`; return what it printed and whether it
/// finished in time.
fn run_line(dir: &Dir, command: &str) -> (String, bool) {
    let bin_dir = bin_path().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir.root())
        .env("PATH", path)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run sh");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let mut in_time = true;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            in_time = false;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = reader.join().unwrap_or_default();
    (String::from_utf8_lossy(&out).into_owned(), in_time)
}

/// The samples under `examples/` are there for every block, as in a checkout.
fn copy_examples(dir: &Dir) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let to = dir.path("examples");
    std::fs::create_dir_all(&to).expect("make examples/");
    for entry in std::fs::read_dir(&from).expect("read examples/") {
        let entry = entry.expect("examples/ entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a sample");
    }
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let blocks = blocks(&readme);
    assert!(!blocks.is_empty(), "no tested examples found in README.md");
    let mut failures = Vec::new();
    let mut count = 0;
    for block in &blocks {
        let dir = Dir::new();
        copy_examples(&dir);
        for ex in block {
            count += 1;
            let (got, in_time) = run_line(&dir, &ex.command);
            if !in_time {
                failures.push(format!(
                    "README.md:{}: `{}` did not finish in {TIMEOUT:?}",
                    ex.line, ex.command
                ));
            } else if trim_blank_tail(&got) != trim_blank_tail(&ex.output) {
                failures.push(format!(
                    "README.md:{}: `{}`\n--- README shows:\n{}\n--- it printed:\n{}",
                    ex.line,
                    ex.command,
                    trim_blank_tail(&ex.output),
                    trim_blank_tail(&got)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} README examples differ from what they print (fix the README or the code):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn blocks_are_parsed_as_documented() {
    let md = "text\n```sh\ncargo build\n```\n```text\n$ not run\n```\n```sh\n# make a file\n$ printf 'a\\n' \\\n  > f\n$ cat f\na\n\n$ echo hi\nhi\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].len(), 3);
    assert_eq!(b[0][0].command, "printf 'a\\n' \\\n  > f");
    assert_eq!(b[0][0].output, "");
    assert_eq!(b[0][1].command, "cat f");
    assert_eq!(b[0][1].output, "a\n\n");
    assert_eq!(b[0][2].line, 15);
    assert_eq!(b[0][2].output, "hi\n");

    let b = blocks("```sh\n$ cat > f <<'EOF'\n$ not a command\nEOF\n$ cat f\nx\n```\n");
    assert_eq!(b[0].len(), 2);
    assert_eq!(b[0][0].command, "cat > f <<'EOF'\n$ not a command\nEOF");
    assert_eq!(b[0][1].output, "x\n");
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, other
/// punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn readme_links_to_sections_resolve() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut in_code = false;
    let mut anchors = Vec::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            anchors.push(slug(line.trim_start_matches('#')));
        }
    }
    let mut broken = Vec::new();
    for (i, part) in readme.split("](#").enumerate().skip(1) {
        let target = part.split(')').next().unwrap_or("");
        if !anchors.iter().any(|a| a == target) {
            broken.push(format!("#{target} (link {i})"));
        }
    }
    assert!(
        broken.is_empty(),
        "README links to missing sections: {broken:?}"
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug(" Compared with jq, mlr and agrind"),
        "compared-with-jq-mlr-and-agrind"
    );
    assert_eq!(
        slug(" Exit status and standard error"),
        "exit-status-and-standard-error"
    );
}

/// The list at the top is the README's table of contents: every `## `
/// section is linked from it.
#[test]
fn every_section_is_in_the_contents() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let first_section = readme.find("\n## ").expect("a ## section");
    let contents = &readme[..first_section];
    let mut in_code = false;
    let mut missing = Vec::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            if let Some(title) = line.strip_prefix("## ") {
                if !contents.contains(&format!("](#{})", slug(title))) {
                    missing.push(title.to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README sections missing from the list at the top (add a link there, and under Reference): {missing:?}"
    );
}
