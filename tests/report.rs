//! End-to-end behaviour of `sbcbench report`: the four formats on fixed
//! input (snapshots), the charts, the options, and every robustness case
//! of the issue (bad files are named with their line and skipped, the rest
//! is still reported, and the exit code is 1 at the end).
//!
//! Fixed input: `tests/fixtures/report/results/` holds four sbcbench runs
//! (two of the same board) beside the shipped reference boards.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde::Deserialize;

use crate::common::{sbcbench, sbcbench_std};

/// Relative to the package's directory, where `sbcbench()` runs.
const FIXTURES: &str = "tests/fixtures/report/results";

fn stdout_of(args: &[&str]) -> String {
    let out = sbcbench().arg("report").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// A good results file of the fixtures, as text.
fn good_file() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(FIXTURES)
            .join("orange-pi-rv2/20250307T080000Z.csv"),
    )
    .unwrap()
}

/// The same board, under another name and time, so that two files count
/// as two boards.
fn renamed(text: &str, board: &str) -> String {
    text.replace("Orange Pi RV2", board)
}

// ---- the four formats -------------------------------------------------

#[test]
fn snapshot_table() {
    insta::assert_snapshot!("table", stdout_of(&[FIXTURES, "--format", "table"]));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown", stdout_of(&[FIXTURES, "--format", "markdown"]));
}

#[test]
fn snapshot_csv() {
    insta::assert_snapshot!("csv", stdout_of(&[FIXTURES, "--format", "csv"]));
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!("json", stdout_of(&[FIXTURES, "--format", "json"]));
}

