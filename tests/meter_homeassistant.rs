//! `homeassistant:` against a real HTTP server on 127.0.0.1 speaking Home
//! Assistant's REST API: `/api/states/<entity>` behind a bearer token.

use std::os::unix::fs::PermissionsExt;

use crate::common::{run_with_meter, sbcbench, Answer, HttpSim};
use predicates::prelude::*;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.sbcbench-test-token";

/// A sensor whose state goes `unavailable` on the requests in `away`;
/// its power rises by 0.1 W a request, in `unit`.
fn home(unit: &'static str, away: std::ops::Range<u64>) -> HttpSim {
    HttpSim::start(move |req, n| {
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Answer {
                body: r#"{"message":"Invalid authentication"}"#.into(),
                ..Answer::status(401)
            };
        }
        if req.target != "/api/states/sensor.vf2_plug_power" {
            return Answer {
                body: r#"{"message":"Entity not found."}"#.into(),
                ..Answer::status(404)
            };
        }
        let watts = 4.5 + n as f64 / 10.0;
        let state = if away.contains(&n) {
            "unavailable".to_string()
        } else if unit == "kW" {
            format!("{}", watts / 1000.0)
        } else {
            format!("{watts}")
        };
        Answer::json(format!(
            r#"{{"entity_id":"sensor.vf2_plug_power","state":"{state}","attributes":{{
            "state_class":"measurement","unit_of_measurement":"{unit}","device_class":"power",
            "friendly_name":"VF2 plug power"}},"last_changed":"2026-12-04T10:00:00+00:00",
            "last_updated":"2026-12-04T10:00:00+00:00","context":{{"id":"x"}}}}"#
        ))
    })
}

fn token_file(dir: &tempfile::TempDir, text: &str) -> String {
    let p = dir.path().join("ha-token");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

fn spec(sim: &HttpSim, entity: &str, secret: &str) -> String {
    format!("homeassistant:http://{},entity={entity},{secret}", sim.addr)
}

#[test]
fn homeassistant_sensor_gives_live_watts_in_w_or_kw() {
    let dir = tempfile::tempdir().unwrap();
    let file = format!("token-file={}", token_file(&dir, &format!("{TOKEN}\n")));
    for unit in ["W", "kW"] {
        let sim = home(unit, 0..0);
        sbcbench()
            .args([
                "meter",
                &spec(&sim, "sensor.vf2_plug_power", &file),
                "--count",
                "3",
            ])
            .assert()
            .success()
            // The open's request was 4.5 W; the readings 4.6, 4.7, 4.8 W.
            .stdout(predicate::str::contains(" W").count(3))
            .stdout(predicate::str::contains("4.600 W").and(predicate::str::contains("4.800 W")));
    }
    // The token from a variable, set on the child only.
    let sim = home("W", 0..0);
    sbcbench()
        .env("HA_TOKEN", TOKEN)
        .args([
            "meter",
            &spec(&sim, "sensor.vf2_plug_power", "token-env=HA_TOKEN"),
        ])
        .args(["--count", "1"])
        .assert()
        .success();
}

#[test]
fn homeassistant_mistakes_are_errors_that_say_what_to_fix() {
    let sim = home("W", 0..0);
    let away = home("W", 0..u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    let good = format!("token-file={}", token_file(&dir, TOKEN));
    for (spec, env, want) in [
        (
            spec(&sim, "sensor.vf2_plug_power", "token-env=HA_TOKEN"),
            "wrong",
            "token was refused",
        ),
        (
            spec(&away, "sensor.vf2_plug_power", &good),
            "",
            "sensor.vf2_plug_power is unavailable",
        ),
        (
            spec(&sim, "sensor.other", &good),
            "",
            "no entity sensor.other",
        ),
        (
            format!("homeassistant:https://{},entity=sensor.p,{good}", sim.addr),
            "",
            "plain HTTP only",
        ),
        (
            format!("homeassistant:{},entity=sensor.p,{good}", sim.addr),
            "",
            "give Home Assistant's URL",
        ),
        (
            spec(&sim, "sensor.vf2_plug_power", "token-env=HA_UNSET_VARIABLE"),
            "",
            "HA_UNSET_VARIABLE is not set",
        ),
    ] {
        let out = sbcbench()
            .env("HA_TOKEN", env)
            .env_remove("HA_UNSET_VARIABLE")
            .args(["meter", &spec, "--count", "1"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want))
            .get_output()
            .clone();
        assert!(!format!("{out:?}").contains(TOKEN), "{out:?}");
    }
}

#[test]
fn run_with_a_homeassistant_sensor_goes_on_when_it_is_away() {
    // Unavailable for three requests after the first few.
    let sim = home("W", 3..6);
    let dir = tempfile::tempdir().unwrap();
    let file = format!("token-file={}", token_file(&dir, TOKEN));
    let (rows, stderr) = run_with_meter(&spec(&sim, "sensor.vf2_plug_power", &file));
    assert!(!rows.is_empty());
    // Rows after the sensor came back are metered; none gets a number the
    // sensor did not give.
    assert!(rows.iter().any(|r| r.watts_source == "meter:homeassistant"));
    for r in rows.iter().filter(|r| r.watts.is_some()) {
        assert_eq!(r.watts_method, "samples", "{r:?}");
        assert!(r.watts.unwrap() >= 4.5, "{r:?}");
    }
    assert_eq!(stderr.matches("is unavailable").count(), 1, "{stderr}");
}
