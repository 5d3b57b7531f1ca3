//! The machine-readable lines a remote `sbcbench run` prints among its
//! output, and what the controlling machine makes of them (documented in
//! docs/fleet.md, "Phase events"):
//!
//! ```text
//! @sbcbench phase start kernel=xz mode=1 threads=1 cpus=0 t=1700000000.123
//! @sbcbench phase end kernel=xz mode=1 threads=1 cpus=0 status=ok
//! @sbcbench pid 4242
//! @sbcbench step kernel=xz mode=1 threads=1 cpus=0
//! ```
//!
//! `step` lines (run `--status-lines`, which the fleet always passes) only
//! say which measurement starts, for the fleet's live status: they carry
//! no timing duty, so they come without the idle phase and the longer
//! measurements that `--phase-events` costs.
//!
//! A control line is a whole line beginning with `@sbcbench `; the
//! controller timestamps each one when it arrives, since the board's clock
//! is not this machine's. Phases never overlap: an `end` closes the phase
//! the last `start` opened.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Instant, SystemTime};

use crate::measure::{Engine, KernelId, StepKey};
use crate::observe::cpu::parse_cpu_list;

/// Every control line starts with this.
pub const TAG: &str = "@sbcbench ";

/// Values of `status=` on an `end`.
pub const END_STATUSES: [&str; 3] = ["ok", "failed", "interrupted"];
/// Values of `power=`: the `--power` phase keys.
pub const POWER_PHASES: [&str; 4] = ["idle", "1", "half", "all"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Start,
    End,
}

/// One `@sbcbench phase start|end key=value…` line.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseEvent {
    pub edge: Edge,
    /// Every key=value, percent-decoded; unknown keys kept.
    pub fields: BTreeMap<String, String>,
}

impl PhaseEvent {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    pub fn kernel(&self) -> Option<&str> {
        self.get("kernel")
    }

    pub fn threads(&self) -> Option<usize> {
        self.get("threads").and_then(|t| t.parse().ok())
    }

    /// The measurement a kernel phase is of; `None` for other phases.
    pub fn step_key(&self) -> Option<StepKey> {
        Some(StepKey {
            kernel: KernelId::from_name(self.kernel()?)?,
            // Boards from before the system engine say nothing: built-in.
            engine: match self.get("engine") {
                Some(e) => e.parse().ok()?,
                None => Engine::Builtin,
            },
            mode: self.get("mode")?.parse().ok()?,
            cpus: parse_cpu_list(self.get("cpus")?),
        })
    }

    /// A short label, e.g. `xz mode=1 threads=1 cpus=0`.
    pub fn label(&self) -> String {
        self.fields
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "t" | "status"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A parsed control line.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    Phase(PhaseEvent),
    /// The pid (and process group) of the remote run, printed by the
    /// fleet's own remote command before it starts sbcbench.
    Pid(u32),
    /// A measurement starts (`step`, same keys as a phase start): only
    /// for the fleet's status line, never for power.
    Step(PhaseEvent),
    /// A verb this sbcbench does not know: ignored, for newer boards.
    Unknown(String),
}

/// `None` when `line` is ordinary output; else the control line, or why
/// it is malformed. A trailing `\r` (from `ssh -t`) is ignored.
pub fn parse_control(line: &str) -> Option<Result<Control, String>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let rest = line.strip_prefix(TAG)?;
    Some(parse_rest(rest))
}

fn parse_rest(rest: &str) -> Result<Control, String> {
    let mut words = rest.split_ascii_whitespace();
    let verb = words.next().ok_or("no verb after '@sbcbench'")?;
    match verb {
        "pid" => {
            let pid = words.next().ok_or("pid: no number")?;
            if words.next().is_some() {
                return Err("pid: one number expected".into());
            }
            match pid.parse::<u32>() {
                Ok(p) if p > 1 => Ok(Control::Pid(p)),
                _ => Err(format!("pid: '{pid}' is not a process id")),
            }
        }
        "phase" => {
            let edge = match words.next() {
                Some("start") => Edge::Start,
                Some("end") => Edge::End,
                Some(other) => return Err(format!("phase: '{other}' is neither start nor end")),
                None => return Err("phase: start or end expected".into()),
            };
            let fields = parse_fields("phase", words)?;
            Ok(Control::Phase(PhaseEvent { edge, fields }))
        }
        "step" => Ok(Control::Step(PhaseEvent {
            edge: Edge::Start,
            fields: parse_fields("step", words)?,
        })),
        other => Ok(Control::Unknown(other.to_string())),
    }
}

