//! Which sbcbench command each board runs: `run` (the default) or `sweep`.
//! A sweep locks the clocks itself and reads its power from a meter, so
//! the board settings made for runs (boards.toml `clock_mhz`, `power`,
//! run-only flags in `run_args`) are left out of it, not refused by it:
//! one boards.toml serves both.

use super::Board;

/// What each board runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BoardCommand {
    /// `sbcbench run`.
    #[default]
    Run,
    /// `sbcbench sweep`: every clock step; needs root or `sudo -n` there.
    Sweep,
}

impl BoardCommand {
    pub fn name(self) -> &'static str {
        match self {
            BoardCommand::Run => "run",
            BoardCommand::Sweep => "sweep",
        }
    }

    fn from_word(word: &str) -> Option<BoardCommand> {
        [BoardCommand::Run, BoardCommand::Sweep]
            .into_iter()
            .find(|c| c.name() == word)
    }
}

/// The command, from `--command` and from the first word after `--`, and
/// the arguments after that word. Given both ways they must agree; a
/// second command word is a mistake the board would report less clearly.
pub fn split(
    flag: Option<BoardCommand>,
    args: &[String],
) -> Result<(BoardCommand, Vec<String>), String> {
    let word = args.first().and_then(|a| BoardCommand::from_word(a));
    let rest = if word.is_some() { &args[1..] } else { args };
    if let (Some(w), Some(again)) = (word, rest.first()) {
        if BoardCommand::from_word(again).is_some() {
            return Err(format!(
                "-- {} {again}: the command is given twice; give it once, by --command or as \
                 the first word after --",
                w.name()
            ));
        }
    }
    match (flag, word) {
        (Some(f), Some(w)) if f != w => Err(format!(
            "--command {} and `-- {} …` disagree: give the command once, by --command or as the \
             first word after --",
            f.name(),
            w.name()
        )),
        _ => Ok((flag.or(word).unwrap_or_default(), rest.to_vec())),
    }
}

/// Flags of `sbcbench run` that a sweep has not (or refuses), each taking
/// a value, and why a sweep does without them.
const RUN_ONLY: [(&str, &str); 3] = [
    ("--clock-mhz", "a sweep records the clock it locks"),
    (
        "--system-tools",
        "a sweep measures sbcbench's own kernels only",
    ),
    (
        "--power",
        "fixed figures cannot follow the clock: a meter, or --power ask at every step",
    ),
];

/// Whether `flag` (of `RUN_ONLY`) with `value` is for runs only: `--power`
/// only with `fixed:` figures, since a sweep takes `none` and `ask`.
fn only_for_runs(flag: &str, value: Option<&str>) -> bool {
    flag != "--power" || value.is_some_and(|v| v.starts_with("fixed:"))
}

/// The flag of `RUN_ONLY` that `arg` is (`--flag` or `--flag=value`).
fn run_only(arg: &str) -> Option<(&'static str, &'static str)> {
    RUN_ONLY.into_iter().find(|(flag, _)| {
        arg == *flag || arg.strip_prefix(flag).is_some_and(|r| r.starts_with('='))
    })
}

/// The command line's arguments for a sweep: a run-only flag there was
/// typed for this sweep, so it is refused before connecting.
pub fn check_sweep_args(args: &[String], whose: &str) -> Result<(), String> {
    for (i, a) in args.iter().enumerate() {
        let Some((flag, why)) = run_only(a) else {
            continue;
        };
        let value = a
            .split_once('=')
            .map(|(_, v)| v)
            .or_else(|| args.get(i + 1).map(String::as_str));
        if !only_for_runs(flag, value) {
            continue;
        }
        return Err(format!(
            "{whose}: {flag} is a flag of sbcbench run, not of sweep ({why}); remove it"
        ));
    }
    Ok(())
}

