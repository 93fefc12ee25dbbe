//! One run's loop: input → event time → chain → sink, timers while the
//! input is quiet, and, with `--checkpoint`, the commit order that makes
//! each delivery guarantee (DESIGN §6; see `Session::checkpoint`).

use super::*;

/// Checkpointing state of a run with `--checkpoint`.
pub(super) struct Ckpt {
    pub(super) store: checkpoint::Store,
    pub(super) guarantee: Guarantee,
    pub(super) schedule: checkpoint::Schedule,
    pub(super) job: String,
    pub(super) pipeline: String,
    /// Something happened since the last commit.
    pub(super) dirty: bool,
    /// The checkpoint resumed from was taken after the input ended.
    pub(super) resumed_ended: bool,
}

/// Why reading stopped.
pub(super) enum Ending {
    /// End of every input, a stage stopped the run (head), or a signal without `--checkpoint`.
    Input,
    /// SIGINT/SIGTERM with `--checkpoint`: keep the open state for the next run.
    Signal,
}

/// Everything one run works on.
pub(super) struct Session {
    pub(super) input: Input,
    pub(super) chain: Chain,
    pub(super) sink: RunSink,
    /// `-o`, for messages and to record its committed length.
    pub(super) output_name: Option<String>,
    pub(super) ckpt: Option<Ckpt>,
    /// A stage ended the run (`head`, `-q`) before the input did.
    pub(super) stopped: bool,
    pub(super) watch: StateWatch,
}

impl Session {
    /// Read the inputs (until their end, a stage stopping the run, or a
    /// signal), committing checkpoints as they fall due.
    pub(super) fn drive(&mut self, stop: &AtomicBool) -> Result<Ending, RunError> {
        // How often the loop wakes on a quiet input to run timers and see signals.
        const TICK: Duration = Duration::from_millis(50);
        let mut flow = Flow::Continue;
        while flow == Flow::Continue {
            let mut arrived = None;
            let mut step = self.pump(Duration::ZERO, &mut flow, &mut arrived)?;
            if step == Step::Idle {
                // Nothing more is ready: everything pending goes out now (§7).
                self.flush_idle()?;
                step = self.pump(TICK, &mut flow, &mut arrived)?;
            }
            if stop.load(Ordering::Relaxed) {
                // SIGINT/SIGTERM: without a checkpoint it is the end of input
                // (§2); with one, the open state is kept for the next run.
                return Ok(match self.ckpt {
                    Some(_) => Ending::Signal,
                    None => Ending::Input,
                });
            }
            let now = arrived.unwrap_or_else(now_ms);
            let mut changed = step != Step::Idle;
            match step {
                Step::Idle => {
                    let before = self.chain.event_time().map(|t| t.watermark());
                    flow = self.chain.idle(now, &mut self.sink)?;
                    changed |= self.chain.event_time().map(|t| t.watermark()) != before;
                }
                Step::Read { bytes } | Step::Stopped { bytes } => {
                    self.sink.stats.bytes_in += bytes;
                    if let Some(t) = self.chain.event_time_mut() {
                        t.saw_input(now);
                    }
                    let st = &self.sink.stats;
                    self.sink.progress.update(st.bytes_in, st.events_in);
                }
                Step::Moved { why, .. } => {
                    if why != Opened::First && self.ckpt.is_some() {
                        // Commit as soon as the input is in another file, so
                        // that a checkpoint names it before the next rotation
                        // (a later run finds every file rotated since).
                        self.checkpoint(false)?;
                    }
                }
                Step::SourceEnded => {}
                Step::End => break,
                Step::Failed(message) => return Err(RunError::Runtime(message)),
            }
            if flow == Flow::Continue && self.chain.next_tick().is_some_and(|t| t <= now) {
                flow = self.chain.tick(now, &mut self.sink)?;
                // A snapshot is one table block, even while input keeps
                // coming (no flush between two ticks): a live table shows
                // one snapshot at a time.
                self.sink.out.close_block();
                changed = true;
            }
            self.maybe_checkpoint(changed)?;
            self.watch
                .check(&self.chain, &mut self.sink.reporter, false);
        }
        self.stopped = flow == Flow::Stop;
        Ok(Ending::Input)
    }

