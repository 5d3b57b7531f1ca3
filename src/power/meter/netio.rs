//! A socket of a Netio PDU (PowerPDU 4C, PowerBOX, PowerCable) over its
//! M2M API: `GET /netio.json` gives `Outputs[]` with `Load` (W),
//! `Current` (mA) and `Energy` (Wh), and `GlobalMeasure.Voltage` (V)
//! (netioproducts/PyNetio). Where the JSON API is off or absent (404),
//! `/netio.xml`, the API sbc-bench reads: per-socket `Current` and
//! `PowerFactor`, one `Voltage`, power = V × A × PF.
//!
//! The APIs are read-only with HTTP basic auth (or none). `Energy` counts
//! whole Wh: a row sees its counter only when long enough
//! (`monitor::counter_mean`).

use serde_json::Value;

use super::http::{Auth, Device, Http};
use super::secret;
use super::values::{Counter, Values};
use super::{MeterError, MeterSpec};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Api {
    Json,
    Xml,
}

pub struct Netio {
    http: Http,
    output: u32,
    api: Api,
}

/// One socket's figures in a `/netio.json` answer.
pub fn netio_json_decode(json: &str, output: u32) -> Result<Values, String> {
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let outputs = v
        .get("Outputs")
        .and_then(Value::as_array)
        .ok_or("the answer has no Outputs: is this a Netio M2M JSON API?")?;
    let socket = outputs
        .iter()
        .find(|o| o.get("ID").and_then(Value::as_u64) == Some(u64::from(output)))
        .ok_or_else(|| no_output(output, outputs.iter().filter_map(|o| o.get("ID")?.as_u64())))?;
    let number = |key: &str| socket.get(key).and_then(Value::as_f64);
    let watts = number("Load").ok_or_else(|| {
        format!("socket {output} has no Load: this Netio model switches but does not measure")
    })?;
    Ok(Values {
        watts,
        volts: v.pointer("/GlobalMeasure/Voltage").and_then(Value::as_f64),
        amps: number("Current").map(|ma| ma / 1000.0),
        energy: number("Energy").map(|wh| Counter {
            joules: wh * 3600.0,
            resolution_j: 3600.0,
        }),
    })
}

fn no_output(output: u32, ids: impl Iterator<Item = u64>) -> String {
    let ids: Vec<String> = ids.map(|i| i.to_string()).collect();
    format!(
        "the PDU has no socket {output}; its sockets are {}: give output= one of them",
        if ids.is_empty() {
            "none".into()
        } else {
            ids.join(", ")
        }
    )
}

/// One socket's figures in a `/netio.xml` answer, wherever the metering
/// elements sit (their nesting is not documented): `Voltage` is the first
/// in the document, `Current` (mA) and `PowerFactor` the socket's own.
pub fn netio_xml_decode(xml: &str, output: u32) -> Result<Values, String> {
    let doc =
        roxmltree::Document::parse(xml).map_err(|e| format!("the answer is not XML ({e})"))?;
    let text_of = |node: roxmltree::Node, tag: &str| -> Option<f64> {
        node.descendants()
            .find(|n| n.tag_name().name() == tag)
            .and_then(|n| n.text())
            .and_then(|t| t.trim().parse().ok())
    };
    let sockets: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "Output")
        .collect();
    let socket = sockets
        .iter()
        .find(|o| text_of(**o, "ID") == Some(f64::from(output)))
        .ok_or_else(|| {
            no_output(
                output,
                sockets
                    .iter()
                    .filter_map(|o| text_of(*o, "ID"))
                    .map(|i| i as u64),
            )
        })?;
    let volts = text_of(doc.root(), "Voltage");
    let amps = text_of(*socket, "Current").map(|ma| ma / 1000.0);
    let watts = match (text_of(*socket, "Load"), volts, amps) {
        (Some(w), _, _) => w,
        (None, Some(v), Some(a)) => v * a * text_of(*socket, "PowerFactor").unwrap_or(1.0),
        _ => {
            return Err(format!(
                "socket {output} has no Current or no Voltage: this Netio model does not measure"
            ))
        }
    };
    Ok(Values {
        watts,
        volts,
        amps,
        energy: text_of(*socket, "Energy").map(|wh| Counter {
            joules: wh * 3600.0,
            resolution_j: 3600.0,
        }),
    })
}

