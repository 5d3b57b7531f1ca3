//! A results CSV from someone else: parsed leniently, never a panic; the
//! rows it accepts write back and read again as the same rows.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::record::parse_results;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(outcome) = parse_results(text, "fuzz.csv") else {
        return;
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &outcome.rows {
        w.serialize(row).expect("an accepted row serializes");
    }
    let bytes = w.into_inner().expect("in memory");
    if outcome.rows.is_empty() {
        return;
    }
    let again = parse_results(std::str::from_utf8(&bytes).expect("utf-8"), "again.csv")
        .expect("rows sbcbench accepted read back");
    assert_eq!(again.rows.len(), outcome.rows.len());
});
