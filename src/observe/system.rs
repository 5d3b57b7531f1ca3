//! The facts every result row carries, so that a figure can be traced to the
//! board, kernel, OS and build that produced it.

use super::cpu::{self, Cluster, Topology};
use super::os::Os;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SystemFacts {
    /// `--board`, else devicetree model, else DMI vendor + product, else host name.
    pub board: String,
    /// `uname -m` of the running kernel.
    pub arch: String,
    /// The target triple this binary was built for.
    pub target: String,
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_cores: usize,
    pub clusters: Vec<Cluster>,
    /// Kernel release.
    pub linux: String,
    /// Distribution name.
    pub os: String,
    pub memory_bytes: Option<u64>,
    pub version: String,
    /// Short commit of the build; empty outside a git checkout.
    pub git_hash: String,
    pub simd: Vec<String>,
}

impl SystemFacts {
    pub fn gather(os: &dyn Os, board_override: Option<&str>) -> SystemFacts {
        let topo = Topology::read(os);
        SystemFacts {
            board: board_name(os, board_override),
            arch: os.machine(),
            target: env!("SBCBENCH_TARGET").to_string(),
            cpu_model: cpu::cpu_model(os, &topo),
            logical_cores: topo.logical_cores(),
            physical_cores: topo.physical_cores,
            linux: os
                .read("/proc/sys/kernel/osrelease")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".to_string()),
            os: os_name(os),
            memory_bytes: memory_bytes(os),
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_hash: env!("SBCBENCH_GIT_HASH").to_string(),
            simd: cpu::simd_features(os),
            clusters: topo.clusters,
        }
    }
}

/// What to call the machine: boards name themselves in the devicetree, PCs
/// in DMI (often with placeholder junk), VMs frequently nowhere.
fn board_name(os: &dyn Os, board_override: Option<&str>) -> String {
    if let Some(name) = board_override.map(str::trim).filter(|s| !s.is_empty()) {
        return name.to_string();
    }
    for path in [
        "/proc/device-tree/model",
        "/sys/firmware/devicetree/base/model",
    ] {
        if let Some(model) = os.read(path).map(|s| clean(&s)).filter(|s| !s.is_empty()) {
            return model;
        }
    }
    let dmi = |field: &str| {
        os.read(&format!("/sys/class/dmi/id/{field}"))
            .map(|s| clean(&s))
            .filter(|s| !is_dmi_junk(s))
    };
    for (vendor, product) in [
        ("sys_vendor", "product_name"),
        ("board_vendor", "board_name"),
    ] {
        if let Some(product) = dmi(product) {
            return match dmi(vendor) {
                Some(vendor) if !product.starts_with(&vendor) => format!("{vendor} {product}"),
                _ => product,
            };
        }
    }
    os.hostname()
}

/// Collapses white space and stray NULs (devicetree strings).
fn clean(text: &str) -> String {
    text.split(|c: char| c == '\0' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Placeholders that firmware vendors leave in DMI fields.
fn is_dmi_junk(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    const JUNK: &[&str] = &[
        "",
        "to be filled by o.e.m.",
        "system product name",
        "system manufacturer",
        "default string",
        "not applicable",
        "not specified",
        "not available",
        "none",
        "unknown",
        "oem",
        "o.e.m.",
        "product name",
        "type1productconfigid",
        "123456789",
    ];
    JUNK.contains(&v.as_str()) || v.starts_with("to be filled") || v.chars().all(|c| c == 'x')
}

/// `PRETTY_NAME` from os-release, else `NAME VERSION`.
fn os_name(os: &dyn Os) -> String {
    let Some(text) = os
        .read("/etc/os-release")
        .or_else(|| os.read("/usr/lib/os-release"))
    else {
        return "unknown".to_string();
    };
    let field = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| unquote(v))
            .filter(|v| !v.is_empty())
    };
    if let Some(pretty) = field("PRETTY_NAME") {
        return pretty;
    }
    match (field("NAME"), field("VERSION")) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name,
        _ => "unknown".to_string(),
    }
}

/// os-release values are shell-quoted: strip one pair of quotes and undo
/// backslash escapes.
fn unquote(value: &str) -> String {
    let v = value.trim();
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn memory_bytes(os: &dyn Os) -> Option<u64> {
    let text = os.read("/proc/meminfo")?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::os::testing::tree;
    use crate::observe::RecordedOs;

    #[test]
    fn os_release_unquotes_and_falls_back() {
        assert_eq!(
            unquote("\"Debian GNU/Linux 12 (bookworm)\""),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(unquote("'Arch Linux'"), "Arch Linux");
        assert_eq!(unquote("Alpine"), "Alpine");
        assert_eq!(unquote(r#""say \"hi\"""#), "say \"hi\"");
        let dir = tree(&[("etc/os-release", "NAME=\"Foo OS\"\nVERSION=\"3 (Bar)\"\n")]);
        assert_eq!(os_name(&RecordedOs::new(dir.path())), "Foo OS 3 (Bar)");
        let empty = tree(&[]);
        assert_eq!(os_name(&RecordedOs::new(empty.path())), "unknown");
    }

    #[test]
    fn board_prefers_override_then_devicetree_then_dmi_then_hostname() {
        let dir = tree(&[
            ("sys/class/dmi/id/sys_vendor", "LENOVO\n"),
            ("sys/class/dmi/id/product_name", "ThinkCentre M720q\n"),
            ("hostname", "box\n"),
        ]);
        let os = RecordedOs::new(dir.path());
        assert_eq!(board_name(&os, None), "LENOVO ThinkCentre M720q");
        assert_eq!(board_name(&os, Some("My Board")), "My Board");
        assert_eq!(board_name(&os, Some("  ")), "LENOVO ThinkCentre M720q");

        let dt = tree(&[
            ("sys/firmware/devicetree/base/model", "Radxa ROCK 5B\0"),
            ("sys/class/dmi/id/product_name", "ignored"),
        ]);
        assert_eq!(
            board_name(&RecordedOs::new(dt.path()), None),
            "Radxa ROCK 5B"
        );

        let junk = tree(&[
            ("sys/class/dmi/id/sys_vendor", "System manufacturer"),
            ("sys/class/dmi/id/product_name", "System Product Name"),
            ("hostname", "desk"),
        ]);
        assert_eq!(board_name(&RecordedOs::new(junk.path()), None), "desk");
    }

    #[test]
    fn dmi_junk_is_recognised() {
        assert!(is_dmi_junk("To Be Filled By O.E.M."));
        assert!(is_dmi_junk("Default string"));
        assert!(is_dmi_junk("xxxxxxxx"));
        assert!(!is_dmi_junk("Z370 Taichi"));
    }

    #[test]
    fn meminfo_total_in_bytes() {
        let dir = tree(&[(
            "proc/meminfo",
            "MemTotal:        443872 kB\nMemFree: 1 kB\n",
        )]);
        assert_eq!(
            memory_bytes(&RecordedOs::new(dir.path())),
            Some(443_872 * 1024)
        );
        let none = tree(&[]);
        assert_eq!(memory_bytes(&RecordedOs::new(none.path())), None);
    }
}
