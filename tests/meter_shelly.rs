//! The `shelly:` meter against HTTP servers on 127.0.0.1 speaking the
//! documented API of a Gen1 Plug S, a Gen2 Plus Plug S (with real SHA-256
//! digest auth) and a Gen3 PM Mini (PM1), each with a reading that changes
//! and an energy counter that rises.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{closed_port, run_with_meter, sbcbench, Answer, HttpSim};

use predicates::prelude::*;
use sbcbench::observe::{HostOs, Os};
use sbcbench::power::meter::{self, Meter, MeterError, MeterSpec, Monitor};
use sbcbench::record::WattsMethod;
use sha2::{Digest, Sha256};

pub(crate) const PASSWORD: &str = "pl@g s3cret";
/// `admin:pl@g s3cret` in base64.
const BASIC: &str = "Basic YWRtaW46cGxAZyBzM2NyZXQ=";
const REALM: &str = "shellyplusplugs-aabbccddeeff";

fn open(spec: &str) -> Result<Box<dyn Meter>, MeterError> {
    let os: Arc<dyn Os> = Arc::new(HostOs);
    meter::open(&spec.parse::<MeterSpec>().unwrap(), &os)
}

/// A file only its owner can read holding `text`, in `dir`.
pub(crate) fn secret_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

/// A Gen1 Plug S (aioshelly's fixture): `auth` on or off; `/meter/0`'s
/// power rises by a watt a request and `total` (W·min) by 2.
fn gen1_plug(auth: bool) -> HttpSim {
    HttpSim::start(move |req, n| {
        if req.target == "/shelly" {
            return Answer::json(format!(
                r#"{{"type":"SHPLG-S","mac":"C45BBE000000","auth":{auth},"fw":"20230913-113421/v1.14.0-gcb84623","discoverable":false,"num_outputs":1,"num_meters":1}}"#
            ));
        }
        if auth && req.header("authorization") != Some(BASIC) {
            return Answer {
                headers: vec![(
                    "WWW-Authenticate".into(),
                    r#"Basic realm="shellyplug-s-000000""#.into(),
                )],
                ..Answer::status(401)
            };
        }
        match req.target.as_str() {
            "/meter/0" => Answer::json(format!(
                r#"{{"power":{}.50,"overpower":2500.00,"is_valid":true,"timestamp":1707335841,"counters":[0.000, 0.000, 0.000],"total":{}}}"#,
                40 + n,
                2632 + 2 * n
            )),
            _ => Answer::status(404),
        }
    })
}

/// A Gen2 `Switch.GetStatus` (or `PM1.GetStatus`) result, from the Plus
/// Plug S fixture, at request `n`.
fn gen2_status(n: u64) -> String {
    format!(
        r#"{{"id":0,"source":"init","output":true,"apower":{:.1},"voltage":227.9,"current":0.121,"aenergy":{{"total":{:.3},"by_minute":[34.786,45.552,45.552],"minute_ts":1707326925}},"temperature":{{"tC":35.6,"tF":96.1}}}}"#,
        2.7 + n as f64 / 10.0,
        7258.589 + n as f64 / 1000.0
    )
}

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `header` is the digest answer (RFC 7616, SHA-256, qop=auth) of
/// user `admin` with [`PASSWORD`] to `nonce`, for `GET target`.
fn digest_ok(header: Option<&str>, nonce: &str, target: &str) -> bool {
    let Some(Ok(h)) = header.map(digest_auth::AuthorizationHeader::parse) else {
        return false;
    };
    let Some(cnonce) = h.cnonce.as_deref() else {
        return false;
    };
    let ha1 = sha256(&format!("admin:{REALM}:{PASSWORD}"));
    let ha2 = sha256(&format!("GET:{target}"));
    let want = sha256(&format!("{ha1}:{nonce}:{:08x}:{cnonce}:auth:{ha2}", h.nc));
    h.username == "admin"
        && h.realm == REALM
        && h.nonce == nonce
        && h.uri == target
        && h.response == want
}