/// The JSON, read back with types of this test (not the crate's).
#[derive(Debug, Deserialize)]
struct Json {
    baseline: JsonBaseline,
    kernels: Vec<String>,
    modes: Vec<String>,
    runs: String,
    entries: Vec<JsonEntry>,
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct JsonBaseline {
    board: String,
    source: String,
    built_in: bool,
    all_cores_extrapolated: bool,
}

#[derive(Debug, Deserialize)]
struct JsonEntry {
    board: String,
    label: String,
    source: String,
    other_implementation: bool,
    is_baseline: bool,
    family: String,
    cores: usize,
    single_core: JsonMode,
    all_cores: JsonMode,
}

#[derive(Debug, Deserialize)]
struct JsonMode {
    kernels: std::collections::BTreeMap<String, JsonFigures>,
    other_engine: std::collections::BTreeMap<String, JsonFigures>,
    composite_speedup: Option<JsonValue>,
}

#[derive(Debug, Deserialize)]
struct JsonFigures {
    engine: String,
    #[serde(default)]
    run_kind: String,
    #[serde(default)]
    timestamp: String,
    like_for_like: Option<bool>,
    builtin_vs_system: Option<JsonValue>,
    implementation: String,
    mb_per_s: Option<JsonValue>,
    mb_per_s_min: Option<f64>,
    mb_per_s_max: Option<f64>,
    speedup: Option<JsonValue>,
    baseline_extrapolated: bool,
    cycles_per_byte: Option<JsonValue>,
    mb_per_s_per_w: Option<JsonValue>,
    mb_per_s_per_w_extrapolated: Option<JsonValue>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
struct JsonValue {
    value: f64,
    stddev: Option<f64>,
}

fn json_of(args: &[&str]) -> Json {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout_of(&all)).unwrap()
}

#[test]
fn json_parses_back_with_uncertainty_propagated() {
    let json = json_of(&[FIXTURES]);
    assert_eq!(json.baseline.board, "VisionFive 2");
    assert_eq!(json.baseline.source, "article-2023");
    assert!(!json.baseline.built_in);
    assert!(json.baseline.all_cores_extrapolated);
    assert_eq!(json.kernels, ["sha1", "chacha20-poly1305", "xz"]);
    assert_eq!(json.modes, ["1", "all"]);
    assert_eq!(json.runs, "latest");
    // 15 reference boards + 4 sbcbench boards (the newest of two runs).
    assert_eq!(json.entries.len(), 19);
    assert_eq!(
        json.entries
            .iter()
            .filter(|e| e.other_implementation)
            .count(),
        15
    );
    assert!(json
        .notes
        .iter()
        .any(|n| n.contains("Radxa ROCK 5B: 2 runs")));
    let families: Vec<&str> = json.entries.iter().map(|e| e.family.as_str()).collect();
    let first = |f: &str| families.iter().position(|x| *x == f).unwrap();
    assert!(first("RISC-V") < first("ARM / ARM64") && first("ARM / ARM64") < first("x86_64"));

    let rock = json
        .entries
        .iter()
        .find(|e| e.board == "Radxa ROCK 5B")
        .unwrap();
    assert_eq!(rock.label, "Radxa ROCK 5B");
    assert_eq!(rock.source, "sbcbench");
    assert_eq!(rock.cores, 8);
    assert!(!rock.is_baseline);
    // Single core: the fastest cluster; ± σ/x of the board alone is not
    // carried into a ratio against a single measurement (hyperfine's rule).
    let sha1 = &rock.single_core.kernels["sha1"];
    assert!(sha1.implementation.starts_with("rustcrypto-sha1"));
    let mb = sha1.mb_per_s.unwrap();
    assert_eq!((mb.value, mb.stddev), (1210.0, Some(4.84)));
    let speedup = sha1.speedup.unwrap();
    assert!((speedup.value - 1210.0 / 97.5).abs() < 1e-12);
    assert_eq!(speedup.stddev, None);
    // Derived figures keep the relative deviation of the throughput.
    let cpb = rock.single_core.kernels["xz"].cycles_per_byte.unwrap();
    let xz = rock.single_core.kernels["xz"].mb_per_s.unwrap();
    assert!((cpb.stddev.unwrap() / cpb.value - xz.stddev.unwrap() / xz.value).abs() < 1e-12);
    // All cores: measured, against the baseline's single core × 4.
    let all = &rock.all_cores.kernels["sha1"];
    assert!(all.baseline_extrapolated);
    assert!((all.speedup.unwrap().value - all.mb_per_s.unwrap().value / 390.0).abs() < 1e-9);
    assert!(all.mb_per_s_per_w.is_some());
    assert!(all.mb_per_s_per_w_extrapolated.is_some());
    // Built-in figures only: against the article's openssl/xz-utils they
    // are not like for like, so no geometric mean.
    assert_eq!(sha1.like_for_like, Some(false));
    assert!(rock.single_core.composite_speedup.is_none());
    // A reference board: no spread known, the article's extrapolation.
    let pi4 = json
        .entries
        .iter()
        .find(|e| e.board == "Raspberry Pi 4B")
        .unwrap();
    assert_eq!(pi4.single_core.kernels["xz"].mb_per_s.unwrap().stddev, None);
    let ext = pi4.all_cores.kernels["xz"]
        .mb_per_s_per_w_extrapolated
        .unwrap();
    assert!((ext.value - 6.82 * 4.0 / 11.1).abs() < 1e-12);
    assert!(pi4.all_cores.kernels["xz"].mb_per_s.is_none());
}

#[test]
fn ratios_carry_both_deviations_against_a_measured_baseline() {
    let json = json_of(&[FIXTURES, "--baseline", "Radxa ROCK 5B"]);
    assert_eq!(json.baseline.board, "Radxa ROCK 5B");
    assert!(!json.baseline.all_cores_extrapolated);
    let n100 = json
        .entries
        .iter()
        .find(|e| e.board == "Mini PC N100")
        .unwrap();
    let rock = json
        .entries
        .iter()
        .find(|e| e.board == "Radxa ROCK 5B")
        .unwrap();
    assert!(rock.is_baseline);
    let a = n100.single_core.kernels["sha1"].mb_per_s.unwrap();
    let b = rock.single_core.kernels["sha1"].mb_per_s.unwrap();
    let r = n100.single_core.kernels["sha1"].speedup.unwrap();
    let expected =
        (a.value / b.value) * ((a.stddev.unwrap() / a.value).hypot(b.stddev.unwrap() / b.value));
    assert!((r.value - a.value / b.value).abs() < 1e-12);
    assert!((r.stddev.unwrap() - expected).abs() < 1e-12);
    // All cores measured on both: no extrapolation.
    assert!(!n100.all_cores.kernels["sha1"].baseline_extrapolated);
    // The composite has a deviation too.
    assert!(n100.single_core.composite_speedup.unwrap().stddev.is_some());
    // The terminal table shows it compactly.
    let table = stdout_of(&[FIXTURES, "--baseline", "Radxa ROCK 5B", "--format", "table"]);
    assert!(table.contains("1850±6 MB/s (1.53±0.01x)"), "{table}");
}

// ---- charts -----------------------------------------------------------

fn texts(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn plot_writes_well_formed_svgs_with_every_board() {
    let dir = tempfile::tempdir().unwrap();
    let plots = dir.path().join("charts");
    sbcbench()
        .args(["report", FIXTURES, "--format", "csv", "--plot"])
        .arg(&plots)
        .assert()
        .success()
        .stderr(predicate::str::contains("speedup-1-core.svg"));
    let mut names: Vec<String> = std::fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "efficiency-chacha20-poly1305.svg",
            "efficiency-sha1.svg",
            "efficiency-xz.svg",
            "speedup-1-core.svg",
            "speedup-all-cores.svg",
        ],
        "no temporary file is left behind"
    );
    let boards: Vec<String> = json_of(&[FIXTURES])
        .entries
        .into_iter()
        .map(|e| e.board)
        .collect();
    assert_eq!(boards.len(), 19);
    for name in &names {
        let svg = std::fs::read_to_string(plots.join(name)).unwrap();
        let text = texts(&svg);
        for board in &boards {
            assert!(text.contains(board.as_str()), "{name}: {board} missing");
        }
    }
    let speedup = texts(&std::fs::read_to_string(plots.join("speedup-1-core.svg")).unwrap());
    assert!(speedup.contains("1× VisionFive 2"), "the 1× line");
    assert!(speedup.contains("0.66x"), "VisionFive 1 sha1");
    // Writing again replaces the charts in place.
    sbcbench()
        .args([
            "report",
            FIXTURES,
            "--format",
            "csv",
            "--kernels",
            "xz",
            "--plot",
        ])
        .arg(&plots)
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(&plots).unwrap().count(), 5);
}

