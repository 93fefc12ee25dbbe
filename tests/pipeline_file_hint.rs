//! A slip that deserves a hint (issue 18): pipeline text given to `-f`
//! (`--pipeline-file`), as when `-F` (follow) was meant.
mod util;

use util::{run, Dir};

#[test]
fn pipeline_text_after_f_suggests_follow_or_no_f() {
    let dir = Dir::new();
    let log = dir.create("app.jsonl", "{\"level\":\"error\"}\n");
    let log = log.to_str().unwrap();
    for pipeline in [
        "where level == \"error\"",
        "count by path every 1m",
        "count",
    ] {
        for flag in ["-f", "--pipeline-file"] {
            let (out, err, code) = run(&[flag, pipeline, log], "");
            assert_eq!((out.as_str(), code), ("", 2), "{flag} {pipeline}");
            assert_eq!(
                err,
                format!(
                    "streamctl: cannot read pipeline file {pipeline}: No such file or directory (os error 2); \
                     `{pipeline}` looks like a pipeline: did you mean -F/--follow, or the pipeline without -f? \
                     (-f FILE reads the pipeline from FILE)\n"
                )
            );
        }
    }
}

#[test]
fn a_missing_pipeline_file_that_is_no_pipeline_gets_no_hint() {
    let dir = Dir::new();
    let missing = dir.path("alerts.pipeline");
    let missing = missing.to_str().unwrap();
    let (_, err, code) = run(&["-f", missing], "");
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!("streamctl: cannot read pipeline file {missing}: No such file or directory (os error 2)\n")
    );
}

#[test]
fn a_real_pipeline_file_still_works() {
    let dir = Dir::new();
    let p = dir.create("p.txt", "where level == \"error\" # errors only\n");
    let (out, err, code) = run(
        &["-f", p.to_str().unwrap()],
        "{\"level\":\"error\"}\n{\"level\":\"info\"}\n",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("{\"level\":\"error\"}\n", "", 0)
    );
}
