//! `sbcbench run`: the kernels, modes, timing, files and meter asked for.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::check_writable;
use crate::cli::{MeasureArgs, RunArgs};
use crate::compare::board_name::{self, Found};
use crate::compare::Baseline;
use crate::error::Error;
use crate::export::Format;
use crate::measure::kernels::system::SystemTools;
use crate::measure::kernels::XzInput;
use crate::measure::load::LoadKind;
use crate::measure::{plan, KernelId, ThreadMode, Timing};
use crate::observe::{Os, Topology};
use crate::power::meter::{self, Meter, MeterSpec};
use crate::power::PowerMode;
use crate::record::reference::{article_2023, ARTICLE_2023_PATH};
use crate::record::walk::result_files;
use crate::record::{read_results, ResultRow, RunKind};

pub struct RunOptions {
    pub kernels: Vec<KernelId>,
    pub modes: Vec<ThreadMode>,
    pub timing: Timing,
    /// The longest wait for the SoC to cool before each step.
    pub cooldown: Duration,
    pub quick: bool,
    /// `quick` for `--quick` or a `--min-time` below the default's: the
    /// rows say they come from a smoke test.
    pub run_kind: RunKind,
    /// Loaded and checked; `None` when xz is not among the kernels.
    pub xz_input: Option<XzInput>,
    pub clock_mhz: Option<f64>,
    pub board: Option<String>,
    pub baseline: Baseline,
    /// `None` with --no-save.
    pub output: Option<PathBuf>,
    pub format: Format,
    pub power: PowerMode,
    pub load: LoadKind,
    pub idle_time: Duration,
    /// Phase lines on stderr for a meter on another machine.
    pub phase_events: bool,
    /// `step` lines on stderr for the fleet's live status.
    pub status_lines: bool,
    /// Also measure the board's own openssl and xz.
    pub system_tools: SystemTools,
}

/// The default `--samples` of a run that decodes a large `--xz-input`.
pub const LARGE_INPUT_SAMPLES: usize = 3;

/// The `--meter` of a run: opened while the options are checked, so that
/// a wrong port fails before anything is measured, then handed to the run
/// to be sampled.
pub type OpenedMeter = (MeterSpec, Box<dyn Meter>);

fn dedup<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for &i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

impl RunOptions {
    /// The options, and the meter of `--meter`, opened.
    pub fn from_args(
        args: &RunArgs,
        topo: &Topology,
        os: &Arc<dyn Os>,
    ) -> Result<(RunOptions, Option<OpenedMeter>), Error> {
        let modes = dedup(&args.threads);
        for &mode in &modes {
            plan::validate(mode, topo).map_err(Error::Usage)?;
        }
        let (mut opts, meter) = RunOptions::measuring(&args.measure, modes, os)?;
        opts.clock_mhz = args.clock_mhz;
        opts.system_tools = args.system_tools;
        Ok((opts, meter))
    }

