//! Each meter protocol against a simulated meter on a pseudo-terminal pair
//! that speaks the real wire format (frames from the protocol notes).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{
    closed_port, hex, rows_from_csv, run_metered, run_with_meter, sbcbench, Answer, HttpSim, Sim,
};

use predicates::prelude::*;
use sbcbench::observe::{HostOs, Os};
use sbcbench::power::meter::{self, Meter, MeterError, MeterSpec, Monitor};

/// A meter opened on this machine.
fn open(spec: &MeterSpec) -> Result<Box<dyn Meter>, MeterError> {
    let os: Arc<dyn Os> = Arc::new(HostOs);
    meter::open(spec, &os)
}

const PZEM_REPLY: &str =
    "01 04 14 08 D1 00 6C 00 00 00 F4 00 00 00 26 00 00 01 F4 00 64 00 00 51 34";

fn pzem_sim(reply: &'static str) -> Sim {
    Sim::start(move |req| {
        if req.len() >= 8 {
            hex(reply)
        } else {
            Vec::new()
        }
    })
}

#[test]
fn pzem004t_reads_the_captured_frame() {
    let sim = Sim::start(|req| {
        // Only a well-formed request for 10 registers at 0xF8 is answered.
        if req == hex("F8 04 00 00 00 0A 64 64") {
            hex(PZEM_REPLY)
        } else {
            Vec::new()
        }
    });
    let mut meter = open(&sim.spec("pzem004t", "")).unwrap();
    let r = meter.read().unwrap();
    assert!((r.watts - 24.4).abs() < 1e-9 && (r.volts.unwrap() - 225.7).abs() < 1e-9);
}

#[test]
fn pzem017_reads_the_captured_frame() {
    let sim = Sim::start(|req| {
        if req == hex("01 04 00 00 00 08 F1 CC") {
            hex("01 04 10 05 40 00 0A 00 0D 00 00 00 02 00 00 00 00 00 00 D6 29")
        } else {
            Vec::new()
        }
    });
    let r = open(&sim.spec("pzem017", ",addr=1"))
        .unwrap()
        .read()
        .unwrap();
    assert!((r.watts - 1.3).abs() < 1e-9 && (r.volts.unwrap() - 13.44).abs() < 1e-9);
}

