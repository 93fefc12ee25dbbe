//! `--explain`: what the run would do, and writing such text to stdout.

use super::*;

/// Write text to stdout; a closed pipe (`| head`) is not an error, a full
/// disk is (exit 1). Never panics, as `print!` does.
pub fn print_stdout(text: &str) -> Result<(), RunError> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => RunError::BrokenPipe,
            _ => RunError::Runtime(format!("cannot write to stdout: {e}")),
        })
}

/// What `--explain` prints.
pub(super) fn explain_text(cfg: &Config, plan: &Plan, et: &EventTime) -> String {
    let mut s = String::new();
    s.push_str(&format!("pipeline: {}\n", cfg.pipeline.trim()));
    let inputs: Vec<String> = cfg
        .inputs
        .iter()
        .map(|p| {
            p.as_ref()
                .map_or("<stdin>".to_string(), |p| p.display().to_string())
        })
        .collect();
    let format = match cfg.input_format {
        Some(f) => format!("{f:?}").to_lowercase(),
        None => "auto (by extension, else by the first line)".into(),
    };
    s.push_str(&format!("input: {} as {format}\n", inputs.join(", ")));
    if let Some(at) = plan.time_at {
        s.push_str(&format!(
            "event time: read at stage {} from {}; lateness {}ms, idle timeout {}ms\n",
            at + 1,
            et.describe(),
            cfg.lateness.as_millis(),
            cfg.idle_timeout.as_millis()
        ));
    } else {
        s.push_str("event time: not used\n");
    }
    s.push_str("stages:\n");
    for line in &plan.explain {
        s.push_str(&format!("  {line}\n"));
    }
    s.push_str(&format!(
        "output: {} as {}\n",
        cfg.output
            .as_ref()
            .map_or("stdout".into(), |p| p.display().to_string()),
        format!("{:?}", cfg.output_format).to_lowercase()
    ));
    s
}
