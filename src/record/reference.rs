//! Reference boards shipped with sbcbench: the 15 machines of the January
//! 2023 VisionFive 2 article, in the results schema, so that a first report
//! already sets a board among them.
//!
//! The file is `results/reference/visionfive2-article-2023.csv`, built into
//! the binary as well (a report works from any folder). It holds only the
//! article's raw figures; `sbcbench report` derives speedups, cycles per
//! byte and MB/s per Watt from them. `tests/reference_data.rs` checks it
//! against `../shared/reference/blog-2023-raw.csv` and regenerates it.

use super::{parse_results, ReadError, ResultRow};

/// Where the file lives in the repository (and how errors name it).
pub const ARTICLE_2023_PATH: &str = "results/reference/visionfive2-article-2023.csv";

/// The file's content.
pub const ARTICLE_2023_CSV: &str =
    include_str!("../../results/reference/visionfive2-article-2023.csv");

/// The `source` of its rows.
pub const ARTICLE_2023_SOURCE: &str = "article-2023";

/// The `source` of rows measured by sbcbench itself.
pub const SBCBENCH_SOURCE: &str = "sbcbench";

/// The article's boards, one row per board × kernel, single core.
pub fn article_2023() -> Result<Vec<ResultRow>, ReadError> {
    let outcome = parse_results(ARTICLE_2023_CSV, ARTICLE_2023_PATH)?;
    match outcome.skipped.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(outcome.rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_reference_reads_cleanly() {
        let rows = article_2023().unwrap();
        assert_eq!(rows.len(), 15 * 3);
        assert!(rows.iter().all(|r| r.source == ARTICLE_2023_SOURCE));
        assert!(rows.iter().all(|r| r.threads == 1 && r.thread_mode == "1"));
    }
}
