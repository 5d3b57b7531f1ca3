//! `sbcbench report` on the results of `sbcbench sweep`: a results file of
//! a Raspberry Pi 4-like board, one core class locked at five clock steps
//! (xz on one core and on all four, power rising faster than MB/s, so
//! 1000 MHz is the most efficient step), written with the crate's own row
//! type as `sweep` would. The report shows its curve apart and never
//! takes a sweep point for the board's figures.

use std::path::{Path, PathBuf};

use sbcbench::measure::{KernelId, ThreadMode};
use sbcbench::record::{ClockSource, ResultRow};

use crate::common::sbcbench;

const BOARD: &str = "Raspberry Pi 4 Model B";
const STEPS: [f64; 5] = [600.0, 750.0, 1000.0, 1250.0, 1500.0];

fn sweep_rows() -> Vec<ResultRow> {
    let one_w = [4.0, 4.4, 5.0, 6.6, 8.5];
    let all_w = [5.5, 6.0, 6.8, 8.8, 11.5];
    let mut rows = Vec::new();
    for (i, mhz) in STEPS.into_iter().enumerate() {
        for (mode, threads, cpus, w) in [
            (ThreadMode::One, 1, "3", one_w[i]),
            (ThreadMode::All, 4, "0-3", all_w[i]),
        ] {
            let mb = mhz / 100.0 * threads as f64;
            rows.push(ResultRow {
                schema_version: 1,
                timestamp: "2026-12-04T10:00:00Z".to_string(),
                board: BOARD.to_string(),
                arch: "aarch64".to_string(),
                cores: 4,
                logical_cpus: 4,
                kernel: KernelId::Xz,
                implementation: "built-in xz".to_string(),
                threads,
                cpus: cpus.to_string(),
                cluster: Some(0),
                mb_per_s: mb,
                samples: 3,
                clock_mhz: Some(mhz),
                clock_source: ClockSource::Sweep,
                watts: Some(w),
                idle_watts: Some(2.7),
                mb_per_s_per_w: Some(mb / w),
                thread_mode: mode,
                core_name: "Cortex-A72".to_string(),
                source: "sbcbench".to_string(),
                ..ResultRow::default()
            });
        }
    }
    rows
}

/// `DIR/results/raspberry-pi-4-model-b/…csv`, as `sweep` saves it.
fn results_dir(dir: &Path) -> PathBuf {
    let results = dir.join("results");
    let board = results.join("raspberry-pi-4-model-b");
    std::fs::create_dir_all(&board).unwrap();
    let mut w = csv::Writer::from_path(board.join("20261204T100000Z.csv")).unwrap();
    for r in sweep_rows() {
        w.serialize(r).unwrap();
    }
    w.flush().unwrap();
    results
}

fn report(results: &Path, args: &[&str]) -> String {
    let out = sbcbench()
        .arg("report")
        .arg(results)
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn markdown_shows_the_curve_and_names_the_most_efficient_step() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    let md = report(&results, &["--format", "markdown"]);
    let (comparison, sweep) = md.split_once("Sweep, ").expect("a sweep section");
    // The comparison's tables (the article's boards) do not have the board.
    assert!(comparison.contains("VisionFive 2"), "{comparison}");
    assert!(!comparison.contains(BOARD), "{comparison}");
    assert!(
        sweep.starts_with(&format!("{BOARD}, Cortex-A72 (cpu 0-3)")),
        "{sweep}"
    );
    assert!(sweep.contains("| clock (MHz) | MB/s | power (W) | MB/s per W |"));
    assert!(sweep.contains("| **xz × all (4 threads)** |"));
    for mhz in STEPS {
        assert!(sweep.contains(&format!("| {mhz:.0} | ")), "{mhz} missing");
    }
    // Each curve's best step, and only it, is marked.
    assert!(sweep.contains("| 1000 | 40.0 | 6.8 | 5.88 * |"), "{sweep}");
    assert!(sweep.contains("| 1000 | 10.0 | 5.0 | 2.00 * |"), "{sweep}");
    assert_eq!(sweep.matches(" * |").count(), 2);
    assert!(sweep.contains("Idle: 2.7 W"));
    assert!(
        sweep.contains(&format!(
            "{BOARD}, Cortex-A72 (cpu 0-3): most efficient at 1000 MHz for every kernel and \
             thread mode — xz × 1: 2.00 MB/s per W, 1.13× its 1.76 at 1500 MHz."
        )),
        "{sweep}"
    );
}

