//! Core names from the ids the kernel exposes: ARM MIDR implementer and
//! part numbers, RISC-V `uarch` lines, devicetree compatibles and
//! mvendorid/marchid. Tables only, so that adding a core is one line.

/// Names an ARM core from `/proc/cpuinfo`'s "CPU implementer" and "CPU part"
/// (the MIDR fields). Since the Snapdragon 8 Gen 1 and Dimensity 9000,
/// phone-class SoCs report Arm's own part numbers rather than Kryo ones.
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
        (0x61, 0x032) | (0x61, 0x034) | (0x61, 0x038) => "Apple Blizzard",
        (0x61, 0x033) | (0x61, 0x035) | (0x61, 0x039) => "Apple Avalanche",
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
        (0x5b7, 0x8000_0000_0914_0d00) => "T-Head C908",
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
    fn arm_classic_and_cortex_a_parts() {
        assert_eq!(arm_core_name(0x41, 0xb76), Some("ARM1176"));
        assert_eq!(arm_core_name(0x41, 0xc07), Some("Cortex-A7"));
        assert_eq!(arm_core_name(0x41, 0xd03), Some("Cortex-A53"));
        assert_eq!(arm_core_name(0x41, 0xd05), Some("Cortex-A55"));
        assert_eq!(arm_core_name(0x41, 0xd06), Some("Cortex-A65"));
        assert_eq!(arm_core_name(0x41, 0xd08), Some("Cortex-A72"));
        assert_eq!(arm_core_name(0x41, 0xd0b), Some("Cortex-A76"));
        assert_eq!(arm_core_name(0x41, 0xd0d), Some("Cortex-A77"));
        assert_eq!(arm_core_name(0x41, 0xd41), Some("Cortex-A78"));
        // DynamIQ generations: little, middle, big.
        assert_eq!(arm_core_name(0x41, 0xd46), Some("Cortex-A510"));
        assert_eq!(arm_core_name(0x41, 0xd47), Some("Cortex-A710"));
        assert_eq!(arm_core_name(0x41, 0xd4d), Some("Cortex-A715"));
        assert_eq!(arm_core_name(0x41, 0xd80), Some("Cortex-A520"));
        assert_eq!(arm_core_name(0x41, 0xd81), Some("Cortex-A720"));
        assert_eq!(arm_core_name(0x41, 0xd87), Some("Cortex-A725"));
        assert_eq!(arm_core_name(0x41, 0xfff), None);
    }

    #[test]
    fn arm_cortex_x_parts() {
        assert_eq!(arm_core_name(0x41, 0xd44), Some("Cortex-X1"));
        assert_eq!(arm_core_name(0x41, 0xd48), Some("Cortex-X2"));
        assert_eq!(arm_core_name(0x41, 0xd4e), Some("Cortex-X3"));
        assert_eq!(arm_core_name(0x41, 0xd82), Some("Cortex-X4"));
        assert_eq!(arm_core_name(0x41, 0xd85), Some("Cortex-X925"));
    }

    #[test]
    fn arm_neoverse_parts() {
        assert_eq!(arm_core_name(0x41, 0xd0c), Some("Neoverse N1"));
        assert_eq!(arm_core_name(0x41, 0xd49), Some("Neoverse N2"));
        assert_eq!(arm_core_name(0x41, 0xd40), Some("Neoverse V1"));
        assert_eq!(arm_core_name(0x41, 0xd4f), Some("Neoverse V2"));
    }

    #[test]
    fn other_arm_implementers() {
        // The same part number means something else under another implementer.
        assert_eq!(arm_core_name(0x48, 0xd01), Some("HiSilicon TaiShan v110"));
        assert_eq!(arm_core_name(0x50, 0x000), Some("APM X-Gene"));
        assert_eq!(arm_core_name(0xc0, 0xac3), Some("Ampere-1"));
        assert_eq!(arm_core_name(0xc0, 0xac4), Some("Ampere-1a"));
        assert_eq!(arm_core_name(0x51, 0x804), Some("Qualcomm Kryo 4xx Gold"));
        assert_eq!(arm_core_name(0x51, 0x001), Some("Qualcomm Oryon"));
        // M1 and M2, plain, Pro and Max dies.
        assert_eq!(arm_core_name(0x61, 0x022), Some("Apple Icestorm"));
        assert_eq!(arm_core_name(0x61, 0x029), Some("Apple Firestorm"));
        assert_eq!(arm_core_name(0x61, 0x034), Some("Apple Blizzard"));
        assert_eq!(arm_core_name(0x61, 0x039), Some("Apple Avalanche"));
        assert_eq!(arm_core_name(0x61, 0xfff), None);
    }

    #[test]
    fn riscv_sifive() {
        // The VisionFive 2's U74: by uarch line, and by ids alone.
        assert_eq!(
            riscv_core_name(Some("sifive,u74-mc"), None, None, None).as_deref(),
            Some("SiFive U74")
        );
        assert_eq!(
            riscv_core_name(None, None, Some(0x489), Some(0x8000_0000_0000_0007)).as_deref(),
            Some("SiFive U74")
        );
        assert_eq!(
            riscv_core_name(Some("sifive,p550"), None, Some(0x489), None).as_deref(),
            Some("SiFive P550")
        );
    }

    #[test]
    fn riscv_thead() {
        assert_eq!(
            riscv_core_name(None, Some("thead,c906"), Some(0x5b7), Some(0)).as_deref(),
            Some("T-Head C906")
        );
        assert_eq!(
            riscv_core_name(Some("thead,c910"), None, Some(0x5b7), Some(0)).as_deref(),
            Some("T-Head C910")
        );
        assert_eq!(
            riscv_core_name(Some("thead,c920"), None, None, None).as_deref(),
            Some("T-Head C920")
        );
        assert_eq!(
            riscv_core_name(None, None, Some(0x5b7), Some(0x8000_0000_0914_0d00)).as_deref(),
            Some("T-Head C908")
        );
        // C906 and C910 share their ids: only the family is certain.
        assert_eq!(
            riscv_core_name(None, None, Some(0x5b7), Some(0)).as_deref(),
            Some("T-Head C9xx")
        );
    }

    #[test]
    fn riscv_spacemit_and_others() {
        // Orange Pi RV2 / Banana Pi F3 (SpacemiT K1).
        assert_eq!(
            riscv_core_name(Some("spacemit,x60"), None, None, None).as_deref(),
            Some("SpacemiT X60")
        );
        assert_eq!(
            riscv_core_name(None, None, Some(0x710), Some(0x8000_0000_5800_0001)).as_deref(),
            Some("SpacemiT X60")
        );
        assert_eq!(
            riscv_core_name(None, Some("andestech,ax45mp"), None, None).as_deref(),
            Some("Andes AX45MP")
        );
        assert_eq!(riscv_core_name(None, None, Some(0x1234), None), None);
    }
}
