//! Watts up? PRO: the driver and the record format.

use super::serial::Link;
use super::values::{reading, Values};
use super::{Meter, MeterError, Reading};

/// Watts up? PRO: told once to stream a record per second.
pub(super) struct Wattsup {
    link: Link,
}

impl Wattsup {
    pub(super) fn start(mut link: Link) -> Result<Wattsup, MeterError> {
        // External logging, one record per second.
        link.send(b"#L,W,3,E,,1;")?;
        Ok(Wattsup { link })
    }
}

impl Meter for Wattsup {
    fn protocol(&self) -> &'static str {
        "wattsup"
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        loop {
            let packet = self.link.until(|p| {
                let start = p.iter().position(|&b| b == b'#');
                match start {
                    None => {
                        p.clear();
                        None
                    }
                    Some(s) => {
                        p.drain(..s);
                        p.iter().position(|&b| b == b';').map(|e| e + 1)
                    }
                }
            })?;
            let text = String::from_utf8_lossy(&packet).to_string();
            if text.starts_with("#d") {
                return wattsup_decode(&text)
                    .map(reading)
                    .map_err(|e| self.link.bad(e));
            }
        }
    }
}

/// A Watts up? record `#d,-,18,<W×10>,<V×10>,<mA>,…;`; `_` is a field the
/// meter was told not to send.
pub fn wattsup_decode(packet: &str) -> Result<Values, String> {
    let fields: Vec<&str> = packet.trim().trim_end_matches(';').split(',').collect();
    if fields.first() != Some(&"#d") || fields.len() < 6 {
        return Err(format!("not a data record: '{packet}'"));
    }
    // Finite numbers only: "1e999" parses, as infinity (found by fuzzing).
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    let watts = num(3).ok_or_else(|| format!("no power field in '{packet}'"))? / 10.0;
    Ok(Values {
        watts,
        volts: num(4).map(|v| v / 10.0),
        amps: num(5).map(|a| a / 1000.0),
        energy: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::test_util::close;

    #[test]
    fn wattsup_records() {
        let v = wattsup_decode("#d,-,18,124,1191,97,0,_,_,_,124,_,_,_,_,_,100,_,_,_,_;").unwrap();
        assert!(
            close(v.watts, 12.4) && close(v.volts.unwrap(), 119.1) && close(v.amps.unwrap(), 0.097)
        );
        assert!(wattsup_decode("#h,-,18,W,V,A;").is_err());
        // Found by fuzzing: numbers that parse as infinity or NaN are no reading.
        for bad in ["124e1191", "inf", "NaN", "-inf"] {
            let record = format!("#d,-,18,{bad},1191,97,0,_;");
            assert!(wattsup_decode(&record).is_err(), "{record}");
            let v = wattsup_decode(&format!("#d,-,18,124,{bad},{bad},0,_;")).unwrap();
            assert_eq!((v.volts, v.amps), (None, None), "{bad}");
        }
    }
}
