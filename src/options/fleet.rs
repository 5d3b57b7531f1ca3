//! `sbcbench fleet`: everything checked that can be before connecting to
//! a board: the ssh options, boards.toml and the boards chosen, the
//! command (`run` or `sweep`) and its arguments, the meters' specs, and
//! the binaries in --dist.

use std::time::Duration;

use crate::cli::FleetArgs;
use crate::deploy::command::{self, BoardCommand};
use crate::deploy::plan::{self, Plan};
use crate::deploy::{boards, inventory, ssh, Board};
use crate::error::Error;
use crate::power::meter::MeterSpec;

pub struct FleetOptions {
    /// The boards chosen by --only and --tag, in boards.toml order.
    pub boards: Vec<Board>,
    /// The boards file, as messages name it.
    pub file: String,
    pub plan: Plan,
    pub dry_run: bool,
}

impl FleetOptions {
    pub fn from_args(args: &FleetArgs) -> Result<FleetOptions, Error> {
        let usage = Error::Usage;
        for o in &args.ssh_option {
            ssh::check_ssh_option(o).map_err(usage)?;
        }
        let (all, file) = load_boards(args).map_err(usage)?;
        let chosen = plan::select(all, &args.only, args.tag.as_deref(), &file).map_err(usage)?;
        let (board_command, run_args) =
            command::split(args.command, &args.run_args).map_err(usage)?;
        plan::check_run_args(&run_args, "RUN ARGS after --").map_err(usage)?;
        if board_command == BoardCommand::Sweep {
            command::check_sweep_args(&run_args, "RUN ARGS after -- sweep").map_err(usage)?;
        }
        for b in &chosen {
            plan::check_run_args(
                &b.run_args,
                &format!("{file}: board '{}': run_args", b.name),
            )
            .map_err(usage)?;
        }
        let jobs = args.jobs as usize;
        check_meters(&chosen, &run_args, &file).map_err(usage)?;
        if jobs > 1 {
            if let Some(b) = chosen
                .iter()
                .find(|b| plan::wants_power_ask(&plan::board_args(board_command, b, &run_args)))
            {
                return Err(usage(format!(
                    "--power ask (board '{}') types each board's wattmeter readings on this terminal: \
                     add --jobs 1 so that one board at a time asks",
                    b.name
                )));
            }
        }
        let sums = plan::read_sums(&args.dist).map_err(usage)?;
        let plan = Plan {
            dist: args.dist.clone(),
            sums,
            output: args.output.clone(),
            timeout: Duration::from_secs_f64(args.timeout),
            ssh_options: args.ssh_option.clone(),
            accept_new_host_keys: args.accept_new_host_keys,
            command: board_command,
            run_args,
            jobs,
            // Made by the command before connecting; --dry-run shows where.
            control_dir: args.dry_run.then(|| "$TMPDIR/sbcbench-ssh.XXXXXX".into()),
        };
        Ok(FleetOptions {
            boards: chosen,
            file,
            plan,
            dry_run: args.dry_run,
        })
    }
}

/// The boards of `--inventory` (limited by `--limit`) and of `--boards`,
/// or of boards.toml alone; and how messages name where they came from. A
/// board in both files is an error naming both.
fn load_boards(args: &FleetArgs) -> Result<(Vec<Board>, String), String> {
    let toml = |path: &std::path::Path| boards::load(path, &meter_spec).map_err(|e| e.to_string());
    let Some(path) = &args.inventory else {
        let path = args.boards.clone().unwrap_or_else(|| "boards.toml".into());
        return Ok((toml(&path)?, path.display().to_string()));
    };
    let inv = path.display().to_string();
    let mut all = inventory::load(path, args.limit.as_deref(), &meter_spec)?;
    let Some(extra) = &args.boards else {
        return Ok((all, inv));
    };
    let file = extra.display().to_string();
    for b in toml(extra)? {
        if let Some(same) = all.iter().find(|a| a.slug == b.slug) {
            return Err(format!(
                "board '{}' of {file} is also host '{}' of {}: keep each board in one of them",
                b.name, same.name, inv
            ));
        }
        all.push(b);
    }
    Ok((all, format!("{inv} and {file}")))
}

/// A board's `meter` must be a spec the meter module can read.
fn meter_spec(spec: &str) -> Result<(), String> {
    spec.parse::<MeterSpec>().map(drop)
}

/// A board measured by a meter here must not also be given one on the
/// board, and one meter measures one board: two boards on one meter would
/// each be given the other's power.
fn check_meters(chosen: &[Board], run_args: &[String], file: &str) -> Result<(), String> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for b in chosen {
        let Some(text) = &b.meter else { continue };
        let args: Vec<&String> = b.run_args.iter().chain(run_args).collect();
        if args
            .iter()
            .any(|a| *a == "--meter" || a.starts_with("--meter="))
        {
            return Err(format!(
                "{file}: board '{}' has `meter` (a meter on this machine) and --meter in its run \
                 arguments (one on the board): keep one of them",
                b.name
            ));
        }
        let path = text
            .parse::<MeterSpec>()
            .map(|s| s.path)
            .unwrap_or_default();
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == path) {
            return Err(format!(
                "{file}: boards '{other}' and '{}' both have the meter {path}, which measures one \
                 board: give each board its own meter, or benchmark them one after the other with --only",
                b.name
            ));
        }
        seen.push((&b.name, path));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::options::usage_message;

    const BOARDS: &str = r#"
[[boards]]
name = "VisionFive 2"
host = "vf2.lan"
tags = ["riscv"]

