//! `netio:` against a real HTTP server on 127.0.0.1 speaking a Netio
//! PDU's M2M API: `/netio.json` with basic auth, or only `/netio.xml`.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::common::{closed_port, run_with_meter, sbcbench, Answer, HttpSim, Request};
use predicates::prelude::*;

const PASSWORD: &str = "pdu-s3cret";

/// A NETIO 4All: socket 2's load rises by a watt at each request, its
/// energy counter by 2 Wh; `reset_at` sets the counter back to 0 there.
fn netio_json(n: u64, reset_at: Option<u64>) -> Answer {
    let energy = match reset_at {
        Some(r) if n >= r => (n - r) * 2,
        _ => 1289 + n * 2,
    };
    Answer::json(format!(
        r#"{{"Agent":{{"Model":"NETIO 4All","Version":"3.0.6","JSONVer":"2.0","DeviceName":"lab",
        "NumOutputs":2}},"GlobalMeasure":{{"Voltage":230.4,"Frequency":50.0,"TotalCurrent":60,
        "OverallPowerFactor":0.9,"TotalLoad":9,"TotalEnergy":5000}},"Outputs":[
        {{"ID":1,"Name":"a","State":1,"Action":6,"Delay":2020,"Current":10,"PowerFactor":0.9,
        "Phase":0,"Energy":10,"ReverseEnergy":0,"Load":2}},
        {{"ID":2,"Name":"vf2","State":1,"Action":6,"Delay":2020,"Current":26,"PowerFactor":0.62,
        "Phase":0,"Energy":{energy},"ReverseEnergy":0,"Load":{}}}]}}"#,
        4 + n
    ))
}

/// `Basic admin:PASSWORD`, as RFC 7617 encodes it.
fn authorised(req: &Request) -> bool {
    // base64("admin:pdu-s3cret")
    req.header("authorization") == Some("Basic YWRtaW46cGR1LXMzY3JldA==")
}

fn pdu(password: bool) -> HttpSim {
    HttpSim::start(move |req, n| match req.target.as_str() {
        "/netio.json" if !password || authorised(req) => netio_json(n, None),
        "/netio.json" => Answer {
            headers: vec![("WWW-Authenticate".into(), "Basic realm=\"NETIO\"".into())],
            ..Answer::status(401)
        },
        _ => Answer::status(404),
    })
}

