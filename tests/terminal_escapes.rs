//! Text from the data never reaches a terminal raw: control characters in
//! `-O table` cells and titles and in the lookup duplicate-key warning are
//! escaped, as `FILE:LINE` messages already are.
mod util;

use util::{run, Dir};

#[test]
fn table_cells_and_titles_escape_control_characters() {
    let input = "{\"k\\u001b[2J\":\"a\\u001b]0;pwned\\u0007\",\"n\":1}\n{\"k\\u001b[2J\":\"b\\tc\\u009b\",\"n\":22}\n";
    let (out, err, code) = run(&["-O", "table", "where true"], input);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "k\\u001b[2J              n\n\
         a\\u001b]0;pwned\\u0007   1\n\
         b\\tc\\u009b             22\n\n"
    );
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn the_duplicate_key_warning_escapes_the_key() {
    let d = Dir::new();
    let users = d.create("users.csv", "id,name\n\u{1b}[2J,a\n\u{1b}[2J,b\n");
    let (_, err, code) = run(
        &[&format!("join {} on id", users.display())],
        "{\"id\":\"x\"}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        err,
        format!(
            "streamctl: warning: lookup file {}, line 3: duplicate key `\\u001b[2J` (first on line 2); the last row wins\n",
            users.display()
        )
    );
}