#[test]
fn board_names_are_escaped_in_svg() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("odd.csv"),
        renamed(&good_file(), "Pi <&> \"quoted\""),
    )
    .unwrap();
    let plots = dir.path().join("plots");
    sbcbench()
        .arg("report")
        .arg(dir.path())
        .args(["--format", "csv", "--plot"])
        .arg(&plots)
        .assert()
        .success();
    let text = texts(&std::fs::read_to_string(plots.join("speedup-1-core.svg")).unwrap());
    assert!(text.contains("Pi <&> \"quoted\""));
}

#[test]
fn hostile_names_are_text_in_csv_markdown_and_html_exports() {
    // Someone else's results file: its board, OS and CPU strings would be
    // formulas in a spreadsheet, and a `|` or a line break would break a
    // Markdown table.
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<sbcbench::record::ResultRow> =
        csv::Reader::from_reader(good_file().as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
    let board = "=HYPERLINK(\"http://example.invalid\",\"Pi\")";
    let implementation = "<script>alert('x')</script> & <b>\"bold\"</b>";
    for r in &mut rows {
        r.board = board.to_string();
        r.os = "+cmd|' /C calc'!A0\nnext line".to_string();
        r.cpu_model = "@SUM(A1)".to_string();
        r.implementation = implementation.to_string();
    }
    let mut w = csv::Writer::from_path(dir.path().join("hostile.csv")).unwrap();
    for r in &rows {
        w.serialize(r).unwrap();
    }
    w.flush().unwrap();
    let path = dir.path().to_str().unwrap();

    let csv_out = stdout_of(&[path, "--no-reference", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!records.is_empty());
    for rec in &records {
        assert_eq!(&rec[col("board")], format!("'{board}"));
        assert!(rec[col("os")].starts_with("'+cmd"), "{rec:?}");
        for cell in rec.iter() {
            let bad = cell.starts_with(['=', '+', '@'])
                || (cell.starts_with('-') && cell != "-" && cell.parse::<f64>().is_err());
            assert!(!bad, "a formula cell: {cell:?}");
        }
    }

    // Markdown is for posts: the name is shown as it is (the spreadsheet
    // guard is CSV's), and cannot break the table open.
    let md = stdout_of(&[path, "--no-reference", "--format", "markdown"]);
    assert!(
        md.contains("=HYPERLINK") && !md.contains("'=HYPERLINK"),
        "{md}"
    );
    for line in md.lines().filter(|l| l.starts_with('|')) {
        // Every table line still ends its row: no cell was broken open.
        assert!(line.ends_with('|'), "{line}");
    }
    assert!(!md.contains("\nnext line"));

    // In the page, every such string is text: no element comes of it.
    let html = stdout_of(&[path, "--no-reference", "--format", "html"]);
    let doc = parse_html(&html);
    assert!(
        doc.descendants()
            .all(|n| !n.has_tag_name("script") && !n.has_tag_name("b")),
        "markup from a results file"
    );
    let text = all_text(&doc);
    assert!(text.contains(board), "{text}");
    assert!(text.contains(implementation), "{text}");
    assert!(text.contains("+cmd|' /C calc'!A0 next line"), "{text}");
}

#[test]
fn symlinks_out_of_a_results_folder_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inside.csv"), good_file()).unwrap();
    let outside = elsewhere.path().join("secret.csv");
    std::fs::write(&outside, renamed(&good_file(), "Outside Board")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.path().join("leak.csv")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("leakdir")).unwrap();
    // A link that stays inside is read.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("other.csv"), renamed(&good_file(), "Inside Board")).unwrap();
    std::os::unix::fs::symlink(sub.join("other.csv"), dir.path().join("alias.csv")).unwrap();

    let out = sbcbench()
        .arg("report")
        .arg(dir.path())
        .args(["--no-reference", "--format", "csv"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stdout.contains("Orange Pi RV2") && stdout.contains("Inside Board"),
        "{stdout}"
    );
    assert!(!stdout.contains("Outside Board"), "{stdout}");
    assert!(
        stderr.contains("not followed") && stderr.contains("leak.csv"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_during_plot_leaves_only_whole_charts() {
    // 300 boards, so that the report takes a moment; Ctrl-C at several
    // points of it. Whenever it lands, every chart under its final name is
    // whole and no temporary file is left.
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    let good = good_file();
    for i in 0..300 {
        std::fs::write(
            results.join(format!("board-{i:03}.csv")),
            renamed(&good, &format!("Board {i:03}")),
        )
        .unwrap();
    }
    let mut interrupted = 0;
    for delay_ms in [0u64, 20, 50, 100, 150, 250, 400] {
        let plots = dir.path().join(format!("charts-{delay_ms}"));
        let child = sbcbench_std()
            .arg("report")
            .arg(&results)
            .args(["--format", "csv", "--plot"])
            .arg(&plots)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        // Killed outright (None) when the signal came before the handler
        // was installed, which is before anything is written.
        assert!(
            matches!(code, Some(0) | Some(130) | None),
            "{code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        interrupted += usize::from(code == Some(130));
        for entry in std::fs::read_dir(&plots).into_iter().flatten() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "temporary file left: {name}");
            let svg = std::fs::read_to_string(&path).unwrap();
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name} is cut: {e}"));
        }
    }
    eprintln!("{interrupted} of 7 reports were interrupted before their last chart");
}

#[test]
fn plot_into_an_unwritable_place_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    sbcbench()
        .args(["report", FIXTURES, "--format", "csv", "--plot"])
        .arg(file.join("sub"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--plot"));
}

// ---- options ----------------------------------------------------------

#[test]
fn all_shows_every_run() {
    let json = json_of(&[FIXTURES, "--all"]);
    let labels: Vec<&str> = json
        .entries
        .iter()
        .filter(|e| e.board == "Radxa ROCK 5B")
        .map(|e| e.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "Radxa ROCK 5B (2025-02-15T09:00:00Z)",
            "Radxa ROCK 5B (2025-03-01T10:00:00Z)"
        ]
    );
    assert!(json.notes.is_empty(), "{:?}", json.notes);
    sbcbench()
        .args(["report", FIXTURES, "--all", "--latest"])
        .assert()
        .code(2);
}

#[test]
fn no_reference_leaves_out_the_articles_boards() {
    let json = json_of(&[FIXTURES, "--no-reference"]);
    assert_eq!(json.entries.len(), 4);
    assert!(json.entries.iter().all(|e| !e.other_implementation));
    // The baseline is still the article's VisionFive 2, built in.
    assert!(json.baseline.built_in);
    let rock = json
        .entries
        .iter()
        .find(|e| e.board == "Radxa ROCK 5B")
        .unwrap();
    assert!(
        (rock.single_core.kernels["sha1"].speedup.unwrap().value - 1210.0 / 97.5).abs() < 1e-12
    );
    let md = stdout_of(&[FIXTURES, "--no-reference", "--format", "markdown"]);
    assert!(!md.contains('†'), "{md}");
    assert!(!md.contains("Raspberry Pi 4B"), "{md}");
}

#[test]
fn system_tool_figures_lead_with_the_built_in_ones_beside_and_unequal_ratios_marked() {
    let json = json_of(&[FIXTURES]);
    let entry = |board: &str| json.entries.iter().find(|e| e.board == board).unwrap();
    // The Raspberry Pi 5 ran both engines: its openssl figure is shown and
    // divided by the article's openssl figure, like for like.
    let pi5 = &entry("Raspberry Pi 5").single_core;
    let sha1 = &pi5.kernels["sha1"];
    assert_eq!(sha1.engine, "system");
    assert_eq!(sha1.implementation, "openssl 3.0.15");
    assert_eq!(sha1.like_for_like, Some(true));
    assert!((sha1.speedup.unwrap().value - 1512.0 / 97.5).abs() < 1e-12);
    let beside = &pi5.other_engine["sha1"];
    assert_eq!(beside.engine, "builtin");
    assert_eq!(beside.like_for_like, Some(false));
    assert!((beside.builtin_vs_system.unwrap().value - 1488.0 / 1512.0).abs() < 1e-12);
    assert!(pi5.composite_speedup.is_some());
    // A board measured before the system engine keeps its built-in
    // figures, marked, and has no geometric mean.
    let n100 = &entry("Mini PC N100").single_core;
    assert_eq!(n100.kernels["xz"].engine, "builtin");
    assert_eq!(n100.kernels["xz"].like_for_like, Some(false));
    assert!(n100.kernels["xz"].speedup.is_some());
    assert!(n100.composite_speedup.is_none());
    assert!(entry("Raspberry Pi 4B")
        .single_core
        .composite_speedup
        .is_some());

    let table = stdout_of(&[FIXTURES, "--format", "table"]);
    let line = |board: &str| {
        table
            .lines()
            .find(|l| l.contains(board))
            .unwrap()
            .to_string()
    };
    assert!(line("Mini PC N100").contains("(19.0x‡)"), "{table}");
    assert!(line("Raspberry Pi 5").contains("(15.5x)"), "{table}");
    assert!(
        table.contains("7. Built-in kernels, single core"),
        "{table}"
    );
    assert!(table.contains("0.98±0.01x"), "{table}");
    assert!(table.contains("‡ not like for like"), "{table}");
    assert!(
        table.contains("geomean: of like-for-like ratios only"),
        "{table}"
    );
}

#[test]
fn kernels_and_threads_narrow_the_report() {
    let json = json_of(&[FIXTURES, "--kernels", "xz", "--threads", "1"]);
    assert_eq!(json.kernels, ["xz"]);
    assert_eq!(json.modes, ["1"]);
    for e in &json.entries {
        assert!(e.single_core.kernels.keys().all(|k| k == "xz"));
    }
    let md = stdout_of(&[
        FIXTURES,
        "--kernels",
        "xz",
        "--threads",
        "1",
        "--format",
        "markdown",
    ]);
    assert!(!md.contains("sha1"), "{md}");
    assert!(!md.contains("all cores:"), "{md}");
    assert!(md.contains("### 2. xz cycles per byte"), "{md}");
    let all = stdout_of(&[
        FIXTURES,
        "--kernels",
        "sha1",
        "--threads",
        "all",
        "--format",
        "markdown",
    ]);
    assert!(!all.contains("single core"), "{all}");
    assert!(!all.contains("cycles per byte"), "{all}");
    sbcbench()
        .args(["report", FIXTURES, "--threads", "half"])
        .assert()
        .code(2);
    sbcbench()
        .args(["report", FIXTURES, "--kernels", "md5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("md5"));
}

#[test]
fn unknown_baseline_is_a_usage_error_naming_the_boards() {
    sbcbench()
        .args(["report", FIXTURES, "--baseline", "Banana Pi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--baseline Banana Pi"))
        .stderr(predicate::str::contains("Radxa ROCK 5B"));
}

#[test]
fn an_sbcbench_visionfive2_is_preferred_as_baseline_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vf2.csv"),
        renamed(&good_file(), "VisionFive 2"),
    )
    .unwrap();
    let out = sbcbench()
        .arg("report")
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("--baseline 'VisionFive 2 (article-2023)'"),
        "{stderr}"
    );
    let json: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json.baseline.source, "sbcbench");
    // Asking for the article's one by its source.
    let json = json_of(&[
        dir.path().to_str().unwrap(),
        "--baseline",
        "VisionFive 2 (article-2023)",
    ]);
    assert_eq!(json.baseline.source, "article-2023");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    sbcbench()
        .args(["report", "/nonexistent/results"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/results"));
}

// ---- robustness -------------------------------------------------------

/// A folder with one good file and one more, `name` holding `text`.
fn folder_with(name: &str, text: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("good.csv"),
        renamed(&good_file(), "Good Board"),
    )
    .unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    dir
}

/// Runs the report on `dir`; returns (exit code, stdout, stderr).
fn report_on(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = sbcbench()
        .arg("report")
        .arg(dir)
        .args(["--format", "markdown"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn path_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn malformed_missing_column_skips_the_file() {
    let text = good_file();
    // Drop the `cores` column from the header and every line.
    let at = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "cores")
        .unwrap();
    let cut: Vec<String> = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(at);
            cells.join(",")
        })
        .collect();
    let dir = folder_with("bad.csv", renamed(&cut.join("\n"), "Bad Board").as_bytes());
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let bad = path_in(dir.path(), "bad.csv");
    assert!(
        err.contains(&format!(
            "{}:1: the header has no `cores` column",
            bad.display()
        )),
        "{err}"
    );
    assert!(out.contains("Good Board"), "{out}");
    assert!(!out.contains("Bad Board"), "{out}");
    assert!(err.contains("1 file skipped"), "{err}");
}

#[test]
fn malformed_non_number_skips_the_line_only() {
    let text = renamed(&good_file(), "Half Board");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 3 is chacha20-poly1305: make its mb_per_s a word.
    lines[2] = lines[2].replacen(",61.0,", ",fast,", 1);
    let dir = folder_with("half.csv", lines.join("\n").as_bytes());
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let file = path_in(dir.path(), "half.csv");
    assert!(
        err.contains(&format!(
            "{}:3: column `mb_per_s`: 'fast' is not a number",
            file.display()
        )),
        "{err}"
    );
    assert!(err.contains("correct or delete the line"), "{err}");
    // The board's other kernels are still there.
    let row = out.lines().find(|l| l.contains("Half Board")).unwrap();
    assert!(row.contains("112 MB/s"), "{row}");
    assert!(row.contains("| - |"), "{row}");
    assert!(out.contains("Good Board"));
}

#[test]
fn malformed_truncated_line_is_named() {
    let text = renamed(&good_file(), "Cut Board");
    let cut = &text[..text.trim_end().len() - 200];
    let dir = folder_with("cut.csv", cut.as_bytes());
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let file = path_in(dir.path(), "cut.csv");
    assert!(
        err.contains(&format!("{}:4: this line has", file.display())),
        "{err}"
    );
    assert!(err.contains("complete or delete the line"), "{err}");
    assert!(
        out.contains("Cut Board") && out.contains("Good Board"),
        "{out}"
    );
}

#[test]
fn a_bom_is_read_as_nothing() {
    let mut text = b"\xef\xbb\xbf".to_vec();
    text.extend(renamed(&good_file(), "Bom Board").bytes());
    let dir = folder_with("bom.csv", &text);
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Bom Board"), "{out}");
}

#[test]
fn crlf_line_ends_are_read_and_lines_still_counted() {
    let text = renamed(&good_file(), "Crlf Board");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen(",4.9,", ",4,9,", 1);
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(lines.join("\r\n").bytes());
    bytes.extend(b"\r\n");
    let dir = folder_with("crlf.csv", &bytes);
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let file = path_in(dir.path(), "crlf.csv");
    assert!(
        err.contains(&format!("{}:4: this line has", file.display())),
        "{err}"
    );
    let row = out.lines().find(|l| l.contains("Crlf Board")).unwrap();
    assert!(
        row.contains("112 MB/s") && row.contains("61.0 MB/s"),
        "{row}"
    );
}

#[test]
fn an_unknown_schema_version_is_refused_by_name() {
    let text = renamed(&good_file(), "Future Board");
    let future: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                l.replacen("1,", "7,", 1)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = folder_with("future.csv", future.as_bytes());
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    let file = path_in(dir.path(), "future.csv");
    assert!(
        err.contains(&format!(
            "{}:2: schema_version 7 is not one",
            file.display()
        )),
        "{err}"
    );
    assert!(!out.contains("Future Board"));
    assert!(out.contains("Good Board"));
}

#[test]
fn non_csv_files_in_a_folder_are_ignored_with_a_notice() {
    let dir = folder_with("notes.txt", b"not a result");
    std::fs::write(dir.path().join(".hidden.csv.tmp"), b"partial").unwrap();
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: ignored 1 file that is not .csv"),
        "{err}"
    );
    assert!(err.contains("notes.txt"), "{err}");
    assert!(!err.contains("hidden"), "{err}");
    assert!(out.contains("Good Board"));
}

#[test]
fn the_same_board_twice_is_resolved_by_latest_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let text = renamed(&good_file(), "Twice Board");
    std::fs::write(dir.path().join("a.csv"), &text).unwrap();
    let newer = text
        .replace("2025-03-07T08:00:00Z", "2025-04-01T08:00:00Z")
        .replace(",112.0,", ",120.0,");
    std::fs::write(dir.path().join("b.csv"), newer).unwrap();
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: Twice Board: 2 runs; the newest (2025-04-01T08:00:00Z) is shown"),
        "{err}"
    );
    assert_eq!(
        out.matches("Twice Board").count(),
        5,
        "tables 1 to 4, and 6 with the run-to-run spread\n{out}"
    );
    assert!(
        out.contains("| 120 MB/s (") && !out.contains("| 112 MB/s ("),
        "{out}"
    );
    assert!(out.contains("| 112–120 MB/s (6.9 %) |"), "{out}");
}