/// A Gen2 Plus Plug S with auth on: every request but `/shelly` must carry
/// a digest answer; a nonce serves three requests, then a new one is
/// issued (as a device renews an old one). `accepted` counts the requests
/// that passed.
pub(crate) fn gen2_plug(accepted: Arc<AtomicU64>) -> HttpSim {
    let nonce = Mutex::new((1u32, 0u32));
    HttpSim::start(move |req, n| {
        if req.target == "/shelly" {
            return Answer::json(format!(
                r#"{{"name":null,"id":"{REALM}","mac":"AABBCCDDEEFF","slot":1,"model":"SNPL-00112EU","gen":2,"fw_id":"20231219-134003/1.1.0-g34b5d4f","ver":"1.1.0","app":"PlugS","auth_en":true,"auth_domain":"{REALM}"}}"#
            ));
        }
        let mut g = nonce.lock().unwrap();
        let current = format!("{:08x}", g.0);
        if g.1 < 3 && digest_ok(req.header("authorization"), &current, &req.target) {
            g.1 += 1;
            accepted.fetch_add(1, Ordering::SeqCst);
            return match req.target.as_str() {
                "/rpc/Shelly.GetStatus" => Answer::json(format!(
                    r#"{{"switch:0":{},"sys":{{"uptime":100}},"wifi":{{"rssi":-60}}}}"#,
                    gen2_status(n)
                )),
                "/rpc/Switch.GetStatus?id=0" => Answer::json(gen2_status(n)),
                _ => Answer::status(404),
            };
        }
        if g.1 >= 3 {
            *g = (g.0 + 1, 0);
        }
        Answer {
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(
                    r#"Digest realm="{REALM}", nonce="{:08x}", qop="auth", algorithm=SHA-256"#,
                    g.0
                ),
            )],
            ..Answer::status(401)
        }
    })
}

/// A Gen2+ device without auth, whose `Shelly.GetStatus` is `components`
/// and whose `/rpc/<method>?id=0` answers `status(n)`.
fn gen2_open(
    gen: u32,
    components: &'static str,
    method: &'static str,
    status: impl Fn(u64) -> Answer + Send + Sync + 'static,
) -> HttpSim {
    HttpSim::start(move |req, n| match req.target.as_str() {
        "/shelly" => Answer::json(format!(
            r#"{{"id":"shellypmminig3-aabbcc","model":"S3PM-001PCEU16","gen":{gen},"ver":"1.4.4","auth_en":false,"auth_domain":null}}"#
        )),
        "/rpc/Shelly.GetStatus" => Answer::json(components),
        t if t == format!("/rpc/{method}.GetStatus?id=0") => status(n),
        _ => Answer::status(404),
    })
}

/// A PM Mini Gen3: `pm1:0`.
fn pm1_device() -> HttpSim {
    gen2_open(
        3,
        r#"{"pm1:0":{"id":0,"apower":98.4},"sys":{}}"#,
        "PM1",
        |n| {
            Answer::json(format!(
                r#"{{"id":0,"voltage":231.2,"current":0.456,"apower":{},"aprtpower":110.0,"pf":0.9,"freq":50.0,"aenergy":{{"total":{:.3},"by_minute":[1640.0,0.0,0.0],"minute_ts":1707326940}},"ret_aenergy":{{"total":0.000,"by_minute":[0.0,0.0,0.0],"minute_ts":1707326940}}}}"#,
                98 + n,
                12.5 + n as f64 / 100.0
            ))
        },
    )
}

#[test]
fn shelly_gen1_plug_s_gives_live_watts_behind_basic_auth() {
    let sim = gen1_plug(true);
    let dir = tempfile::tempdir().unwrap();
    let pw = secret_file(&dir, "plug", &format!("{PASSWORD}\n"));
    let spec = format!("shelly:{},password-file={pw}", sim.addr);
    let mut m = open(&spec).unwrap();
    let (a, b) = (m.read().unwrap(), m.read().unwrap());
    assert!(b.watts > a.watts, "{a:?} {b:?}");
    assert_eq!((a.volts, a.amps), (None, None));
    let (ca, cb) = (a.energy.unwrap(), b.energy.unwrap());
    assert_eq!(ca.resolution_j, 60.0);
    assert!(cb.joules > ca.joules && ca.joules >= 2632.0 * 60.0);

    let out = sbcbench()
        .args(["meter", &spec, "--count", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" W").count(3))
        .stdout(predicate::str::contains(" V").not())
        .get_output()
        .clone();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));
}

#[test]
fn shelly_gen2_plus_plug_s_answers_the_digest_challenge() {
    let accepted = Arc::new(AtomicU64::new(0));
    let sim = gen2_plug(Arc::clone(&accepted));
    let dir = tempfile::tempdir().unwrap();
    let pw = secret_file(&dir, "plug", &format!("{PASSWORD}\n"));
    let mut m = open(&format!("shelly:{},password-file={pw}", sim.addr)).unwrap();
    let first = m.read().unwrap();
    assert_eq!((first.volts, first.amps), (Some(227.9), Some(0.121)));
    let c = first.energy.unwrap();
    assert!(c.joules > 7258.589 * 3600.0 && (c.resolution_j - 3.6).abs() < 1e-12);
    // Past the third use of a nonce: the renewed one is answered.
    for _ in 0..4 {
        assert!(m.read().unwrap().watts > first.watts);
    }
    // GetStatus, the read when opening and five.
    assert_eq!(accepted.load(Ordering::SeqCst), 7);

    // From a file, and from a variable set only for the child.
    for (spec, var) in [
        (format!("shelly:{},password-file={pw}", sim.addr), None),
        (
            format!("shelly:{},password-env=SBCBENCH_PLUG_PW", sim.addr),
            Some(PASSWORD),
        ),
    ] {
        let mut cmd = sbcbench();
        if let Some(v) = var {
            cmd.env("SBCBENCH_PLUG_PW", v);
        }
        let out = cmd
            .args(["meter", &spec, "--count", "3"])
            .assert()
            .success()
            .stdout(predicate::str::contains(" W").count(3))
            .stdout(predicate::str::contains("227.900 V").count(3))
            .stdout(predicate::str::contains("0.1210 A").count(3))
            .get_output()
            .clone();
        let all = [out.stdout, out.stderr].concat();
        assert!(!String::from_utf8_lossy(&all).contains(PASSWORD));
    }
}

