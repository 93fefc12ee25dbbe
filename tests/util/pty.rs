//! A pseudo-terminal for tests that need stdout or stderr to be a terminal
//! (progress bar, colour). Only libc, no external tool.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::fd::FromRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::thread::JoinHandle;

pub struct Pty {
    /// The terminal end to hand to a child as stdout or stderr.
    pub slave: File,
    master: File,
}

impl Pty {
    /// A new pseudo-terminal of `cols` columns.
    pub fn open(cols: u16) -> Pty {
        // SAFETY: plain libc calls on a fresh descriptor we own; every return is checked.
        unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(fd >= 0, "posix_openpt failed");
            assert_eq!(libc::grantpt(fd), 0, "grantpt failed");
            assert_eq!(libc::unlockpt(fd), 0, "unlockpt failed");
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
            let path = std::ffi::CStr::from_ptr(name.as_ptr())
                .to_str()
                .expect("pty name")
                .to_owned();
            let master = File::from_raw_fd(fd);
            let slave = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(&path)
                .expect("open pty slave");
            let size = libc::winsize {
                ws_row: 24,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            libc::ioctl(fd, libc::TIOCSWINSZ, &size);
            Pty { slave, master }
        }
    }

    /// Read everything the terminal shows until every slave end is closed.
    /// Drop the `slave` (it was moved into the child's Command) first.
    pub fn reader(self) -> JoinHandle<Vec<u8>> {
        let Pty { slave, mut master } = self;
        drop(slave);
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            // Reading the master fails with EIO once the slave side is closed.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            all
        })
    }
}
