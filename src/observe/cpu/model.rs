//! What the cores are called and what they can do: the CPU model line,
//! core names decoded from `/proc/cpuinfo` and the devicetree, and the SIMD
//! and crypto extensions.

use std::collections::BTreeSet;

use super::cpuinfo::CpuInfo;
use super::{Topology, CPU_ROOT};
use crate::observe::os::Os;

/// A human name for the CPU: the x86 model name, or the clusters counted
/// out, fastest first ("2x Cortex-A72 + 4x Cortex-A53"), since ARM and
/// RISC-V kernels do not name the SoC.
pub fn cpu_model(os: &dyn Os, topo: &Topology) -> String {
    let info = CpuInfo::parse(&os.read("/proc/cpuinfo").unwrap_or_default());
    let mut names: Vec<&str> = Vec::new();
    for cluster in &topo.clusters {
        if !names.contains(&cluster.core_name.as_str()) {
            names.push(&cluster.core_name);
        }
    }
    if info.get(0, "vendor_id").is_some() {
        // x86 model names already say everything ("... 96-Core Processor").
        return names.join(" + ");
    }
    // Merge clusters of the same core (RK3588's two A76 clusters), then put
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

/// Names an ARM core from `/proc/cpuinfo`'s "CPU implementer" and "CPU part".
pub fn arm_core_name(implementer: u32, part: u32) -> Option<&'static str> {
    let name = match (implementer, part) {
        (0x41, 0xb02) => "ARM11 MPCore",
        (0x41, 0xb36) => "ARM1136",
        (0x41, 0xb56) => "ARM1156",
        (0x41, 0xb76) => "ARM1176",
        (0x41, 0xc05) => "Cortex-A5",
        (0x41, 0xc07) => "Cortex-A7",
        (0x41, 0xc08) => "Cortex-A8",
        (0x41, 0xc09) => "Cortex-A9",
        (0x41, 0xc0d) => "Cortex-A17", // first revisions were called A12
        (0x41, 0xc0e) => "Cortex-A17",
        (0x41, 0xc0f) => "Cortex-A15",
        (0x41, 0xd01) => "Cortex-A32",
        (0x41, 0xd02) => "Cortex-A34",
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd04) => "Cortex-A35",
        (0x41, 0xd05) => "Cortex-A55",
        (0x41, 0xd06) => "Cortex-A65",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd09) => "Cortex-A73",
        (0x41, 0xd0a) => "Cortex-A75",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse N1",
        (0x41, 0xd0d) => "Cortex-A77",
        (0x41, 0xd0e) => "Cortex-A76AE",
        (0x41, 0xd40) => "Neoverse V1",
        (0x41, 0xd41) => "Cortex-A78",
        (0x41, 0xd42) => "Cortex-A78AE",
        (0x41, 0xd43) => "Cortex-A65AE",
        (0x41, 0xd44) => "Cortex-X1",
        (0x41, 0xd46) => "Cortex-A510",
        (0x41, 0xd47) => "Cortex-A710",
        (0x41, 0xd48) => "Cortex-X2",
        (0x41, 0xd49) => "Neoverse N2",
        (0x41, 0xd4a) => "Neoverse E1",
        (0x41, 0xd4b) => "Cortex-A78C",
        (0x41, 0xd4c) => "Cortex-X1C",
        (0x41, 0xd4d) => "Cortex-A715",
        (0x41, 0xd4e) => "Cortex-X3",
        (0x41, 0xd4f) => "Neoverse V2",
        (0x41, 0xd80) => "Cortex-A520",
        (0x41, 0xd81) => "Cortex-A720",
        (0x41, 0xd82) => "Cortex-X4",
        (0x41, 0xd84) => "Neoverse V3",
        (0x41, 0xd85) => "Cortex-X925",
        (0x41, 0xd87) => "Cortex-A725",
        (0x41, 0xd8e) => "Neoverse N3",
        (0x42, 0x00f) => "Broadcom Brahma-B15",
        (0x42, 0x100) => "Broadcom Brahma-B53",
        (0x42, 0x516) => "Broadcom Vulcan",
        (0x43, 0x0a1) => "Cavium ThunderX",
        (0x43, 0x0af) => "Cavium ThunderX2",
        (0x46, 0x001) => "Fujitsu A64FX",
        (0x48, 0xd01) => "HiSilicon TaiShan v110",
        (0x4e, 0x003) => "NVIDIA Denver 2",
        (0x4e, 0x004) => "NVIDIA Carmel",
        (0x50, 0x000) => "APM X-Gene", // X-Gene 3 became Ampere eMAG
        (0x51, 0x00f) | (0x51, 0x02d) => "Qualcomm Scorpion",
        (0x51, 0x04d) | (0x51, 0x06f) => "Qualcomm Krait",
        (0x51, 0x201) | (0x51, 0x205) | (0x51, 0x211) => "Qualcomm Kryo",
        (0x51, 0x800) => "Qualcomm Kryo 2xx Gold",
        (0x51, 0x801) => "Qualcomm Kryo 2xx Silver",
        (0x51, 0x802) => "Qualcomm Kryo 3xx Gold",
        (0x51, 0x803) => "Qualcomm Kryo 3xx Silver",
        (0x51, 0x804) => "Qualcomm Kryo 4xx Gold",
        (0x51, 0x805) => "Qualcomm Kryo 4xx Silver",
        (0x51, 0xc00) => "Qualcomm Falkor",
        (0x51, 0xc01) => "Qualcomm Saphira",
        (0x51, 0x001) => "Qualcomm Oryon",
        (0x53, 0x001) => "Samsung Exynos M1",
        (0x56, 0x131) => "Marvell Feroceon 88FR131",
        (0x56, 0x581) | (0x56, 0x584) => "Marvell PJ4",
        (0x61, 0x022) | (0x61, 0x024) | (0x61, 0x028) => "Apple Icestorm",
        (0x61, 0x023) | (0x61, 0x025) | (0x61, 0x029) => "Apple Firestorm",
        (0x61, 0x032) => "Apple Blizzard",
        (0x61, 0x033) => "Apple Avalanche",
        (0x6d, 0xd49) => "Microsoft Azure Cobalt 100",
        (0xc0, 0xac3) => "Ampere-1",
        (0xc0, 0xac4) => "Ampere-1a",
        _ => return None,
    };
    Some(name)
}