#[test]
fn shelly_pm1_device_gives_watts_volts_and_amps() {
    let sim = pm1_device();
    sbcbench()
        .args(["meter", &format!("shelly:{}", sim.addr), "--count", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" W").count(3))
        .stdout(predicate::str::contains("231.200 V").count(3))
        .stdout(predicate::str::contains("0.4560 A").count(3));
}

#[test]
fn shelly_faults_are_errors_at_open_naming_the_device_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let pw = secret_file(&dir, "good", &format!("{PASSWORD}\n"));
    let wrong = secret_file(&dir, "wrong", "guess-what\n");
    let gen1 = gen1_plug(true);
    let gen2 = gen2_plug(Arc::new(AtomicU64::new(0)));
    let gen1_open = gen1_plug(false);
    let invalid = HttpSim::start(|req, _| match req.target.as_str() {
        "/shelly" => Answer::json(r#"{"type":"SHPLG-S","auth":false,"num_meters":1}"#),
        _ => Answer::json(r#"{"power":0.00,"is_valid":false,"total":0}"#),
    });
    let two_meters = HttpSim::start(|req, _| match req.target.as_str() {
        "/shelly" => Answer::json(r#"{"type":"SHSW-25","auth":false,"num_meters":2}"#),
        _ => Answer::status(404),
    });
    let switch_404 = gen2_open(2, r#"{"switch:0":{"apower":1}}"#, "Nothing", |_| {
        Answer::status(404)
    });
    let plus_1 = gen2_open(
        2,
        r#"{"switch:0":{"id":0,"output":false}}"#,
        "Switch",
        |_| Answer::status(404),
    );
    let hot = gen2_open(2, r#"{"switch:0":{"apower":1}}"#, "Switch", |_| {
        Answer::json(r#"{"id":0,"apower":0,"errors":["overtemp"]}"#)
    });
    let server_error = HttpSim::start(|_, _| Answer::status(500));
    let garbage = HttpSim::start(|_, _| Answer::json("<html>busy</html>"));
    let slow = HttpSim::start(|_, _| Answer {
        delay: Duration::from_secs(4),
        ..Answer::json(r#"{"gen":2,"auth_en":false}"#)
    });
    let refused = closed_port();
    for (addr, extra, want) in [
        (
            &gen2.addr,
            format!(",password-file={wrong}"),
            "check the user and the password",
        ),
        (
            &gen1.addr,
            format!(",password-file={wrong}"),
            "check the user and the password",
        ),
        (
            &gen2.addr,
            String::new(),
            "give password-file= or password-env=",
        ),
        (
            &gen1.addr,
            String::new(),
            "give password-file= or password-env=",
        ),
        (
            &gen2.addr,
            format!(",user=bob,password-file={pw}"),
            "always admin",
        ),
        (
            &gen1_open.addr,
            ",id=1".into(),
            "no meter id=1: this Gen1 device has num_meters=1",
        ),
        (
            &two_meters.addr,
            ",id=1".into(),
            "HTTP 404: no /meter/1 on this Gen1 device: is id= right?",
        ),
        (
            &switch_404.addr,
            String::new(),
            "HTTP 404: no /rpc/Switch.GetStatus?id=0 on this Gen2 device",
        ),
        (
            &switch_404.addr,
            ",id=3".into(),
            "no switch:3 or pm1:3 (it has switch:0)",
        ),
        (&plus_1.addr, String::new(), "does not meter power"),
        (&invalid.addr, String::new(), "self-check failed"),
        (&hot.addr, String::new(), "reports errors: overtemp"),
        (&server_error.addr, String::new(), "HTTP 500"),
        (
            &garbage.addr,
            String::new(),
            "/shelly: the answer is not JSON",
        ),
        (&slow.addr, String::new(), "no answer within 2000 ms"),
        (&refused, String::new(), "connection refused"),
        (
            &"no-such-host.invalid".to_string(),
            String::new(),
            "does not resolve",
        ),
    ] {
        let spec = format!("shelly:{addr}{extra}");
        let t = Instant::now();
        let e = open(&spec).err().unwrap();
        assert!(matches!(e, MeterError::Open { .. }), "{spec}: {e}");
        let e = e.to_string();
        assert!(
            e.contains(&format!("shelly {addr}")) && e.contains(want),
            "{spec}: {e}"
        );
        assert!(t.elapsed() < Duration::from_secs(3), "{spec}: {e}");
        assert!(!e.contains(PASSWORD) && !e.contains("guess-what"), "{e}");
    }
    // On the command line: exit 2, and no password in what is printed.
    for (addr, extra) in [
        (&gen2.addr, format!(",password-file={wrong}")),
        (&gen1.addr, format!(",password-file={wrong}")),
        (&gen1.addr, String::new()),
        (&invalid.addr, String::new()),
        (&refused, String::new()),
    ] {
        let out = sbcbench()
            .args(["meter", &format!("shelly:{addr}{extra}"), "--count", "1"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("shelly {addr}")))
            .get_output()
            .clone();
        let all = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
        assert!(
            !all.contains("guess-what") && !all.contains(PASSWORD),
            "{all}"
        );
    }
}

#[test]
fn shelly_device_failing_mid_run_is_warned_once_then_read_again() {
    // Requests 0–2 open it (/shelly, GetStatus, a read); the next three
    // reads get 500, the following ones answer again.
    let sim = gen2_open(2, r#"{"switch:0":{"apower":1}}"#, "Switch", |n| {
        if (3..6).contains(&n) {
            Answer::status(500)
        } else {
            Answer::json(gen2_status(n))
        }
    });
    let spec: MeterSpec = format!("shelly:{}", sim.addr).parse().unwrap();
    let os: Arc<dyn Os> = Arc::new(HostOs);
    let meter = meter::open(&spec, &os).unwrap();
    let monitor = Monitor::start(meter, Some((spec, os)), Duration::from_millis(50));
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let rs = monitor.readings_between(start, Instant::now());
    let warnings = monitor.warnings();
    monitor.stop();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("HTTP 500"), "{warnings:?}");
    // Never a made-up number: only what the device said before and after.
    assert!(rs.iter().all(|r| r.watts < 3.0 || r.watts >= 3.3), "{rs:?}");
    assert!(rs.iter().any(|r| r.watts >= 3.3), "{rs:?}");
}

