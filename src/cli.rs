//! The command line, defined once. Values are parsed into typed options
//! here where the parse needs nothing but the text; what depends on the
//! machine (thread counts, files) is checked in `options/` before any
//! measuring starts.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::compare::report::Mode;
use crate::export::report::ReportFormat;
use crate::export::Format;
use crate::measure::kernels::system::SystemTools;
use crate::measure::load::LoadKind;
use crate::measure::{KernelId, ThreadMode};
use crate::power::meter::MeterSpec;
use crate::power::PowerMode;

#[derive(Debug, Parser)]
#[command(
    name = "sbcbench",
    version,
    long_version = crate::build_info::LONG_VERSION,
    about = "How fast and how energy-efficient is this board? SHA-1, ChaCha20-Poly1305 and xz \
             decompression on one core and on all cores, relative to a VisionFive 2.",
    propagate_version = true,
    after_help = "Examples:
  sbcbench run                         benchmark this board (about 40 s)
  sbcbench run --baseline \"Pi 4\"       ratios × the article's Raspberry Pi 4B
  sbcbench report                      every board in results/ among the article's 15
  sbcbench completions bash > ~/.local/share/bash-completion/completions/sbcbench"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Say less: no progress bar and no notes; errors, warnings and results only.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,

    /// Say more: what was chosen (the baseline of a run; with --version,
    /// each kernel's code and the CPU features it dispatches on).
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub verbose: bool,

    /// Colour clap's messages, the table and `warning:`/`error:`: auto (on
    /// a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN",
          help_heading = "Global options")]
    pub color: ColorChoice,

    /// Read /proc, /sys and /etc under this directory instead of `/`
    /// (replays a recorded board; for tests).
    #[arg(
        long,
        global = true,
        hide = true,
        env = "SBCBENCH_SYSROOT",
        value_name = "DIR"
    )]
    pub sysroot: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the benchmark and save a results CSV.
    #[command(after_help = "Examples:
  sbcbench run                                  all kernels, one core and all cores
  sbcbench run --quick                          a few seconds: is everything working?
  sbcbench run -k sha1,xz -t 1                  two kernels, single core only
  sbcbench run -b \"Pi 4\"                        ratios × the article's Raspberry Pi 4B
  sbcbench run --meter pzem004t:/dev/ttyUSB0    MB/s per W from a wattmeter
  sbcbench run -f csv --no-save > rows.csv      rows on stdout, nothing saved")]
    Run(Box<RunArgs>),
    /// Measure at every clock step of every core class: the board's
    /// performance, power and efficiency curve (needs root and cpufreq).
    #[command(after_help = "Examples:
  sbcbench sweep --kernels xz --meter shelly:192.168.1.60   the efficiency curve
  sbcbench sweep --steps 4 --classes a76 -t 1               4 steps of the big cores
  sbcbench sweep --power ask                                type the meter's readings
  sbcbench report --plot charts/                            its table and chart

It runs as root (sudo), and puts every cpufreq setting back afterwards, also
after Ctrl-C; after a kill, the next sweep restores it from
/var/lib/sbcbench/cpufreq-journal.toml.")]
    Sweep(Box<SweepArgs>),
    /// Run every known-answer test of every kernel; exit 0 when all pass.
    #[command(after_help = "Examples:
  sbcbench selftest                  before the first run on a new board or build")]
    Selftest,
    /// Show what sbcbench knows about this machine.
    #[command(after_help = "Examples:
  sbcbench info                      board, core classes, clocks, SIMD, each kernel's code
  sbcbench info --json > facts.json")]
    Info(InfoArgs),
    /// Print live readings of a wattmeter, to check it before a long run.
    #[command(after_help = "Examples:
  sbcbench meter pzem004t:/dev/ttyUSB0 --count 5
  sbcbench meter shelly:192.168.1.60,password-file=~/.shelly-pw
  sbcbench meter fnirsi:auto
  sbcbench meter line:/dev/ttyACM0,unit=mW --interval 0.5")]
    Meter(MeterArgs),
    /// Aggregate result CSVs into the article's tables, among its 15 boards.
    #[command(after_help = "Examples:
  sbcbench report                          every board in results/, beside the article's 15
  sbcbench report -b rpi4 -t 1             single core, × the Raspberry Pi 4B
  sbcbench report --plot charts/           plus SVG charts
  sbcbench report results/my-board -f csv")]
    Report(ReportArgs),
    /// Benchmark every board of boards.toml over SSH and fetch the CSVs back.
    #[command(after_help = "Examples:
  sbcbench fleet --dry-run               the ssh commands it would run
  sbcbench fleet -j 2 --tag arm          two boards at a time, those tagged arm
  sbcbench fleet -- --quick              with `sbcbench run --quick` on every board
  sbcbench fleet -- sweep --steps 4      `sbcbench sweep` on every board (needs root there)")]
    Fleet(FleetArgs),
    /// Print a shell completion script, generated from this binary's own options.
    #[command(after_help = "Examples:
  sbcbench completions bash > ~/.local/share/bash-completion/completions/sbcbench
  sbcbench completions zsh > ~/.zfunc/_sbcbench
  sbcbench completions fish > ~/.config/fish/completions/sbcbench.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from this binary's own options.
    #[command(after_help = "Examples:
  sbcbench man | man -l -
  sbcbench man > ~/.local/share/man/man1/sbcbench.1")]
    Man,
    /// Print the version; with --verbose (or `--version --verbose`) also the
    /// CPU features each kernel dispatches on.
    #[command(after_help = "Examples:
  sbcbench version --verbose")]
    Version,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The command line of this process. `--color` is looked for before