/// The `key=value` words of a `phase` or `step` line.
fn parse_fields<'a>(
    verb: &str,
    words: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>, String> {
    let mut fields = BTreeMap::new();
    for word in words {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("{verb}: '{word}' is not key=value"))?;
        let key_ok = key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(format!("{verb}: '{key}' is not a key (a-z, 0-9, _)"));
        }
        let value = percent_decode(value).map_err(|e| format!("{verb}: {key}: {e}"))?;
        if value.is_empty() {
            return Err(format!("{verb}: {key} has no value"));
        }
        check_known(key, &value).map_err(|e| format!("{verb}: {e}"))?;
        if fields.insert(key.to_string(), value).is_some() {
            return Err(format!("{verb}: {key} given twice"));
        }
    }
    Ok(fields)
}

/// The keys with a defined meaning must have a value of their kind.
fn check_known(key: &str, value: &str) -> Result<(), String> {
    let ok = match key {
        "threads" | "cluster" => value.parse::<usize>().is_ok(),
        "cpus" => value
            .split(',')
            .all(|r| r.split('-').all(|n| n.parse::<usize>().is_ok())),
        "t" => value.parse::<f64>().is_ok_and(f64::is_finite),
        "status" => END_STATUSES.contains(&value),
        "power" => POWER_PHASES.contains(&value),
        "engine" => matches!(value, "builtin" | "system"),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{key}='{value}' is not a valid {key}"))
    }
}

/// `%XX` escapes (for a value with spaces, `%` or `=` in it).
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("'{s}' has a bad %XX escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("'{s}' is not UTF-8 once decoded"))
}

/// A value as written in a phase line: `%`, `=`, whitespace and control
/// characters percent-encoded. For the printing side.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c == '%' || c == '=' || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A whole `@sbcbench phase start|end …` line (without its newline), each
/// value percent-encoded: the printing side of [`parse_control`].
pub fn phase_line(edge: Edge, fields: &[(&str, String)]) -> String {
    let mut line = format!(
        "{TAG}phase {}",
        match edge {
            Edge::Start => "start",
            Edge::End => "end",
        }
    );
    for (key, value) in fields {
        line.push_str(&format!(" {key}={}", percent_encode(value)));
    }
    line
}

/// The printing side: `run --phase-events` announces each phase on stderr
/// as a control line, so that a meter on the machine that started this run
/// over ssh can tell which power belongs to which row. With only `steps`
/// (`run --status-lines`), each measurement's start is announced as a
/// `step` line instead, for the fleet's status: no other phase, no end.
#[derive(Debug, Clone, Copy)]
pub struct PhaseEvents {
    pub on: bool,
    pub steps: bool,
}

impl PhaseEvents {
    pub fn start(&self, fields: &[(&str, String)]) {
        self.print(Edge::Start, fields.to_vec());
    }

    pub fn end(&self, fields: &[(&str, String)], status: &str) {
        let mut fields = fields.to_vec();
        fields.push(("status", status.to_string()));
        self.print(Edge::End, fields);
    }

    /// A guard that announces the phase's end when dropped: `interrupted`
    /// if a signal came meanwhile, else `ok`.
    pub fn end_on_drop(&self, fields: Vec<(&'static str, String)>) -> PhaseEnd {
        PhaseEnd {
            events: *self,
            fields,
        }
    }

    fn print(&self, edge: Edge, mut fields: Vec<(&str, String)>) {
        if !self.on {
            // A measurement's start has a kernel; the power phases have `power`.
            let is_step = edge == Edge::Start
                && fields.iter().any(|(k, _)| *k == "kernel")
                && !fields.iter().any(|(k, _)| *k == "power");
            if self.steps && is_step {
                write_line(&step_line(&fields));
            }
            return;
        }
        if let Ok(t) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            fields.push(("t", format!("{:.3}", t.as_secs_f64())));
        }
        // One write of the whole line, under the lock: never interleaved
        // with other output of this process.
        write_line(&phase_line(edge, &fields));
    }
}

/// A whole `@sbcbench step …` line (without its newline).
pub fn step_line(fields: &[(&str, String)]) -> String {
    let mut line = format!("{TAG}step");
    for (key, value) in fields {
        line.push_str(&format!(" {key}={}", percent_encode(value)));
    }
    line
}