#[test]
fn shelly_gen2_counter_gives_the_mean_of_a_monitored_window() {
    // The counter counts 3600 W (1 Wh a second) of real time; apower says
    // 3000 W: the window's mean comes from the counter.
    let t0 = Instant::now();
    let sim = gen2_open(2, r#"{"switch:0":{"apower":1}}"#, "Switch", move |_| {
        Answer::json(format!(
            r#"{{"id":0,"apower":3000.0,"voltage":230.1,"current":13.04,"aenergy":{{"total":{:.3}}}}}"#,
            100.0 + t0.elapsed().as_secs_f64()
        ))
    });
    let spec: MeterSpec = format!("shelly:{}", sim.addr).parse().unwrap();
    let os: Arc<dyn Os> = Arc::new(HostOs);
    let monitor = Monitor::start(
        meter::open(&spec, &os).unwrap(),
        None,
        Duration::from_millis(50),
    );
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(1200));
    let stats = monitor
        .stats(start, Instant::now(), Duration::ZERO)
        .unwrap();
    monitor.stop();
    assert_eq!(stats.method, WattsMethod::EnergyCounter, "{stats:?}");
    assert_eq!(stats.method.to_string(), "energy-counter");
    assert!((stats.mean_w - 3600.0).abs() < 200.0, "{stats:?}");
}

#[test]
fn run_with_a_shelly_fills_watts_on_every_row() {
    let accepted = Arc::new(AtomicU64::new(0));
    let sim = gen2_plug(accepted);
    let dir = tempfile::tempdir().unwrap();
    let pw = secret_file(&dir, "plug", &format!("{PASSWORD}\n"));
    let (rows, stderr) = run_with_meter(&format!("shelly:{},password-file={pw}", sim.addr));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:shelly", "{r:?}");
        assert_eq!(r.watts_method, WattsMethod::Samples, "{r:?}");
        let w = r.watts.unwrap();
        assert!(w >= 2.7, "{r:?}");
        assert!((r.mb_per_s_per_w.unwrap() - r.mb_per_s / w).abs() < 1e-9);
    }
    // Neither in the messages nor in any column of the results.
    assert!(!stderr.contains(PASSWORD) && !format!("{rows:?}").contains(PASSWORD));
}