[[boards]]
name = "Pi 4"
host = "pi4.lan"
meter = "pzem004t:/dev/ttyUSB0"
"#;

    /// A boards.toml and a dist folder with its SHA256SUMS.
    fn setup(boards: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("boards.toml"), boards).unwrap();
        std::fs::create_dir(dir.path().join("dist")).unwrap();
        let sum = format!(
            "{}  sbcbench-riscv64gc-unknown-linux-musl\n",
            "0".repeat(64)
        );
        std::fs::write(dir.path().join("dist/SHA256SUMS"), sum).unwrap();
        dir
    }

    fn build(dir: &tempfile::TempDir, extra: &[&str]) -> Result<FleetOptions, Error> {
        let boards = dir.path().join("boards.toml");
        let dist = dir.path().join("dist");
        let mut cli = vec!["sbcbench", "fleet"];
        for (flag, path) in [("--boards", &boards), ("--dist", &dist)] {
            if !extra.contains(&flag) {
                cli.extend([flag, path.to_str().unwrap()]);
            }
        }
        cli.extend(extra);
        match Cli::try_parse_from(cli).unwrap().command {
            Command::Fleet(args) => FleetOptions::from_args(&args),
            _ => unreachable!("not fleet"),
        }
    }

    #[test]
    fn a_bad_value_of_each_flag_is_a_usage_error_naming_it() {
        let dir = setup(BOARDS);
        let missing = dir.path().join("missing");
        let missing = missing.to_str().unwrap();
        for (flag, bad) in [
            (
                "--ssh-option",
                &["--ssh-option", "StrictHostKeyChecking=no"][..],
            ),
            ("--ssh-option", &["--ssh-option", "nokey"]),
            ("boards.toml", &["--boards", missing]),
            ("--only", &["--only", "Pi 5"]),
            ("--tag", &["--tag", "arm"]),
            ("--dist", &["--dist", missing]),
            ("RUN ARGS after --: --board", &["--", "--board", "x"]),
            ("--jobs 1", &["--", "--power", "ask"]),
        ] {
            let m = usage_message(build(&dir, bad));
            assert!(m.contains(flag), "{bad:?}: {m}");
        }
    }

    #[test]
    fn boards_file_errors_name_the_file_and_board() {
        for (boards, what) in [
            (
                "[[boards]]\nname = \"a\"\nhost = \"a\"\nmeter = \"pzem:/dev/x\"\n",
                "unknown meter protocol 'pzem'",
            ),
            (
                "[[boards]]\nname = \"a\"\nhost = \"a\"\nrun_args = [\"--output\", \"x\"]\n",
                "board 'a': run_args: --output is set by sbcbench fleet",
            ),
            (
                "[[boards]]\nname = \"a\"\nhost = \"a\"\nmeter = \"pzem004t:/dev/m\"\n\
                 [[boards]]\nname = \"b\"\nhost = \"b\"\nmeter = \"pzem004t:/dev/m\"\n",
                "boards 'a' and 'b' both have the meter /dev/m",
            ),
        ] {
            let dir = setup(boards);
            let m = usage_message(build(&dir, &[]));
            assert!(m.contains("boards.toml"), "{m}");
            assert!(m.contains(what), "{m}");
        }
        let dir = setup(BOARDS);
        let m = usage_message(build(&dir, &["--only", "Pi 4", "--", "--meter", "x:y"]));
        assert!(m.contains("board 'Pi 4' has `meter`"), "{m}");
    }

    #[test]
    fn the_plan_is_what_was_asked() {
        let dir = setup(BOARDS);
        let o = build(
            &dir,
            &[
                "--tag",
                "riscv",
                "--timeout",
                "60",
                "--jobs",
                "2",
                "--dry-run",
                "--",
                "--quick",
            ],
        )
        .unwrap();
        let names: Vec<&str> = o.boards.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["VisionFive 2"]);
        assert!(o.file.ends_with("boards.toml"));
        assert!(o.dry_run);
        assert_eq!(o.plan.timeout, Duration::from_secs(60));
        assert_eq!(o.plan.jobs, 2);
        assert_eq!(o.plan.run_args, ["--quick"]);
        assert_eq!(o.plan.command, BoardCommand::Run);
        assert_eq!(o.plan.sums.len(), 1);
    }

    #[test]
    fn a_sweep_is_asked_by_flag_or_first_word_and_given_once() {
        let dir = setup(BOARDS);
        for extra in [
            &["--command", "sweep", "--", "-t", "1"][..],
            &["--", "sweep", "-t", "1"],
            &["--command", "sweep", "--", "sweep", "-t", "1"],
        ] {
            let o = build(&dir, extra).unwrap();
            assert_eq!(o.plan.command, BoardCommand::Sweep, "{extra:?}");
            assert_eq!(o.plan.run_args, ["-t", "1"], "{extra:?}");
        }
        let o = build(&dir, &["--", "run", "--quick"]).unwrap();
        assert_eq!(o.plan.command, BoardCommand::Run);
        assert_eq!(o.plan.run_args, ["--quick"]);
        for (bad, want) in [
            (&["--command", "run", "--", "sweep"][..], "disagree"),
            (&["--", "sweep", "sweep"], "given twice"),
            (&["--", "run", "sweep"], "given twice"),
            (&["--", "sweep", "--clock-mhz", "1500"], "not of sweep"),
            (&["--", "sweep", "--board", "x"], "--board is set by"),
        ] {
            let m = usage_message(build(&dir, bad));
            assert!(m.contains(want), "{bad:?}: {m}");
        }
    }
}
