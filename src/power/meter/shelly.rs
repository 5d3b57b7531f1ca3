//! A Shelly plug or relay over plain HTTP on the LAN (Shelly API docs;
//! field shapes checked in aioshelly's fixtures).
//!
//! `GET /shelly` answers without a password and tells the generation:
//! Gen1 (`type`, `auth`) is read at `GET /meter/<id>`: `power` W and
//! `total` in W·min (60 J steps, back to 0 on reboot), with basic auth.
//! Gen2/3/4 (`gen`, `auth_en`) speak JSON-RPC, called as
//! `GET /rpc/Switch.GetStatus?id=N` (plugs, xPM relays) or
//! `GET /rpc/PM1.GetStatus?id=N` (PM Mini, Plug PM Gen3): `apower` W,
//! `voltage` V, `current` A and `aenergy.total` in Wh, with SHA-256 digest
//! auth whose user is always `admin`.
//!
//! The component is picked from `Shelly.GetStatus` rather than
//! `Shelly.ListMethods`: its keys (`switch:0`, `pm1:0`) name the instances,
//! and a switch's status shows whether it meters at all (a Plus 1 has a
//! Switch but no `apower`), which a list of methods cannot tell.

use serde_json::Value;

use super::http::{Auth, Device, Http};
use super::secret;
use super::values::{decimals_of, Counter, Values};
use super::{MeterError, MeterSpec};

pub struct Shelly {
    http: Http,
    /// `/meter/0` or `/rpc/Switch.GetStatus?id=0`.
    path: String,
    /// What a 404 on `path` means.
    missing: String,
    gen1: bool,
}

/// What `GET /shelly` says about the device.
#[derive(Debug, PartialEq)]
pub struct Info {
    /// 1, or the `gen` of a JSON-RPC device (2, 3, 4…).
    pub gen: u64,
    /// Whether the other endpoints want a password.
    pub auth: bool,
    /// Gen1: how many power meters it has.
    pub meters: Option<u64>,
}

fn parse(json: &str) -> Result<Value, String> {
    serde_json::from_str(json).map_err(|e| format!("the answer is not JSON ({e})"))
}

/// The generation and auth of a `/shelly` answer.
pub fn shelly_info(json: &str) -> Result<Info, String> {
    let v = parse(json)?;
    if let Some(gen) = v.get("gen").and_then(Value::as_u64) {
        return Ok(Info {
            gen,
            auth: v.get("auth_en").and_then(Value::as_bool).unwrap_or(false),
            meters: None,
        });
    }
    match (v.get("type"), v.get("auth").and_then(Value::as_bool)) {
        (Some(_), Some(auth)) => Ok(Info {
            gen: 1,
            auth,
            meters: v.get("num_meters").and_then(Value::as_u64),
        }),
        _ => Err("it has neither gen nor type and auth: is this a Shelly device?".into()),
    }
}

/// A Gen1 `/meter/<id>` answer. `total` W·min are counted in joules.
pub fn gen1_decode(json: &str) -> Result<Values, String> {
    let v = parse(json)?;
    if v.get("is_valid").and_then(Value::as_bool) == Some(false) {
        return Err("the plug's power metering self-check failed (is_valid: false)".into());
    }
    let watts = v
        .get("power")
        .and_then(Value::as_f64)
        .ok_or("the meter answer has no power number")?;
    let energy = v.get("total").and_then(Value::as_f64).map(|wmin| Counter {
        joules: wmin * 60.0,
        resolution_j: 60.0 * 10f64.powi(-(decimals_of(json, "total") as i32)),
    });
    Ok(Values {
        watts,
        volts: None,
        amps: None,
        energy,
    })
}