/// Names a RISC-V core from `/proc/cpuinfo` "uarch", the devicetree
/// compatible of its hart, or the vendor/architecture ids, in that order.
pub fn riscv_core_name(
    uarch: Option<&str>,
    dt_compatible: Option<&str>,
    mvendorid: Option<u64>,
    marchid: Option<u64>,
) -> Option<String> {
    if let Some(name) = uarch.and_then(name_from_compatible) {
        return Some(name);
    }
    if let Some(name) = dt_compatible.and_then(name_from_compatible) {
        return Some(name);
    }
    let name = match (mvendorid?, marchid.unwrap_or(0)) {
        (0x489, 0x8000_0000_0000_0007) => "SiFive U74",
        (0x489, _) => "SiFive core",
        // C906 and C910 report the same ids; only the devicetree tells them apart.
        (0x5b7, _) => "T-Head C9xx",
        (0x710, _) => "SpacemiT X60",
        _ => return None,
    };
    Some(name.to_string())
}

/// "sifive,u74-mc" → "SiFive U74", "thead,c906" → "T-Head C906".
fn name_from_compatible(compatible: &str) -> Option<String> {
    let (vendor, model) = compatible.trim().split_once(',')?;
    let vendor = match vendor {
        "sifive" => "SiFive",
        "thead" => "T-Head",
        "spacemit" => "SpacemiT",
        "starfive" => "StarFive",
        "andestech" => "Andes",
        "sophgo" => "Sophgo",
        other => other,
    };
    // "-mc" (multi-core) and similar suffixes are packaging, not the core.
    let model = model
        .split('-')
        .next()
        .unwrap_or(model)
        .to_ascii_uppercase();
    (!model.is_empty()).then(|| format!("{vendor} {model}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_parts_decode() {
        assert_eq!(arm_core_name(0x41, 0xb76), Some("ARM1176"));
        assert_eq!(arm_core_name(0x41, 0xc07), Some("Cortex-A7"));
        assert_eq!(arm_core_name(0x41, 0xd03), Some("Cortex-A53"));
        assert_eq!(arm_core_name(0x41, 0xd05), Some("Cortex-A55"));
        assert_eq!(arm_core_name(0x41, 0xd08), Some("Cortex-A72"));
        assert_eq!(arm_core_name(0x41, 0xd0b), Some("Cortex-A76"));
        assert_eq!(arm_core_name(0x41, 0xd0c), Some("Neoverse N1"));
        assert_eq!(arm_core_name(0x50, 0x000), Some("APM X-Gene"));
        // The same part number means something else under another implementer.
        assert_eq!(arm_core_name(0x48, 0xd01), Some("HiSilicon TaiShan v110"));
        assert_eq!(arm_core_name(0x41, 0xfff), None);
    }

    #[test]
    fn riscv_names_and_extensions() {
        assert_eq!(
            riscv_core_name(Some("sifive,u74-mc"), None, None, None).as_deref(),
            Some("SiFive U74")
        );
        assert_eq!(
            riscv_core_name(None, Some("thead,c906"), Some(0x5b7), Some(0)).as_deref(),
            Some("T-Head C906")
        );
        assert_eq!(
            riscv_core_name(None, None, Some(0x489), Some(0x8000_0000_0000_0007)).as_deref(),
            Some("SiFive U74")
        );
        assert_eq!(riscv_core_name(None, None, Some(0x1234), None), None);
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
