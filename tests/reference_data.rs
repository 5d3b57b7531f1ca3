//! The shipped reference data (`results/reference/visionfive2-article-2023.csv`)
//! is the article's raw figures (`../shared/reference/blog-2023-raw.csv`) in
//! the results schema, and nothing else.
//!
//! Regenerate it after a change of the raw figures or of the schema:
//!
//! ```sh
//! SBCBENCH_WRITE_REFERENCE=1 cargo test --test integration reference_data::
//! ```
//!
//! Without `../shared/` (a checkout on its own) the comparison is skipped
//! with a notice; the committed file is still read by every other test.

use std::io::Write;
use std::path::{Path, PathBuf};

use sbcbench::measure::{Engine, ThreadMode};
use sbcbench::record::reference::{ARTICLE_2023_PATH, ARTICLE_2023_SOURCE};
use sbcbench::record::{ClockSource, ResultRow, RunKind, WattsMethod, WattsSource, SCHEMA_VERSION};

fn raw_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/blog-2023-raw.csv")
}

/// When the article's last measurements were made (its 2023-01-24 update).
const ARTICLE_TIMESTAMP: &str = "2023-01-24T00:00:00Z";

/// The article's arch family as `uname -m` prints it on those machines.
fn uname_m(family: &str) -> &'static str {
    match family {
        "riscv64" => "riscv64",
        "armv6" => "armv6l",
        "arm64" => "aarch64",
        "x86_64" => "x86_64",
        other => panic!("unknown arch family '{other}' in the raw figures"),
    }
}

fn num(s: &str) -> Option<f64> {
    let s = s.trim();
    (!s.is_empty()).then(|| {
        s.parse()
            .unwrap_or_else(|_| panic!("'{s}' is not a number"))
    })
}

/// One row per board × kernel, single core, from the raw CSV.
fn rows_from_raw(raw: &str) -> Vec<ResultRow> {
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let get = |name: &str| {
            let i = headers.iter().position(|h| h == name).unwrap();
            record.get(i).unwrap().to_string()
        };
        let ghz = num(&get("max_clock_ghz")).unwrap();
        for (kernel, column, implementation) in [
            ("sha1", "sha1_mb_s", "openssl"),
            ("chacha20-poly1305", "chacha20_poly1305_mb_s", "openssl"),
            ("xz", "xz_mb_s", "xz-utils"),
        ] {
            let mb = num(&get(column)).unwrap();
            let one_core = num(&get("one_core_w"));
            rows.push(ResultRow {
                schema_version: SCHEMA_VERSION,
                timestamp: ARTICLE_TIMESTAMP.to_string(),
                board: get("board"),
                arch: uname_m(&get("arch_family")).to_string(),
                target: String::new(),
                cpu_model: String::new(),
                // 0: the article does not say (machines without power figures).
                cores: get("cores").parse().unwrap_or(0),
                kernel: kernel.parse().unwrap(),
                implementation: implementation.to_string(),
                threads: 1,
                cpus: String::new(),
                cluster: None,
                mb_per_s: mb,
                // One measurement each: no spread is known (samples = 1).
                mb_per_s_stddev: 0.0,
                mb_per_s_min: mb,
                mb_per_s_max: mb,
                cv_percent: 0.0,
                samples: 1,
                clock_mhz: Some((ghz * 1000.0).round()),
                clock_source: ClockSource::Article,
                clock_measured_mhz: None,
                cycles_per_byte: None,
                baseline: String::new(),
                speedup: None,
                cycles_speedup: None,
                baseline_extrapolated: None,
                freq_min_mhz: None,
                temp_max_c: None,
                throttled: None,
                watts: one_core,
                watts_min: None,
                watts_max: None,
                watts_readings: None,
                watts_source: if one_core.is_some() {
                    WattsSource::Fixed
                } else {
                    WattsSource::None
                },
                idle_watts: num(&get("idle_w")),
                one_core_watts: one_core,
                half_cores_watts: num(&get("half_cores_w")),
                all_cores_watts: num(&get("all_cores_w")),
                energy_j: None,
                mb_per_s_per_w: None,
                mb_per_s_per_w_extrapolated: None,
                efficiency_speedup: None,
                xz_input: if kernel == "xz" {
                    "linux-5.10.tar.xz"
                } else {
                    ""
                }
                .to_string(),
                os: get("os"),
                linux: String::new(),
                version: String::new(),
                thread_mode: ThreadMode::One,
                // 0: not given by the article.
                logical_cpus: 0,
                core_name: String::new(),
                mb_per_s_mean: mb,
                outliers: 0,
                source: ARTICLE_2023_SOURCE.to_string(),
                memory_mib: None,
                simd: String::new(),
                // The article ran the board's own openssl and xz.
                engine: Engine::System,
                builtin_vs_system: None,
                like_for_like: None,
                efficiency_extrapolated: None,
                // The article's phases ran a shell busy loop.
                power_load: if one_core.is_some() { "spin" } else { "" }.to_string(),
                throttle_reason: String::new(),
                cycles_per_byte_measured: None,
                temp_start_c: None,
                run_kind: RunKind::Full,
                watts_method: WattsMethod::None,
            });
        }
    }
    rows
}

