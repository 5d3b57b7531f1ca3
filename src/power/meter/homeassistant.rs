//! Any power sensor Home Assistant already has (a Zigbee, Z-Wave or
//! Matter plug, an ESPHome meter): `GET /api/states/<entity>` with a
//! long-lived access token as `Authorization: Bearer` answers
//! `{"state":"12.3","attributes":{"unit_of_measurement":"W",…}}`
//! (developers.home-assistant.io, REST API).
//!
//! The state is a string, and `unavailable` or `unknown` when the device
//! is away: no reading then, never a number made up. Plain HTTP; an
//! `https://` URL needs the `https` cargo feature (a TLS stack most
//! binaries on a LAN do not need to carry).

use serde_json::Value;

use super::http::{Auth, Device, Http};
use super::secret;
use super::values::Values;
use super::{MeterError, MeterSpec};

pub struct HomeAssistant {
    http: Http,
    path: String,
    entity: String,
}

/// Watts from one `/api/states/<entity>` answer: the state scaled by its
/// `unit_of_measurement`.
pub fn homeassistant_decode(json: &str, entity: &str) -> Result<Values, String> {
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let state = v
        .get("state")
        .and_then(Value::as_str)
        .ok_or("the answer has no state: is this Home Assistant's /api/states?")?;
    let unit = v
        .pointer("/attributes/unit_of_measurement")
        .and_then(Value::as_str)
        .unwrap_or("");
    let scale = match unit {
        "W" => 1.0,
        "kW" => 1000.0,
        "mW" => 0.001,
        "" => {
            return Err(format!(
                "{entity} has no unit: give a power sensor (W or kW)"
            ))
        }
        other => {
            return Err(format!(
                "{entity} is in {other}, not W or kW: give the plug's power sensor"
            ))
        }
    };
    let number: f64 = match state.trim().parse() {
        Ok(n) if f64::is_finite(n) => n,
        _ if matches!(state, "unavailable" | "unknown") => {
            return Err(format!(
                "{entity} is {state} (the device is away or not reporting)"
            ))
        }
        _ => return Err(format!("{entity}'s state '{state}' is not a number")),
    };
    Ok(Values {
        watts: number * scale,
        volts: None,
        amps: None,
        energy: None,
    })
}

impl HomeAssistant {
    pub fn open(spec: &MeterSpec) -> Result<HomeAssistant, MeterError> {
        let label = format!("homeassistant {}", spec.path.trim_end_matches('/'));
        let fail = |reason: String| MeterError::Open {
            port: label.clone(),
            reason,
        };
        if spec.path.starts_with("https://") && !cfg!(feature = "https") {
            return Err(fail(
                "this build speaks plain HTTP only: use http:// on the LAN, or build \
                 sbcbench with `--features https`"
                    .into(),
            ));
        }
        if !spec.path.starts_with("http://") && !spec.path.starts_with("https://") {
            return Err(fail(format!(
                "give Home Assistant's URL, e.g. homeassistant:http://{}:8123",
                spec.path
            )));
        }
        let (Some(entity), Some(source)) = (&spec.entity, &spec.secret) else {
            return Err(fail("entity= and a token are needed".into()));
        };
        let token = secret::read(source, "token").map_err(fail)?;
        let mut meter = HomeAssistant {
            http: Http::new(&spec.path, label.clone(), Auth::Bearer(token)),
            path: format!("/api/states/{entity}"),
            entity: entity.clone(),
        };
        meter.ask().map_err(MeterError::at_open)?;
        Ok(meter)
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        let missing = format!(
            "Home Assistant has no entity {}: check entity= (Developer tools, States)",
            self.entity
        );
        let body = self.http.get(&self.path, &missing)?;
        homeassistant_decode(&body, &self.entity).map_err(|what| self.http.bad(what))
    }
}

impl Device for HomeAssistant {
    const PROTOCOL: &'static str = "homeassistant";

    fn http(&self) -> &Http {
        &self.http
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        HomeAssistant::ask(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(state: &str, unit: &str) -> String {
        format!(
            r#"{{"entity_id":"sensor.plug_power","state":"{state}","attributes":
            {{"unit_of_measurement":"{unit}","device_class":"power","friendly_name":"Plug"}},
            "last_changed":"2026-12-04T10:00:00+00:00","last_updated":"2026-12-04T10:00:00+00:00"}}"#
        )
    }

    #[test]
    fn scales_the_state_by_its_unit() {
        let e = "sensor.plug_power";
        assert_eq!(
            homeassistant_decode(&state("4.7", "W"), e).unwrap().watts,
            4.7
        );
        assert_eq!(
            homeassistant_decode(&state("0.0047", "kW"), e)
                .unwrap()
                .watts,
            4.7
        );
        assert!((homeassistant_decode(&state("4700", "mW"), e).unwrap().watts - 4.7).abs() < 1e-12);
    }

    #[test]
    fn refuses_what_is_no_power_reading() {
        let e = "sensor.plug_power";
        for (json, want) in [
            (state("unavailable", "W"), "is unavailable"),
            (state("unknown", "W"), "is unknown"),
            (state("on", "W"), "'on' is not a number"),
            (state("1.2", "kWh"), "in kWh"),
            (state("1.2", ""), "no unit"),
            (r#"{"message":"x"}"#.to_string(), "no state"),
            ("<html>".to_string(), "not JSON"),
        ] {
            let err = homeassistant_decode(&json, e).unwrap_err();
            assert!(err.contains(want), "{json}: {err}");
        }
    }
}
