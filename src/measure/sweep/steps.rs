//! The clock steps of one cpufreq policy, and `--steps all|N|MHz,MHz…`.
//!
//! Drivers list their operating points in `scaling_available_frequencies`;
//! some only in `stats/time_in_state`; continuous ones (intel_pstate,
//! amd-pstate) have none, so N steps are spread between the minimum and
//! maximum clock.

use std::str::FromStr;

use super::Policy;
use crate::observe::Os;

/// How many steps a continuous range is cut into by `--steps all`.
pub const CONTINUOUS_STEPS: usize = 8;

/// The steps a policy offers, in kHz as cpufreq counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Steps {
    /// Operating points, ascending.
    Discrete(Vec<u64>),
    /// Any clock from `min` to `max` (inclusive).
    Continuous { min: u64, max: u64 },
}

impl Steps {
    /// The policy's steps; `None` when cpufreq says nothing usable.
    pub fn read(os: &dyn Os, policy: &Policy) -> Option<Steps> {
        let listed = os
            .read(&policy.file("scaling_available_frequencies"))
            .map(|s| parse_khz(s.split_whitespace()))
            .filter(|l| !l.is_empty());
        let in_state = || {
            os.read(&policy.file("stats/time_in_state"))
                .map(|s| parse_khz(s.lines().filter_map(|l| l.split_whitespace().next())))
                .filter(|l| !l.is_empty())
        };
        if let Some(list) = listed.or_else(in_state) {
            return Some(Steps::Discrete(list));
        }
        let min = os.read_u64(&policy.file("cpuinfo_min_freq"))?;
        let max = os.read_u64(&policy.file("cpuinfo_max_freq"))?;
        (min <= max && max > 0).then_some(Steps::Continuous { min, max })
    }

    /// The steps `selection` picks, ascending, in kHz.
    pub fn select(&self, selection: &Selection) -> Result<Vec<u64>, String> {
        match (self, selection) {
            (Steps::Discrete(list), Selection::All) => Ok(list.clone()),
            (Steps::Discrete(list), Selection::Count(n)) => Ok(spread_indices(list, *n)),
            (Steps::Continuous { min, max }, Selection::All) => {
                Ok(spread_range(*min, *max, CONTINUOUS_STEPS))
            }
            (Steps::Continuous { min, max }, Selection::Count(n)) => {
                Ok(spread_range(*min, *max, *n))
            }
            (_, Selection::Mhz(mhz)) => {
                let mut out = mhz
                    .iter()
                    .map(|&m| self.step_at(m))
                    .collect::<Result<Vec<u64>, String>>()?;
                out.sort_unstable();
                out.dedup();
                Ok(out)
            }
        }
    }

    /// The step `mhz` names: an operating point that rounds to it, or any
    /// clock of a continuous range.
    fn step_at(&self, mhz: u64) -> Result<u64, String> {
        let khz = mhz * 1000;
        match self {
            Steps::Discrete(list) => list
                .iter()
                .copied()
                .find(|&k| (k + 500) / 1000 == mhz)
                .ok_or_else(|| {
                    let names: Vec<String> = list
                        .iter()
                        .map(|k| ((k + 500) / 1000).to_string())
                        .collect();
                    format!(
                        "{mhz} MHz is not a step of this core class; its steps are {} MHz",
                        names.join(", ")
                    )
                }),
            Steps::Continuous { min, max } if (*min..=*max).contains(&khz) => Ok(khz),
            Steps::Continuous { min, max } => Err(format!(
                "{mhz} MHz is outside this core class's range, {}–{} MHz",
                min / 1000,
                max / 1000
            )),
        }
    }
}

/// The largest count `--steps N` takes: a bare number above it is
/// surely a clock without its unit.
const MAX_COUNT: usize = 64;

/// `--steps`: every step, N of them spread evenly, or these clocks in MHz.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    Count(usize),
    Mhz(Vec<u64>),
}

impl FromStr for Selection {
    type Err = String;

    /// `all`, a count `N`, or MHz: a comma list, or one clock with its
    /// unit (`1500MHz`; a bare `1500` would be a count).
    fn from_str(s: &str) -> Result<Selection, String> {
        let s = s.trim();
        if s == "all" {
            return Ok(Selection::All);
        }
        let bad =
            || format!("--steps {s}: expected all, a count such as 4, or MHz such as 600,1500");
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() == 1 && !s.ends_with("MHz") {
            let n: usize = s.parse().map_err(|_| bad())?;
            return match n {
                0 => Err(format!("--steps {s}: at least one step")),
                n if n > MAX_COUNT => Err(format!(
                    "--steps {s}: at most {MAX_COUNT} steps; for one clock write {s}MHz"
                )),
                n => Ok(Selection::Count(n)),
            };
        }
        parts
            .iter()
            .map(|p| {
                p.trim_end_matches("MHz")
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&m| m > 0)
            })
            .collect::<Option<Vec<u64>>>()
            .map(Selection::Mhz)
            .ok_or_else(bad)
    }
}

