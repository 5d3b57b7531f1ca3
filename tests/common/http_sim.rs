//! A real HTTP server on 127.0.0.1 standing in for a network meter: each
//! request's target goes to a handler that says what to answer and after
//! how long. One thread per connection, so a slow answer holds up nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the server answers one request.
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Waited before answering.
    pub delay: Duration,
}

impl Answer {
    pub fn json(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
}

type Handler = dyn Fn(&str, u64) -> Answer + Send + Sync;

pub struct HttpSim {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    requests: Arc<AtomicU64>,
}

impl HttpSim {
    /// Serves until the test process ends; `handler` gets each request's
    /// target (`/cm?cmnd=Status%2010`) and how many came before it.
    pub fn start(handler: impl Fn(&str, u64) -> Answer + Send + Sync + 'static) -> HttpSim {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&requests);
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let counted = Arc::clone(&counted);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() {
                        return;
                    }
                    // The headers, up to the blank line.
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if line.trim().is_empty() => break,
                            Ok(_) => {}
                        }
                    }
                    let target = first.split_whitespace().nth(1).unwrap_or("").to_string();
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    let answer = handler(&target, n);
                    std::thread::sleep(answer.delay);
                    let reason = match answer.status {
                        200 => "OK",
                        401 => "Unauthorized",
                        404 => "Not Found",
                        _ => "Error",
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                        answer.status,
                        answer.body.len(),
                        answer.body
                    );
                });
            }
        });
        HttpSim { addr, requests }
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}