#[test]
fn pzem_faults_are_errors_not_numbers() {
    let exception = pzem_sim("01 84 02 C2 C1");
    let err = open(&exception.spec("pzem004t", ""))
        .unwrap()
        .read()
        .unwrap_err();
    assert!(err.to_string().contains("Modbus exception 0x02"), "{err}");
    let bad_crc =
        pzem_sim("01 04 14 08 D1 00 6C 00 00 00 F4 00 00 00 26 00 00 01 F4 00 64 00 00 51 35");
    let err = open(&bad_crc.spec("pzem004t", ""))
        .unwrap()
        .read()
        .unwrap_err();
    assert!(err.to_string().contains("CRC"), "{err}");
    let silent = Sim::start(|_| Vec::new());
    let t = Instant::now();
    let err = open(&silent.spec("pzem004t", ""))
        .unwrap()
        .read()
        .unwrap_err();
    assert!(matches!(err, MeterError::Timeout { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

fn um25c_frame() -> Vec<u8> {
    let mut f = hex("09c913d9140300000a2b001f00570000");
    f.resize(96, 0);
    f.extend(hex("003c003c"));
    f.resize(122, 0);
    f.extend(hex("00000063"));
    f.extend(hex("0000fff1"));
    f
}

#[test]
fn um25c_frame_in_chunks_after_junk() {
    let sim = Sim::start(|req| {
        if req.contains(&0xF0) {
            let mut out = vec![0x55, 0xAA, 0x00];
            out.extend(um25c_frame());
            out
        } else {
            Vec::new()
        }
    });
    let mut meter = open(&sim.spec("um25c", "")).unwrap();
    for _ in 0..2 {
        let r = meter.read().unwrap();
        assert!((r.watts - 2.603).abs() < 1e-9 && (r.amps.unwrap() - 0.5123).abs() < 1e-9);
    }
}

#[test]
fn wattsup_streams_records_after_being_told_to() {
    let sim = Sim::start({
        let mut started = false;
        move |req| {
            if String::from_utf8_lossy(req).contains("#L,W,3,E,,1;") {
                started = true;
            }
            if started {
                std::thread::sleep(Duration::from_millis(50));
                b"junk\r\n#d,-,18,124,1191,97,0,_,_,_,124,_,_,_,_,_,100,_,_,_,_;\r\n".to_vec()
            } else {
                Vec::new()
            }
        }
    });
    let r = open(&sim.spec("wattsup", "")).unwrap().read().unwrap();
    assert!((r.watts - 12.4).abs() < 1e-9);
}

#[test]
fn scpi_wt300_and_a_custom_query() {
    let sim = Sim::start(|req| {
        let text = String::from_utf8_lossy(req);
        if text.contains(":NUM:NORM:VAL?") {
            b"231.96E+00,0.12532E+00,15.40E+00\n".to_vec()
        } else if text.contains("MEAS:POW?") {
            b"NAN\n".to_vec()
        } else {
            Vec::new()
        }
    });
    let r = open(&sim.spec("scpi", "")).unwrap().read().unwrap();
    assert!((r.watts - 15.4).abs() < 1e-9);
    let err = open(&sim.spec("scpi", ",query=MEAS:POW?,field=0"))
        .unwrap()
        .read()
        .unwrap_err();
    assert!(err.to_string().contains("no reading"), "{err}");
}

#[test]
fn line_devices_and_a_device_that_never_ends_a_line() {
    let ina = Sim::start(|_| {
        b"Bus Voltage:   5.04 V\r\nCurrent:       512.30 mA\r\nPower:         2580.00 mW\r\n\r\n"
            .to_vec()
    });
    let r = open(&ina.spec("line", "")).unwrap().read().unwrap();
    assert!((r.watts - 2.58).abs() < 1e-9);
    let noise = Sim::start(|_| vec![b'x'; 1000]);
    let err = open(&noise.spec("line", "")).unwrap().read().unwrap_err();
    assert!(
        err.to_string().contains("without a complete reply"),
        "{err}"
    );
}

#[test]
fn a_line_device_faster_than_the_polls_gives_its_newest_reading() {
    // Prints "Power: n W" every 20 ms, n counting up; polled twice a second
    // the meter must not fall behind into the port's buffer.
    let printed = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&printed);
    let sim = Sim::start(move |_| {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        format!("Power: {n} W\r\n").into_bytes()
    });
    let mut meter = open(&sim.spec("line", "")).unwrap();
    let mut last = 0.0;
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(500));
        let r = meter.read().unwrap();
        let now = printed.load(Ordering::SeqCst) as f64;
        // A line or two may still be on its way through the pty.
        assert!(
            r.watts >= now - 3.0,
            "read {} W when {now} was printed",
            r.watts
        );
        assert!(r.watts > last, "{} after {last}", r.watts);
        last = r.watts;
    }
}

#[test]
fn a_line_device_streaming_noise_is_declared_faulty_and_the_run_goes_on() {
    // Bytes without a line end, as fast as the pty takes them, for the
    // whole run: buffers stay bounded, the meter is warned about once,
    // the rows get no watts and the run finishes.
    let sim = Sim::start_flooding(|_| vec![b'x'; 64 * 1024]);
    let (rows, stderr) = run_with_meter(&format!("line:{}", sim.path));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts, None, "{r:?}");
        assert!(r.mb_per_s > 0.0);
    }
    assert_eq!(
        stderr.matches("without a complete reply").count(),
        1,
        "warned once: {stderr}"
    );
    let sent = sim.sent.load(Ordering::Relaxed);
    eprintln!("{} MB of noise sent during the run", sent / 1_000_000);
    // Far more than any buffer of the meter (4 KiB): had one grown with
    // the noise, it would show. (How much more depends on the machine's load.)
    assert!(sent > 1 << 20, "only {sent} bytes of noise sent");
}