#[test]
fn an_empty_folder_says_what_to_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = report_on(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no result files in"), "{err}");
    assert!(err.contains("run `sbcbench run` on a board first"), "{err}");
    // The reference boards are still shown.
    assert!(out.contains("Raspberry Pi 4B"), "{out}");
    let (code, out, err) = report_on(dir.path(), &["--no-reference"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("run `sbcbench run` on a board first"), "{err}");
}

/// Real runs: a full one of two kernels on one core and all, then a
/// `--quick` smoke test of one; the report keeps the full run's figures.
#[test]
fn a_quick_run_after_a_full_one_does_not_replace_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let out = sbcbench_std()
            .args(["run", "--board", "Desk Board", "--system-tools", "off"])
            .args(["--format", "csv", "--warmup", "0", "--cooldown", "0"])
            .arg("--output")
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::common::rows_from_csv(&out.stdout)
    };
    // Full timing, kept short by two samples of the default second.
    let full = run(&["--kernels", "sha1", "--threads", "1,all", "--samples", "2"]);
    assert!(full.iter().all(|r| r.run_kind == "full"), "{full:?}");
    // Timestamps have whole seconds: the smoke test must be later.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let quick = run(&["--quick", "--kernels", "sha1", "--threads", "1"]);
    assert!(quick.iter().all(|r| r.run_kind == "quick"), "{quick:?}");
    let out = sbcbench()
        .arg("report")
        .arg(dir.path())
        .args(["--no-reference", "--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    let board = json
        .entries
        .iter()
        .find(|e| e.board == "Desk Board")
        .unwrap();
    let sha1 = &board.single_core.kernels["sha1"];
    let full_one = full.iter().find(|r| r.threads == 1).unwrap();
    assert_eq!(
        (sha1.run_kind.as_str(), sha1.timestamp.as_str()),
        ("full", full_one.timestamp.as_str()),
        "{err}\nfull: {full:?}\nquick: {quick:?}"
    );
    // JSON's float parsing may differ in the last bit.
    let shown = sha1.mb_per_s.unwrap().value;
    assert!(
        (shown - full_one.mb_per_s).abs() <= 1e-12 * shown,
        "{shown}"
    );
    assert!(
        board.all_cores.kernels.contains_key("sha1"),
        "all cores kept"
    );
    assert!(
        err.contains("the newest full run") && err.contains("not the newer quick run"),
        "{err}"
    );
}

// ---- what the charts show ----------------------------------------------

/// The rows of the good fixture file.
fn good_rows() -> Vec<sbcbench::record::ResultRow> {
    csv::Reader::from_reader(good_file().as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn write_rows(path: &Path, rows: &[sbcbench::record::ResultRow]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    for r in rows {
        w.serialize(r).unwrap();
    }
    w.flush().unwrap();
}

/// `report DIR --no-reference --plot DIR/plots`: the charts' folder and
/// the stderr.
fn plot_only(dir: &Path) -> (PathBuf, String) {
    let plots = dir.join("plots");
    let out = sbcbench()
        .arg("report")
        .arg(dir)
        .args(["--no-reference", "--format", "csv", "--plot"])
        .arg(&plots)
        .assert()
        .success();
    (
        plots,
        String::from_utf8_lossy(&out.get_output().stderr).to_string(),
    )
}

/// The fixtures' charts, drawn into a temporary folder (kept alive by the
/// first value).
fn fixture_charts() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let plots = dir.path().join("charts");
    sbcbench()
        .args(["report", FIXTURES, "--format", "csv", "--plot"])
        .arg(&plots)
        .assert()
        .success();
    (dir, plots)
}

fn attr_f64(n: &roxmltree::Node, name: &str) -> f64 {
    n.attribute(name).unwrap().parse().unwrap()
}

#[test]
fn value_labels_keep_off_the_reference_line() {
    let (_dir, plots) = fixture_charts();
    for name in [
        "speedup-1-core.svg",
        "speedup-all-cores.svg",
        "efficiency-sha1.svg",
    ] {
        let svg = std::fs::read_to_string(plots.join(name)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let line = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("reference"))
            .unwrap_or_else(|| panic!("{name}: no reference line"));
        let rx = attr_f64(&line, "x1");
        let labels: Vec<_> = doc
            .descendants()
            .filter(|n| matches!(n.attribute("class"), Some("value" | "missing")))
            .collect();
        assert!(labels.len() > 10, "{name}");
        for label in labels {
            let size = label
                .attribute("font-size")
                .map_or(12.0, |s| s.parse().unwrap());
            let x = attr_f64(&label, "x");
            // Half a font size per character: the narrowest a sans-serif
            // label of digits is.
            let w = label.text().unwrap().chars().count() as f64 * size * 0.5;
            assert!(
                rx < x - 1.0 || rx > x + w,
                "{name}: {:?} at {x}..{} lies across the line at {rx}",
                label.text(),
                x + w
            );
        }
    }
}

#[test]
fn charts_explain_the_dagger_and_set_the_readers_boards_apart() {
    let (_dir, plots) = fixture_charts();
    let svg = std::fs::read_to_string(plots.join("speedup-1-core.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let captions: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("caption"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        captions
            .iter()
            .any(|c| c.starts_with("† not measured by sbcbench") && c.contains("article-2023")),
        "{captions:?}"
    );
    let label = |text: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("text") && n.text() == Some(text))
            .unwrap_or_else(|| panic!("no label {text}"))
    };
    for own in [
        "Orange Pi RV2",
        "Radxa ROCK 5B",
        "Raspberry Pi 5",
        "Mini PC N100",
    ] {
        assert_eq!(label(own).attribute("font-weight"), Some("bold"), "{own}");
    }
    for other in ["Mac M1 †", "VisionFive 2 † (baseline)"] {
        assert_eq!(label(other).attribute("font-weight"), None, "{other}");
    }
    // Without the article's boards there is no † to explain.
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("rv2.csv"), &good_rows());
    let (plots, _) = plot_only(dir.path());
    let svg = std::fs::read_to_string(plots.join("speedup-1-core.svg")).unwrap();
    assert!(!svg.contains('†'), "{svg}");
}