fn secret_file(dir: &tempfile::TempDir, text: &str) -> String {
    let p = dir.path().join("netio");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

#[test]
fn netio_socket_gives_live_watts_volts_and_amps() {
    let sim = pdu(false);
    sbcbench()
        .args([
            "meter",
            &format!("netio:{},output=2", sim.addr),
            "--count",
            "3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(" W").count(3))
        .stdout(predicate::str::contains("230.400 V").count(3))
        .stdout(predicate::str::contains("0.0260 A").count(3))
        // The open's request gave 4 W; the three readings 5, 6 and 7 W.
        .stdout(predicate::str::contains("5.000 W").and(predicate::str::contains("7.000 W")));
}

#[test]
fn netio_logs_in_with_basic_auth_from_a_file_or_a_variable() {
    let sim = pdu(true);
    let dir = tempfile::tempdir().unwrap();
    let good = secret_file(&dir, &format!("{PASSWORD}\n"));
    sbcbench()
        .args([
            "meter",
            &format!("netio:{},output=2,password-file={good}", sim.addr),
        ])
        .args(["--count", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" W"));
    // The variable is set on the child only.
    sbcbench()
        .env("NETIO_PW", PASSWORD)
        .args([
            "meter",
            &format!("netio:{},output=2,password-env=NETIO_PW", sim.addr),
        ])
        .args(["--count", "1"])
        .assert()
        .success();
    // Without a password, and with a wrong one: exit 2, saying what to do,
    // and the password shown nowhere.
    for (spec, env, want) in [
        (
            format!("netio:{},output=2", sim.addr),
            "",
            "give password-file=",
        ),
        (
            format!("netio:{},output=2,password-env=NETIO_PW", sim.addr),
            "wrong-one",
            "refused the credentials",
        ),
    ] {
        let out = sbcbench()
            .env("NETIO_PW", env)
            .args(["meter", &spec, "--count", "1"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want))
            .stderr(predicate::str::contains(format!("netio {}", sim.addr)))
            .get_output()
            .clone();
        let all = format!("{out:?}");
        assert!(
            !all.contains(PASSWORD) && !all.contains("wrong-one"),
            "{all}"
        );
    }
}

#[test]
fn netio_without_the_json_api_is_read_over_xml() {
    let sim = HttpSim::start(|req, _| {
        match req.target.as_str() {
        "/netio.xml" => Answer::json(
            "<?xml version=\"1.0\"?>\r<Root xmlns=\"http://www.netio-products.com/XMLSchema/NETIO.xsd\">\r\
             <Agent>\r<Model>NETIO 4C</Model>\r<NumOutputs>1</NumOutputs>\r</Agent>\r\
             <GlobalMeasure>\r<Voltage>230.0</Voltage>\r</GlobalMeasure>\r<Outputs>\r<Output>\r\
             <ID>1</ID>\r<State>1</State>\r<Current>40</Current>\r<PowerFactor>0.5</PowerFactor>\r\
             </Output>\r</Outputs>\r</Root>\r",
        ),
        _ => Answer::status(404),
    }
    });
    sbcbench()
        .args([
            "meter",
            &format!("netio:{},output=1", sim.addr),
            "--count",
            "2",
        ])
        .assert()
        .success()
        // 230 V × 0.040 A × 0.5.
        .stdout(predicate::str::contains("4.600 W").count(2));
    let none = HttpSim::start(|_, _| Answer::status(404));
    sbcbench()
        .args(["meter", &format!("netio:{},output=1", none.addr)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("switch the JSON (or XML) API on"));
}

#[test]
fn netio_faults_are_errors_before_measuring() {
    let ok = pdu(false);
    let server_error = HttpSim::start(|_, _| Answer::status(503));
    let garbage = HttpSim::start(|_, _| Answer::json("{\"Outputs\":"));
    let slow = HttpSim::start(|_, n| Answer {
        delay: Duration::from_secs(4),
        ..netio_json(n, None)
    });
    for (host, output, want) in [
        (ok.addr.clone(), 9, "no socket 9; its sockets are 1, 2"),
        (server_error.addr.clone(), 1, "HTTP 503"),
        (garbage.addr.clone(), 1, "not JSON"),
        (slow.addr.clone(), 1, "no answer within 2000 ms"),
        (closed_port(), 1, "connection refused"),
        ("no-such-pdu.invalid".to_string(), 1, "does not resolve"),
    ] {
        let t = Instant::now();
        sbcbench()
            .args(["meter", &format!("netio:{host},output={output}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want))
            .stderr(predicate::str::contains(format!("netio {host}")));
        assert!(t.elapsed() < Duration::from_secs(4), "{host}");
    }
}

#[test]
fn run_with_a_netio_socket_fills_watts_and_warns_once_of_a_counter_reset() {
    let sim = HttpSim::start(|req, n| match req.target.as_str() {
        "/netio.json" => netio_json(n, Some(4)),
        _ => Answer::status(404),
    });
    let (rows, stderr) = run_with_meter(&format!("netio:{},output=2", sim.addr));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:netio", "{r:?}");
        // Whole Wh over a short row: the readings, not the counter.
        assert_eq!(r.watts_method, "samples", "{r:?}");
        assert!(r.watts.unwrap() > 4.0, "{r:?}");
        assert!(r.mb_per_s_per_w.is_some(), "{r:?}");
    }
    assert_eq!(
        stderr.matches("energy counter went back").count(),
        1,
        "{stderr}"
    );
}
