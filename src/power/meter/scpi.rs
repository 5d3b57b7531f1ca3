//! SCPI power analysers (a Yokogawa WT300 unless told otherwise): the
//! driver and the NR3 reply format.

use super::serial::Link;
use super::values::{reading, Values};
use super::{Meter, MeterError, MeterSpec, Reading};

/// The default WT300 setup: items U, I, P of element 1, values in ASCII.
const WT300_SETUP: &[&str] = &[
    ":COMM:HEAD OFF",
    ":NUM:FORM ASC",
    ":NUM:NORM:NUM 3",
    ":NUM:NORM:ITEM1 U,1",
    ":NUM:NORM:ITEM2 I,1",
    ":NUM:NORM:ITEM3 P,1",
];

/// SCPI analysers (Yokogawa WT300 by default): query, then one reply line.
pub(super) struct Scpi {
    link: Link,
    query: String,
    field: usize,
}

impl Scpi {
    /// Sets up a WT300 unless `spec` names its own query.
    pub(super) fn start(mut link: Link, spec: &MeterSpec) -> Result<Scpi, MeterError> {
        let query = match &spec.query {
            Some(q) => q.clone(),
            None => {
                for cmd in WT300_SETUP {
                    link.send(format!("{cmd}\n").as_bytes())?;
                }
                ":NUM:NORM:VAL?".to_string()
            }
        };
        Ok(Scpi {
            link,
            query,
            field: spec.field.unwrap_or(2),
        })
    }
}

impl Meter for Scpi {
    fn protocol(&self) -> &'static str {
        "scpi"
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        let q = format!("{}\n", self.query);
        self.link.send(q.as_bytes())?;
        let line = self.link.line()?;
        scpi_decode(&line, self.field)
            .map(reading)
            .map_err(|e| self.link.bad(e))
    }
}

/// A SCPI NR3 list (`231.96E+00,0.12532E+00,15.40E+00`); `field` is the
/// index of the power. NAN, INF and the 9.9E+37 overrange markers are no
/// reading.
pub fn scpi_decode(reply: &str, field: usize) -> Result<Values, String> {
    let values: Vec<&str> = reply.trim().split(',').map(str::trim).collect();
    let raw = values
        .get(field)
        .ok_or_else(|| format!("reply '{}' has no field {field}", reply.trim()))?;
    let watts: f64 = raw
        .parse()
        .map_err(|_| format!("'{raw}' is not a number"))?;
    if !watts.is_finite() || watts.abs() >= 9.9e37 {
        return Err(format!("no reading ('{raw}': over range or no item)"));
    }
    let other = |i: usize| {
        values
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && v.abs() < 9.9e37)
    };
    // With the default item order U, I, P the other two are known.
    let (volts, amps) = if field == 2 && values.len() >= 3 {
        (other(0), other(1))
    } else {
        (None, None)
    };
    Ok(Values {
        watts,
        volts,
        amps,
        energy: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::test_util::close;

    #[test]
    fn scpi_nr3() {
        let v = scpi_decode("231.96E+00,0.12532E+00,15.40E+00\n", 2).unwrap();
        assert!(close(v.watts, 15.4) && close(v.volts.unwrap(), 231.96));
        assert!(scpi_decode("231.96E+00,0.12532E+00,NAN", 2).is_err());
        assert!(scpi_decode("9.91E+37", 0).is_err());
        assert!(scpi_decode("1.0", 3).is_err());
    }
}
