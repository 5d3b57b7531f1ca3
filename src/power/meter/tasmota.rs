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
//! switch between voltage and current every 1.6 s), so the plug is asked at
//! most once per [`MIN_POLL`]; a read sooner gives the last answer again,
//! stamped now, which is what the plug would have said.
//! `Total` (kWh) is left for the energy-counter means of a later change.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::values::{reading, Values};
use super::{Meter, MeterError, MeterSpec, Reading};

/// How long one request may take: a plug on the LAN answers in tens of ms.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The plug is asked no more often than this.
pub const MIN_POLL: Duration = Duration::from_secs(1);

pub struct Tasmota {
    /// The full request, password included: never shown.
    url: String,
    port: String,
    last: Option<(Instant, Values)>,
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

/// The password in `path`, refused when others may read it (as ssh refuses
/// a private key), since a password readable by all is no secret.
pub fn read_secret(path: &std::path::Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("password file {shown}: {e}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "password file {shown} can be read by others: `chmod 600 {shown}` first"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("password file {shown}: {e}"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
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
    Ok(Values {
        watts,
        volts: number("Voltage", false),
        amps: number("Current", true),
    })
}

impl Tasmota {
    pub fn open(spec: &MeterSpec) -> Result<Tasmota, MeterError> {
        let host = spec
            .path
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let port = format!("tasmota {host}");
        let mut query = String::new();
        if let Some(file) = &spec.password_file {
            let password = read_secret(file).map_err(|reason| MeterError::Open {
                port: port.clone(),
                reason,
            })?;
            // Tasmota's built-in web user.
            let user = spec.user.as_deref().unwrap_or("admin");
            query = format!("user={}&password={}&", encode(user), encode(&password));
        } else if let Some(user) = &spec.user {
            query = format!("user={}&", encode(user));
        }
        let mut meter = Tasmota {
            url: format!("http://{host}/cm?{query}cmnd=Status%2010"),
            port,
            last: None,
        };
        // A wrong host or password is found before measuring.
        meter.read().map_err(|e| MeterError::Open {
            port: meter.port.clone(),
            reason: match e {
                MeterError::Bad { what, .. } => what,
                e => e.to_string(),
            },
        })?;
        Ok(meter)
    }

    fn ask(&self) -> Result<Values, MeterError> {
        let bad = |what: String| MeterError::Bad {
            port: self.port.clone(),
            what,
        };
        let answer = minreq::get(&self.url)
            .with_timeout(TIMEOUT.as_secs())
            .send()
            .map_err(|e| match e {
                minreq::Error::IoError(io)
                    if matches!(
                        io.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                    ) =>
                {
                    MeterError::Timeout {
                        port: self.port.clone(),
                        ms: TIMEOUT.as_millis(),
                    }
                }
                minreq::Error::IoError(io) => bad(format!("cannot reach the plug: {io}")),
                // minreq's other errors describe the answer, not the URL.
                e => bad(format!("bad HTTP answer: {e}")),
            })?;
        match answer.status_code {
            200 => {}
            401 | 403 => {
                return Err(bad(format!(
                "HTTP {}: the plug refused the credentials; check the user and the password file",
                answer.status_code
            )))
            }
            404 => {
                return Err(bad(
                    "HTTP 404: no /cm command endpoint; is this a Tasmota plug?".into(),
                ))
            }
            code => return Err(bad(format!("HTTP {code} {}", answer.reason_phrase))),
        }
        let body = answer
            .as_str()
            .map_err(|_| bad("the answer is not text".into()))?;
        tasmota_decode(body).map_err(bad)
    }
}

impl Meter for Tasmota {
    fn protocol(&self) -> &'static str {
        "tasmota"
    }

    fn port(&self) -> &str {
        &self.port
    }

    fn read(&mut self) -> Result<Reading, MeterError> {
        let values = match self.last {
            Some((at, v)) if at.elapsed() < MIN_POLL => v,
            _ => {
                let asked = Instant::now();
                // A failed request is not retried before the next poll.
                self.last = None;
                let v = self.ask()?;
                self.last = Some((asked, v));
                v
            }
        };
        Ok(reading(values))
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

    #[test]
    fn a_password_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plug");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_secret(&p).unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret(&p).unwrap(), "s3cret");
        let e = read_secret(&dir.path().join("none")).unwrap_err();
        assert!(e.contains("none"), "{e}");
    }
}