#[test]
fn measured_boards_have_error_bars_from_their_samples() {
    let json = json_of(&[FIXTURES]);
    let rv2 = json
        .entries
        .iter()
        .find(|e| e.board == "Orange Pi RV2")
        .unwrap();
    let sha1 = &rv2.single_core.kernels["sha1"];
    assert_eq!(
        (sha1.mb_per_s_min, sha1.mb_per_s_max),
        (Some(109.31), Some(114.02))
    );
    let m1 = json.entries.iter().find(|e| e.board == "Mac M1").unwrap();
    assert_eq!(
        m1.single_core.kernels["sha1"].mb_per_s_min, None,
        "one figure, no samples"
    );

    let (_dir, plots) = fixture_charts();
    // Every bar of the four sbcbench boards (three kernels each), none of
    // the article's.
    let svg = std::fs::read_to_string(plots.join("speedup-1-core.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("error-bar"))
        .collect();
    assert_eq!(bars.len(), 4 * 3, "{svg}");
    // Each spans min..max around its bar's end: the bar's right edge lies
    // between the error bar's ends.
    let rects: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("height") == Some("9.0"))
        .map(|n| (attr_f64(&n, "y"), attr_f64(&n, "x") + attr_f64(&n, "width")))
        .collect();
    for bar in bars {
        let d = bar.attribute("d").unwrap();
        let nums: Vec<f64> = d
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        // M x0 y V y M x0 mid H x1 M x1 y V y
        let (x0, mid, x1) = (nums[0], nums[4], nums[5]);
        assert!(x0 < x1, "{d}");
        let (_, end) = rects
            .iter()
            .find(|(y, _)| (y + 4.5 - mid).abs() < 0.01)
            .unwrap_or_else(|| panic!("no bar at {mid}"));
        assert!(x0 <= *end && *end <= x1, "{d} around {end}");
    }
}

#[test]
fn a_chart_without_figures_is_left_out_with_a_note() {
    // An sbcbench run without any power figure: nothing to draw per W.
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows();
    for r in &mut rows {
        r.watts = None;
        r.watts_min = None;
        r.watts_max = None;
        r.watts_readings = None;
        r.idle_watts = None;
        r.one_core_watts = None;
        r.half_cores_watts = None;
        r.all_cores_watts = None;
        r.energy_j = None;
        r.mb_per_s_per_w = None;
        r.mb_per_s_per_w_extrapolated = None;
        r.efficiency_speedup = None;
    }
    write_rows(&dir.path().join("rv2.csv"), &rows);
    let (plots, stderr) = plot_only(dir.path());
    let mut names: Vec<String> = std::fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["speedup-1-core.svg"], "{stderr}");
    for kernel in ["sha1", "chacha20-poly1305", "xz"] {
        assert!(
            stderr.contains(&format!(
                "note: efficiency-{kernel}.svg not drawn: no board besides the baseline has a power figure"
            )),
            "{stderr}"
        );
    }
    // The page says so where the chart would be.
    let html = stdout_of(&[
        dir.path().to_str().unwrap(),
        "--no-reference",
        "--format",
        "html",
    ]);
    assert!(html.contains("efficiency-sha1.svg not drawn"), "{html}");
    assert_eq!(html.matches("<svg").count(), 1);
}