    /// Take what the input has (waiting up to `timeout`) through the chain. A stage stopping the run sets `flow`; `arrived` is the
    /// arrival time of what came. With a checkpoint interval in events, the
    /// input stops where a checkpoint falls due (it carries on at the next call).
    pub(super) fn pump(
        &mut self,
        timeout: Duration,
        flow: &mut Flow,
        arrived: &mut Option<Millis>,
    ) -> Result<Step, RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let pause_at = self
            .ckpt
            .as_ref()
            .and_then(|c| c.schedule.lines_until_due(lines))
            .map(|n| lines + n);
        let Session {
            input, chain, sink, ..
        } = self;
        input.next(timeout, |item| {
            if *flow != Flow::Continue {
                // A stage ended the run; what the input still hands on is not read.
                return Ok(false);
            }
            arrived.get_or_insert_with(now_ms);
            match item {
                Item::Event { ev, .. } => {
                    sink.stats.events_in += 1;
                    let f = chain.push(ev, sink)?;
                    if !sink.absent_said && sink.stats.events_in >= absent::NOTICE_AFTER {
                        sink.absent_said = true;
                        say_absent(chain);
                    }
                    *flow = f;
                    if f != Flow::Continue {
                        return Ok(false);
                    }
                }
                Item::Rejected {
                    name,
                    line,
                    reason,
                    bytes,
                } => sink
                    .reporter
                    .reject(&format!("{name}:{line}"), &reason, bytes)?,
                Item::LongPart(bytes) => {
                    sink.reporter.dead_letter_part(bytes);
                    return Ok(true);
                }
                Item::LongRejected { name, line, reason } => sink
                    .reporter
                    .reject_long_end(&format!("{name}:{line}"), &reason)?,
                Item::Damaged {
                    name,
                    line,
                    reason,
                    bytes,
                } => sink
                    .reporter
                    .reject_cut(&format!("{name}:{line}"), &reason, bytes)?,
            }
            Ok(go_on(sink, pause_at))
        })
    }

    /// After reading: end the stages at a real end, and commit the last checkpoint.
    pub(super) fn finish(&mut self, ending: Ending) -> Result<(), RunError> {
        self.watch.check(&self.chain, &mut self.sink.reporter, true);
        self.sink.state = self.chain.state_size();
        match ending {
            Ending::Input => {
                // A run resumed after its input had ended, with nothing new to
                // read, must not end (and emit) a second time.
                let nothing_new = self.ckpt.as_ref().is_some_and(|c| c.resumed_ended)
                    && self.sink.stats.events_in == 0;
                if !nothing_new {
                    self.chain.end(&mut self.sink)?;
                }
                self.last_checkpoint(true)?;
                // After the rows are out, so it reads below them; not when
                // a stage ended the run early (the rest of the input may
                // well have had them).
                if !self.stopped {
                    say_absent(&mut self.chain);
                }
                Ok(())
            }
            Ending::Signal => self.last_checkpoint(false),
        }
    }

    /// The run stops: commit, with a mark that nothing will be written after
    /// this commit (so bytes of `-o` past it are another writer's).
    pub(super) fn last_checkpoint(&mut self, ended: bool) -> Result<(), RunError> {
        self.checkpoint_as(ended, true)
    }

    /// at-most-once keeps results in memory until a checkpoint covers them.
    pub(super) fn holds_output(&self) -> bool {
        self.ckpt
            .as_ref()
            .is_some_and(|c| c.guarantee == Guarantee::AtMostOnce)
    }

    pub(super) fn flush(&mut self) -> Result<(), RunError> {
        self.sink.out.flush().map_err(output_error)?;
        self.sink
            .reporter
            .flush()
            .map_err(|e| RunError::Runtime(e.to_string()))?;
        Ok(())
    }

    /// The input has nothing ready: results go out now.
    pub(super) fn flush_idle(&mut self) -> Result<(), RunError> {
        if self.holds_output() && self.sink.out.pending() > 0 {
            return self.checkpoint(false);
        }
        self.flush()
    }

    pub(super) fn maybe_checkpoint(&mut self, changed: bool) -> Result<(), RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let Some(ck) = self.ckpt.as_mut() else {
            return Ok(());
        };
        ck.dirty |= changed;
        let due = (ck.dirty && ck.schedule.due(lines))
            || (ck.guarantee == Guarantee::AtMostOnce && self.sink.out.over_high_water());
        if due {
            self.checkpoint(false)?;
        }
        Ok(())
    }

    /// Write out pending results and, with `--checkpoint`, commit a
    /// checkpoint, in the order the guarantee needs (§6):
    /// - at-most-once: commit first, then write. A crash between the two
    ///   loses those results; it can never repeat them.
    /// - at-least-once: write, flush (and fsync `-o`), then commit. A crash
    ///   before the commit repeats the results since the previous one; it can
    ///   never lose them.
    /// - exactly-once: as at-least-once, and the commit records the output
    ///   file's length; a restart cuts the file back to that length and
    ///   carries on from the offsets and state committed with it, so the
    ///   file ends byte for byte as if the run had never stopped.
    pub(super) fn checkpoint(&mut self, ended: bool) -> Result<(), RunError> {
        self.checkpoint_as(ended, false)
    }

    /// `checkpoint`; `stopped`: the run writes nothing after this one.
    pub(super) fn checkpoint_as(&mut self, ended: bool, stopped: bool) -> Result<(), RunError> {
        let Some(guarantee) = self.ckpt.as_ref().map(|c| c.guarantee) else {
            return self.flush();
        };
        if guarantee == Guarantee::AtMostOnce {
            // Committed first; the output length it records is the one
            // before its results are written (a torn line past it is this run's).
            self.sink.out.close_block();
            self.commit_as(ended, self.output_len(), false)?;
            self.flush()?;
            if stopped {
                // Its last results are out: the final mark covers them.
                self.commit_as(ended, self.output_len(), true)?;
            }
            return Ok(());
        }
        self.flush()?;
        if let Some(name) = &self.output_name {
            self.sink.out.sync().map_err(|e| {
                RunError::Runtime(format!(
                    "cannot fsync output {name}: {e}; the last good checkpoint stands"
                ))
            })?;
        }
        self.commit_as(ended, self.output_len(), stopped)
    }

    /// Bytes of `-o` written (none without `-o`).
    pub(super) fn output_len(&self) -> Option<u64> {
        self.output_name.is_some().then(|| self.sink.out.written())
    }

    pub(super) fn commit_as(
        &mut self,
        ended: bool,
        output_len: Option<u64>,
        stopped: bool,
    ) -> Result<(), RunError> {
        let lines = self.sink.stats.events_in + self.sink.reporter.rejected();
        let inputs = self.input.positions();
        let event_time = self
            .chain
            .event_time()
            .map_or(serde_json::Value::Null, |t| t.snapshot());
        let Some(ck) = self.ckpt.as_mut() else {
            return Ok(());
        };
        let chain = &self.chain;
        let began = Instant::now();
        ck.store.commit(
            &Checkpoint {
                job: ck.job.clone(),
                pipeline: ck.pipeline.clone(),
                inputs,
                event_time,
                output_len,
                output_header: output_len.and(self.sink.out.header().map(<[String]>::to_vec)),
                stopped,
                ended,
            },
            &|out| chain.save(out),
        )?;
        ck.schedule.committed(lines, began);
        ck.dirty = false;
        Ok(())
    }
}
