//! The sweep's refusals, checked before anything is written: it changes
//! cpufreq limits, which needs root, and it needs cpufreq policies it can
//! lock. The command exits 2 on [`SweepError::Refused`].

use super::lock::Method;
use super::{policies, Policy, SweepError};
use crate::observe::Os;

/// The effective user id, which decides whether sysfs takes our writes.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, touches no memory of ours
    // and cannot fail.
    unsafe { libc::geteuid() }
}

/// The policies to sweep, or why the sweep cannot run. `euid` is a
/// parameter ([`effective_uid`] in the command) so tests can choose.
pub fn check(os: &dyn Os, euid: u32) -> Result<Vec<Policy>, SweepError> {
    if euid != 0 {
        return Err(SweepError::Refused(
            "sweep locks the CPU clock through cpufreq, which needs root: run it with sudo (every setting is put back afterwards)".to_string(),
        ));
    }
    let all = policies(os);
    if all.is_empty() {
        return Err(SweepError::Refused(
            "sweep needs cpufreq (/sys/devices/system/cpu/cpufreq/policy*), and this machine has none: a VM, or a kernel without CPU_FREQ".to_string(),
        ));
    }
    if let Some(p) = all.iter().find(|p| Method::of(os, p).is_none()) {
        return Err(SweepError::Refused(format!(
            "{}: no scaling_min_freq/scaling_max_freq and no userspace governor, so its clock cannot be locked",
            p.dir
        )));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{copy, snapshot};
    use super::super::pending;
    use super::*;

    #[test]
    fn sweep_refuses_without_root_before_writing() {
        let (dir, os) = copy("rpi4");
        let before = snapshot(dir.path());
        let err = check(&os, 1000).unwrap_err();
        assert!(matches!(err, SweepError::Refused(_)));
        assert!(err.to_string().contains("root"), "{err}");
        assert_eq!(snapshot(dir.path()), before);
        assert!(pending(&os).unwrap().is_none());
    }

    #[test]
    fn sweep_refuses_without_cpufreq() {
        let (dir, os) = copy("vm-nocpufreq");
        let before = snapshot(dir.path());
        let err = check(&os, 0).unwrap_err().to_string();
        assert!(err.contains("needs cpufreq"), "{err}");
        assert_eq!(snapshot(dir.path()), before);
    }

    #[test]
    fn sweep_preflight_passes_as_root_with_cpufreq() {
        let (_d, os) = copy("rk3399");
        assert_eq!(check(&os, 0).unwrap().len(), 2);
    }
}
