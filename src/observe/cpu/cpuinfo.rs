//! `/proc/cpuinfo`, parsed.

use std::collections::BTreeMap;

/// `/proc/cpuinfo`, split into per-CPU blocks and machine-wide lines.
#[derive(Debug, Default)]
pub(crate) struct CpuInfo {
    pub(crate) per_cpu: BTreeMap<usize, Vec<(String, String)>>,
    /// Lines outside any numbered block: "Hardware", "Model" on ARM, and all
    /// of it on old 32-bit ARM kernels that print one "Processor" block.
    pub(crate) global: Vec<(String, String)>,
}

impl CpuInfo {
    pub(crate) fn parse(text: &str) -> CpuInfo {
        let mut info = CpuInfo::default();
        let mut block: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                info.add_block(std::mem::take(&mut block));
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                block.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        info.add_block(block);
        info
    }

    /// A block with a numeric "processor" line belongs to that CPU; any
    /// other block is machine-wide.
    fn add_block(&mut self, block: Vec<(String, String)>) {
        let number = block
            .iter()
            .find(|(k, _)| k == "processor")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        match number {
            Some(n) => {
                self.per_cpu.insert(n, block);
            }
            None => self.global.extend(block),
        }
    }

    /// `key` for CPU `cpu`: its own block, else the machine-wide lines, else
    /// the first CPU's block (kernels that print details once).
    pub(crate) fn get(&self, cpu: usize, key: &str) -> Option<&str> {
        fn find<'a>(lines: &'a [(String, String)], key: &str) -> Option<&'a str> {
            lines
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
        self.per_cpu
            .get(&cpu)
            .and_then(|lines| find(lines, key))
            .or_else(|| find(&self.global, key))
            .or_else(|| {
                self.per_cpu
                    .values()
                    .next()
                    .and_then(|lines| find(lines, key))
            })
    }

    /// What distinguishes one core type from another in this file: the
    /// ARM MIDR fields (implementer, part, variant), the RISC-V `uarch`
    /// line or vendor and architecture ids, else the model name.
    pub(super) fn identity(&self, cpu: usize) -> Option<String> {
        if let Some(part) = self.get(cpu, "CPU part") {
            let implementer = self.get(cpu, "CPU implementer").unwrap_or("");
            let variant = self.get(cpu, "CPU variant").unwrap_or("");
            return Some(format!("{implementer}:{part}:{variant}"));
        }
        if let Some(uarch) = self.get(cpu, "uarch") {
            return Some(uarch.to_string());
        }
        if let Some(arch) = self.get(cpu, "marchid") {
            let vendor = self.get(cpu, "mvendorid").unwrap_or("");
            return Some(format!("{vendor}:{arch}"));
        }
        self.get(cpu, "model name").map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_falls_back_to_machine_wide_lines() {
        // Old 32-bit ARM kernels: one "Processor" line, details once, no number.
        let old = "Processor\t: ARMv6-compatible processor rev 7 (v6l)\n\
                   BogoMIPS\t: 697.95\nCPU implementer\t: 0x41\nCPU part\t: 0xb76\n\n\
                   Hardware\t: BCM2708\n";
        let info = CpuInfo::parse(old);
        assert!(info.per_cpu.is_empty());
        assert_eq!(info.get(0, "CPU part"), Some("0xb76"));
        assert_eq!(info.get(3, "Hardware"), Some("BCM2708"));
        let new = "processor\t: 0\nCPU part\t: 0xd03\n\nprocessor\t: 4\nCPU part\t: 0xd08\n";
        let info = CpuInfo::parse(new);
        assert_eq!(info.get(0, "CPU part"), Some("0xd03"));
        assert_eq!(info.get(4, "CPU part"), Some("0xd08"));
        assert_eq!(info.get(0, "nothing"), None);
    }

    #[test]
    fn identity_tells_core_types_apart() {
        let arm = "processor\t: 3\nCPU implementer\t: 0x41\nCPU variant\t: 0x1\nCPU part\t: 0xd4d\n\n\
                   processor\t: 5\nCPU implementer\t: 0x41\nCPU variant\t: 0x2\nCPU part\t: 0xd47\n";
        let info = CpuInfo::parse(arm);
        assert_eq!(info.identity(3).as_deref(), Some("0x41:0xd4d:0x1"));
        assert_eq!(info.identity(5).as_deref(), Some("0x41:0xd47:0x2"));
        let riscv =
            "processor\t: 0\nhart\t: 0\nmvendorid\t: 0x710\nmarchid\t: 0x8000000058000001\n";
        let info = CpuInfo::parse(riscv);
        assert_eq!(
            info.identity(0).as_deref(),
            Some("0x710:0x8000000058000001")
        );
    }
}