/// A Gen2+ `Switch.GetStatus` or `PM1.GetStatus` result.
pub fn gen2_decode(json: &str) -> Result<Values, String> {
    let v = parse(json)?;
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        if !errors.is_empty() {
            let names: Vec<String> = errors
                .iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                .collect();
            return Err(format!("the device reports errors: {}", names.join(", ")));
        }
    }
    let watts = v
        .get("apower")
        .and_then(Value::as_f64)
        .ok_or("the status has no apower: does this device meter power?")?;
    let energy = v
        .pointer("/aenergy/total")
        .and_then(Value::as_f64)
        .map(|wh| {
            // Firmware prints 0.001 Wh (3.6 J); a float printer drops
            // trailing zeros, so fewer digits do not mean coarser steps.
            let digits = json
                .find("\"aenergy\"")
                .map_or(0, |at| decimals_of(&json[at..], "total"));
            Counter {
                joules: wh * 3600.0,
                resolution_j: 3600.0 * 10f64.powi(-(digits.max(3) as i32)),
            }
        });
    Ok(Values {
        watts,
        volts: v.get("voltage").and_then(Value::as_f64),
        amps: v.get("current").and_then(Value::as_f64),
        energy,
    })
}

/// The RPC component (`Switch` or `PM1`) that meters instance `id`, by
/// the keys of a `Shelly.GetStatus` result (`switch:0`, `pm1:0`).
pub fn gen2_component(json: &str, id: u32) -> Result<&'static str, String> {
    let v = parse(json)?;
    let status = v.as_object().ok_or("Shelly.GetStatus is not an object")?;
    for (method, prefix) in [("Switch", "switch"), ("PM1", "pm1")] {
        let key = format!("{prefix}:{id}");
        if let Some(c) = status.get(&key) {
            if method == "Switch" && c.get("apower").is_none() {
                return Err(format!(
                    "{key} has no apower: this device switches but does not meter power"
                ));
            }
            return Ok(method);
        }
    }
    let there: Vec<&str> = status
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("switch:") || k.starts_with("pm1:"))
        .collect();
    Err(if there.is_empty() {
        "no switch or pm1 component: this device does not meter power".into()
    } else {
        format!(
            "no switch:{id} or pm1:{id} (it has {}): is id= right?",
            there.join(", ")
        )
    })
}

impl Shelly {
    pub fn open(spec: &MeterSpec) -> Result<Shelly, MeterError> {
        Self::connect(spec).map_err(MeterError::at_open)
    }

    fn connect(spec: &MeterSpec) -> Result<Shelly, MeterError> {
        let label = format!("shelly {}", spec.path.trim_end_matches('/'));
        let fail = |reason: String| MeterError::Open {
            port: label.clone(),
            reason,
        };
        // `/shelly` is open even with auth on: it says what else is needed.
        let mut probe = Http::new(&spec.path, label.clone(), Auth::None);
        let body = probe.get("/shelly", "no /shelly: is this a Shelly device?")?;
        let info = shelly_info(&body).map_err(|e| probe.bad(format!("/shelly: {e}")))?;
        let gen1 = info.gen == 1;
        if !gen1 && spec.user.as_deref().is_some_and(|u| u != "admin") {
            return Err(fail(format!(
                "user= is for Gen1 devices: a Gen{} device's user is always admin",
                info.gen
            )));
        }
        let auth = match &spec.secret {
            Some(source) => Auth::Password {
                user: spec.user.clone().unwrap_or_else(|| "admin".into()),
                password: secret::read(source, "password").map_err(&fail)?,
            },
            None if info.auth => {
                return Err(fail(
                    "the device has authentication on: give password-file= or password-env=".into(),
                ))
            }
            None => Auth::None,
        };
        let mut http = Http::new(&spec.path, label.clone(), auth);
        let id = spec.id.unwrap_or(0);
        let (path, missing) = if gen1 {
            match info.meters {
                Some(0) => return Err(fail("this Gen1 device has no power meter".into())),
                Some(n) if u64::from(id) >= n => {
                    return Err(fail(format!(
                        "no meter id={id}: this Gen1 device has num_meters={n} (from id=0)"
                    )))
                }
                _ => {}
            }
            (
                format!("/meter/{id}"),
                format!("no /meter/{id} on this Gen1 device: is id= right?"),
            )
        } else {
            let body = http.get(
                "/rpc/Shelly.GetStatus",
                &format!("no /rpc/Shelly.GetStatus on this Gen{} device", info.gen),
            )?;
            let method = gen2_component(&body, id).map_err(|e| http.bad(e))?;
            (
                format!("/rpc/{method}.GetStatus?id={id}"),
                format!(
                    "no /rpc/{method}.GetStatus?id={id} on this Gen{} device: is id= right?",
                    info.gen
                ),
            )
        };
        let mut meter = Shelly {
            http,
            path,
            missing,
            gen1,
        };
        // A metering fault is found before measuring.
        meter.ask()?;
        Ok(meter)
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        let body = self.http.get(&self.path, &self.missing)?;
        let values = if self.gen1 {
            gen1_decode(&body)
        } else {
            gen2_decode(&body)
        };
        values.map_err(|what| self.http.bad(what))
    }
}

