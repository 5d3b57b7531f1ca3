//! The observe module against trees recorded from real machines
//! (tests/fixtures/sysfs), plus one smoke run on the machine running the
//! tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sbcbench::measure::plan::plan;
use sbcbench::measure::{Engine, KernelId, ThreadMode};
use sbcbench::observe::cpu::{clock_domain, cpu_model, simd_features};
use sbcbench::observe::preflight::{self, Preflight};
use sbcbench::observe::{
    BusyProcess, Cluster, HostOs, Observation, Os, RecordedOs, Sampler, SystemFacts, Topology,
};

fn fixture_root(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sysfs")
        .join(name)
}

fn fixture(name: &str) -> RecordedOs {
    let root = fixture_root(name);
    assert!(root.is_dir(), "missing fixture {}", root.display());
    RecordedOs::new(root)
}

fn cluster(index: usize, cpus: &[usize], max_mhz: Option<f64>, core_name: &str) -> Cluster {
    Cluster {
        index,
        cpus: cpus.to_vec(),
        max_mhz,
        core_name: core_name.to_string(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Samples the fixture for a few periods; recorded values are constant.
fn observe(name: &str, cpus: &[usize]) -> Observation {
    let os: Arc<dyn Os> = Arc::new(fixture(name));
    let sampler = Sampler::start(os, cpus, Duration::from_millis(5));
    std::thread::sleep(Duration::from_millis(60));
    sampler.stop()
}

#[test]
fn x86_desktop_with_intel_pstate() {
    let os = fixture("x86-pc");
    let topo = Topology::read(&os);
    let name = "Intel(R) Core(TM) i7-8086K CPU @ 4.00GHz";
    // One policy per CPU says nothing about clusters: one cluster, 6 cores.
    assert_eq!(topo.online, (0..12).collect::<Vec<_>>());
    assert_eq!(
        topo.clusters,
        vec![cluster(0, &(0..12).collect::<Vec<_>>(), Some(5000.0), name)]
    );
    assert_eq!(topo.logical_cores(), 12);
    assert_eq!(topo.physical_cores, 6);
    assert!(!topo.heterogeneous());
    assert_eq!(cpu_model(&os, &topo), name);

    let facts = SystemFacts::gather(&os, None);
    // DMI system fields are placeholders; the board fields are not.
    assert_eq!(facts.board, "ASRock Z370 Taichi");
    assert_eq!(facts.arch, "x86_64");
    assert_eq!(facts.os, "Ubuntu 20.04.6 LTS");
    assert_eq!(facts.linux, "5.15.0-91-generic");
    assert_eq!(facts.memory_bytes, Some(32_795_604 * 1024));
    assert_eq!(facts.logical_cores, 12);
    assert_eq!(facts.physical_cores, 6);
    assert_eq!(facts.cpu_model, name);
    assert_eq!(facts.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        facts.simd,
        strings(&["sse2", "ssse3", "sse4.1", "sse4.2", "avx", "avx2", "aes-ni", "pclmul"])
    );

    let warnings = preflight::check(&os, &topo, Duration::ZERO);
    assert_eq!(
        warnings,
        vec![Preflight::GovernorNotPerformance {
            cpus: (0..12).collect(),
            governor: "powersave".into()
        }]
    );
    assert!(warnings[0]
        .to_string()
        .starts_with("CPUs 0-11 use the 'powersave' governor"));

    // ~4.3 GHz all-core is below the 5 GHz turbo ceiling but above the
    // 4 GHz base clock: turbo, not throttling.
    let obs = observe("x86-pc", &[0, 1, 2, 3, 4, 5]);
    assert!(obs.samples >= 1, "{obs:?}");
    assert_eq!(obs.throttled, Some(false));
    assert_eq!(obs.freq_min_mhz, Some(4299.0));
    assert_eq!(obs.freq_max_mhz, Some(4301.0));
    // No thermal zones: coretemp hwmon, not the cooler NVMe sensor.
    assert_eq!(obs.temp_max_c, Some(67.0));
}

#[test]
fn rk3399_big_little() {
    let os = fixture("rk3399");
    let topo = Topology::read(&os);
    assert_eq!(
        topo.clusters,
        vec![
            cluster(0, &[0, 1, 2, 3], Some(1416.0), "Cortex-A53"),
            cluster(1, &[4, 5], Some(1800.0), "Cortex-A72"),
        ]
    );
    // core_id repeats per cluster (0-3, 0-1): still six cores.
    assert_eq!(topo.physical_cores, 6);
    assert!(topo.heterogeneous());
    assert_eq!(topo.cluster_of(5).map(|c| c.index), Some(1));
    assert_eq!(topo.cluster_of(0).map(|c| c.index), Some(0));
    assert_eq!(topo.cluster_of(6), None);
    assert_eq!(cpu_model(&os, &topo), "2x Cortex-A72 + 4x Cortex-A53");

    let facts = SystemFacts::gather(&os, None);
    assert_eq!(facts.board, "Pine64 RockPro64 v2.1");
    assert_eq!(facts.arch, "aarch64");
    assert_eq!(facts.os, "Armbian 24.2.1 bookworm");
    assert_eq!(facts.linux, "6.6.16-current-rockchip64");
    assert_eq!(facts.memory_bytes, Some(3_952_460 * 1024));
    assert_eq!(facts.clusters, topo.clusters);
    assert_eq!(
        facts.simd,
        strings(&["asimd", "sha1", "sha2", "aes", "pmull", "crc32"])
    );
    assert_eq!(
        SystemFacts::gather(&os, Some("RockPro64 (my desk)")).board,
        "RockPro64 (my desk)"
    );

    assert_eq!(
        preflight::check(&os, &topo, Duration::ZERO),
        vec![Preflight::GovernorNotPerformance {
            cpus: vec![0, 1, 2, 3, 4, 5],
            governor: "schedutil".into()
        }]
    );

    let big = observe("rk3399", &[4, 5]);
    assert_eq!(big.throttled, Some(false));
    assert_eq!(big.freq_min_mhz, Some(1800.0));
    assert_eq!(big.temp_max_c, Some(58.75));
    // Each cluster at its own maximum: not throttled either.
    let all = observe("rk3399", &[]);
    assert_eq!(all.throttled, Some(false));
    assert_eq!(all.freq_min_mhz, Some(1416.0));
    assert_eq!(all.freq_max_mhz, Some(1800.0));
}

/// One cpufreq policy spanning two core types (SM8550: 2 × A715 and
/// 2 × A710 on one clock, same capacity): only the MIDR tells them apart,
/// and each is a core class of its own, measured on its last CPU.
#[test]
fn dynamiq_policy_spanning_two_core_types() {
    let os = fixture("sm8550-hdk");
    let topo = Topology::read(&os);
    assert_eq!(
        topo.clusters,
        vec![
            cluster(0, &[0, 1, 2], Some(2016.0), "Cortex-A510"),
            cluster(1, &[3, 4], Some(2803.2), "Cortex-A715"),
            cluster(2, &[5, 6], Some(2803.2), "Cortex-A710"),
            cluster(3, &[7], Some(3187.2), "Cortex-X3"),
        ]
    );
    assert_eq!(topo.physical_cores, 8);
    assert_eq!(
        cpu_model(&os, &topo),
        "1x Cortex-X3 + 2x Cortex-A715 + 2x Cortex-A710 + 3x Cortex-A510"
    );
    assert_eq!(clock_domain(&os, 5), vec![3, 4, 5, 6]);

    let facts = SystemFacts::gather(&os, None);
    assert_eq!(facts.board, "Qualcomm Technologies, Inc. SM8550 HDK");
    assert_eq!(facts.cpu_model, cpu_model(&os, &topo));
    assert_eq!(
        facts.simd,
        strings(&["asimd", "sha1", "sha2", "sha3", "sha512", "aes", "pmull", "crc32"])
    );
    assert_eq!(preflight::check(&os, &topo, Duration::ZERO), vec![]);

    let steps = plan(
        &[(KernelId::Sha1, Engine::Builtin)],
        &[ThreadMode::One, ThreadMode::All],
        &topo,
    );
    let single: Vec<_> = steps
        .iter()
        .filter(|s| s.mode == ThreadMode::One)
        .map(|s| (s.cluster, s.cpus.clone()))
        .collect();
    assert_eq!(
        single,
        vec![
            (Some(0), vec![2]),
            (Some(1), vec![4]),
            (Some(2), vec![6]),
            (Some(3), vec![7]),
        ]
    );
    assert_eq!(steps.last().map(|s| s.cpus.len()), Some(8));
}

#[test]
fn single_core_steps_avoid_cpu0() {
    // Pi 1 to 3B+: USB and Ethernet interrupts land on cpu 0.
    for (tree, expected) in [
        ("rk3399", vec![3, 5]),
        ("visionfive2", vec![3]),
        ("rpi1", vec![0]),
        ("x86-pc", vec![11]),
    ] {
        let topo = Topology::read(&fixture(tree));
        let cpus: Vec<usize> = plan(
            &[(KernelId::Xz, Engine::Builtin)],
            &[ThreadMode::One],
            &topo,
        )
        .iter()
        .flat_map(|s| s.cpus.clone())
        .collect();
        assert_eq!(cpus, expected, "{tree}");
    }
}

#[test]
fn visionfive2_riscv() {
    let os = fixture("visionfive2");
    let topo = Topology::read(&os);
    assert_eq!(
        topo.clusters,
        vec![cluster(0, &[0, 1, 2, 3], Some(1500.0), "SiFive U74")]
    );
    assert_eq!(topo.physical_cores, 4);
    assert!(!topo.heterogeneous());
    assert_eq!(cpu_model(&os, &topo), "4x SiFive U74");
    assert_eq!(simd_features(&os), strings(&["zba", "zbb"]));

    let facts = SystemFacts::gather(&os, None);
    assert_eq!(facts.board, "StarFive VisionFive 2 v1.3B");
    assert_eq!(facts.arch, "riscv64");
    assert_eq!(facts.os, "Debian GNU/Linux trixie/sid");
    assert_eq!(facts.linux, "6.12.12-riscv64");
    assert_eq!(facts.memory_bytes, Some(7_946_124 * 1024));

    // performance governor, nobody busy, cool: nothing to warn about.
    assert_eq!(preflight::check(&os, &topo, Duration::ZERO), vec![]);

    let obs = observe("visionfive2", &[0, 1, 2, 3]);
    assert_eq!(obs.throttled, Some(false));
    assert_eq!(obs.freq_max_mhz, Some(1500.0));
    assert_eq!(obs.temp_max_c, Some(47.856));
}

#[test]
fn raspberry_pi_1() {
    let os = fixture("rpi1");
    let topo = Topology::read(&os);
    assert_eq!(topo.online, vec![0]);
    assert_eq!(
        topo.clusters,
        vec![cluster(0, &[0], Some(700.0), "ARM1176")]
    );
    // No topology directory on a uniprocessor kernel.
    assert_eq!(topo.physical_cores, 1);
    assert_eq!(cpu_model(&os, &topo), "ARM1176");

    let facts = SystemFacts::gather(&os, None);
    assert_eq!(facts.board, "Raspberry Pi Model B Rev 2");
    assert_eq!(facts.arch, "armv6l");
    assert_eq!(facts.os, "Raspbian GNU/Linux 11 (bullseye)");
    assert_eq!(facts.linux, "6.1.21+");
    assert_eq!(facts.memory_bytes, Some(443_872 * 1024));
    // vfp and edsp are no SIMD the kernels can use.
    assert!(facts.simd.is_empty(), "{:?}", facts.simd);

    // get_throttled is 0: only the governor.
    assert_eq!(
        preflight::check(&os, &topo, Duration::ZERO),
        vec![Preflight::GovernorNotPerformance {
            cpus: vec![0],
            governor: "ondemand".into()
        }]
    );

    // 400 MHz seen while (supposedly) loaded, max 700 MHz.
    let obs = observe("rpi1", &[0]);
    assert_eq!(obs.throttled, Some(true));
    assert_eq!(obs.freq_min_mhz, Some(400.0));
    assert_eq!(obs.temp_max_c, Some(48.692));
}

#[test]
fn vm_without_cpufreq() {
    let os = fixture("vm-nocpufreq");
    let topo = Topology::read(&os);
    let name = "AMD EPYC 9R14 96-Core Processor";
    assert_eq!(topo.clusters, vec![cluster(0, &[0, 1], None, name)]);
    assert_eq!(topo.physical_cores, 2);
    assert!(!topo.heterogeneous());

    let facts = SystemFacts::gather(&os, None);
    // No devicetree, no DMI: the host name is all there is.
    assert_eq!(facts.board, "ci-vm");
    assert_eq!(facts.cpu_model, name);
    assert_eq!(facts.os, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(facts.linux, "6.1.0-28-cloud-amd64");
    assert_eq!(facts.memory_bytes, Some(4_010_676 * 1024));
    assert_eq!(
        facts.simd,
        strings(&[
            "sse2", "ssse3", "sse4.1", "sse4.2", "avx", "avx2", "avx512f", "avx512bw", "avx512vl",
            "sha-ni", "aes-ni", "pclmul", "vaes", "vpclmul"
        ])
    );

    let warnings = preflight::check(&os, &topo, Duration::from_millis(1));
    assert_eq!(
        warnings,
        vec![
            Preflight::NoCpufreq,
            Preflight::BusyProcesses(vec![BusyProcess {
                pid: 1873,
                name: "unattended-upgr".into(),
                cpu_percent: 55.0
            }]),
        ]
    );
    let busy = warnings[1].to_string();
    assert!(busy.contains("unattended-upgr (pid 1873, 55 %)"), "{busy}");

    let obs = observe("vm-nocpufreq", &[0, 1]);
    assert!(obs.samples >= 1);
    assert_eq!(obs.throttled, None);
    assert_eq!(obs.freq_min_mhz, None);
    assert_eq!(obs.temp_max_c, None);
}

/// time_in_state growing below the maximum between start and stop counts
/// as throttling even when every sample saw full speed.
#[test]
fn sampler_sees_time_in_state_growth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let freq = dir.path().join("sys/devices/system/cpu/cpu0/cpufreq");
    std::fs::create_dir_all(freq.join("stats")).expect("mkdir");
    std::fs::write(freq.join("related_cpus"), "0\n").expect("write");
    std::fs::write(freq.join("cpuinfo_max_freq"), "1500000\n").expect("write");
    std::fs::write(freq.join("scaling_cur_freq"), "1500000\n").expect("write");
    let tis = freq.join("stats/time_in_state");
    std::fs::write(&tis, "750000 10\n1500000 100\n").expect("write");
    let run = |after: &str| {
        std::fs::write(&tis, "750000 10\n1500000 100\n").expect("write");
        let os: Arc<dyn Os> = Arc::new(RecordedOs::new(dir.path()));
        let sampler = Sampler::start(os, &[0], Duration::from_millis(5));
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&tis, after).expect("write");
        sampler.stop()
    };
    assert_eq!(run("750000 60\n1500000 600\n").throttled, Some(true));
    assert_eq!(run("750000 10\n1500000 600\n").throttled, Some(false));
}

#[test]
fn dropping_a_sampler_stops_it() {
    let os: Arc<dyn Os> = Arc::new(fixture("rpi1"));
    let sampler = Sampler::start(os, &[0], Duration::from_secs(3600));
    let started = std::time::Instant::now();
    drop(sampler);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// On the machine running the tests: print what we see, assert only what
/// must hold everywhere.
#[test]
fn host_smoke() {
    let os = HostOs;
    let facts = SystemFacts::gather(&os, None);
    println!("{facts:#?}");
    assert!(facts.logical_cores >= 1);
    assert!(!facts.arch.is_empty());
    assert!(!facts.clusters.is_empty());
    let topo = Topology::read(&os);
    for warning in preflight::check(&os, &topo, Duration::from_millis(250)) {
        println!("preflight: {warning}");
    }
    let os: Arc<dyn Os> = Arc::new(HostOs);
    let sampler = Sampler::start(os, &topo.online, Duration::from_millis(10));
    std::thread::sleep(Duration::from_millis(50));
    println!("{:#?}", sampler.stop());
}
