//! Flush policy (DESIGN §7): with a slow writer, each result is readable
//! before the next line is written.
mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn each_result_arrives_before_the_next_line_is_written() {
    let mut child = Command::new(util::bin_path())
        .arg("where n % 2 == 0 | select n")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for n in 0..6 {
        writeln!(stdin, "{{\"n\":{n}}}").unwrap();
        stdin.flush().unwrap();
        if n % 2 == 0 {
            // Generous bound for a loaded machine; typically well under a millisecond.
            let got = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("result while input is still open");
            assert_eq!(got, format!("{{\"n\":{n}}}"));
        } else {
            assert!(
                rx.recv_timeout(Duration::from_millis(50)).is_err(),
                "odd n must not pass"
            );
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