impl Device for Shelly {
    const PROTOCOL: &'static str = "shelly";

    fn http(&self) -> &Http {
        &self.http
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        Shelly::ask(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::reading;
    use crate::power::meter::{stats_of, Reading};
    use crate::record::WattsMethod;
    use std::time::{Duration, Instant};

    /// aioshelly's Plug S fixture (fw 1.14.0), `/shelly` and `meters[0]`.
    const G1_SHELLY: &str = r#"{"type":"SHPLG-S","mac":"C45BBE000000","auth":false,
        "fw":"20230913-113421/v1.14.0-gcb84623","discoverable":false,"num_outputs":1,"num_meters":1}"#;
    const G1_METER: &str = r#"{"power":0.00,"overpower":2500.00,"is_valid":true,
        "timestamp":1707335841,"counters":[0.000, 0.000, 0.000],"total":2632}"#;
    /// aioshelly's Plus Plug S fixture (fw 1.1.0).
    const G2_SHELLY: &str = r#"{"name":null,"id":"shellyplusplugs-aabbccddeeff","mac":"AABBCCDDEEFF",
        "slot":1,"model":"SNPL-00112EU","gen":2,"fw_id":"20231219-134003/1.1.0-g34b5d4f",
        "ver":"1.1.0","app":"PlugS","auth_en":true,"auth_domain":"shellyplusplugs-aabbccddeeff"}"#;
    const G2_SWITCH: &str = r#"{"id":0,"source":"init","output":true,"apower":2.7,"voltage":227.9,
        "current":0.121,"aenergy":{"total":7258.589,"by_minute":[34.786,45.552,45.552],
        "minute_ts":1707326925},"temperature":{"tC":35.6,"tF":96.1}}"#;
    const PM1: &str = r#"{"id":0,"voltage":231.2,"current":0.5,"apower":98.4,"aprtpower":110.0,
        "pf":0.9,"freq":50.0,"aenergy":{"total":12.5,"by_minute":[1640.0,0.0,0.0],"minute_ts":1707326940},
        "ret_aenergy":{"total":0.123456,"by_minute":[0.0,0.0,0.0],"minute_ts":1707326940}}"#;

    #[test]
    fn tells_the_generations_apart() {
        let g1 = shelly_info(G1_SHELLY).unwrap();
        assert_eq!((g1.gen, g1.auth, g1.meters), (1, false, Some(1)));
        let g2 = shelly_info(G2_SHELLY).unwrap();
        assert_eq!((g2.gen, g2.auth, g2.meters), (2, true, None));
        for bad in [r#"{"name":"x"}"#, "<html>", "[]"] {
            assert!(shelly_info(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_a_gen1_meter() {
        let v = gen1_decode(G1_METER).unwrap();
        assert_eq!((v.watts, v.volts, v.amps), (0.0, None, None));
        // 2632 W·min, counted a W·min at a time.
        let e = v.energy.unwrap();
        assert_eq!((e.joules, e.resolution_j), (2632.0 * 60.0, 60.0));
        let e = gen1_decode(r#"{"power":12.5,"is_valid":false,"total":7}"#).unwrap_err();
        assert!(e.contains("self-check failed"), "{e}");
        for (json, want) in [(r#"{"total":7}"#, "no power"), ("<html>", "not JSON")] {
            assert!(gen1_decode(json).unwrap_err().contains(want), "{json}");
        }
    }

    #[test]
    fn decodes_gen2_switch_and_pm1_results() {
        let v = gen2_decode(G2_SWITCH).unwrap();
        assert_eq!((v.watts, v.volts, v.amps), (2.7, Some(227.9), Some(0.121)));
        let e = v.energy.unwrap();
        assert!((e.joules - 7258.589 * 3600.0).abs() < 1e-6, "{e:?}");
        assert!((e.resolution_j - 3.6).abs() < 1e-12, "{e:?}");
        // 12.5 Wh is still counted in mWh; ret_aenergy's digits are not it.
        let v = gen2_decode(PM1).unwrap();
        assert_eq!((v.watts, v.volts, v.amps), (98.4, Some(231.2), Some(0.5)));
        let e = v.energy.unwrap();
        assert_eq!((e.joules, e.resolution_j), (45000.0, 3.6));
        let finer = gen2_decode(r#"{"apower":1,"aenergy":{"total":1.00005}}"#).unwrap();
        assert!((finer.energy.unwrap().resolution_j - 0.036).abs() < 1e-12);
    }

    #[test]
    fn gen2_faults_are_no_readings() {
        for (json, want) in [
            (
                r#"{"apower":5,"errors":["overtemp","overpower"]}"#,
                "errors: overtemp, overpower",
            ),
            (r#"{"id":0,"output":true}"#, "no apower"),
            ("Bad Request", "not JSON"),
        ] {
            let e = gen2_decode(json).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
        assert!(gen2_decode(r#"{"apower":5,"errors":[]}"#).is_ok());
    }

    #[test]
    fn picks_the_metering_component() {
        let status = r#"{"switch:0":{"apower":2.7},"pm1:1":{"apower":3},"sys":{}}"#;
        assert_eq!(gen2_component(status, 0).unwrap(), "Switch");
        assert_eq!(gen2_component(status, 1).unwrap(), "PM1");
        for (json, id, want) in [
            (status, 2, "it has pm1:1, switch:0"),
            (r#"{"switch:0":{"output":true}}"#, 0, "does not meter"),
            (r#"{"sys":{}}"#, 0, "no switch or pm1"),
            ("oops", 0, "not JSON"),
        ] {
            let e = gen2_component(json, id).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    #[test]
    fn a_gen2_counter_gives_the_mean_of_a_long_enough_row() {
        // 21 polls a second apart: apower says 27 W, the counter counted
        // 30 W (600 J in all: a 3.6 J step is 0.6 % of it).
        let t0 = Instant::now();
        let rs: Vec<Reading> = (0..21u32)
            .map(|i| {
                let json = format!(
                    r#"{{"apower":27,"aenergy":{{"total":{:.3}}}}}"#,
                    7258.589 + f64::from(i) * 30.0 / 3600.0
                );
                Reading {
                    at: t0 + Duration::from_secs(u64::from(i)),
                    ..reading(gen2_decode(&json).unwrap())
                }
            })
            .collect();
        let s = stats_of(&rs, Duration::from_secs(20)).unwrap();
        assert_eq!(s.method, WattsMethod::EnergyCounter);
        assert!((s.mean_w - 30.0).abs() < 0.2, "{s:?}");
        // Six polls are too few: the polled 27 W.
        let s = stats_of(&rs[..6], Duration::from_secs(5)).unwrap();
        assert_eq!((s.method, s.mean_w), (WattsMethod::Samples, 27.0));
    }
}