fn to_csv(rows: &[ResultRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
#[ignore = "needs the article's raw figures beside the repository (../shared/reference/blog-2023-raw.csv): cargo test -- --ignored where they are"]
fn shipped_reference_is_the_articles_raw_figures() {
    let raw_path = raw_path();
    let raw = std::fs::read_to_string(&raw_path)
        .unwrap_or_else(|e| panic!("{}: {e}", raw_path.display()));
    let expected = to_csv(&rows_from_raw(&raw));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(ARTICLE_2023_PATH);
    if std::env::var_os("SBCBENCH_WRITE_REFERENCE").is_some() {
        let dir = path.parent().unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let mut tmp = tempfile::NamedTempFile::new_in(dir).unwrap();
        tmp.write_all(expected.as_bytes()).unwrap();
        tmp.as_file().sync_all().unwrap();
        tmp.persist(&path).unwrap();
        println!("wrote {}", path.display());
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == expected,
        "{} differs from what the raw figures give; \
         run `SBCBENCH_WRITE_REFERENCE=1 cargo test --test reference_data` and commit it",
        ARTICLE_2023_PATH
    );
    // And the figures themselves, independently of the serialisation.
    let rows = sbcbench::record::reference::article_2023().unwrap();
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let mut boards = 0;
    for record in reader.deserialize::<std::collections::HashMap<String, String>>() {
        let raw = record.unwrap();
        boards += 1;
        for (kernel, column) in [
            ("sha1", "sha1_mb_s"),
            ("chacha20-poly1305", "chacha20_poly1305_mb_s"),
            ("xz", "xz_mb_s"),
        ] {
            let row = rows
                .iter()
                .find(|r| r.board == raw["board"] && r.kernel == kernel)
                .unwrap_or_else(|| panic!("{} {kernel} missing", raw["board"]));
            assert_eq!(Some(row.mb_per_s), num(&raw[column]));
            assert_eq!(row.os, raw["os"]);
            assert_eq!(uname_m(&raw["arch_family"]), row.arch);
            assert_eq!(
                row.clock_mhz,
                num(&raw["max_clock_ghz"]).map(|g| (g * 1000.0).round())
            );
            assert_eq!(row.idle_watts, num(&raw["idle_w"]));
            assert_eq!(row.one_core_watts, num(&raw["one_core_w"]));
            assert_eq!(row.half_cores_watts, num(&raw["half_cores_w"]));
            assert_eq!(row.all_cores_watts, num(&raw["all_cores_w"]));
            assert_eq!(row.watts, row.one_core_watts);
            assert_eq!(row.cores, raw["cores"].parse().unwrap_or(0));
            assert_eq!((row.threads, row.thread_mode), (1, ThreadMode::One));
            assert_eq!(row.source, "article-2023");
            let implementation = if kernel == "xz" {
                "xz-utils"
            } else {
                "openssl"
            };
            assert_eq!(row.implementation, implementation);
        }
    }
    assert_eq!(boards, 15);
    assert_eq!(rows.len(), 15 * 3);
}
