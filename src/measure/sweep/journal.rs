//! The journal: the cpufreq state of every policy the sweep may touch,
//! saved before its first write, so that every lock is undone — by the
//! [`Guard`] on success, error, panic and Ctrl-C/SIGTERM, and by the next
//! sweep ([`pending`]) after a kill, a second signal or a power cut.
//!
//! The file is `/var/lib/sbcbench/cpufreq-journal.toml` (inside the tree
//! under `--sysroot`). Root's, not `$XDG_STATE_HOME`: only root sweeps, and
//! `sudo` keeps or drops the user's environment depending on the system,
//! so a per-user path could be missed by the next run.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::lock::{self, Method};
use super::{Policy, SweepError};
use crate::observe::Os;

/// Where the journal lives on the machine.
pub const JOURNAL: &str = "/var/lib/sbcbench/cpufreq-journal.toml";

/// The state to put back, one entry per policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// The sweep that wrote it, to tell a killed run from a running one.
    pub pid: u32,
    #[serde(rename = "policy")]
    pub policies: Vec<Saved>,
}

/// One policy's settings as they were; `None` where the file was absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub dir: String,
    pub governor: Option<String>,
    pub min_khz: Option<u64>,
    pub max_khz: Option<u64>,
    /// Only under the `userspace` governor, where it is the clock.
    pub setspeed_khz: Option<u64>,
}

impl Saved {
    fn read(os: &dyn Os, policy: &Policy) -> Saved {
        let governor = os.read(&policy.file("scaling_governor"));
        let setspeed_khz = match governor.as_deref() {
            Some("userspace") => os.read_u64(&policy.file("scaling_setspeed")),
            _ => None,
        };
        Saved {
            dir: policy.dir.clone(),
            governor,
            min_khz: os.read_u64(&policy.file("scaling_min_freq")),
            max_khz: os.read_u64(&policy.file("scaling_max_freq")),
            setspeed_khz,
        }
    }

    /// Puts the policy back: limits first (in an order that never has
    /// min > max), then the governor, then its `userspace` clock. Only
    /// files that differ are written.
    fn restore(&self, os: &dyn Os) -> Result<(), SweepError> {
        let policy = Policy {
            dir: self.dir.clone(),
            cpus: Vec::new(),
        };
        if let (Some(min), Some(max)) = (self.min_khz, self.max_khz) {
            lock::set_range(os, &policy, min, max)?;
        }
        for (name, value) in [
            ("scaling_governor", self.governor.clone()),
            ("scaling_setspeed", self.setspeed_khz.map(|k| k.to_string())),
        ] {
            if let Some(value) = value {
                if os.read(&policy.file(name)).as_deref() != Some(value.as_str()) {
                    lock::write(os, &policy, name, &value)?;
                }
            }
        }
        Ok(())
    }
}

impl Journal {
    /// The present state of `policies`.
    pub fn read(os: &dyn Os, policies: &[Policy]) -> Journal {
        Journal {
            pid: std::process::id(),
            policies: policies.iter().map(|p| Saved::read(os, p)).collect(),
        }
    }

    /// Writes the journal atomically (a temporary file renamed over it),
    /// so a kill mid-write leaves the old file or the new one, never half.
    pub fn save(&self, os: &dyn Os) -> Result<(), SweepError> {
        let path = journal_path(os);
        let fail = |e: &dyn std::fmt::Display| journal_error(os, e.to_string());
        let text = toml::to_string(self).map_err(|e| fail(&e))?;
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        std::fs::create_dir_all(&dir).map_err(|e| fail(&e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| fail(&e))?;
        tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
        tmp.as_file().sync_all().map_err(|e| fail(&e))?;
        tmp.persist(&path).map_err(|e| fail(&e.error))?;
        Ok(())
    }

    /// Restores every policy, going on past failures, and removes the
    /// journal once all of them are back.
    pub fn restore(&self, os: &dyn Os) -> Result<(), SweepError> {
        let failures: Vec<String> = self
            .policies
            .iter()
            .filter_map(|saved| saved.restore(os).err().map(|e| e.to_string()))
            .collect();
        if !failures.is_empty() {
            return Err(SweepError::Restore {
                failures,
                journal: journal_path(os).display().to_string(),
            });
        }
        match std::fs::remove_file(journal_path(os)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(journal_error(os, format!("restored, but not removed: {e}")))
            }
            _ => Ok(()),
        }
    }

