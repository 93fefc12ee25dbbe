//! The reader thread: reads every input in order in large blocks and sends
//! them to the main loop over a bounded channel.
//!
//! Why a thread: the main loop must keep its clocks running (idle timeouts,
//! `emit every`, processing-time windows) while stdin has nothing to say, and
//! a blocking `read` cannot be given a timeout portably. The channel is
//! bounded and buffers are recycled, so memory stays at a few blocks.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Block size: large enough that a big file streams at memory speed, small
/// enough that a trickle of lines is handed over at once (a `read` returns
/// whatever is there, it does not wait to fill the block).
pub const BLOCK: usize = 256 * 1024;

pub enum Msg {
    /// The next bytes of input `source`.
    Data { source: usize, data: Vec<u8> },
    /// Input `source` is at its end.
    End { source: usize },
    /// Reading input `source` failed.
    Failed { source: usize, error: io::Error },
}

/// An input ready to read.
pub enum Input {
    Stdin,
    File(File),
}

pub struct Reader {
    pub rx: Receiver<Msg>,
    /// Send used buffers back so the reader can reuse them.
    pub recycle: SyncSender<Vec<u8>>,
}

pub fn spawn(inputs: Vec<Input>) -> Reader {
    let (tx, rx) = sync_channel::<Msg>(4);
    let (recycle, recycled) = sync_channel::<Vec<u8>>(8);
    thread::Builder::new()
        .name("reader".into())
        .spawn(move || read_all(inputs, tx, recycled))
        .expect("spawning the reader thread");
    Reader { rx, recycle }
}

fn read_all(inputs: Vec<Input>, tx: SyncSender<Msg>, recycled: Receiver<Vec<u8>>) {
    for (source, input) in inputs.into_iter().enumerate() {
        let result = match input {
            Input::Stdin => pump(source, io::stdin().lock(), &tx, &recycled),
            Input::File(f) => pump(source, f, &tx, &recycled),
        };
        let msg = match result {
            Ok(true) => Msg::End { source },
            Ok(false) => return, // the main loop hung up
            Err(error) => Msg::Failed { source, error },
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Returns Ok(false) when the receiver is gone.
fn pump(
    source: usize,
    mut r: impl Read,
    tx: &SyncSender<Msg>,
    recycled: &Receiver<Vec<u8>>,
) -> io::Result<bool> {
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        buf.resize(BLOCK, 0);
        let n = loop {
            match r.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(true);
        }
        buf.truncate(n);
        if tx.send(Msg::Data { source, data: buf }).is_err() {
            return Ok(false);
        }
    }
}
