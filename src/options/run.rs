//! `sbcbench run`: the kernels, modes, timing, files and meter asked for.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::check_writable;
use crate::cli::RunArgs;
use crate::compare::Baseline;
use crate::error::Error;
use crate::export::Format;
use crate::measure::kernels::XzInput;
use crate::measure::load::LoadKind;
use crate::measure::{plan, KernelId, ThreadMode, Timing};
use crate::observe::meter::{self, Meter, MeterSpec};
use crate::observe::power::PowerMode;
use crate::observe::Topology;
use crate::record::{board_slug, read_results};

pub struct RunOptions {
    pub kernels: Vec<KernelId>,
    pub modes: Vec<ThreadMode>,
    pub timing: Timing,
    pub quick: bool,
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
    /// Opened (so a wrong port fails before measuring) and sampled.
    pub meter: Option<(MeterSpec, Box<dyn Meter>)>,
    pub idle_time: Duration,
    /// Phase lines on stderr for a meter on another machine.
    pub phase_events: bool,
}

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
    pub fn from_args(args: &RunArgs, topo: &Topology) -> Result<RunOptions, Error> {
        let modes = dedup(&args.threads);
        for &mode in &modes {
            plan::validate(mode, topo).map_err(Error::Usage)?;
        }
        let (min_time, samples, warmup) = if args.quick {
            (0.1, 3, 0.05)
        } else {
            (1.0, 5, 0.5)
        };
        let timing = Timing {
            warmup: Duration::from_secs_f64(args.warmup.unwrap_or(warmup)),
            min_time: Duration::from_secs_f64(args.min_time.unwrap_or(min_time)),
            samples: args.samples.map(|s| s as usize).unwrap_or(samples),
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
                meter::open(spec).map_err(|e| Error::Usage(format!("--meter {spec}: {e}")))?,
            )),
            None => None,
        };
        let format = Format::default_for_stdout(args.format);
        Ok(RunOptions {
            kernels,
            modes,
            timing,
            quick: args.quick,
            xz_input,
            clock_mhz: args.clock_mhz,
            board: args.board.clone(),
            baseline,
            output,
            format,
            power: args.power.clone(),
            load: args.load,
            meter,
            idle_time: Duration::from_secs_f64(args.idle_time),
            phase_events: args.phase_events,
        })
    }
}

/// `--baseline` is a results file, or the name of a board with results in
/// the output directory (its latest run).
fn load_baseline(spec: &str, output: &Path) -> Result<Baseline, Error> {
    let path = Path::new(spec);
    if path.is_file() {
        return Baseline::from_file(path).map_err(Error::Usage);
    }
    let dir = output.join(board_slug(spec));
    let latest = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .max()
    });
    match latest {
        Some(file) => {
            let rows =
                read_results(&file).map_err(|e| Error::Usage(format!("--baseline {spec}: {e}")))?;
            Baseline::from_rows(&rows, &file.display().to_string()).map_err(Error::Usage)
        }
        None => Err(Error::Usage(format!(
            "--baseline {spec}: no such file, and no results for a board of that name in {}; \
             give a results CSV or run `sbcbench run --board '{spec}'` on that board first",
            dir.display()
        ))),
    }
}