#[test]
fn legend_swatches_without_bars_are_dropped() {
    // One board, single core only: no all-cores bar of either kind.
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("rv2.csv"), &good_rows());
    let (plots, _) = plot_only(dir.path());
    let svg = std::fs::read_to_string(plots.join("efficiency-sha1.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let legend: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("legend"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(legend, ["1 core"]);
    // With the article's boards, extrapolated all-cores bars come back.
    let plots = dir.path().join("all");
    sbcbench()
        .arg("report")
        .arg(dir.path())
        .args(["--format", "csv", "--plot"])
        .arg(&plots)
        .assert()
        .success();
    let svg = std::fs::read_to_string(plots.join("efficiency-sha1.svg")).unwrap();
    assert!(svg.contains("all cores, * extrapolated"));
    assert!(!svg.contains("all cores, measured"));
}

// ---- the HTML page --------------------------------------------------------

fn parse_html(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, opts).expect("well-formed markup");
    assert!(doc.root_element().has_tag_name("html"));
    doc
}

fn all_text(doc: &roxmltree::Document) -> String {
    doc.descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn html_is_one_page_with_every_table_board_and_chart_and_nothing_to_fetch() {
    let html = stdout_of(&[FIXTURES, "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let doc = parse_html(&html);
    let text = all_text(&doc);
    for board in json_of(&[FIXTURES]).entries.iter().map(|e| &e.board) {
        assert!(text.contains(board.as_str()), "{board} missing");
    }
    // The same tables as the Markdown, by title.
    let md = stdout_of(&[FIXTURES, "--format", "markdown"]);
    let titles: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("### ")).collect();
    assert!(titles.len() >= 8, "{titles:?}");
    let h2: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("h2"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    for title in &titles {
        // Markdown escapes `|` and `<`; the titles have neither.
        assert!(h2.iter().any(|h| h == title), "{title} not in {h2:?}");
    }
    for section in ["Method", "Charts", "Legend"] {
        assert!(h2.iter().any(|h| h == section), "{section}");
    }
    assert!(h2.iter().any(|h| h.starts_with("Boards")));
    // Each board's facts, and the method in short.
    for fact in [
        "8x SpacemiT X60",
        "6.6.63",
        "1.60 GHz (cpufreq-max)",
        "liblzma 5.8.1 (builtin)",
    ] {
        assert!(text.contains(fact), "{fact}");
    }
    assert!(text.contains("openssl speed -evp"));
    // The legend goes with the tables that use its marks.
    let notes_of = |title: &str| -> String {
        let h = doc
            .descendants()
            .find(|n| n.has_tag_name("h2") && n.text().is_some_and(|t| t.starts_with(title)))
            .unwrap();
        let section = h.parent().unwrap();
        section
            .descendants()
            .filter(|n| n.attribute("class") == Some("notes"))
            .flat_map(|n| n.descendants().filter_map(|d| d.text()))
            .collect()
    };
    let single = notes_of("1. Performance, single core");
    assert!(single.contains("† measured by article-2023"), "{single}");
    assert!(single.contains("± repeatability"), "{single}");
    assert!(
        !single.contains("* against an extrapolated figure"),
        "{single}"
    );
    assert!(notes_of("2. Performance, all cores").contains("* against an extrapolated figure"));
    // The five charts inline, no script, nothing fetched.
    let svgs = doc.descendants().filter(|n| n.has_tag_name("svg")).count();
    assert_eq!(svgs, 5);
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            !["script", "link", "img", "iframe", "object", "embed", "image", "use"].contains(&tag),
            "<{tag}>"
        );
        for a in n.attributes() {
            assert!(
                !["src", "href"].contains(&a.name()) && !a.name().starts_with("on"),
                "<{tag} {}>",
                a.name()
            );
            assert!(!a.value().contains("http://") && !a.value().contains("https://"));
        }
    }
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("url(") && !lower.contains("@import"));
}

