//! The files a run writes besides checkpoints: `--dead-letter` and `-o`
//! (with its committed length under a guarantee).

use super::*;

/// Open `--dead-letter` for appending; it must not be one of the inputs.
pub(super) fn open_dead_letter(p: &Path, inputs: &[FileId]) -> Result<File, RunError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| {
            RunError::Runtime(format!("cannot open dead-letter file {}: {e}", p.display()))
        })?;
    if FileId::of(&file).is_ok_and(|id| inputs.contains(&id)) {
        return Err(RunError::Usage(format!(
            "dead-letter file {} is also an input: rejected lines would be read again. \
             Give --dead-letter another file",
            p.display()
        )));
    }
    Ok(file)
}

/// Open the output; with `-o`, where the checkpoint left it (see output::file).
pub(super) fn open_output(
    cfg: &Config,
    saved: Option<&Checkpoint>,
    inputs: &[FileId],
) -> Result<Output, RunError> {
    let Some(p) = &cfg.output else {
        let color = crate::output::table::color_wanted(
            io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        );
        // Results on the terminal go above the progress bar, not through it.
        return Ok(Output::new(
            Box::new(progress::AboveBar(io::stdout())),
            cfg.output_format,
            cfg.line_buffered,
            color,
        ));
    };
    let committed = saved.and_then(|c| {
        c.output_len.map(|len| output::file::Committed {
            len,
            stopped: c.stopped,
        })
    });
    let guarantee = cfg.checkpoint.is_some().then_some(cfg.guarantee);
    let opened = output::file::open(p, guarantee, committed, inputs)?;
    if let Some(n) = opened.notice {
        progress::eprintln(&format!("streamctl: {n}"));
    }
    let sync =
        match opened.regular {
            true => Some(opened.file.try_clone().map_err(|e| {
                RunError::Runtime(format!("cannot open output {}: {e}", p.display()))
            })?),
            false => None,
        };
    let mut out = Output::new(
        Box::new(opened.file),
        cfg.output_format,
        cfg.line_buffered,
        false,
    );
    out.set_written(opened.len);
    if let Some(f) = sync {
        out.set_sync_file(f);
    }
    // The file ends where the commit left it: carry on in its CSV/TSV block.
    // (Bytes past it — results an at-least-once run repeats, another
    // writer's — start a new block, with its header.)
    let header = saved.and_then(|s| s.output_header.clone());
    if let (Some(header), true) = (header, committed.is_some_and(|c| c.len == opened.len)) {
        out.resume_header(header);
    }
    Ok(out)
}
