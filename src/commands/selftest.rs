//! `sbcbench selftest`: every known-answer test, nothing timed. Run it
//! first on a new board or a new cross build.

use crate::measure::kernels::{self, XzInput};
use crate::measure::{clock, KernelId};

pub fn selftest() -> anyhow::Result<()> {
    let mut failed = 0;
    // Each line as soon as its test is done; a closed or full stdout
    // stops the tests (see `super::print`).
    let mut unwritten = Ok(());
    let mut report = |name: &str, result: Result<String, String>| {
        let line = match result {
            Ok(detail) => format!("ok    {name:<18} {detail}\n"),
            Err(e) => {
                failed += 1;
                format!("FAIL  {name:<18} {e}\n")
            }
        };
        if unwritten.is_ok() {
            unwritten = super::print(&line);
        }
    };
    let input = XzInput::built_in();
    report(
        "xz corpus",
        input
            .as_ref()
            .map(|i| format!("{} ({} bytes, sha256 checked)", i.label, i.data.len()))
            .map_err(|e| e.to_string()),
    );
    for id in KernelId::ALL {
        if id == KernelId::Xz && input.is_err() {
            report(id.name(), Err("skipped: the corpus is damaged".to_string()));
            continue;
        }
        let result = kernels::for_id(id, input.as_ref().ok())
            .and_then(|k| k.verify().map(|()| k.implementation()));
        report(id.name(), result.map_err(|e| e.to_string()));
    }
    report(
        "measured clock",
        match clock::measure_mhz() {
            Some(mhz) if mhz > 0.0 => Ok(format!("{mhz:.0} MHz (dependent-add loop)")),
            Some(mhz) => Err(format!("implausible {mhz} MHz")),
            None if !clock::SUPPORTED => Ok("not supported on this architecture".to_string()),
            None => Err("the add chain computed a wrong sum".to_string()),
        },
    );
    unwritten?;
    if failed > 0 {
        anyhow::bail!("{failed} self-test(s) failed: this build must not be used for measurements on this machine");
    }
    Ok(())
}
