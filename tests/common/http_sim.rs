//! A real HTTP server on 127.0.0.1 standing in for a network meter: each
//! request (method, target, headers) goes to a handler that says what to
//! answer, with which headers, and after how long. One thread per
//! connection, so a slow answer holds up nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One request as the server read it.
pub struct Request {
    pub method: String,
    /// `/cm?cmnd=Status%2010`.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers one request.
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Waited before answering.
    pub delay: Duration,
    /// Sent besides Content-Type, Content-Length and Connection.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn json(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            body: String::new(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Request, u64) -> Answer + Send + Sync;

pub struct HttpSim {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    requests: Arc<AtomicU64>,
}

impl HttpSim {
    /// Serves until the test process ends; `handler` gets each request
    /// and how many came before it.
    pub fn start(handler: impl Fn(&Request, u64) -> Answer + Send + Sync + 'static) -> HttpSim {
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
                    let mut headers = Vec::new();
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if line.trim().is_empty() => break,
                            Ok(_) => {
                                if let Some((k, v)) = line.split_once(':') {
                                    headers.push((k.trim().to_string(), v.trim().to_string()));
                                }
                            }
                        }
                    }
                    let mut words = first.split_whitespace();
                    let request = Request {
                        method: words.next().unwrap_or("").to_string(),
                        target: words.next().unwrap_or("").to_string(),
                        headers,
                    };
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    let answer = handler(&request, n);
                    std::thread::sleep(answer.delay);
                    let reason = match answer.status {
                        200 => "OK",
                        401 => "Unauthorized",
                        404 => "Not Found",
                        _ => "Error",
                    };
                    let extra: String = answer
                        .headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}\r\n"))
                        .collect();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\n{extra}\
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