    /// What `run` and `sweep` share, with `modes` checked by the caller;
    /// no `--clock-mhz`, and the board's own tools off.
    pub fn measuring(
        args: &MeasureArgs,
        modes: Vec<ThreadMode>,
        os: &Arc<dyn Os>,
    ) -> Result<(RunOptions, Option<OpenedMeter>), Error> {
        let (min_time, samples, warmup) = if args.quick {
            (0.1, 3, 0.05)
        } else {
            (1.0, 5, 0.5)
        };
        let kernels = dedup(&args.kernels);
        // The xz load of `--power ask` decodes the same input.
        let xz_load = args.power == PowerMode::Ask && args.load == LoadKind::Kernel(KernelId::Xz);
        let xz_input = if kernels.contains(&KernelId::Xz) || xz_load {
            Some(match &args.xz_input {
                Some(path) => XzInput::from_file(path).map_err(|e| Error::Usage(e.to_string()))?,
                None => XzInput::built_in().map_err(|e| Error::Usage(e.to_string()))?,
            })
        } else {
            None
        };
        // Every xz sample is whole decodes: with a large input (the
        // article's linux-5.10.tar.xz, 25 s a decode on a VisionFive 2)
        // five samples and a warm-up would take minutes per step.
        let large_xz =
            kernels.contains(&KernelId::Xz) && xz_input.as_ref().is_some_and(XzInput::is_large);
        let samples = match args.samples {
            Some(s) => s as usize,
            None if large_xz => samples.min(LARGE_INPUT_SAMPLES),
            None => samples,
        };
        let mut min_time = Duration::from_secs_f64(args.min_time.unwrap_or(min_time));
        // A meter, here or on the machine that started this run over ssh,
        // needs every measurement long enough to see it settle and give
        // enough readings.
        // A meter elsewhere may be a plug read once a second.
        let period = match &args.meter {
            Some(spec) => spec.protocol.period(),
            None => meter::SLOWEST_PERIOD,
        };
        if args.meter.is_some() || args.phase_events {
            min_time = min_time.max(meter::min_sample_time(samples, period));
        }
        let timing = Timing {
            warmup: Duration::from_secs_f64(args.warmup.unwrap_or(warmup)),
            min_time,
            samples,
        };
        let cooldown =
            Duration::from_secs_f64(args.cooldown.unwrap_or(if args.quick { 0.0 } else { 30.0 }));
        let output = if args.no_save {
            None
        } else {
            check_writable("--output", &args.output, " or use --no-save")?;
            Some(args.output.clone())
        };
        let baseline = match &args.baseline {
            None => Baseline::article_visionfive2(),
            Some(spec) => load_baseline(spec, &args.output)?,
        };
        let meter = match &args.meter {
            Some(spec) => Some((
                spec.clone(),
                meter::open(spec, os).map_err(|e| Error::Usage(format!("--meter {spec}: {e}")))?,
            )),
            None => None,
        };
        let format = Format::default_for_stdout(args.format);
        let opts = RunOptions {
            kernels,
            modes,
            timing,
            cooldown,
            quick: args.quick,
            run_kind: if args.quick || args.min_time.is_some_and(|t| t < 1.0) {
                RunKind::Quick
            } else {
                RunKind::Full
            },
            xz_input,
            clock_mhz: None,
            board: args.board.clone(),
            baseline,
            output,
            format,
            power: args.power.clone(),
            load: args.load,
            idle_time: Duration::from_secs_f64(args.idle_time),
            phase_events: args.phase_events,
            status_lines: args.status_lines,
            system_tools: SystemTools::Off,
        };
        Ok((opts, meter))
    }
}

/// `--baseline`: a results file; or a board, of the user's results in
/// the output folder (its latest run) or of the built-in reference (the
/// article's 15 boards), matched loosely as `report --baseline` matches.
/// The user's own results of a board win over the article's.
fn load_baseline(spec: &str, output: &Path) -> Result<Baseline, Error> {
    let path = Path::new(spec);
    if path.is_file() {
        return Baseline::from_file(path).map_err(Error::Usage);
    }
    if spec.contains('/') || spec.to_ascii_lowercase().ends_with(".csv") {
        return Err(Error::Usage(format!(
            "--baseline {spec}: no such file; give a results CSV written by `sbcbench run`, \
             or a board's name (e.g. --baseline 'Raspberry Pi 4B')"
        )));
    }
    let mine = board_folders(output);
    let reference =
        article_2023().map_err(|e| Error::Usage(format!("the built-in reference: {e}")))?;
    let mut names: Vec<&str> = mine.iter().map(String::as_str).collect();
    for row in &reference {
        let key = board_name::normalise(&row.board);
        if !names.iter().any(|n| board_name::normalise(n) == key) {
            names.push(&row.board);
        }
    }
    match board_name::find(&names, spec) {
        Found::One(name) if mine.iter().any(|m| m == name) => latest_of(spec, &output.join(name)),
        Found::One("VisionFive 2") => Ok(Baseline::article_visionfive2()),
        Found::One(name) => {
            let rows: Vec<ResultRow> = reference
                .iter()
                .filter(|r| r.board == name)
                .cloned()
                .collect();
            let mut baseline =
                Baseline::from_rows(&rows, ARTICLE_2023_PATH).map_err(Error::Usage)?;
            baseline.name = format!("{name} (article 2023, openssl/xz-utils)");
            Ok(baseline)
        }
        found => Err(Error::Usage(format!(
            "--baseline {spec}: {}{}",
            board_name::explain(&found, &names),
            match found {
                Found::None { did_you_mean: None } => format!(
                    " (the article's and those with results in {}); or give a results CSV",
                    output.display()
                ),
                _ => String::new(),
            }
        ))),
    }
}

