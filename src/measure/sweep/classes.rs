//! Which core classes a sweep visits, at which steps: `--classes` (an
//! index as `sbcbench info` lists them, or a core name) and `--steps`
//! resolved against the machine before anything is written.

use super::steps::{Selection, Steps};
use super::{policies_of, Policy};
use crate::observe::{Cluster, Os, Topology};

/// One core class to sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPlan {
    /// The class's `cluster` index, as rows carry it.
    pub cluster: usize,
    pub core_name: String,
    pub cpus: Vec<usize>,
    /// The policies that clock the class: locked together.
    pub policies: Vec<Policy>,
    /// The steps to measure, ascending, in kHz.
    pub steps_khz: Vec<u64>,
}

impl ClassPlan {
    /// `Cortex-A72 (cpu 0-3)`: how messages name the class.
    pub fn label(&self) -> String {
        label(&self.core_name, &self.cpus)
    }
}

fn label(core_name: &str, cpus: &[usize]) -> String {
    format!("{core_name} (cpu {})", crate::measure::plan::cpu_list(cpus))
}

/// The classes `wanted` names (all when empty), each with its steps.
/// Errors name the flag and what the machine offers instead.
pub fn plan_classes(
    os: &dyn Os,
    topo: &Topology,
    wanted: &[String],
    selection: &Selection,
) -> Result<Vec<ClassPlan>, String> {
    let mut chosen: Vec<&Cluster> = Vec::new();
    for word in wanted {
        let found = find(topo, word)?;
        for c in found {
            if !chosen.iter().any(|k| k.index == c.index) {
                chosen.push(c);
            }
        }
    }
    if wanted.is_empty() {
        chosen = topo.clusters.iter().collect();
    }
    chosen.sort_by_key(|c| c.index);
    chosen
        .into_iter()
        .map(|class| {
            let label = label(&class.core_name, &class.cpus);
            let policies = policies_of(os, &class.cpus);
            let first = policies
                .first()
                .ok_or_else(|| format!("{label}: no cpufreq policy clocks these CPUs"))?;
            let steps = Steps::read(os, first).ok_or_else(|| {
                format!(
                    "{label}: {} lists no frequencies and no cpuinfo_min_freq/cpuinfo_max_freq",
                    first.dir
                )
            })?;
            let steps_khz = steps
                .select(selection)
                .map_err(|e| format!("--steps: {label}: {e}"))?;
            Ok(ClassPlan {
                cluster: class.index,
                core_name: class.core_name.clone(),
                cpus: class.cpus.clone(),
                policies,
                steps_khz,
            })
        })
        .collect()
}

/// The classes one `--classes` word names: an index, or every class whose
/// core name matches loosely (`a72`, `Cortex-A72`, `cortex_a72`).
fn find<'a>(topo: &'a Topology, word: &str) -> Result<Vec<&'a Cluster>, String> {
    let found: Vec<&Cluster> = match word.trim().parse::<usize>() {
        Ok(i) => topo.clusters.iter().filter(|c| c.index == i).collect(),
        Err(_) => {
            let key = loose(word);
            topo.clusters
                .iter()
                .filter(|c| !key.is_empty() && loose(&c.core_name).ends_with(&key))
                .collect()
        }
    };
    if found.is_empty() {
        let offered: Vec<String> = topo
            .clusters
            .iter()
            .map(|c| format!("{}: {}", c.index, label(&c.core_name, &c.cpus)))
            .collect();
        return Err(format!(
            "--classes {word}: no such core class; this machine has {}",
            offered.join(", ")
        ));
    }
    Ok(found)
}

/// Lower case, letters and digits only, `cortex` dropped.
fn loose(name: &str) -> String {
    let flat: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    flat.strip_prefix("cortex").unwrap_or(&flat).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn sweep_plans_the_five_steps_of_a_pi_4() {
        let (_d, os) = fixtures::copy("rpi4");
        let topo = Topology::read(&os);
        let plan = plan_classes(&os, &topo, &[], &Selection::All).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(
            plan[0].steps_khz,
            vec![600000, 750000, 1000000, 1250000, 1500000]
        );
        assert_eq!(plan[0].cpus, vec![0, 1, 2, 3]);
        assert_eq!(plan[0].label(), "Cortex-A72 (cpu 0-3)");
    }

    #[test]
    fn sweep_plans_each_class_of_an_rk3399_by_index_or_name() {
        let (_d, os) = fixtures::copy("rk3399");
        let topo = Topology::read(&os);
        let all = plan_classes(&os, &topo, &[], &Selection::Count(2)).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].cpus, vec![4, 5]);
        assert_eq!(all[1].policies.len(), 1);
        assert_eq!(all[0].steps_khz.len(), 2);
        let big = plan_classes(&os, &topo, &["a72".into()], &Selection::All).unwrap();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].cluster, 1);
        let by_index = plan_classes(&os, &topo, &["1".into()], &Selection::All).unwrap();
        assert_eq!(by_index, big);
        let err = plan_classes(&os, &topo, &["a76".into()], &Selection::All).unwrap_err();
        assert!(
            err.ends_with("has 0: Cortex-A53 (cpu 0-3), 1: Cortex-A72 (cpu 4-5)"),
            "{err}"
        );
        let err = plan_classes(&os, &topo, &[], &Selection::Mhz(vec![1234])).unwrap_err();
        assert!(err.starts_with("--steps: Cortex-A53"), "{err}");
    }

    #[test]
    fn sweep_plans_a_continuous_intel_range_over_every_policy() {
        let (_d, os) = fixtures::copy("x86-pc");
        let topo = Topology::read(&os);
        let plan = plan_classes(&os, &topo, &[], &Selection::Count(3)).unwrap();
        let cpus: usize = plan.iter().map(|c| c.cpus.len()).sum();
        assert_eq!(cpus, 12);
        for class in &plan {
            assert_eq!(class.policies.len(), class.cpus.len());
            assert_eq!(class.steps_khz, vec![800000, 2900000, 5000000]);
        }
    }
}
