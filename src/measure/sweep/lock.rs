//! Locking a policy's clock to one step, in an order of writes the
//! kernel accepts: `scaling_min_freq` may never exceed `scaling_max_freq`,
//! and older kernels refuse a write that would make it so.

use super::{Policy, SweepError};
use crate::observe::Os;

/// How a policy's clock is held at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `scaling_min_freq` = `scaling_max_freq` = the step: works under any
    /// governor, and leaves the governor alone.
    MinMax,
    /// The `userspace` governor and `scaling_setspeed`, for a driver that
    /// offers no min/max limits.
    Userspace,
}

impl Method {
    /// How `policy` can be locked; `None` when it cannot.
    pub fn of(os: &dyn Os, policy: &Policy) -> Option<Method> {
        let has = |name: &str| os.read(&policy.file(name)).is_some();
        if has("scaling_min_freq") && has("scaling_max_freq") {
            return Some(Method::MinMax);
        }
        let governors = os
            .read(&policy.file("scaling_available_governors"))
            .unwrap_or_default();
        (has("scaling_setspeed") && governors.split_whitespace().any(|g| g == "userspace"))
            .then_some(Method::Userspace)
    }
}

/// Writes one file of a policy.
pub(crate) fn write(
    os: &dyn Os,
    policy: &Policy,
    name: &str,
    value: &str,
) -> Result<(), SweepError> {
    let path = policy.file(name);
    os.write(&path, value).map_err(|source| SweepError::Write {
        path,
        value: value.to_string(),
        source,
    })
}

/// Sets the policy's limits to `min`..=`max` (kHz) from whatever they are:
/// when the new minimum is above the present maximum, the maximum goes
/// first (raising); otherwise the minimum does (lowering, or within).
pub(crate) fn set_range(
    os: &dyn Os,
    policy: &Policy,
    min: u64,
    max: u64,
) -> Result<(), SweepError> {
    let present_max = os
        .read_u64(&policy.file("scaling_max_freq"))
        .unwrap_or(u64::MAX);
    let min_first = min <= present_max;
    let writes = [("scaling_min_freq", min), ("scaling_max_freq", max)];
    let ordered = if min_first {
        [writes[0], writes[1]]
    } else {
        [writes[1], writes[0]]
    };
    for (name, khz) in ordered {
        if os.read_u64(&policy.file(name)) != Some(khz) {
            write(os, policy, name, &khz.to_string())?;
        }
    }
    Ok(())
}

/// Holds `policy` at `khz`. The caller has journaled the policy first
/// ([`super::Guard::lock`] does both).
pub(crate) fn lock(
    os: &dyn Os,
    policy: &Policy,
    method: Method,
    khz: u64,
) -> Result<(), SweepError> {
    match method {
        Method::MinMax => set_range(os, policy, khz, khz),
        Method::Userspace => {
            if os.read(&policy.file("scaling_governor")).as_deref() != Some("userspace") {
                write(os, policy, "scaling_governor", "userspace")?;
            }
            write(os, policy, "scaling_setspeed", &khz.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, policies};
    use super::*;
    use crate::observe::os::testing::{tree, Scripted};
    use crate::observe::RecordedOs;

    /// Replays the logged writes and checks min ≤ max after each one.
    fn never_inverted(os: &Scripted, policy: &Policy, mut min: u64, mut max: u64) {
        for (path, value) in os.writes() {
            let khz: u64 = value.parse().unwrap();
            if path == policy.file("scaling_min_freq") {
                min = khz;
            } else if path == policy.file("scaling_max_freq") {
                max = khz;
            }
            assert!(min <= max, "{path} = {value} made min {min} > max {max}");
        }
    }

    #[test]
    fn sweep_lock_pi4_reads_back_and_orders_writes() {
        let (d, _) = fixtures::copy("rpi4");
        let os = Scripted::new(RecordedOs::new(d.path()));
        let p = &policies(&os)[0];
        assert_eq!(Method::of(&os, p), Some(Method::MinMax));
        for khz in [1000000, 1500000, 600000, 1250000] {
            lock(&os, p, Method::MinMax, khz).unwrap();
            assert_eq!(os.read_u64(&p.file("scaling_min_freq")), Some(khz));
            assert_eq!(os.read_u64(&p.file("scaling_max_freq")), Some(khz));
        }
        never_inverted(&os, p, 600000, 1500000);
        assert_eq!(
            os.read(&p.file("scaling_governor")).as_deref(),
            Some("ondemand")
        );
        // Raising from 600 to 1250 wrote the maximum first.
        let writes = os.writes();
        let last: Vec<&str> = writes[writes.len() - 2..]
            .iter()
            .map(|(p, _)| p.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(last, vec!["scaling_max_freq", "scaling_min_freq"]);
    }

    #[test]
    fn sweep_lock_userspace_where_there_are_no_limits() {
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = tree(&[
            (&format!("{p}/related_cpus"), "0 1\n"),
            (&format!("{p}/scaling_governor"), "ondemand\n"),
            (
                &format!("{p}/scaling_available_governors"),
                "ondemand userspace performance\n",
            ),
            (&format!("{p}/scaling_setspeed"), "<unsupported>\n"),
        ]);
        let os = RecordedOs::new(dir.path());
        let policy = &policies(&os)[0];
        assert_eq!(Method::of(&os, policy), Some(Method::Userspace));
        lock(&os, policy, Method::Userspace, 700000).unwrap();
        assert_eq!(
            os.read(&policy.file("scaling_governor")).as_deref(),
            Some("userspace")
        );
        assert_eq!(os.read_u64(&policy.file("scaling_setspeed")), Some(700000));
    }
}
