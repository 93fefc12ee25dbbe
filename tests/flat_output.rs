//! Flat formats get flat records (issue 18): nested values written as
//! CSV, TSV or logfmt become dotted columns (`req.path`), as mlr writes them.
mod util;

use util::ok;

const NESTED: &str =
    "{\"req\":{\"path\":\"/a\",\"h\":{\"ua\":\"x y\"}},\"tags\":[\"a\",\"b\"],\"e\":{},\"n\":1}\n";

#[test]
fn csv_flattens_objects_and_arrays_to_dotted_columns() {
    assert_eq!(
        ok(&["-O", "csv", "eval k = 2"], NESTED),
        "req.path,req.h.ua,tags.1,tags.2,e,n,k\n/a,x y,a,b,{},1,2\n"
    );
}

#[test]
fn tsv_and_logfmt_flatten_too() {
    assert_eq!(
        ok(&["-O", "tsv", "select req, n"], NESTED),
        "req.path\treq.h.ua\tn\n/a\tx y\t1\n"
    );
    assert_eq!(
        ok(&["-O", "logfmt", "select req, n"], NESTED),
        "req.path=/a req.h.ua=\"x y\" n=1\n"
    );
}

#[test]
fn json_keeps_the_nesting() {
    assert_eq!(
        ok(&["select req"], NESTED),
        "{\"req\":{\"path\":\"/a\",\"h\":{\"ua\":\"x y\"}}}\n"
    );
}

#[test]
fn a_record_whose_shape_changes_starts_a_new_csv_block() {
    let input = "{\"a\":{\"b\":1}}\n{\"a\":{\"b\":2,\"c\":3}}\n";
    assert_eq!(
        ok(&["-O", "csv", "eval x = 1"], input),
        "a.b,x\n1,1\n\na.b,a.c,x\n2,3,1\n"
    );
}