/// The boards with results in `output`: its folders, named by slug
/// (`results/reference` is the shipped reference, not a board).
fn board_folders(output: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(output) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with('.') && n != "reference")
        .collect();
    names.sort();
    names
}

/// The latest run in a board's folder: file names are UTC times. A
/// sweep's file is not a run of the board at its clock: the latest file
/// with other rows wins.
fn latest_of(spec: &str, dir: &Path) -> Result<Baseline, Error> {
    let mut files = result_files(dir)
        .map(|found| {
            if let Some(note) = found.outside_note() {
                eprintln!("{note}");
            }
            found.csv
        })
        .unwrap_or_default();
    files.sort_by(|a, b| b.file_name().cmp(&a.file_name()).then_with(|| b.cmp(a)));
    let mut sweeps = 0;
    for file in files {
        let rows =
            read_results(&file).map_err(|e| Error::Usage(format!("--baseline {spec}: {e}")))?;
        if !rows.is_empty() && rows.iter().all(ResultRow::is_sweep) {
            sweeps += 1;
            continue;
        }
        return Baseline::from_rows(&rows, &file.display().to_string()).map_err(Error::Usage);
    }
    Err(Error::Usage(format!(
        "--baseline {spec}: no results for a board of that name in {}{}; \
         give a results CSV or run `sbcbench run --board '{spec}'` on that board first",
        dir.display(),
        match sweeps {
            0 => String::new(),
            n => format!(" but {n} sweep(s), whose rows are at locked clock steps"),
        }
    )))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::observe::HostOs;
    use crate::options::usage_message;

    fn args(extra: &[&str]) -> RunArgs {
        let cli = ["sbcbench", "run", "--no-save", "--kernels", "sha1"];
        match Cli::try_parse_from(cli.iter().chain(extra))
            .unwrap()
            .command
        {
            Command::Run(args) => *args,
            _ => unreachable!("not a run"),
        }
    }

    fn host() -> std::sync::Arc<dyn crate::observe::Os> {
        std::sync::Arc::new(HostOs)
    }

    fn build(extra: &[&str]) -> Result<(RunOptions, Option<OpenedMeter>), Error> {
        RunOptions::from_args(&args(extra), &Topology::read(&HostOs), &host())
    }

    #[test]
    fn a_bad_value_of_each_flag_is_a_usage_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, "x").unwrap();
        let file = file.to_str().unwrap();
        let missing = dir.path().join("missing.xz");
        let missing = missing.to_str().unwrap();
        for (flag, bad) in [
            ("--threads", &["--threads", "100000"][..]),
            ("--xz-input", &["--kernels", "xz", "--xz-input", missing]),
            ("--xz-input", &["--kernels", "xz", "--xz-input", file]),
            // Given with --no-save, --output is neither checked nor created.
            ("--output", &["--output", file]),
            ("--baseline", &["--baseline", "no board of this name"]),
            (
                "--meter",
                &["--meter", "pzem004t:/dev/does-not-exist-sbcbench"],
            ),
        ] {
            let mut a = args(bad);
            if flag == "--output" {
                a.measure.no_save = false;
            }
            let m = usage_message(RunOptions::from_args(&a, &Topology::read(&HostOs), &host()));
            assert!(m.contains(flag), "{bad:?}: {m}");
        }
    }

    #[test]
    fn defaults_quick_and_explicit_timing() {
        let (o, meter) = build(&[]).unwrap();
        assert!(meter.is_none());
        assert_eq!(o.timing.min_time, Duration::from_secs(1));
        assert_eq!(o.timing.samples, 5);
        assert_eq!(o.timing.warmup, Duration::from_millis(500));
        assert!(o.output.is_none());
        let (o, _) = build(&["--quick", "--samples", "4", "--threads", "1,1,all,1"]).unwrap();
        assert_eq!(o.timing.min_time, Duration::from_millis(100));
        assert_eq!(o.timing.samples, 4);
        assert_eq!(o.modes, vec![ThreadMode::One, ThreadMode::All]);
    }

    /// A large --xz-input makes a sample long (whole decodes): fewer of
    /// them by default, as many as asked otherwise.
    #[test]
    fn a_large_xz_input_takes_fewer_samples_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.tar.xz");
        let mut data = b"\xFD7zXZ\x00".to_vec();
        data.resize(crate::measure::kernels::LARGE_INPUT_BYTES + 1, 0);
        std::fs::write(&big, data).unwrap();
        let big = big.to_str().unwrap();
        let (o, _) = build(&["--kernels", "xz", "--xz-input", big]).unwrap();
        assert_eq!(o.timing.samples, LARGE_INPUT_SAMPLES);
        let (o, _) = build(&["--kernels", "xz", "--xz-input", big, "--samples", "7"]).unwrap();
        assert_eq!(o.timing.samples, 7);
        let (o, _) = build(&["--kernels", "xz"]).unwrap();
        assert_eq!(o.timing.samples, 5, "the built-in corpus is small");
    }

    #[test]
    fn cooldown_defaults_to_half_a_minute_none_when_quick_and_zero_skips_it() {
        assert_eq!(build(&[]).unwrap().0.cooldown, Duration::from_secs(30));
        assert_eq!(build(&["--quick"]).unwrap().0.cooldown, Duration::ZERO);
        assert_eq!(
            build(&["--cooldown", "0"]).unwrap().0.cooldown,
            Duration::ZERO
        );
        assert_eq!(
            build(&["--quick", "--cooldown", "5.5"]).unwrap().0.cooldown,
            Duration::from_millis(5500)
        );
    }

    #[test]
    fn a_meter_elsewhere_makes_every_sample_long_enough_for_it() {
        let (o, _) = build(&["--quick", "--phase-events", "--samples", "3"]).unwrap();
        assert_eq!(
            o.timing.min_time,
            meter::min_sample_time(3, meter::SLOWEST_PERIOD)
        );
        assert!(o.timing.min_time > Duration::from_millis(100));
        // Never shorter than asked.
        let (o, _) = build(&["--phase-events", "--min-time", "60"]).unwrap();
        assert_eq!(o.timing.min_time, Duration::from_secs(60));
    }

    #[test]
    fn baseline_by_board_is_its_latest_results_file_inside_its_folder() {
        let reference = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/reference/visionfive2-article-2023.csv"
        ))
        .unwrap();
        let as_board = |name: &str| reference.replace("VisionFive 2", name);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("results");
        let board = out.join("my-board");
        std::fs::create_dir_all(&board).unwrap();
        let out = out.to_str().unwrap();
        let m = usage_message(build(&["--output", out, "--baseline", "My Board"]));
        assert!(m.contains("no results for a board of that name"), "{m}");

        std::fs::write(board.join("20240101T000000Z.csv"), as_board("old")).unwrap();
        std::fs::write(board.join("20250101T000000Z.csv"), as_board("new")).unwrap();
        // Later, but hidden, or leading out of the folder: not results.
        std::fs::write(board.join(".20990101T000000Z.csv"), as_board("hidden")).unwrap();
        let elsewhere = dir.path().join("elsewhere.csv");
        std::fs::write(&elsewhere, as_board("outside")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, board.join("20980101T000000Z.csv")).unwrap();
        let (o, _) = build(&["--output", out, "--baseline", "My Board"]).unwrap();
        assert_eq!(o.baseline.name, "new");

        // A later sweep is not the board's run: the run before it is.
        let sweep = as_board("sweep").replace(",article,", ",sweep,");
        assert!(
            sweep.contains(",sweep,"),
            "the reference's clock_source moved"
        );
        std::fs::write(board.join("20260101T000000Z.csv"), &sweep).unwrap();
        let (o, _) = build(&["--output", out, "--baseline", "My Board"]).unwrap();
        assert_eq!(o.baseline.name, "new");
        // A sweep named as a file is refused, saying why.
        let file = board.join("20260101T000000Z.csv");
        let m = usage_message(build(&["--baseline", file.to_str().unwrap()]));
        assert!(
            m.contains("a sweep (its rows are at locked clock steps"),
            "{m}"
        );
    }
}
