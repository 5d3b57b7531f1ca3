//! `--power ask`: the user reads the wattmeter while sbcbench keeps each
//! load running, and types what it shows.

use std::io::{BufRead, Write};

use super::{check_watts, Phase, PhaseWatts};

/// A typed reading: `13.1`, `13,1`, `13.1 W`, `13100 mW`. An empty line is
/// `Ok(None)`: the user skips that phase.
pub fn parse_typed_watts(line: &str) -> Result<Option<f64>, String> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    let (number, scale) = if let Some(n) = lower.strip_suffix("mw") {
        (n, 1e-3)
    } else if let Some(n) = lower.strip_suffix('w') {
        (n, 1.0)
    } else {
        (lower.as_str(), 1.0)
    };
    let number = number.trim();
    // A decimal comma, as many meters and keyboards use; never thousands.
    let number =
        if number.contains(',') && !number.contains('.') && number.matches(',').count() == 1 {
            number.replace(',', ".")
        } else {
            number.to_string()
        };
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            format!("'{text}' is not a reading; type the watts shown, e.g. 13.1 or 13100 mW")
        })?;
    check_watts(value * scale).map(Some)
}

/// How the questions went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptOutcome {
    pub watts: PhaseWatts,
    /// Standard input closed before every phase was answered.
    pub closed_early: bool,
}

/// Asks for each phase in turn. `start_load` starts the phase's load and
/// returns a description for the user and a guard that keeps the load
/// running until it is dropped, after the answer. `interactive`: the input
/// is a terminal that echoes what is typed.
pub fn ask_phases<G>(
    phases: &[Phase],
    interactive: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    mut start_load: impl FnMut(Phase) -> (String, G),
) -> std::io::Result<PromptOutcome> {
    let mut outcome = PromptOutcome::default();
    for (i, &phase) in phases.iter().enumerate() {
        let (what, guard) = start_load(phase);
        writeln!(output, "power {}/{}: {phase}: {what}", i + 1, phases.len())?;
        loop {
            write!(
                output,
                "  wattmeter reading once it is steady, in W (e.g. 10.4, 10,4, 10400 mW; empty to skip): "
            )?;
            output.flush()?;
            let mut line = String::new();
            let read = input.read_line(&mut line).inspect_err(|_| {
                // What follows starts on a line of its own.
                let _ = writeln!(output);
            })?;
            if read == 0 {
                writeln!(output)?;
                outcome.closed_early = true;
                drop(guard);
                return Ok(outcome);
            }
            if !interactive {
                // Piped answers are not echoed by a terminal: show them.
                write!(output, "{}", line.trim_end())?;
                writeln!(output)?;
            }
            match parse_typed_watts(&line) {
                Ok(w) => {
                    outcome.watts.set(phase, w);
                    break;
                }
                Err(e) => writeln!(output, "  {e}")?,
            }
        }
        drop(guard);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_ways_people_type_watts() {
        for (text, w) in [
            ("13.1", 13.1),
            ("13,1", 13.1),
            ("13.1 W", 13.1),
            ("13.1w", 13.1),
            ("13100 mW", 13.1),
            (" 7 ", 7.0),
        ] {
            let got = parse_typed_watts(text).unwrap().unwrap();
            assert!((got - w).abs() < 1e-9, "{text}: {got}");
        }
        assert_eq!(parse_typed_watts("\n"), Ok(None));
        for bad in ["-3", "0", "NaN", "inf", "6000", "ten", "1,000,0", "13.1 kW"] {
            assert!(parse_typed_watts(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn re_asks_skips_and_survives_closed_input() {
        let mut input = "abc\n-1\n10,4\n\n".as_bytes();
        let mut output = Vec::new();
        let mut started = Vec::new();
        let out = ask_phases(&Phase::ALL, false, &mut input, &mut output, |p| {
            started.push(p);
            (format!("load {p}"), ())
        })
        .unwrap();
        let text = String::from_utf8(output).unwrap();
        assert!(text.contains("'abc' is not a reading"), "{text}");
        // idle: two bad answers then 10,4; one core: skipped; then input ends.
        assert_eq!(out.watts.idle, Some(10.4));
        assert_eq!(out.watts.one, None);
        assert!(out.closed_early);
        assert_eq!(started, vec![Phase::Idle, Phase::One, Phase::Half]);
    }
}