/// parsing so that clap's own messages (a typo's error) follow it too,
/// and `--version --verbose` becomes `version --verbose`.
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Cli {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let before_dashes = |a: &[OsString]| -> Vec<String> {
        a.iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .take_while(|a| a != "--")
            .collect()
    };
    let given = before_dashes(&args);
    let has = |names: &[&str]| given.iter().any(|a| names.contains(&a.as_str()));
    if has(&["--version", "-V"]) && has(&["--verbose", "-v"]) {
        args.truncate(1);
        args.extend(["version", "--verbose"].map(OsString::from));
    }
    let color = given
        .iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--color") {
            Some(v) if v.starts_with('=') => Some(v[1..].to_string()),
            Some("") => given.get(i + 1).cloned(),
            _ => None,
        });
    let color = match color.as_deref() {
        Some("always") => ColorChoice::Always,
        Some("never") => ColorChoice::Never,
        _ => ColorChoice::Auto,
    };
    let mut command = Cli::command().color(color);
    let parsed = command
        .try_get_matches_from_mut(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => suggest_subcommand(e, &command).format(&mut command).exit(),
    };
    crate::term::set(
        if cli.quiet {
            crate::term::Verbosity::Quiet
        } else if cli.verbose {
            crate::term::Verbosity::Verbose
        } else {
            crate::term::Verbosity::Normal
        },
        match cli.color {
            ColorChoice::Always => crate::term::Color::Always,
            ColorChoice::Never => crate::term::Color::Never,
            ColorChoice::Auto => crate::term::Color::Auto,
        },
    );
    cli
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub measure: MeasureArgs,

    /// Thread modes: `1` (each CPU cluster once), `half`, `all`, or counts.
    #[arg(short, long, value_delimiter = ',', value_parser = parse_threads,
          default_value = "1,all", value_name = "LIST", help_heading = "What to measure")]
    pub threads: Vec<ThreadMode>,

    /// Clock for cycles/byte instead of the cpufreq maximum.
    #[arg(long, value_parser = parse_mhz, value_name = "MHZ", help_heading = "Comparison")]
    pub clock_mhz: Option<f64>,

    /// Also measure the board's own `openssl speed` and `xz -d` (the
    /// article's tools) as `engine=system` rows, so that ratios to the
    /// article compare like with like: auto (where they are on PATH), off,
    /// or require.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        help_heading = "What to measure"
    )]
    pub system_tools: SystemTools,
}