/// One write of the whole line, under the lock: never interleaved with
/// other output of this process.
fn write_line(line: &str) {
    let line = format!("{line}\n");
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes()).and_then(|()| err.flush());
}

/// See [`PhaseEvents::end_on_drop`].
pub struct PhaseEnd {
    events: PhaseEvents,
    fields: Vec<(&'static str, String)>,
}

impl Drop for PhaseEnd {
    fn drop(&mut self) {
        let stopped = crate::interrupt::STOP.load(std::sync::atomic::Ordering::Relaxed);
        let status = if stopped { "interrupted" } else { "ok" };
        self.events.end(&self.fields, status);
    }
}

/// A phase event with the controller's time of arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    pub at: Instant,
    pub wall: SystemTime,
    pub event: PhaseEvent,
}

/// A phase between its start and end, in the controller's time.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: PhaseEvent,
    pub from: Instant,
    /// `None`: never ended (the run stopped).
    pub to: Option<Instant>,
    /// `status=` of the end, or `unclosed` when the next start came first.
    pub status: Option<String>,
}

/// The phase events of one board's run, in order of arrival.
#[derive(Debug, Clone, Default)]
pub struct PhaseLog {
    pub events: Vec<Timed>,
}

impl PhaseLog {
    pub fn push(&mut self, event: PhaseEvent, at: Instant) {
        self.events.push(Timed {
            at,
            wall: SystemTime::now(),
            event,
        });
    }