    /// Whether the sweep that wrote it still runs (then its journal is no
    /// leftover, and a second sweep must not start).
    /// The release binaries keep their names (`sbcbench-aarch64-…`),
    /// which `comm` cuts to 15 bytes: the name starts with `sbcbench`.
    pub fn running_elsewhere(&self, os: &dyn Os) -> bool {
        self.pid != std::process::id()
            && os
                .read(&format!("/proc/{}/comm", self.pid))
                .is_some_and(|comm| comm.starts_with("sbcbench"))
    }
}

/// A journal left by a sweep that did not restore (killed, a second
/// Ctrl-C, a power cut): the next sweep restores it first and says so.
/// An unreadable journal is an error, never ignored: it holds the only
/// record of the settings.
pub fn pending(os: &dyn Os) -> Result<Option<Journal>, SweepError> {
    let text = match std::fs::read_to_string(journal_path(os)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(journal_error(os, e.to_string())),
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        journal_error(
            os,
            format!("unreadable ({e}); check cpufreq by hand, then remove it"),
        )
    })
}

/// What a sweep does first: puts back the settings a killed sweep left
/// and returns the sentence that says so (`None` when there was nothing).
/// Refuses while the sweep that wrote the journal still runs.
pub fn restore_pending(os: &dyn Os) -> Result<Option<String>, SweepError> {
    let Some(journal) = pending(os)? else {
        return Ok(None);
    };
    if journal.running_elsewhere(os) {
        return Err(SweepError::Refused(format!(
            "another sweep (pid {}) is running and holds the CPU clocks; wait for it to finish",
            journal.pid
        )));
    }
    journal.restore(os)?;
    let dirs: Vec<&str> = journal
        .policies
        .iter()
        .map(|p| p.dir.rsplit('/').next().unwrap_or(&p.dir))
        .collect();
    Ok(Some(format!(
        "an earlier sweep (pid {}) did not finish; its cpufreq settings are restored ({})",
        journal.pid,
        dirs.join(", ")
    )))
}

fn journal_path(os: &dyn Os) -> PathBuf {
    os.device_node(JOURNAL)
}

fn journal_error(os: &dyn Os, message: String) -> SweepError {
    SweepError::Journal {
        path: journal_path(os).display().to_string(),
        message,
    }
}

/// The sweep's hold on cpufreq: journals the policies before the first
/// write and restores them when dropped, however the sweep ends.
///
/// Ctrl-C and SIGTERM set `interrupt::STOP`; the sweep loop checks it
/// between steps and returns an error, and the guard drops on the way
/// out like on any error (so does a panic, which unwinds). A second
/// signal exits at once without unwinding, and SIGKILL cannot be caught:
/// then the journal stays, and [`pending`] finds it on the next run.
pub struct Guard<'a> {
    os: &'a dyn Os,
    journal: Journal,
    methods: Vec<(Policy, Method)>,
    done: bool,
}