/// What `run` and `sweep` share: the kernels, timing, power and output.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Kernels to run, comma-separated.
    #[arg(short, long, value_delimiter = ',', value_parser = parse_kernel,
          default_value = "sha1,chacha20-poly1305,xz", value_name = "LIST",
          help_heading = "What to measure")]
    pub kernels: Vec<KernelId>,

    /// Shortest duration of one sample [default: 1.0, 0.1 with --quick].
    #[arg(long, value_parser = parse_seconds, allow_negative_numbers = true, value_name = "SECONDS",
          help_heading = "Timing")]
    pub min_time: Option<f64>,

    /// Timed samples per measurement, at least 2 [default: 5; 3 with --quick or an --xz-input over 16 MiB].
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=1000), value_name = "N",
          help_heading = "Timing")]
    pub samples: Option<u32>,

    /// Untimed warm-up before the samples, 0 for none [default: 0.5, 0.05 with --quick].
    #[arg(long, value_parser = parse_seconds_or_zero, allow_negative_numbers = true, value_name = "SECONDS",
          help_heading = "Timing")]
    pub warmup: Option<f64>,

    /// Before each step, wait at most this long for the SoC to cool back
    /// to within 3 °C of its temperature at the start, so that later steps
    /// do not start hotter; 0 to skip [default: 30, 0 with --quick].
    #[arg(long, value_parser = parse_seconds_or_zero, allow_negative_numbers = true, value_name = "SECONDS",
          help_heading = "Timing")]
    pub cooldown: Option<f64>,

    /// A few seconds in all: a smoke test, not a measurement to compare.
    #[arg(long, help_heading = "Timing")]
    pub quick: bool,

    /// Decompress this .xz file instead of the built-in corpus
    /// (e.g. linux-5.10.tar.xz for the article's exact workload).
    #[arg(long, value_name = "FILE", help_heading = "What to measure")]
    pub xz_input: Option<PathBuf>,

    /// Compare with a results CSV, or a board: the latest run of a board in
    /// --output, else one of the article's 15, named loosely ("Pi 4", rpi4)
    /// [default: the article's VisionFive 2].
    #[arg(short, long, value_name = "FILE|BOARD", help_heading = "Comparison")]
    pub baseline: Option<String>,

    /// Board name in results [default: device-tree model, DMI product or hostname].
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub board: Option<String>,

    /// Where result files go: <DIR>/<board>/<UTC time>.csv.
    #[arg(
        short,
        long,
        default_value = "results",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub output: PathBuf,

    /// Do not save a results file.
    #[arg(long, help_heading = "Output")]
    pub no_save: bool,

    /// Output format on stdout [default: table on a terminal, markdown otherwise].
    #[arg(short, long, value_enum, help_heading = "Output")]
    pub format: Option<Format>,

    /// Whole-board power: `none`, `ask` (type the wattmeter's reading while
    /// each load runs), or `fixed:idle=W,1=W,half=W,all=W` (any of the keys).
    #[arg(long, value_parser = parse_power, default_value = "none", value_name = "MODE",
          help_heading = "Power")]
    pub power: PowerMode,

    /// Load kept running while `--power ask` waits for a reading: spin
    /// (the article's busy loop, so the watts compare with its figures),
    /// xz, sha1 or chacha20-poly1305.
    #[arg(long, value_parser = parse_load, default_value = "spin", value_name = "KIND",
          help_heading = "Power")]
    pub load: LoadKind,

    /// Sample a wattmeter during the run: PROTOCOL:PATH[,key=value…]
    /// (see `sbcbench meter`). Every row gets its own power figures.
    #[arg(long, value_parser = parse_meter, value_name = "SPEC", help_heading = "Power")]
    pub meter: Option<MeterSpec>,

    /// Idle time before the kernels, to read idle power with --meter or
    /// --phase-events.
    #[arg(long, default_value = "10", value_parser = parse_seconds, value_name = "SECONDS",
          help_heading = "Power")]
    pub idle_time: f64,

    /// A wattmeter on another machine measures this board (`sbcbench
    /// fleet` sets this for a board with `meter`): print each phase on
    /// stderr as an `@sbcbench phase` line, measure idle first, and make
    /// every measurement long enough for the meter.
    #[arg(long, conflicts_with = "meter", help_heading = "Power")]
    pub phase_events: bool,

    /// Set by `sbcbench fleet`: print an `@sbcbench step` line on stderr as
    /// each measurement starts, for the fleet's live status (docs/fleet.md).
    #[arg(long, hide = true)]
    pub status_lines: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub measure: MeasureArgs,

    /// Thread modes per core class: `1` (one CPU of the class) and `all`
    /// (every CPU of the class).
    #[arg(short, long, value_delimiter = ',', value_parser = parse_threads,
          default_value = "1,all", value_name = "LIST", help_heading = "What to measure")]
    pub threads: Vec<ThreadMode>,

    /// Core classes to sweep, by index (as `sbcbench info` lists them) or
    /// core name (`a72`, `cortex-a53`), comma-separated [default: all].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        help_heading = "What to measure"
    )]
    pub classes: Vec<String>,

    /// Clock steps: `all` (every operating point; 8 on a continuous
    /// driver), a count N spread from the lowest to the highest, or MHz
    /// (`600,1000,1500`; one clock as `1500MHz`).
    #[arg(long, default_value = "all", value_parser = parse_steps, value_name = "all|N|MHZ,…",
          help_heading = "What to measure")]
    pub steps: crate::measure::sweep::Selection,

    /// Only put back the cpufreq settings that a killed sweep left (from
    /// its journal in /var/lib/sbcbench), then exit; every sweep does this
    /// first anyway.
    #[arg(long)]
    pub restore: bool,
}

