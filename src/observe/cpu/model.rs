//! What the cores are called and what they can do: the CPU model line,
//! core names decoded from `/proc/cpuinfo` and the devicetree, and the SIMD
//! and crypto extensions.

use std::collections::BTreeSet;

use super::cpuinfo::CpuInfo;
use super::parts::{arm_core_name, riscv_core_name};
use super::{Topology, CPU_ROOT};
use crate::observe::os::Os;

/// A human name for the CPU: the x86 model name, or the core classes
/// counted out, fastest first ("1x Cortex-X2 + 3x Cortex-A710 + 4x
/// Cortex-A510"), since ARM and RISC-V kernels do not name the SoC.
pub fn cpu_model(os: &dyn Os, topo: &Topology) -> String {
    let info = CpuInfo::parse(&os.read("/proc/cpuinfo").unwrap_or_default());
    if info.get(0, "vendor_id").is_some() {
        // x86 model names already say everything ("... 96-Core Processor"),
        // P- and E-cores included; class names add "P-core" to them.
        let mut names: Vec<String> = Vec::new();
        for &cpu in &topo.online {
            let name = core_name(os, &info, cpu);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        return names.join(" + ");
    }
    // Merge classes of the same core (RK3588's two A76 clusters), then put
    // the fastest first: by max clock, else by scheduler capacity.
    let mut kinds: Vec<(String, usize, f64, u64)> = Vec::new();
    for cluster in &topo.clusters {
        let speed = cluster.max_mhz.unwrap_or(0.0);
        let capacity = cluster
            .cpus
            .first()
            .and_then(|cpu| os.read_u64(&format!("{CPU_ROOT}/cpu{cpu}/cpu_capacity")))
            .unwrap_or(0);
        match kinds.iter_mut().find(|k| k.0 == cluster.core_name) {
            Some(kind) => {
                kind.1 += cluster.cpus.len();
                kind.2 = kind.2.max(speed);
                kind.3 = kind.3.max(capacity);
            }
            None => kinds.push((
                cluster.core_name.clone(),
                cluster.cpus.len(),
                speed,
                capacity,
            )),
        }
    }
    kinds.sort_by(|a, b| b.2.total_cmp(&a.2).then(b.3.cmp(&a.3)));
    if let [(name, 1, _, _)] = kinds.as_slice() {
        return name.clone();
    }
    kinds
        .iter()
        .map(|(name, count, _, _)| format!("{count}x {name}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// SIMD and crypto extensions that matter for the kernels we run (SHA-1,
/// ChaCha20-Poly1305, xz), lowercase, in a fixed order, present ones only.
pub fn simd_features(os: &dyn Os) -> Vec<String> {
    let info = CpuInfo::parse(&os.read("/proc/cpuinfo").unwrap_or_default());
    let mut out: Vec<String> = Vec::new();
    if let Some(flags) = info.get(0, "flags") {
        // x86: kernel flag name → name people know.
        const X86: &[(&str, &str)] = &[
            ("sse2", "sse2"),
            ("ssse3", "ssse3"),
            ("sse4_1", "sse4.1"),
            ("sse4_2", "sse4.2"),
            ("avx", "avx"),
            ("avx2", "avx2"),
            ("avx512f", "avx512f"),
            ("avx512bw", "avx512bw"),
            ("avx512vl", "avx512vl"),
            ("sha_ni", "sha-ni"),
            ("aes", "aes-ni"),
            ("pclmulqdq", "pclmul"),
            ("vaes", "vaes"),
            ("vpclmulqdq", "vpclmul"),
        ];
        let have: BTreeSet<&str> = flags.split_whitespace().collect();
        out.extend(
            X86.iter()
                .filter(|(flag, _)| have.contains(flag))
                .map(|(_, name)| name.to_string()),
        );
    } else if let Some(features) = info.get(0, "Features") {
        const ARM: &[&str] = &[
            "neon", "asimd", "sha1", "sha2", "sha3", "sha512", "aes", "pmull", "crc32", "sve",
            "sve2",
        ];
        let have: BTreeSet<&str> = features.split_whitespace().collect();
        out.extend(
            ARM.iter()
                .filter(|f| have.contains(*f))
                .map(|f| f.to_string()),
        );
    } else if let Some(isa) = info.get(0, "isa") {
        out = riscv_extensions(isa);
    }
    out
}

/// Extensions from a RISC-V ISA string that change what the kernels can use:
/// the vector extension and the bit-manipulation / crypto families.
pub fn riscv_extensions(isa: &str) -> Vec<String> {
    let isa = isa.trim().to_ascii_lowercase();
    let rest = isa
        .strip_prefix("rv64")
        .or_else(|| isa.strip_prefix("rv32"))
        .unwrap_or(&isa);
    let mut parts = rest.split('_');
    let letters = parts.next().unwrap_or("");
    let mut out = Vec::new();
    if letters.contains('v') {
        out.push("v".to_string());
    }
    for ext in parts {
        let wanted = ["zb", "zk", "zv"].iter().any(|p| ext.starts_with(p)) || ext == "xtheadvector";
        if wanted && !out.iter().any(|e| e == ext) {
            out.push(ext.to_string());
        }
    }
    out
}
/// The decoded core name of CPU `cpu`.
pub(super) fn core_name(os: &dyn Os, info: &CpuInfo, cpu: usize) -> String {
    if let Some(part) = info.get(cpu, "CPU part").and_then(parse_hex) {
        let implementer = info
            .get(cpu, "CPU implementer")
            .and_then(parse_hex)
            .unwrap_or(0x41);
        return arm_core_name(implementer as u32, part as u32)
            .map(str::to_string)
            .unwrap_or_else(|| format!("ARM part {part:#x} (implementer {implementer:#x})"));
    }
    if info.get(cpu, "isa").is_some() || info.get(cpu, "hart").is_some() {
        let hart = info.get(cpu, "hart").unwrap_or("").to_string();
        let hart = if hart.is_empty() {
            cpu.to_string()
        } else {
            hart
        };
        let compatible = os
            .read(&format!("/proc/device-tree/cpus/cpu@{hart}/compatible"))
            .or_else(|| {
                os.read(&format!(
                    "/sys/firmware/devicetree/base/cpus/cpu@{hart}/compatible"
                ))
            });
        let dt = compatible
            .as_deref()
            .and_then(|c| c.split('\0').map(str::trim).find(|c| *c != "riscv"));
        let name = riscv_core_name(
            info.get(cpu, "uarch"),
            dt,
            info.get(cpu, "mvendorid").and_then(parse_hex),
            info.get(cpu, "marchid").and_then(parse_hex),
        );
        if let Some(name) = name {
            return name;
        }
    }
    for key in ["model name", "Processor", "cpu model", "cpu"] {
        if let Some(name) = info.get(cpu, key) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if !name.is_empty() {
                return name;
            }
        }
    }
    "unknown".to_string()
}

fn parse_hex(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u64::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riscv_extensions_that_matter() {
        assert_eq!(
            riscv_extensions("rv64imafdc_zicntr_zicsr_zifencei_zihpm_zba_zbb"),
            vec!["zba", "zbb"]
        );
        assert_eq!(
            riscv_extensions("rv64imafdcv_zicsr_zba_zbb_zbs_zvbb_zvkned"),
            vec!["v", "zba", "zbb", "zbs", "zvbb", "zvkned"]
        );
    }
}