impl<'a> Guard<'a> {
    /// Saves the journal of `policies`, before anything is written.
    /// Refuses while another journal is pending: overwriting it would lose
    /// the settings it holds.
    pub fn begin(os: &'a dyn Os, policies: &[Policy]) -> Result<Guard<'a>, SweepError> {
        if let Some(journal) = pending(os)? {
            let whose = match journal.running_elsewhere(os) {
                true => format!("sweep {} is running", journal.pid),
                false => {
                    "a journal of an earlier sweep is still there; restore it first".to_string()
                }
            };
            return Err(journal_error(os, whose));
        }
        let methods = policies
            .iter()
            .map(|p| match Method::of(os, p) {
                Some(m) => Ok((p.clone(), m)),
                None => Err(SweepError::Refused(format!(
                    "{}: neither scaling_min_freq/scaling_max_freq nor the userspace governor; its clock cannot be locked",
                    p.dir
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let journal = Journal::read(os, policies);
        journal.save(os)?;
        Ok(Guard {
            os,
            journal,
            methods,
            done: false,
        })
    }

    /// Holds `policy` (one journaled by [`Guard::begin`]) at `khz`.
    pub fn lock(&self, policy: &Policy, khz: u64) -> Result<(), SweepError> {
        let Some((p, method)) = self.methods.iter().find(|(p, _)| p.dir == policy.dir) else {
            return Err(journal_error(
                self.os,
                format!("{} is not in the journal", policy.dir),
            ));
        };
        lock::lock(self.os, p, *method, khz)
    }

    /// Restores everything now and says whether it worked; dropping the
    /// guard does the same but can only print a failure.
    pub fn restore(mut self) -> Result<(), SweepError> {
        self.done = true;
        self.journal.restore(self.os)
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Err(e) = self.journal.restore(self.os) {
            eprintln!("{} {e}", crate::term::warning_prefix());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{copy, snapshot};
    use super::super::policies;
    use super::*;
    use crate::observe::os::testing::Scripted;
    use crate::observe::RecordedOs;

    #[test]
    fn sweep_restore_after_locks_puts_back_every_byte() {
        for (tree, steps) in [
            ("rpi4", vec![1500000, 600000, 1000000]),
            ("rk3399", vec![408000, 1416000, 816000]),
            ("x86-pc", vec![2000000, 5000000, 800000]),
        ] {
            let (dir, os) = copy(tree);
            let before = snapshot(dir.path());
            let all = policies(&os);
            let guard = Guard::begin(&os, &all).unwrap();
            assert!(dir.path().join(JOURNAL.trim_start_matches('/')).is_file());
            for &khz in &steps {
                for p in &all {
                    guard.lock(p, khz).unwrap();
                    assert_eq!(
                        os.read_u64(&p.file("scaling_min_freq")),
                        Some(khz),
                        "{tree}"
                    );
                    assert_eq!(
                        os.read_u64(&p.file("scaling_max_freq")),
                        Some(khz),
                        "{tree}"
                    );
                }
            }
            assert_ne!(snapshot(dir.path()), before);
            guard.restore().unwrap();
            assert_eq!(snapshot(dir.path()), before, "{tree}");
        }
    }

    #[test]
    fn sweep_guard_restores_when_dropped_on_an_error() {
        let (dir, os) = copy("rk3399");
        let before = snapshot(dir.path());
        let run = || -> Result<(), SweepError> {
            let guard = Guard::begin(&os, &policies(&os))?;
            guard.lock(&policies(&os)[1], 600000)?;
            Err(SweepError::Refused("a step's clock did not match".into()))
        };
        assert!(run().is_err());
        assert_eq!(snapshot(dir.path()), before);
    }

    #[test]
    fn sweep_journal_of_a_killed_run_is_found_and_restored() {
        let (dir, os) = copy("rpi4");
        let before = snapshot(dir.path());
        let policy = &policies(&os)[0];
        let guard = Guard::begin(&os, &policies(&os)).unwrap();
        guard.lock(policy, 1250000).unwrap();
        // Killed: no Drop, no restore.
        std::mem::forget(guard);
        assert_eq!(os.read_u64(&policy.file("scaling_min_freq")), Some(1250000));

        // The next run, through a fresh Os on the same tree.
        let next = RecordedOs::new(dir.path());
        let said = restore_pending(&next).unwrap().unwrap();
        assert!(said.contains("did not finish"), "{said}");
        assert!(said.contains("(policy0)"), "{said}");
        assert_eq!(snapshot(dir.path()), before);
        assert_eq!(restore_pending(&next).unwrap(), None);

        // The same, step by step.
        let guard = Guard::begin(&next, &policies(&next)).unwrap();
        guard.lock(policy, 1250000).unwrap();
        std::mem::forget(guard);
        let journal = pending(&next).unwrap().unwrap();
        assert_eq!(journal.policies[0].governor.as_deref(), Some("ondemand"));
        assert_eq!(journal.policies[0].min_khz, Some(600000));
        assert_eq!(journal.policies[0].max_khz, Some(1500000));
        assert!(!journal.running_elsewhere(&next));
        // A new sweep may not start over it.
        assert!(Guard::begin(&next, &policies(&next)).is_err());
        journal.restore(&next).unwrap();
        assert_eq!(snapshot(dir.path()), before);
        assert!(pending(&next).unwrap().is_none());
    }

    #[test]
    fn sweep_refuses_while_the_journals_sweep_still_runs() {
        let (dir, os) = copy("rpi4");
        let guard = Guard::begin(&os, &policies(&os)).unwrap();
        guard.lock(&policies(&os)[0], 1000000).unwrap();
        let journal = pending(&os).unwrap().unwrap();
        let other = Journal {
            pid: journal.pid + 1,
            ..journal
        };
        std::mem::forget(guard);
        other.save(&os).unwrap();
        // The journal's process, as /proc shows it in the recorded tree.
        let comm = dir.path().join(format!("proc/{}/comm", other.pid));
        std::fs::create_dir_all(comm.parent().unwrap()).unwrap();
        // A release binary under its own name, as comm cuts it.
        std::fs::write(&comm, "sbcbench-aarch6\n").unwrap();
        let err = restore_pending(&os).unwrap_err().to_string();
        assert!(err.contains("is running"), "{err}");
        assert_eq!(
            os.read_u64(&policies(&os)[0].file("scaling_max_freq")),
            Some(1000000)
        );
        // Another program has the pid now: the sweep is gone.
        std::fs::write(&comm, "bash\n").unwrap();
        assert!(restore_pending(&os).unwrap().is_some());
        assert_eq!(
            os.read_u64(&policies(&os)[0].file("scaling_max_freq")),
            Some(1500000)
        );
    }

    #[test]
    fn sweep_failed_restore_keeps_the_journal() {
        let (dir, os) = copy("rpi4");
        let policy = &policies(&os)[0];
        let guard = Guard::begin(&os, &policies(&os)).unwrap();
        guard.lock(policy, 750000).unwrap();
        std::mem::forget(guard);
        let refusing = Scripted::new(RecordedOs::new(dir.path()))
            .refuses_writes(&policy.file("scaling_max_freq"));
        let journal = pending(&refusing).unwrap().unwrap();
        let err = journal.restore(&refusing).unwrap_err().to_string();
        assert!(err.contains("scaling_max_freq"), "{err}");
        assert!(err.contains("the next sweep restores it"), "{err}");
        assert!(pending(&os).unwrap().is_some());
        journal.restore(&os).unwrap();
        assert!(pending(&os).unwrap().is_none());
    }

    #[test]
    fn sweep_userspace_lock_restores_the_governor() {
        use crate::observe::os::testing::tree;
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = tree(&[
            (&format!("{p}/related_cpus"), "0 1\n"),
            (&format!("{p}/scaling_governor"), "ondemand\n"),
            (
                &format!("{p}/scaling_available_governors"),
                "ondemand userspace\n",
            ),
            (&format!("{p}/scaling_setspeed"), "<unsupported>\n"),
        ]);
        let os = RecordedOs::new(dir.path());
        let governor = dir.path().join(format!("{p}/scaling_governor"));
        let guard = Guard::begin(&os, &policies(&os)).unwrap();
        guard.lock(&policies(&os)[0], 700000).unwrap();
        assert_eq!(std::fs::read_to_string(&governor).unwrap(), "userspace\n");
        drop(guard);
        // The kernel shows `<unsupported>` again by itself once the
        // governor is not userspace; a recorded tree cannot.
        assert_eq!(std::fs::read_to_string(&governor).unwrap(), "ondemand\n");
        assert!(pending(&os).unwrap().is_none());
    }

    #[test]
    fn sweep_unreadable_journal_is_an_error_not_ignored() {
        let (dir, os) = copy("rpi4");
        let path = dir.path().join(JOURNAL.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "pid = \"x\"").unwrap();
        let err = pending(&os).unwrap_err().to_string();
        assert!(err.contains("cpufreq-journal.toml"), "{err}");
        assert!(err.contains("by hand"), "{err}");
    }
}
