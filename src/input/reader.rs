//! The plain reader thread: reads every input in order in large blocks and
//! sends them to the main loop over a bounded channel (`protocol::Msg`).
//!
//! Why a thread: the main loop must keep its clocks running (idle timeouts,
//! `emit every`, processing-time windows) while stdin has nothing to say, and
//! a blocking `read` cannot be given a timeout portably. The channel is
//! bounded and buffers are recycled, so memory stays at a few blocks. With
//! `--follow`, `follow.rs` produces the same messages from files it polls.

use std::io::{self, Read};
use std::thread;

use super::compressed::Text;
use super::outbox::Outbox;
use super::protocol::{Gone, Msg, Opened, Outlet, Segment, Source};

/// Block size: large enough that a big file streams at memory speed, small
/// enough that a trickle of lines is handed over at once (a `read` returns
/// whatever is there, it does not wait to fill the block).
pub const BLOCK: usize = 256 * 1024;

/// Read every input in order to its end, on a thread of its own.
pub fn spawn(sources: Vec<Source>, outbox: Outbox) {
    thread::Builder::new()
        .name("reader".into())
        .spawn(move || {
            let mut outbox = outbox;
            for (source, input) in sources.into_iter().enumerate() {
                let read = match input.fifo {
                    true => read_fifo(source, input.path.as_deref(), &mut outbox),
                    false => read_source(source, input.segments, &mut outbox),
                };
                if read.is_err() {
                    return;
                }
            }
        })
        .expect("spawning the reader thread");
}

/// Read one input's files in order, then send `End` (or `Failed`). This is
/// where bytes enter: a compressed file is decompressed here (compressed.rs).
pub fn read_source(source: usize, segments: Vec<Segment>, outbox: &mut Outbox) -> Result<(), Gone> {
    for (i, seg) in segments.into_iter().enumerate() {
        let why = if i == 0 {
            Opened::First
        } else {
            Opened::Rotated
        };
        let text = match Text::open(seg.file, seg.start) {
            Ok(text) => text,
            Err(error) => return outbox.send(Msg::Failed { source, error }),
        };
        let open = Msg::Open {
            source,
            id: seg.id,
            start: seg.start,
            why,
            compressed: text.compressed(),
        };
        outbox.send(open)?;
        if let Err(error) = pump(source, text, outbox)? {
            return outbox.send(Msg::Failed { source, error });
        }
    }
    outbox.send(Msg::End { source })
}

/// Open a FIFO (waiting for a writer) and read it to its end.
pub fn read_fifo(
    source: usize,
    path: Option<&std::path::Path>,
    outbox: &mut Outbox,
) -> Result<(), Gone> {
    let opened = path
        .ok_or_else(|| io::Error::other("no path"))
        .and_then(std::fs::File::open)
        .and_then(|file| {
            let id = super::identity::FileId::of(&file)?;
            Ok(Segment { file, id, start: 0 })
        });
    match opened {
        Ok(seg) => read_source(source, vec![seg], outbox),
        Err(error) => outbox.send(Msg::Failed { source, error }),
    }
}

/// Read `text` to its end (the inner result is a read error). Damage in
/// compressed data ends the file: what came before it was sent, the damage
/// is reported as bad input, and the next file is read.
fn pump(source: usize, mut text: Text, outbox: &mut Outbox) -> Result<io::Result<()>, Gone> {
    loop {
        let mut block = outbox.block();
        match read_block(&mut text, &mut block.data) {
            Ok(0) => return Ok(Ok(())),
            Ok(_) => outbox.send(Msg::Data { source, block })?,
            Err(e) => {
                return match text.damage(&e) {
                    Some(reason) => outbox.send(Msg::Damaged { source, reason }).map(Ok),
                    None => Ok(Err(e)),
                }
            }
        }
    }
}

/// One `read` of up to a block into `buf` (resized to what was read).
pub fn read_block(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.resize(BLOCK, 0);
    let n = loop {
        match r.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    buf.truncate(n);
    Ok(n)
}
