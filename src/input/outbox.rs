//! How a reading thread sends blocks to the main loop: it pre-indexes some
//! of them when it has time to spare (see `preindex.rs`), balancing the work
//! between the two cores, and recycles the buffers the main loop sends back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::preindex::LineKind;
use super::protocol::{Block, Gone, Msg, Outlet};

/// Shared between the reader and the main loop: the main loop says when it
/// had to wait for input.
#[derive(Default)]
pub struct Balance {
    starved: AtomicBool,
}

impl Balance {
    /// The main loop found no input ready.
    pub fn starved(&self) {
        self.starved.store(true, Ordering::Relaxed);
    }
}

/// Out of every `SLOTS` blocks, the reader indexes `share`.
const SLOTS: u32 = 8;

/// The reader's side of the balance.
struct Share {
    share: u32,
    turn: u32,
}

impl Share {
    fn take(&mut self, balance: &Balance) -> bool {
        if balance.starved.swap(false, Ordering::Relaxed) {
            self.share = self.share.saturating_sub(1);
        }
        self.turn = (self.turn + 1) % SLOTS;
        self.turn < self.share
    }

    fn main_loop_is_behind(&mut self) {
        self.share = (self.share + 1).min(SLOTS);
    }
}

/// How a reading thread sends: it indexes JSON blocks when it has time to
/// spare, and recycles the buffers the main loop sends back.
pub struct Outbox {
    tx: SyncSender<Msg>,
    recycled: Receiver<Block>,
    balance: Arc<Balance>,
    share: Share,
    /// Per input: what its lines may be (so what is worth preparing).
    kinds: Arc<[LineKind]>,
    /// Per input: the next block starts a line.
    at_line_start: Vec<bool>,
}

impl Outbox {
    pub fn new(
        tx: SyncSender<Msg>,
        recycled: Receiver<Block>,
        balance: Arc<Balance>,
        kinds: Arc<[LineKind]>,
    ) -> Outbox {
        Outbox {
            tx,
            recycled,
            balance,
            share: Share {
                share: SLOTS / 2,
                turn: 0,
            },
            at_line_start: vec![true; kinds.len()],
            kinds,
        }
    }

    /// An outbox for another reading thread on the same channel (it gets no
    /// recycled buffers).
    pub fn sibling(&self) -> Outbox {
        let (_, none) = std::sync::mpsc::sync_channel(0);
        Outbox::new(
            self.tx.clone(),
            none,
            self.balance.clone(),
            self.kinds.clone(),
        )
    }
}

impl Outlet for Outbox {
    /// A buffer to read into (a recycled one when there is one).
    fn block(&self) -> Block {
        let mut b = self.recycled.try_recv().unwrap_or_default();
        b.index.clear();
        b
    }

    fn send(&mut self, mut msg: Msg) -> Result<(), Gone> {
        match &mut msg {
            Msg::Open { source, .. } => self.at_line_start[*source] = true,
            Msg::Data { source, block } => {
                let s = *source;
                let kind = self.kinds[s];
                if kind != LineKind::Opaque && self.share.take(&self.balance) {
                    block.index.build(&block.data, self.at_line_start[s], kind);
                }
                self.at_line_start[s] = block.data.last() == Some(&b'\n');
            }
            Msg::End { .. } | Msg::Failed { .. } | Msg::Damaged { .. } => {}
        }
        match self.tx.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => {
                self.share.main_loop_is_behind();
                self.tx.send(msg).map_err(|_| Gone)
            }
            Err(TrySendError::Disconnected(_)) => Err(Gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_follows_the_slow_side() {
        let balance = Balance::default();
        let mut s = Share { share: 4, turn: 0 };
        for _ in 0..10 {
            balance.starved();
            s.take(&balance);
        }
        assert_eq!(s.share, 0);
        assert!(!(0..SLOTS).any(|_| s.take(&balance)));
        for _ in 0..10 {
            s.main_loop_is_behind();
        }
        assert!((0..SLOTS).all(|_| s.take(&balance)));
    }
}