fn parse_khz<'a>(words: impl Iterator<Item = &'a str>) -> Vec<u64> {
    let mut out: Vec<u64> = words.filter_map(|w| w.parse().ok()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `n` of the steps, spread evenly from the lowest to the highest (the
/// highest alone for 1).
fn spread_indices(list: &[u64], n: usize) -> Vec<u64> {
    if n >= list.len() {
        return list.to_vec();
    }
    if n <= 1 {
        return list.last().copied().into_iter().collect();
    }
    let last = list.len() - 1;
    let mut out: Vec<u64> = (0..n)
        .map(|i| list[(i * last + (n - 1) / 2) / (n - 1)])
        .collect();
    out.dedup();
    out
}

/// `n` clocks from `min` to `max`, whole MHz.
fn spread_range(min: u64, max: u64, n: usize) -> Vec<u64> {
    if n <= 1 || min == max {
        return vec![max];
    }
    let span = max - min;
    let mut out: Vec<u64> = (0..n as u64)
        .map(|i| {
            let khz = min + span * i / (n as u64 - 1);
            ((khz + 500) / 1000 * 1000).clamp(min, max)
        })
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, policies};
    use super::*;
    use crate::observe::os::testing::tree;
    use crate::observe::RecordedOs;

    fn mhz(khz: &[u64]) -> Vec<u64> {
        khz.iter().map(|k| k / 1000).collect()
    }

    #[test]
    fn sweep_steps_of_a_raspberry_pi_4() {
        let (_d, os) = fixtures::copy("rpi4");
        let policy = &policies(&os)[0];
        let steps = Steps::read(&os, policy).unwrap();
        let all = steps.select(&Selection::All).unwrap();
        assert_eq!(all, vec![600000, 750000, 1000000, 1250000, 1500000]);
        assert_eq!(
            mhz(&steps.select(&Selection::Count(3)).unwrap()),
            vec![600, 1000, 1500]
        );
        assert_eq!(
            mhz(&steps.select(&Selection::Count(2)).unwrap()),
            vec![600, 1500]
        );
        assert_eq!(
            mhz(&steps.select(&Selection::Count(1)).unwrap()),
            vec![1500]
        );
        assert_eq!(steps.select(&Selection::Count(9)).unwrap(), all);
        let picked = steps.select(&"1500,600".parse().unwrap()).unwrap();
        assert_eq!(picked, vec![600000, 1500000]);
        let err = steps.select(&"600,800".parse().unwrap()).unwrap_err();
        assert!(err.contains("800 MHz"), "{err}");
        assert!(err.contains("600, 750, 1000, 1250, 1500 MHz"), "{err}");
    }

    #[test]
    fn sweep_steps_of_each_rk3399_class() {
        let (_d, os) = fixtures::copy("rk3399");
        let p = policies(&os);
        let little = Steps::read(&os, &p[0])
            .unwrap()
            .select(&Selection::All)
            .unwrap();
        assert_eq!(mhz(&little), vec![408, 600, 816, 1008, 1200, 1416]);
        let big = Steps::read(&os, &p[1])
            .unwrap()
            .select(&Selection::All)
            .unwrap();
        assert_eq!(mhz(&big), vec![408, 600, 816, 1008, 1200, 1416, 1608, 1800]);
        let big4 = Steps::read(&os, &p[1]).unwrap();
        assert_eq!(
            mhz(&big4.select(&Selection::Count(4)).unwrap()),
            vec![408, 816, 1416, 1800]
        );
        assert!(big4.select(&Selection::Mhz(vec![1800])).is_ok());
        assert!(Steps::read(&os, &p[0])
            .unwrap()
            .select(&Selection::Mhz(vec![1800]))
            .is_err());
    }

    #[test]
    fn sweep_steps_of_a_continuous_intel_pstate_range() {
        let (_d, os) = fixtures::copy("x86-pc");
        let steps = Steps::read(&os, &policies(&os)[0]).unwrap();
        assert_eq!(
            steps,
            Steps::Continuous {
                min: 800000,
                max: 5000000
            }
        );
        assert_eq!(
            mhz(&steps.select(&Selection::All).unwrap()),
            vec![800, 1400, 2000, 2600, 3200, 3800, 4400, 5000]
        );
        assert_eq!(
            mhz(&steps.select(&Selection::Count(3)).unwrap()),
            vec![800, 2900, 5000]
        );
        assert_eq!(
            steps.select(&"1234MHz".parse().unwrap()).unwrap(),
            vec![1234000]
        );
        let err = steps.select(&"600,1000".parse().unwrap()).unwrap_err();
        assert!(err.contains("800–5000 MHz"), "{err}");
    }

    #[test]
    fn sweep_steps_fall_back_to_time_in_state() {
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = tree(&[
            (&format!("{p}/related_cpus"), "0\n"),
            (
                &format!("{p}/stats/time_in_state"),
                "200000 10\n400000 20\n700000 5\n",
            ),
            (&format!("{p}/cpuinfo_min_freq"), "200000\n"),
            (&format!("{p}/cpuinfo_max_freq"), "700000\n"),
        ]);
        let os = RecordedOs::new(dir.path());
        let steps = Steps::read(&os, &policies(&os)[0]).unwrap();
        assert_eq!(steps, Steps::Discrete(vec![200000, 400000, 700000]));
    }

    #[test]
    fn sweep_steps_flag_parses_and_refuses() {
        assert_eq!("all".parse(), Ok(Selection::All));
        assert_eq!("4".parse(), Ok(Selection::Count(4)));
        assert_eq!("600, 1500".parse(), Ok(Selection::Mhz(vec![600, 1500])));
        assert_eq!("1500MHz".parse(), Ok(Selection::Mhz(vec![1500])));
        assert!("0".parse::<Selection>().is_err());
        let clock = "1500".parse::<Selection>().unwrap_err();
        assert!(clock.contains("1500MHz"), "{clock}");
        assert!("fast".parse::<Selection>().is_err());
        assert!("600,x".parse::<Selection>().is_err());
    }
}