/// A board's `run_args` without the run-only flags and their values, and
/// what was left out.
pub fn without_run_only(args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut kept, mut left) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        // A run's thread modes: a sweep keeps those it has, 1 and all.
        let threads = match a.as_str() {
            "-t" | "--threads" => Some((a.as_str(), it.next().map(String::as_str))),
            _ => a.strip_prefix("--threads=").map(|v| ("--threads", Some(v))),
        };
        if let Some((flag, value)) = threads {
            let value = value.unwrap_or_default();
            let modes: Vec<&str> = value
                .split(',')
                .filter(|m| ["1", "all"].contains(m))
                .collect();
            if modes.len() < value.split(',').count() {
                left.push(format!("{flag} {value}"));
            }
            if !modes.is_empty() {
                kept.extend([flag.to_string(), modes.join(",")]);
            }
            continue;
        }
        match run_only(a) {
            None => kept.push(a.clone()),
            Some((flag, _)) if a == flag => {
                let value = it.next().map(String::as_str);
                match value {
                    _ if only_for_runs(flag, value) => left.push(
                        format!("{flag} {}", value.unwrap_or_default())
                            .trim_end()
                            .to_string(),
                    ),
                    Some(v) => kept.extend([flag.to_string(), v.to_string()]),
                    None => kept.push(flag.to_string()),
                }
            }
            Some((flag, _)) if !only_for_runs(flag, a.split_once('=').map(|(_, v)| v)) => {
                kept.push(a.clone())
            }
            Some(_) => left.push(a.clone()),
        }
    }
    (kept, left)
}

/// What a sweep leaves out of a board's settings, as one note; `None`
/// when nothing is.
pub fn sweep_note(board: &Board) -> Option<String> {
    let mut left = Vec::new();
    if board.clock_mhz.is_some() {
        left.push("`clock_mhz` (a sweep records the clock it locks)".to_string());
    }
    if board.power.as_ref().is_some_and(|p| !p.is_empty()) && board.meter.is_none() {
        left.push("`power` (fixed figures cannot follow the clock)".to_string());
    }
    let (_, flags) = without_run_only(&board.run_args);
    if !flags.is_empty() {
        left.push(format!(
            "`run_args` {} (flags or thread modes of sbcbench run only)",
            flags.join(", ")
        ));
    }
    (!left.is_empty())
        .then(|| format!("note: the sweep leaves out the board's {}", left.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_command_comes_from_the_flag_or_the_first_word() {
        let (run, sweep) = (Some(BoardCommand::Run), Some(BoardCommand::Sweep));
        let ok = |flag, args: &str| split(flag, &words(args)).unwrap();
        assert_eq!(ok(None, "--quick"), (BoardCommand::Run, words("--quick")));
        assert_eq!(ok(None, "sweep -t 1"), (BoardCommand::Sweep, words("-t 1")));
        assert_eq!(
            ok(None, "run --quick"),
            (BoardCommand::Run, words("--quick"))
        );
        assert_eq!(ok(sweep, "-t 1"), (BoardCommand::Sweep, words("-t 1")));
        assert_eq!(ok(sweep, "sweep"), (BoardCommand::Sweep, vec![]));
        // A value that happens to be the word is not a command.
        assert_eq!(
            ok(None, "--board sweep"),
            (BoardCommand::Run, words("--board sweep"))
        );
        let e = split(run, &words("sweep -t 1")).unwrap_err();
        assert!(e.contains("--command run and `-- sweep …` disagree"), "{e}");
        let e = split(None, &words("sweep run")).unwrap_err();
        assert!(
            e.contains("-- sweep run: the command is given twice"),
            "{e}"
        );
        assert!(split(sweep, &words("sweep sweep")).is_err());
    }

    #[test]
    fn run_only_flags_are_refused_on_the_command_line_and_left_out_of_a_board() {
        assert!(check_sweep_args(&words("-t 1 --power none --steps 4"), "X").is_ok());
        assert!(check_sweep_args(&words("--power=none"), "X").is_ok());
        assert!(check_sweep_args(&words("--power ask -t 1"), "X").is_ok());
        for bad in [
            "--clock-mhz 1500",
            "--system-tools=off",
            "--power fixed:idle=2",
        ] {
            let e = check_sweep_args(&words(bad), "RUN ARGS after --").unwrap_err();
            assert!(e.starts_with("RUN ARGS after --: --"), "{e}");
            assert!(e.contains("not of sweep"), "{e}");
        }
        let (kept, left) = without_run_only(&words(
            "--quick --system-tools off -t 1 --clock-mhz=1800 --power fixed:1=3",
        ));
        assert_eq!(kept, words("--quick -t 1"));
        assert_eq!(
            left,
            [
                "--system-tools off",
                "--clock-mhz=1800",
                "--power fixed:1=3"
            ]
        );
        // A run's thread modes: a sweep keeps 1 and all.
        let (kept, left) = without_run_only(&words("-t 1,half,all --threads=4"));
        assert_eq!(kept, words("-t 1,all"));
        assert_eq!(left, ["-t 1,half,all", "--threads 4"]);
        // Typed readings work at every step: kept.
        let (kept, left) = without_run_only(&words("--power ask --power=ask"));
        assert_eq!((kept, left.len()), (words("--power ask --power=ask"), 0));
    }
}
