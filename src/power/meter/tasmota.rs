//! A smart plug running Tasmota (Sonoff S31, Nous A1T, Athom…), over plain
//! HTTP on the LAN: `GET /cm?cmnd=Status%2010` answers
//! `{"StatusSNS":{"ENERGY":{"Power":W,"Voltage":V,"Current":A,"Total":kWh…}}}`
//! (tasmota/docs: Commands.md, JSON-Status-Responses.md).
//!
//! With a web password Tasmota takes `user=` and `password=` in the query
//! and, when they are wrong, still answers 200, with a `WARNING` key. The
//! password comes from a file only readable by its owner, and appears in no
//! message: the request's URL is never printed.
//!
//! Plugs refresh their power about once a second (HLW8012-type chips
//! switch between voltage and current every 1.6 s): the monitor asks once
//! a second ([`super::Protocol::period`]).
//! `Total` (kWh) is the energy counter, printed with `EnergyRes` decimals
//! (3 by default: 1 Wh steps); its resolution is read from the digits the
//! plug sent.

use serde_json::Value;

use super::http::{Auth, Device, Http};
use super::secret;
use super::values::{decimals_of, Counter, Values};
use super::{MeterError, MeterSpec};

pub struct Tasmota {
    http: Http,
    /// The request's path and query, password included: never shown.
    path: String,
}

/// `%XX` for everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Power, volts and amps of a `Status 10` answer. Multi-channel plugs give
/// arrays: their powers and currents add up, the voltage is the first.
pub fn tasmota_decode(json: &str) -> Result<Values, String> {
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("the answer is not JSON ({e})"))?;
    if v.get("WARNING").is_some() {
        return Err(
            "the plug wants a user and password: give user= and password-file=, \
                    or check the password file"
                .into(),
        );
    }
    let energy = v
        .pointer("/StatusSNS/ENERGY")
        .ok_or("the answer has no StatusSNS.ENERGY: does this plug measure power?")?;
    let number = |key: &str, sum: bool| -> Option<f64> {
        match energy.get(key)? {
            Value::Array(a) => {
                let ns: Vec<f64> = a.iter().filter_map(Value::as_f64).collect();
                match (ns.is_empty(), sum) {
                    (true, _) => None,
                    (false, true) => Some(ns.iter().sum()),
                    (false, false) => Some(ns[0]),
                }
            }
            n => n.as_f64(),
        }
    };
    let watts = number("Power", true).ok_or("ENERGY has no Power number")?;
    let energy = match energy.get("Total") {
        Some(Value::Number(kwh)) => kwh.as_f64().map(|kwh| Counter {
            joules: kwh * 3.6e6,
            resolution_j: 3.6e6 * 10f64.powi(-(decimals_of(json, "Total") as i32)),
        }),
        _ => None,
    };
    Ok(Values {
        watts,
        volts: number("Voltage", false),
        amps: number("Current", true),
        energy,
    })
}

impl Tasmota {
    pub fn open(spec: &MeterSpec) -> Result<Tasmota, MeterError> {
        let label = format!("tasmota {}", spec.path.trim_end_matches('/'));
        let mut query = String::new();
        if let Some(source) = &spec.secret {
            let password = secret::read(source, "password").map_err(|reason| MeterError::Open {
                port: label.clone(),
                reason,
            })?;
            // Tasmota's built-in web user.
            let user = spec.user.as_deref().unwrap_or("admin");
            query = format!("user={}&password={}&", encode(user), encode(&password));
        } else if let Some(user) = &spec.user {
            query = format!("user={}&", encode(user));
        }
        let mut meter = Tasmota {
            http: Http::new(&spec.path, label, Auth::None),
            path: format!("/cm?{query}cmnd=Status%2010"),
        };
        // A wrong host or password is found before measuring.
        meter.ask().map_err(MeterError::at_open)?;
        Ok(meter)
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        let body = self.http.get(
            &self.path,
            "no /cm command endpoint; is this a Tasmota plug?",
        )?;
        tasmota_decode(&body).map_err(|what| self.http.bad(what))
    }
}

impl Device for Tasmota {
    const PROTOCOL: &'static str = "tasmota";

    fn http(&self) -> &Http {
        &self.http
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        Tasmota::ask(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_answers() {
        // The POW example of JSON-Status-Responses.md.
        let v = tasmota_decode(
            r#"{"StatusSNS":{"Time":"2018-02-10T22:46:34","ENERGY":{"Total":3.185,
            "Yesterday":3.058,"Today":0.127,"Power":0,"Factor":0.00,"Voltage":221,"Current":0.000}}}"#,
        )
        .unwrap();
        assert_eq!((v.watts, v.volts, v.amps), (0.0, Some(221.0), Some(0.0)));
        let e = v.energy.unwrap();
        assert!((e.joules - 3.185 * 3.6e6).abs() < 1e-6, "{e:?}");
        // Three decimals of kWh: 1 Wh steps.
        assert!((e.resolution_j - 3600.0).abs() < 1e-9, "{e:?}");
        let v = tasmota_decode(r#"{"StatusSNS":{"ENERGY":{"Total": 0.12340,"Power":5}}}"#).unwrap();
        assert!((v.energy.unwrap().resolution_j - 36.0).abs() < 1e-9);
        let v = tasmota_decode(
            r#"{"StatusSNS":{"ENERGY":{"Power":[12,3],"Voltage":[230,230],"Current":[0.06,0.02]}}}"#,
        )
        .unwrap();
        assert_eq!(v.watts, 15.0);
        assert_eq!(v.volts, Some(230.0));
        assert!((v.amps.unwrap() - 0.08).abs() < 1e-12);
    }

    #[test]
    fn refuses_what_is_no_reading() {
        for (json, want) in [
            (
                r#"{"WARNING":"Need user=<username>&password=<password>"}"#,
                "password file",
            ),
            (r#"{"StatusSNS":{"Time":"x"}}"#, "no StatusSNS.ENERGY"),
            (r#"{"StatusSNS":{"ENERGY":{"Voltage":230}}}"#, "no Power"),
            ("<html>", "not JSON"),
        ] {
            let e = tasmota_decode(json).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("a b&c=d%é"), "a%20b%26c%3Dd%25%C3%A9");
        assert_eq!(encode("Admin-1._~"), "Admin-1._~");
    }
}