#[test]
fn sweep_points_are_never_the_boards_figures() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    // The same board's ordinary run at its top clock, 1800 MHz.
    let run: Vec<ResultRow> = sweep_rows()
        .into_iter()
        .filter(|r| r.clock_mhz == Some(1500.0))
        .map(|mut r| {
            r.clock_mhz = Some(1800.0);
            r.clock_source = ClockSource::CpufreqMax;
            r.mb_per_s = if r.threads == 1 { 17.0 } else { 66.0 };
            r.timestamp = "2026-12-01T08:00:00Z".to_string();
            r
        })
        .collect();
    let mut w = csv::Writer::from_path(results.join("raspberry-pi-4-model-b/20261201T080000Z.csv"))
        .unwrap();
    for r in run {
        w.serialize(r).unwrap();
    }
    w.flush().unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&report(&results, &["--no-reference", "--format", "json"])).unwrap();
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "one board, from its run");
    let e = &entries[0];
    assert_eq!(e["timestamp"], "2026-12-01T08:00:00Z");
    assert_eq!(e["runs_of_board"], 1, "the sweep is no run of the board");
    assert_eq!(e["single_core"]["kernels"]["xz"]["mb_per_s"]["value"], 17.0);
    assert_eq!(e["all_cores"]["kernels"]["xz"]["mb_per_s"]["value"], 66.0);
    assert_eq!(e["all_cores"]["kernels"]["xz"]["clock_mhz"], 1800.0);
}

#[test]
fn json_has_the_sweep_points_and_each_curves_best_step() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    let json: serde_json::Value =
        serde_json::from_str(&report(&results, &["--no-reference", "--format", "json"])).unwrap();
    assert_eq!(json["entries"].as_array().unwrap().len(), 0);
    let sweeps = json["sweeps"].as_array().unwrap();
    assert_eq!(sweeps.len(), 1);
    let s = &sweeps[0];
    assert_eq!(s["board"], BOARD);
    assert_eq!(s["cluster"], 0);
    assert_eq!(s["core_name"], "Cortex-A72");
    assert_eq!(s["idle_watts"], 2.7);
    assert!(s["summary"]
        .as_str()
        .unwrap()
        .contains("most efficient at 1000 MHz"));
    let curves = s["curves"].as_array().unwrap();
    let modes: Vec<&str> = curves.iter().map(|c| c["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["1", "all"]);
    for c in curves {
        assert_eq!(c["kernel"], "xz");
        assert_eq!(c["most_efficient_mhz"], 1000.0);
        let mhz: Vec<f64> = c["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["clock_mhz"].as_f64().unwrap())
            .collect();
        assert_eq!(mhz, STEPS);
    }
    assert_eq!(curves[1]["points"][2]["watts"], 6.8);
    assert_eq!(curves[1]["points"][2]["mb_per_s"], 40.0);
}

#[test]
fn csv_has_a_row_per_sweep_point_with_its_class_and_best_step() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    let text = report(&results, &["--no-reference", "--format", "csv"]);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| &r[col("clock_source")] == "sweep"));
    assert!(rows
        .iter()
        .all(|r| &r[col("sweep_core_name")] == "Cortex-A72"));
    let best: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| &r[col("sweep_most_efficient")] == "true")
        .map(|r| (&r[col("mode")], &r[col("clock_mhz")]))
        .collect();
    assert_eq!(best, [("1", "1000.0"), ("all", "1000.0")]);
}

#[test]
fn plot_writes_the_sweep_chart_with_a_line_per_curve_and_the_best_step() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    let plots = dir.path().join("plots");
    report(
        &results,
        &[
            "--no-reference",
            "--format",
            "csv",
            "--plot",
            plots.to_str().unwrap(),
        ],
    );
    let svg = std::fs::read_to_string(plots.join("sweep-raspberry-pi-4-model-b-0-cortex-a72.svg"))
        .unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let of = |class: &str| -> Vec<roxmltree::Node> {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .collect()
    };
    let curves: Vec<&str> = of("curve")
        .iter()
        .map(|n| n.attribute("data-curve").unwrap())
        .collect();
    assert_eq!(curves, ["xz × 1", "xz × all"]);
    for c in of("curve") {
        assert_eq!(c.attribute("points").unwrap().split(' ').count(), 5);
    }
    assert_eq!(of("best").len(), 2);
    let labels: Vec<&str> = of("best-label").iter().filter_map(|n| n.text()).collect();
    assert_eq!(labels, ["1000 MHz: 2.00", "1000 MHz: 5.88"]);
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains("clock (MHz)") && text.contains("MB/s per W (whole board)"));
}

#[test]
fn the_html_page_and_the_terminal_table_have_the_sweep_too() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_dir(dir.path());
    let html = report(&results, &["--no-reference", "--format", "html"]);
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts).expect("well-formed markup");
    let curves = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("curve"))
        .count();
    assert_eq!(curves, 2, "the sweep chart inline");
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains("most efficient at 1000 MHz"), "{text}");
    assert!(text.contains("5.88 *"));

    let table = report(&results, &["--no-reference", "--format", "table"]);
    assert!(table.contains("xz × all (4 threads)"), "{table}");
    assert!(table.contains("5.88 *"));
    assert!(table.contains("most efficient at 1000 MHz"));
}
