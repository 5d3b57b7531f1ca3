//! `sbcbench meter`: which meter, how many readings, how often.

use std::time::Duration;

use crate::cli::MeterArgs;
use crate::power::meter::MeterSpec;

pub struct MeterOptions {
    pub spec: MeterSpec,
    /// `None`: until Ctrl-C.
    pub count: Option<u64>,
    pub interval: Duration,
}

impl MeterOptions {
    /// Every value was checked as it was parsed (the spec's protocol and
    /// keys, the interval); the port is checked by opening it, which
    /// `sbcbench meter` does first, a wrong one being a usage error.
    pub fn from_args(args: &MeterArgs) -> MeterOptions {
        MeterOptions {
            spec: args.spec.clone(),
            count: args.count,
            interval: Duration::from_secs_f64(args.interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(extra: &[&str]) -> Result<MeterOptions, clap::Error> {
        let cli = Cli::try_parse_from(["sbcbench", "meter"].iter().chain(extra))?;
        match cli.command {
            Command::Meter(args) => Ok(MeterOptions::from_args(&args)),
            _ => unreachable!("not meter"),
        }
    }

    #[test]
    fn values_are_typed() {
        let o = parse(&["um25c:/dev/rfcomm0", "--count", "3", "--interval", "0.25"]).unwrap();
        assert_eq!(o.spec.path, "/dev/rfcomm0");
        assert_eq!(o.count, Some(3));
        assert_eq!(o.interval, Duration::from_millis(250));
        let o = parse(&["um25c:/dev/rfcomm0"]).unwrap();
        assert_eq!((o.count, o.interval), (None, Duration::from_secs(1)));
    }

    #[test]
    fn a_bad_value_of_each_flag_is_a_usage_error_naming_it() {
        for (flag, bad) in [
            ("SPEC", &["pzem:/dev/ttyUSB0"][..]),
            ("--count", &["um25c:/dev/x", "--count", "many"]),
            ("--interval", &["um25c:/dev/x", "--interval", "0"]),
            ("--interval", &["um25c:/dev/x", "--interval", "nan"]),
        ] {
            let Err(e) = parse(bad) else {
                panic!("{bad:?} accepted")
            };
            assert_eq!(e.exit_code(), 2, "{bad:?}");
            assert!(e.to_string().contains(flag), "{bad:?}: {e}");
        }
    }
}
