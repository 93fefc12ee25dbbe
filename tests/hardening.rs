//! Hostile or broken surroundings: a pipeline too long to run, a dead-letter
//! file that cannot be written, links planted beside the checkpoint.
mod util;

use std::os::unix::fs::PermissionsExt;

use util::{run, Dir};

#[test]
fn a_pipeline_of_too_many_stages_is_refused_not_a_stack_overflow() {
    let d = Dir::new();
    let long = vec!["where true"; 20_000].join(" | ");
    let p = d.create("p.txt", &long);
    let (out, err, code) = run(&["-f", p.to_str().unwrap()], "{}\n");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with("error: a pipeline may have at most 1000 stages"),
        "{}",
        &err[..200.min(err.len())]
    );
    assert!(err.contains("join the work of several"));
    let ok = vec!["where true"; 1000].join(" | ");
    let p = d.create("ok.txt", &ok);
    let (out, _, code) = run(&["-f", p.to_str().unwrap()], "{}\n");
    assert_eq!((code, out.as_str()), (0, "{}\n"));
}

#[test]
fn a_dead_letter_file_that_cannot_be_written_stops_the_run() {
    let (_, err, code) = run(
        &["-i", "json", "--dead-letter", "/dev/full", "where true"],
        "bad\n{}\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("streamctl: cannot write the dead-letter file: No space left on device"),
        "{err}"
    );
}

#[test]
fn a_link_planted_at_the_checkpoint_temp_file_is_not_followed() {
    let d = Dir::new();
    let input = d.create("in.jsonl", "{\"n\":1}\n");
    let victim = d.create("victim", "precious\n");
    let ck = d.path("c.ckpt");
    std::os::unix::fs::symlink(&victim, d.path("c.ckpt.tmp")).unwrap();
    let (_, err, code) = run(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            input.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(d.read("victim"), "precious\n");
    assert!(!std::fs::symlink_metadata(&ck)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_link_planted_at_the_lock_is_refused() {
    let d = Dir::new();
    let input = d.create("in.jsonl", "{\"n\":1}\n");
    let ck = d.path("c.ckpt");
    std::os::unix::fs::symlink(d.path("elsewhere"), d.path("c.ckpt.lock")).unwrap();
    let (_, err, code) = run(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            input.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains(".lock is a symbolic link"), "{err}");
    assert!(!d.path("elsewhere").exists());
}

#[test]
fn the_checkpoint_keeps_its_permissions() {
    let d = Dir::new();
    let input = d.create("in.jsonl", "{\"n\":1}\n");
    let ck = d.path("c.ckpt");
    let args = [
        "--checkpoint",
        ck.to_str().unwrap(),
        "where true",
        input.to_str().unwrap(),
    ];
    run(&args, "");
    std::fs::set_permissions(&ck, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&input, "{\"n\":1}\n{\"n\":2}\n").unwrap();
    let (out, _, code) = run(&args, "");
    assert_eq!((code, out.as_str()), (0, "{\"n\":2}\n"));
    let mode = std::fs::metadata(&ck).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_dangling_link_as_checkpoint_is_an_error_not_a_fresh_start() {
    let d = Dir::new();
    let input = d.create("in.jsonl", "{\"n\":1}\n");
    let ck = d.path("c.ckpt");
    std::os::unix::fs::symlink(d.path("gone.ckpt"), &ck).unwrap();
    let (out, err, code) = run(
        &[
            "--checkpoint",
            ck.to_str().unwrap(),
            "where true",
            input.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("is a symbolic link to a file that does not exist"),
        "{err}"
    );
}