#[test]
fn monitor_survives_a_meter_that_goes_silent() {
    let answering = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&answering);
    let sim = Sim::start(move |req| {
        if req.len() >= 8 && flag.load(Ordering::Relaxed) {
            hex(PZEM_REPLY)
        } else {
            Vec::new()
        }
    });
    let meter = open(&sim.spec("pzem004t", "")).unwrap();
    let t0 = Instant::now();
    let monitor = Monitor::start(meter, None, Duration::from_millis(50));
    std::thread::sleep(Duration::from_millis(600));
    let t1 = Instant::now();
    answering.store(false, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(3500));
    let t2 = Instant::now();
    let before = monitor
        .stats(t0, t1, Duration::ZERO)
        .expect("readings while it answered");
    assert!(
        (before.mean_w - 24.4).abs() < 1e-9 && before.readings >= 2,
        "{before:?}"
    );
    // Settle past the last in-flight reply; nothing after that.
    assert_eq!(
        monitor.stats(t1 + Duration::from_millis(300), t2, Duration::ZERO),
        None
    );
    let warnings = monitor.warnings();
    assert_eq!(warnings.len(), 1, "warned once: {warnings:?}");
    assert!(warnings[0].contains("no answer"), "{warnings:?}");
    monitor.stop();
}

#[test]
fn missing_port_and_live_command() {
    let err = open(&"pzem004t:/dev/does-not-exist-sbcbench".parse().unwrap())
        .err()
        .unwrap();
    assert!(matches!(err, MeterError::Open { .. }), "{err}");
    assert!(err.to_string().contains("/dev/does-not-exist-sbcbench"));

    let sim = pzem_sim(PZEM_REPLY);
    sbcbench()
        .args([
            "meter",
            &format!("pzem004t:{}", sim.path),
            "--count",
            "2",
            "--interval",
            "0.1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("24.400 W").count(2))
        .stdout(predicate::str::contains("225.700 V"));
    sbcbench()
        .args(["meter", "pzem:/dev/ttyUSB0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown meter protocol 'pzem'"));
    sbcbench()
        .args([
            "meter",
            "pzem004t:/dev/does-not-exist-sbcbench",
            "--count",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such port"));
}

#[test]
fn run_samples_the_meter_for_idle_and_every_row() {
    let sim = pzem_sim(PZEM_REPLY);
    let (rows, _) = run_with_meter(&format!("pzem004t:{}", sim.path));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:pzem004t");
        for w in [r.watts, r.watts_min, r.watts_max] {
            assert!((w.unwrap() - 24.4).abs() < 1e-9, "{r:?}");
        }
        // Lengthened so that at least 10 readings fall after the settling time.
        assert!(r.watts_readings.unwrap() >= 10, "{:?}", r.watts_readings);
        assert!(r.energy_j.unwrap() >= 24.4 * 7.0, "{:?}", r.energy_j);
        for w in [r.idle_watts, r.one_core_watts] {
            assert!((w.unwrap() - 24.4).abs() < 1e-9, "{r:?}");
        }
        assert!((r.mb_per_s_per_w.unwrap() - r.mb_per_s / r.watts.unwrap()).abs() < 1e-9);
    }
}

/// One precedence for a phase's watts: a meter's reading over a `fixed:`
/// figure, on every row alike. Before, the single-core row, saved before
/// the all-cores one was measured, kept the fixed all-cores figure.
#[test]
fn a_meter_wins_over_fixed_figures_on_every_row_of_the_run() {
    let sim = pzem_sim(PZEM_REPLY);
    let (rows, _) = run_metered(
        &format!("pzem004t:{}", sim.path),
        &[
            "--threads",
            "1,all",
            "--power",
            "fixed:idle=9,1=9,half=9,all=9",
        ],
    );
    assert!(rows.len() >= 2, "{rows:?}");
    let profile = |r: &sbcbench::record::ResultRow| {
        (
            r.idle_watts,
            r.one_core_watts,
            r.half_cores_watts,
            r.all_cores_watts,
        )
    };
    for r in &rows {
        assert_eq!(r.watts_source, "meter:pzem004t", "{r:?}");
        assert_eq!(
            profile(r),
            profile(&rows[0]),
            "one profile per run: {rows:?}"
        );
    }
    let (idle, one, half, all) = profile(&rows[0]);
    for w in [idle, one, all] {
        assert!(
            (w.unwrap() - 24.4).abs() < 1e-9,
            "the meter's, not 9 W: {:?}",
            rows[0]
        );
    }
    // No half-cores row was measured: that phase keeps its fixed figure.
    assert_eq!(half, Some(9.0));
}

#[test]
fn a_meter_lost_mid_run_leaves_watts_empty_and_the_run_goes_on() {
    // The meter answers the first two polls (the idle phase reads at 0 and
    // 0.5 s), then falls silent for the rest of the run.
    let mut answered = 0;
    let sim = Sim::start(move |req| {
        if req.len() >= 8 && answered < 2 {
            answered += 1;
            hex(PZEM_REPLY)
        } else {
            Vec::new()
        }
    });
    let spec = format!("pzem004t:{}", sim.path);
    let (rows, stderr) = run_with_meter(&spec);
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts, None, "{r:?}");
        assert!((r.idle_watts.unwrap() - 24.4).abs() < 1e-9, "{r:?}");
        assert!(r.mb_per_s > 0.0);
    }
    assert_eq!(
        stderr.matches("no answer").count(),
        1,
        "warned once: {stderr}"
    );
}

/// A Tasmota plug's `Status 10` answer (JSON-Status-Responses.md) whose
/// power rises by a watt at each request: 10 W, 11 W, …
fn tasmota_status(n: u64) -> Answer {
    Answer::json(format!(
        r#"{{"StatusSNS":{{"Time":"2026-12-04T10:00:00","ENERGY":{{"TotalStartTime":"2026-01-01T00:00:00","Total":3.185,"Yesterday":0.5,"Today":0.127,"Power":{},"ApparentPower":12,"ReactivePower":3,"Factor":0.9,"Voltage":231,"Current":0.052}}}}}}"#,
        10 + n
    ))
}

/// A plug without a web password.
fn tasmota_plug() -> HttpSim {
    HttpSim::start(|req, n| {
        // Tasmota takes no Authorization header: credentials go in the query.
        if req.method == "GET"
            && req.target == "/cm?cmnd=Status%2010"
            && req.header("authorization").is_none()
        {
            tasmota_status(n)
        } else {
            Answer::status(404)
        }
    })
}

fn tasmota(sim: &HttpSim, extra: &str) -> MeterSpec {
    format!("tasmota:{}{extra}", sim.addr).parse().unwrap()
}

#[test]
fn tasmota_plug_gives_live_watts_volts_and_amps() {
    let sim = tasmota_plug();
    let mut m = open(&tasmota(&sim, "")).unwrap();
    let first = m.read().unwrap();
    assert_eq!((first.volts, first.amps), (Some(231.0), Some(0.052)));
    // Total: 3.185 kWh, counted in Wh (three decimals).
    let counter = first.energy.unwrap();
    assert_eq!(
        (counter.joules, counter.resolution_j),
        (3.185 * 3.6e6, 3600.0)
    );
    let later = m.read().unwrap();
    assert_eq!(later.watts, first.watts + 1.0, "{first:?} {later:?}");
    // One when opening, one a read.
    assert_eq!(sim.requests(), 3);

    // A plug is asked no faster than once a second, whatever --interval.
    let t = Instant::now();
    sbcbench()
        .args(["meter", &format!("tasmota:{}", sim.addr), "--count", "3"])
        .args(["--interval", "0.1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" W").count(3))
        .stdout(predicate::str::contains("231.000 V").count(3))
        .stdout(predicate::str::contains("0.0520 A").count(3));
    assert!(t.elapsed() >= Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn tasmota_password_comes_from_a_private_file_and_is_never_shown() {
    let sim = HttpSim::start(|req, n| {
        if req.target == "/cm?user=admin&password=s%3Dcr%26t&cmnd=Status%2010" {
            tasmota_status(n)
        } else if req.target.contains("user=") {
            // What Tasmota answers to a wrong password: 200 and a warning.
            Answer::json(r#"{"WARNING":"Need user=<username>&password=<password>"}"#)
        } else {
            Answer::status(401)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let secret = |name: &str, text: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p.display().to_string()
    };
    let good = secret("good", "s=cr&t\n", 0o600);
    let wrong = secret("wrong", "guess\n", 0o600);
    let shared = secret("shared", "s=cr&t\n", 0o644);

    let r = open(&tasmota(&sim, &format!(",password-file={good}")))
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(r.volts, Some(231.0));
    for (extra, want) in [
        (format!(",password-file={wrong}"), "check the password file"),
        (String::new(), "HTTP 401"),
        (format!(",password-file={shared}"), "chmod 600"),
    ] {
        let e = open(&tasmota(&sim, &extra)).err().unwrap().to_string();
        assert!(e.contains(want), "{extra}: {e}");
        assert!(!e.contains("s=cr") && !e.contains("guess"), "{e}");
    }
    // On the command line: a usage error, and no secret in what is printed.
    let out = sbcbench()
        .args([
            "meter",
            &format!("tasmota:{},password-file={wrong}", sim.addr),
            "--count",
            "1",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("check the password file"), "{stderr}");
    assert!(!stderr.contains("guess"), "{stderr}");
}

#[test]
fn tasmota_faults_are_errors_naming_the_plug_and_the_reason() {
    let server_error = HttpSim::start(|_, _| Answer::status(500));
    let garbage = HttpSim::start(|_, _| Answer::json("<html>busy</html>"));
    let not_found = HttpSim::start(|_, _| Answer::status(404));
    let slow = HttpSim::start(|_, n| Answer {
        delay: Duration::from_secs(4),
        ..tasmota_status(n)
    });
    for (addr, want) in [
        (server_error.addr.clone(), "HTTP 500"),
        (garbage.addr.clone(), "not JSON"),
        (not_found.addr.clone(), "HTTP 404"),
        (slow.addr.clone(), "no answer within 2000 ms"),
        (closed_port(), "connection refused"),
    ] {
        let t = Instant::now();
        let spec: MeterSpec = format!("tasmota:{addr}").parse().unwrap();
        let e = open(&spec).err().unwrap();
        assert!(matches!(e, MeterError::Open { .. }), "{e}");
        let e = e.to_string();
        assert!(e.contains(want) && e.contains(&addr), "{addr}: {e}");
        assert!(t.elapsed() < Duration::from_secs(3), "{addr}: {e}");
    }
}

#[test]
fn tasmota_plug_fails_mid_run_warned_once_then_reads_again() {
    // Answers, then three 500s, then answers again.
    let sim = HttpSim::start(|_, n| {
        if (1..4).contains(&n) {
            Answer::status(500)
        } else {
            tasmota_status(n)
        }
    });
    let spec = tasmota(&sim, "");
    let os: Arc<dyn Os> = Arc::new(HostOs);
    let meter = meter::open(&spec, &os).unwrap();
    let monitor = Monitor::start(meter, Some((spec, os)), Duration::from_millis(50));
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(6500));
    let rs = monitor.readings_between(start, Instant::now());
    let warnings = monitor.warnings();
    monitor.stop();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("HTTP 500"), "{warnings:?}");
    // Never a made-up number: every reading is one the plug gave.
    assert!(
        rs.iter().all(|r| r.watts == 10.0 || r.watts >= 14.0),
        "{rs:?}"
    );
    assert!(rs.iter().any(|r| r.watts >= 14.0), "{rs:?}");
}

#[test]
fn run_with_a_tasmota_plug_fills_watts_on_every_row() {
    let sim = tasmota_plug();
    let (rows, _) = run_with_meter(&format!("tasmota:{}", sim.addr));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:tasmota", "{r:?}");
        // Whole Wh of counter over a short row: the readings.
        assert_eq!(r.watts_method, "samples", "{r:?}");
        let w = r.watts.unwrap();
        assert!(w >= 10.0, "{r:?}");
        assert!((r.mb_per_s_per_w.unwrap() - r.mb_per_s / w).abs() < 1e-9);
    }
}

/// A copy of a recorded board (`tests/fixtures/sysfs/x86-pc`) with an
/// INA226 on its supply as `hwmon9`: 5.104 V, 1.25 A, 6.375 W.
fn board_with_ina226() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sysfs/x86-pc/."
        ))
        .arg(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let ina = dir.path().join("sys/class/hwmon/hwmon9");
    std::fs::create_dir_all(&ina).unwrap();
    for (f, v) in [
        ("name", "ina226"),
        ("in0_input", "2"),
        ("in1_input", "5104"),
        ("curr1_input", "1250"),
        ("power1_input", "6375000"),
        ("update_interval", "35"),
    ] {
        std::fs::write(ina.join(f), format!("{v}\n")).unwrap();
    }
    dir
}

#[test]
fn hwmon_sensor_in_a_recorded_tree_gives_watts_to_meter_and_run() {
    let board = board_with_ina226();
    let root = board.path().to_str().unwrap();
    sbcbench()
        .args(["--sysroot", root, "meter", "hwmon:ina226", "--count", "2"])
        .args(["--interval", "0.1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("6.375 W").count(2))
        .stdout(predicate::str::contains("5.104 V"));
    // A name that is not there: a usage error before measuring, saying
    // what there is.
    sbcbench()
        .args(["--sysroot", root, "run", "--no-save", "--kernels", "sha1"])
        .args(["--meter", "hwmon:ina219"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ina226 (hwmon9)"));
    let (rows, _) = run_metered("hwmon:ina226", &["--threads", "1", "--sysroot", root]);
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:hwmon", "{r:?}");
        // An INA226 keeps no energy counter.
        assert_eq!(r.watts_method, "samples", "{r:?}");
        assert!((r.watts.unwrap() - 6.375).abs() < 1e-9, "{r:?}");
        assert!(r.mb_per_s_per_w.is_some(), "{r:?}");
    }
}

#[test]
fn an_energy_counter_gives_a_long_rows_mean_and_says_so() {
    // An INA238-like sensor whose power file says 5 W while its energy
    // counter counts 6 W (the board's draw between two reads, which the
    // polled readings miss): a row long enough takes the counter.
    let board = board_with_ina226();
    let ina = board.path().join("sys/class/hwmon/hwmon9");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (ina, stop) = (ina.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let t0 = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let uj = (t0.elapsed().as_secs_f64() * 6e6) as u64;
                for (f, v) in [("power1_input", 5_000_000), ("energy1_input", uj)] {
                    // Renamed into place: a read never sees half a number.
                    let tmp = ina.join(format!(".{f}"));
                    std::fs::write(&tmp, format!("{v}\n")).unwrap();
                    std::fs::rename(&tmp, ina.join(f)).unwrap();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let root = board.path().to_str().unwrap();
    let out = sbcbench()
        .args(["--sysroot", root, "run", "--no-save", "--format", "csv"])
        .args(["--kernels", "sha1", "--threads", "1", "--idle-time", "1"])
        .args(["--samples", "2", "--min-time", "4", "--warmup", "0"])
        .args(["--cooldown", "0", "--system-tools", "off"])
        .args(["--meter", "hwmon:ina226"])
        .assert()
        .success()
        .get_output()
        .clone();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let rows = rows_from_csv(&out.stdout);
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_method, "energy-counter", "{r:?}");
        assert!((r.watts.unwrap() - 6.0).abs() < 0.1, "{r:?}");
        // The readings themselves stay what the sensor said.
        assert_eq!((r.watts_min, r.watts_max), (Some(5.0), Some(5.0)), "{r:?}");
    }
}

#[test]
fn a_plug_slower_than_its_period_is_never_asked_twice_at_once() {
    // Each answer takes 1.5 s, longer than the 1 s between polls: the
    // next request waits for it rather than piling up beside it.
    let in_flight = Arc::new(AtomicU64::new(0));
    let most = Arc::new(AtomicU64::new(0));
    let sim = {
        let (in_flight, most) = (Arc::clone(&in_flight), Arc::clone(&most));
        HttpSim::start(move |_, n| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1500));
            in_flight.fetch_sub(1, Ordering::SeqCst);
            tasmota_status(n)
        })
    };
    let spec = tasmota(&sim, "");
    let os: Arc<dyn Os> = Arc::new(HostOs);
    let meter = meter::open(&spec, &os).unwrap();
    let monitor = Monitor::start(meter, None, spec.protocol.period());
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(5000));
    let rs = monitor.readings_between(start, Instant::now());
    let warnings = monitor.warnings();
    monitor.stop();
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert!(warnings.is_empty(), "{warnings:?}");
    // Each reading stamped when its answer arrived: 1.5 s apart.
    assert!(rs.len() >= 2, "{rs:?}");
    for w in rs.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(1400), "{rs:?}");
    }
}