#[derive(Debug, Args)]
pub struct MeterArgs {
    /// PROTOCOL:PATH[,key=value…], e.g. pzem004t:/dev/ttyUSB0, um25c:/dev/rfcomm0,
    /// wattsup:/dev/ttyUSB0, scpi:/dev/usbtmc0, line:/dev/ttyACM0,unit=mW,
    /// hwmon:ina226, fnirsi:auto, tasmota:HOST, shelly:HOST, netio:HOST,output=N,
    /// homeassistant:URL,entity=sensor.…,token-file=FILE (README: Wattmeters)
    #[arg(value_parser = parse_meter, value_name = "SPEC")]
    pub spec: MeterSpec,

    /// Stop after this many readings [default: until Ctrl-C].
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Seconds between readings.
    #[arg(long, default_value = "1", value_parser = parse_seconds, value_name = "SECONDS")]
    pub interval: f64,
}

fn parse_meter(s: &str) -> Result<MeterSpec, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Board name to show instead of the detected one.
    #[arg(long, value_name = "NAME")]
    pub board: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result files, or folders searched recursively [default: results].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Board the ratios are relative to: a board in the results or of the
    /// article's 15, named loosely ("Pi 4", rpi4).
    #[arg(short, long, default_value = "VisionFive 2", value_name = "NAME")]
    pub baseline: String,

    /// Output format on stdout: table, markdown, csv (a row per board, mode
    /// and kernel), json, or html (one self-contained page with the charts)
    /// [default: table on a terminal, markdown otherwise].
    #[arg(short, long, value_enum, hide_possible_values = true)]
    pub format: Option<ReportFormat>,

    /// The newest run of each board (the default).
    #[arg(long, conflicts_with = "all")]
    pub latest: bool,

    /// Every run, one row each.
    #[arg(long)]
    pub all: bool,

    /// Leave out the shipped reference boards (the article's 15).
    #[arg(long)]
    pub no_reference: bool,

    /// Write SVG charts into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,

    /// Only these kernels, comma-separated.
    #[arg(short, long, value_delimiter = ',', value_parser = parse_kernel, value_name = "LIST")]
    pub kernels: Vec<KernelId>,

    /// Only single-core (`1`) or all-cores (`all`) figures.
    #[arg(short, long, value_enum, value_name = "1|all")]
    pub threads: Option<Mode>,
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The boards of the fleet (see the commented boards.toml)
    /// [default: boards.toml, unless --inventory is given].
    #[arg(long, value_name = "FILE")]
    pub boards: Option<PathBuf>,

    /// The boards of a static Ansible inventory (INI, YAML or TOML), read by
    /// Ansible's `ansible-inventory`: its hosts'
    /// ansible_host/port/user/ssh_private_key_file and sbcbench_* variables.
    #[arg(short, long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Only the inventory's hosts this Ansible pattern picks: a group or
    /// host, `a:b` (either), `a:!b` (not b), `a:&b` (also in b), globs.
    #[arg(short, long, value_name = "PATTERN", requires = "inventory")]
    pub limit: Option<String>,

    /// Only these boards, comma-separated names (or their results folder names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub only: Vec<String>,

    /// Only the boards with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,

    /// Boards benchmarked at once.
    #[arg(short, long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64), value_name = "N")]
    pub jobs: u32,

    /// Where the binaries of ci/cross-build are, with their SHA256SUMS.
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub dist: PathBuf,

    /// Where the fetched result files go: <DIR>/<board>/<UTC time>.csv.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,

    /// Give up on a board after this long, from connecting to fetching its results.
    #[arg(long, default_value = "3600", value_parser = parse_timeout, value_name = "SECONDS")]
    pub timeout: f64,

    /// Print the ssh commands it would run; connect to nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Trust and remember the host key of a board never connected to before
    /// (StrictHostKeyChecking=accept-new); a changed key is still refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,

    /// An ssh option for every connection, as `ssh -o KEY=VALUE`
    /// (e.g. IdentityFile=…, User=…, UserKnownHostsFile=…); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub ssh_option: Vec<String>,

    /// What every board runs: `run`, or `sweep` (each core class at each
    /// clock step; root or `sudo -n` there). `-- sweep …` says the same
    /// [default: run].
    #[arg(long, value_enum, value_name = "COMMAND")]
    pub command: Option<crate::deploy::command::BoardCommand>,

    /// Arguments for `sbcbench run` on every board, after the boards.toml
    /// ones; or, after a first word `sweep`, for `sbcbench sweep`.
    #[arg(last = true, value_name = "RUN ARGS")]
    pub run_args: Vec<String>,
}