    /// The phases: each `start` opens one, the next `end` closes it. An
    /// `end` with nothing open is ignored; a `start` while one is open
    /// closes that one, with status `unclosed`.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        let mut open: Option<usize> = None;
        for t in &self.events {
            match t.event.edge {
                Edge::Start => {
                    if let Some(i) = open.take() {
                        spans[i].to = Some(t.at);
                        spans[i].status = Some("unclosed".into());
                    }
                    spans.push(Span {
                        start: t.event.clone(),
                        from: t.at,
                        to: None,
                        status: None,
                    });
                    open = Some(spans.len() - 1);
                }
                Edge::End => {
                    if let Some(i) = open.take() {
                        spans[i].to = Some(t.at);
                        spans[i].status = t.event.get("status").map(str::to_string);
                    }
                }
            }
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn phase(line: &str) -> PhaseEvent {
        match parse_control(line) {
            Some(Ok(Control::Phase(p))) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn the_documented_lines_parse() {
        let p = phase("@sbcbench phase start kernel=xz mode=1 threads=1 cpus=0 t=1700000000.123");
        assert_eq!(p.edge, Edge::Start);
        assert_eq!((p.kernel(), p.threads()), (Some("xz"), Some(1)));
        assert_eq!(p.get("cpus"), Some("0"));
        assert_eq!(p.label(), "cpus=0 kernel=xz mode=1 threads=1");
        let e = phase("@sbcbench phase end kernel=xz threads=4 cpus=0-3,6 status=ok\r");
        assert_eq!((e.edge, e.get("status")), (Edge::End, Some("ok")));
        let idle = phase("@sbcbench phase start power=idle threads=0 load=spin");
        assert_eq!(idle.get("power"), Some("idle"));
        assert_eq!(
            parse_control("@sbcbench pid 4242"),
            Some(Ok(Control::Pid(4242)))
        );
        assert_eq!(
            parse_control("@sbcbench meter-hint x=1"),
            Some(Ok(Control::Unknown("meter-hint".into())))
        );
        // Unknown keys are kept, for newer boards.
        assert_eq!(
            phase("@sbcbench phase end future_key=1").get("future_key"),
            Some("1")
        );
    }

    #[test]
    fn a_system_step_is_told_from_the_builtin_one_of_the_same_cpus() {
        let system =
            phase("@sbcbench phase start kernel=sha1 engine=system mode=1 threads=1 cpus=0");
        let builtin = phase("@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=0");
        let key = |p: &PhaseEvent| p.step_key().unwrap();
        assert_eq!(key(&system).engine, Engine::System);
        assert_eq!(key(&builtin).engine, Engine::Builtin);
        assert_ne!(key(&system), key(&builtin));
        assert_eq!(key(&system).to_string(), "sha1 (system) × 1 (cpu 0)");
        match parse_control("@sbcbench phase start kernel=sha1 engine=gpu") {
            Some(Err(e)) => assert!(e.contains("engine='gpu'"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn step_lines_parse_and_a_bad_one_says_why() {
        let fields = [
            ("kernel", "sha1".to_string()),
            ("mode", "all".to_string()),
            ("threads", "4".to_string()),
            ("cpus", "0-3".to_string()),
        ];
        let line = step_line(&fields);
        assert_eq!(
            line,
            "@sbcbench step kernel=sha1 mode=all threads=4 cpus=0-3"
        );
        match parse_control(&line) {
            Some(Ok(Control::Step(p))) => {
                assert_eq!(p.step_key().unwrap().to_string(), "sha1 × all (cpu 0-3)");
            }
            other => panic!("{other:?}"),
        }
        match parse_control("@sbcbench step threads=x") {
            Some(Err(e)) => assert!(e.starts_with("step: threads='x'"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_are_percent_encoded_both_ways() {
        let v = "a b=c%d\té";
        let enc = percent_encode(v);
        assert!(!enc.contains([' ', '=', '\t']), "{enc}");
        let p = phase(&format!("@sbcbench phase start note={enc}"));
        assert_eq!(p.get("note"), Some(v));
    }

    #[test]
    fn printed_lines_parse_back_to_their_fields() {
        let fields = [
            ("kernel", "chacha20-poly1305".to_string()),
            ("mode", "all".to_string()),
            ("threads", "4".to_string()),
            ("cpus", "0-3".to_string()),
            ("note", "big = fast 100%".to_string()),
        ];
        let line = phase_line(Edge::End, &fields);
        assert!(
            line.starts_with("@sbcbench phase end kernel=chacha20-poly1305 "),
            "{line}"
        );
        let p = phase(&line);
        assert_eq!(p.edge, Edge::End);
        for (k, v) in &fields {
            assert_eq!(p.get(k), Some(v.as_str()), "{line}");
        }
        assert_eq!(p.fields.len(), fields.len());
    }

    #[test]
    fn other_lines_are_output_and_bad_control_lines_say_why() {
        for plain in [
            "",
            "sbcbench run",
            " @sbcbench phase start",
            "@sbcbenchphase start",
            "| sha1 | 1 |",
        ] {
            assert_eq!(parse_control(plain), None, "{plain}");
        }
        for (bad, why) in [
            ("@sbcbench ", "no verb"),
            ("@sbcbench phase", "start or end"),
            ("@sbcbench phase begin", "neither start nor end"),
            ("@sbcbench phase start kernel", "not key=value"),
            ("@sbcbench phase start Kernel=xz", "not a key"),
            ("@sbcbench phase start threads=two", "threads='two'"),
            ("@sbcbench phase start cpus=0-x", "cpus="),
            ("@sbcbench phase end status=fine", "status='fine'"),
            ("@sbcbench phase start power=max", "power='max'"),
            ("@sbcbench phase start kernel=xz kernel=sha1", "twice"),
            ("@sbcbench phase start kernel=", "no value"),
            ("@sbcbench phase start note=%zz", "escape"),
            ("@sbcbench pid x", "not a process id"),
            ("@sbcbench pid 1", "not a process id"),
        ] {
            match parse_control(bad) {
                Some(Err(e)) => assert!(e.contains(why), "{bad}: {e}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn spans_pair_starts_with_ends() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut log = PhaseLog::default();
        log.push(phase("@sbcbench phase end kernel=xz"), at(0)); // nothing open: ignored
        log.push(
            phase("@sbcbench phase start kernel=sha1 threads=1"),
            at(100),
        );
        log.push(
            phase("@sbcbench phase end kernel=sha1 threads=1 status=ok"),
            at(300),
        );
        log.push(phase("@sbcbench phase start kernel=xz threads=4"), at(400));
        log.push(phase("@sbcbench phase start kernel=xz threads=1"), at(600));
        let spans = log.spans();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].start.kernel(), Some("sha1"));
        assert_eq!((spans[0].from, spans[0].to), (at(100), Some(at(300))));
        assert_eq!(spans[0].status.as_deref(), Some("ok"));
        assert_eq!(spans[1].status.as_deref(), Some("unclosed"));
        assert_eq!(spans[1].to, Some(at(600)));
        assert_eq!(spans[2].to, None);
    }
}
