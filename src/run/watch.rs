//! A warning, once, when a stage's state grows past what a user should know
//! about (memory, and every checkpoint's time and size, grow with it).

use super::*;

/// Above this much state in one stage the user is told, once: memory and
/// every checkpoint (which writes the state whole) grow with it.
pub(super) const STATE_WARN_BYTES: u64 = 1 << 30;

/// Looks at the stages' state now and then and warns once, naming the
/// stage, when one passes [`STATE_WARN_BYTES`].
pub(super) struct StateWatch {
    pub(super) limit: u64,
    pub(super) next: Instant,
    /// The stages' `--explain` lines, to name one.
    pub(super) stages: Vec<String>,
    pub(super) warned: bool,
}

impl StateWatch {
    /// How often to look: measuring walks a stage's keys.
    pub(super) const EVERY: Duration = Duration::from_secs(2);

    pub(super) fn new(stages: Vec<String>) -> StateWatch {
        StateWatch {
            // Tests set a small limit; nothing else should.
            limit: std::env::var("STREAMCTL_STATE_WARN_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(STATE_WARN_BYTES),
            next: Instant::now() + Self::EVERY,
            stages,
            warned: false,
        }
    }

    /// Look if it is time (or `now_anyway`, at the end of reading).
    pub(super) fn check(&mut self, chain: &Chain, reporter: &mut Reporter, now_anyway: bool) {
        if self.warned || !(now_anyway || Instant::now() >= self.next) {
            return;
        }
        self.next = Instant::now() + Self::EVERY;
        let Some((i, s)) = chain.stage_states().find(|(_, s)| s.bytes >= self.limit) else {
            return;
        };
        self.warned = true;
        let line = self
            .stages
            .get(i)
            .map_or("", |l| l.lines().next().unwrap_or(""));
        let name = line.split_once(". ").map_or(line, |(_, rest)| rest);
        reporter.warning(&format!(
            "stage {} ({}) holds about {} of state ({} groups, {} windows open); \
             memory, and the time and disk each checkpoint takes, grow with it",
            i + 1,
            name.trim(),
            human_bytes(s.bytes),
            s.groups,
            s.windows
        ));
    }
}