/// clap suggests a subcommand only for a close spelling (`reprot`); a
/// short one with a letter left out (`rn`) gets the suggestion here.
fn suggest_subcommand(mut e: clap::Error, command: &clap::Command) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand || e.get(ContextKind::SuggestedSubcommand).is_some()
    {
        return e;
    }
    let Some(ContextValue::String(typed)) = e.get(ContextKind::InvalidSubcommand) else {
        return e;
    };
    let near: Vec<&str> = command
        .get_subcommands()
        .map(|s| s.get_name())
        .filter(|name| strsim::damerau_levenshtein(typed, name) <= 1)
        .collect();
    if let [name] = near[..] {
        e.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::String(name.to_string()),
        );
    }
    e
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 7.0 * 86400.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a timeout; give seconds above 0, e.g. 3600"
        )),
    }
}

fn parse_kernel(s: &str) -> Result<KernelId, String> {
    KernelId::from_name(s.trim()).ok_or_else(|| {
        let known: Vec<_> = KernelId::ALL.iter().map(|k| k.name()).collect();
        // The board matcher knows `SHA-1` is sha1 and `chacha` the start
        // of chacha20-poly1305.
        use crate::compare::board_name::{find, Found};
        let close = match find(&known, s) {
            Found::One(k)
            | Found::None {
                did_you_mean: Some(k),
            } => format!("did you mean {k}? "),
            _ => String::new(),
        };
        format!(
            "unknown kernel '{s}'; {close}the kernels are {}",
            known.join(", ")
        )
    })
}

fn parse_power(s: &str) -> Result<PowerMode, String> {
    s.parse()
}

fn parse_load(s: &str) -> Result<LoadKind, String> {
    s.parse()
}

fn parse_threads(s: &str) -> Result<ThreadMode, String> {
    s.parse()
}

fn parse_steps(s: &str) -> Result<crate::measure::sweep::Selection, String> {
    s.parse()
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a duration; give seconds above 0 and at most 3600, e.g. 0.5"
        )),
    }
}

fn parse_seconds_or_zero(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(0.0) => Ok(0.0),
        _ => parse_seconds(s),
    }
}

fn parse_mhz(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (1.0..=100_000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a clock in MHz; give e.g. 1500 for 1.5 GHz"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn typed_values_are_checked_at_parse_time() {
        let ok = Cli::try_parse_from([
            "sbcbench",
            "run",
            "--kernels",
            "xz,sha1",
            "--threads",
            "1,half,3",
        ])
        .unwrap();
        let Command::Run(run) = ok.command else {
            panic!("not run")
        };
        assert_eq!(run.measure.kernels, vec![KernelId::Xz, KernelId::Sha1]);
        assert_eq!(
            run.threads,
            vec![ThreadMode::One, ThreadMode::Half, ThreadMode::Count(3)]
        );
        for bad in [
            &["run", "--kernels", "md5"][..],
            &["run", "--threads", "0"],
            &["run", "--min-time", "-1"],
            &["run", "--min-time", "nan"],
            &["run", "--samples", "1"],
            &["run", "--clock-mhz", "0"],
            &["run", "--power", "fixed:all=-1"],
            &["run", "--load", "idle"],
        ] {
            let err = Cli::try_parse_from(std::iter::once("sbcbench").chain(bad.iter().copied()))
                .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            assert!(err.to_string().contains(bad[1]), "{bad:?}: {err}");
        }
    }
}