/// `chromium` or `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

#[test]
fn html_renders_in_headless_chromium() {
    let browser = chromium().expect(
        "chromium is not on PATH: the HTML report is checked by rendering it \
         (ci/test installs Debian's `chromium`)",
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, stdout_of(&[FIXTURES, "--format", "html"])).unwrap();
    let png = dir.path().join("report.png");
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--window-size=1280,2000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("chromium took over two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        png.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1280, 2000));
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let rgb: Vec<[u8; 3]> = pixels[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let colours: std::collections::HashSet<[u8; 3]> = rgb.iter().copied().collect();
    let inked = rgb.iter().filter(|p| **p != [255, 255, 255]).count();
    // Text and rules make many colours and cover a few per cent of the
    // page; a blank (or one-colour) page has one.
    assert!(colours.len() > 16, "{} colours", colours.len());
    assert!(
        inked * 100 > rgb.len(),
        "{inked} of {} pixels inked",
        rgb.len()
    );
    // The page's own style, not some error page: the family rows' shade.
    assert!(colours.contains(&[0xee, 0xf2, 0xf6]), "no family row drawn");
}

#[test]
fn html_is_a_report_format_only() {
    sbcbench()
        .args(["run", "--format", "html", "--no-save"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'html'"))
        .stderr(predicate::str::contains("table, markdown, csv, json"));
}