impl Netio {
    pub fn open(spec: &MeterSpec) -> Result<Netio, MeterError> {
        let label = format!("netio {}", spec.path.trim_end_matches('/'));
        let auth = match &spec.secret {
            Some(source) => Auth::Password {
                // Netio ships with the user `admin`; read-only users are
                // named in the web configuration.
                user: spec.user.clone().unwrap_or_else(|| "admin".into()),
                password: secret::read(source, "password").map_err(|reason| MeterError::Open {
                    port: label.clone(),
                    reason,
                })?,
            },
            None => Auth::None,
        };
        let mut meter = Netio {
            http: Http::new(&spec.path, label, auth),
            output: spec.output.unwrap_or(1),
            api: Api::Json,
        };
        // A wrong host, socket or password is found before measuring; the
        // XML API is tried where the JSON one is not there.
        match meter.ask() {
            Ok(_) => {}
            Err(MeterError::Bad { what, .. }) if what.starts_with("HTTP 404") => {
                meter.api = Api::Xml;
                meter.ask().map_err(MeterError::at_open)?;
            }
            Err(e) => return Err(e.at_open()),
        }
        Ok(meter)
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        let (path, missing) = match self.api {
            Api::Json => ("/netio.json", "no /netio.json"),
            Api::Xml => (
                "/netio.xml",
                "neither /netio.json nor /netio.xml: switch the JSON (or XML) API on in the \
                 Netio's web configuration (M2M API protocols)",
            ),
        };
        let body = self.http.get(path, missing)?;
        match self.api {
            Api::Json => netio_json_decode(&body, self.output),
            Api::Xml => netio_xml_decode(&body, self.output),
        }
        .map_err(|what| self.http.bad(what))
    }
}

impl Device for Netio {
    const PROTOCOL: &'static str = "netio";

    fn http(&self) -> &Http {
        &self.http
    }

    fn ask(&mut self) -> Result<Values, MeterError> {
        Netio::ask(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of PyNetio's README and a NETIO 4All's answer.
    const JSON: &str = r#"{"Agent":{"Model":"NETIO 4All","Version":"3.0.6","JSONVer":"2.0",
        "DeviceName":"lab-pdu","NumOutputs":2},
        "GlobalMeasure":{"Voltage":230.4,"Frequency":50.0,"TotalCurrent":8700,
        "OverallPowerFactor":1.0,"TotalLoad":2070,"TotalEnergy":11400000},
        "Outputs":[
        {"ID":1,"Name":"heater","State":1,"Action":6,"Delay":2020,"Current":8610,
         "PowerFactor":1.0,"Phase":0.0,"Energy":11387035,"ReverseEnergy":0,"Load":2062},
        {"ID":2,"Name":"vf2","State":1,"Action":6,"Delay":2020,"Current":26,
         "PowerFactor":0.62,"Phase":0.0,"Energy":1289,"ReverseEnergy":0,"Load":4}]}"#;

    #[test]
    fn decodes_a_socket_of_the_json_api() {
        let v = netio_json_decode(JSON, 2).unwrap();
        assert_eq!((v.watts, v.volts), (4.0, Some(230.4)));
        assert!((v.amps.unwrap() - 0.026).abs() < 1e-12);
        let e = v.energy.unwrap();
        assert_eq!((e.joules, e.resolution_j), (1289.0 * 3600.0, 3600.0));
        assert_eq!(netio_json_decode(JSON, 1).unwrap().watts, 2062.0);
    }

    #[test]
    fn json_mistakes_say_what_to_do() {
        let e = netio_json_decode(JSON, 3).unwrap_err();
        assert!(e.contains("no socket 3") && e.contains("1, 2"), "{e}");
        let switching = r#"{"Outputs":[{"ID":1,"Name":"a","State":1,"Action":6,"Delay":500}]}"#;
        assert!(netio_json_decode(switching, 1)
            .unwrap_err()
            .contains("does not measure"));
        assert!(netio_json_decode("{}", 1)
            .unwrap_err()
            .contains("no Outputs"));
        assert!(netio_json_decode("<x/>", 1)
            .unwrap_err()
            .contains("not JSON"));
    }

    #[test]
    fn decodes_the_xml_api_as_sbc_bench_reads_it() {
        // One element a line, CR line ends, the namespace of NETIO.xsd.
        let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\
<Root xmlns=\"http://www.netio-products.com/XMLSchema/NETIO.xsd\">\r\
<Agent>\r<Model>NETIO 4C</Model>\r<XmlVer>2.0</XmlVer>\r<NumOutputs>2</NumOutputs>\r</Agent>\r\
<GlobalMeasure>\r<Voltage>230.0</Voltage>\r<Frequency>50.0</Frequency>\r</GlobalMeasure>\r\
<Outputs>\r<Output>\r<ID>1</ID>\r<Name>a</Name>\r<State>1</State>\r<Current>100</Current>\r\
<PowerFactor>0.5</PowerFactor>\r</Output>\r<Output>\r<ID>2</ID>\r<Name>b</Name>\r<State>1</State>\r\
<Current>20</Current>\r<PowerFactor>0.9</PowerFactor>\r</Output>\r</Outputs>\r</Root>\r";
        let v = netio_xml_decode(xml, 1).unwrap();
        assert!((v.watts - 230.0 * 0.1 * 0.5).abs() < 1e-9, "{v:?}");
        assert_eq!(v.energy, None);
        let v = netio_xml_decode(xml, 2).unwrap();
        assert!((v.watts - 230.0 * 0.02 * 0.9).abs() < 1e-9, "{v:?}");
        assert!(netio_xml_decode(xml, 5).unwrap_err().contains("1, 2"));
        assert!(netio_xml_decode("{", 1).unwrap_err().contains("not XML"));
    }
}
