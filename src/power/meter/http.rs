//! Plain HTTP GETs to a meter on the LAN (smart plugs, PDUs, Home
//! Assistant), with the authentication each speaks and one wording of
//! every failure, so that each driver holds only its device's API.
//!
//! Credentials go in headers, never in a URL that an error could print.
//! Basic or digest (RFC 7616, SHA-256 as Shelly Gen2+ asks) is chosen by
//! the device's 401 challenge; a digest nonce is kept and reused with a
//! counting `nc`, as firmware from 2.0 allows, and renewed when refused.

use std::time::Duration;

use super::values::{reading, Values};
use super::{Meter, MeterError, Reading};

/// How long one request may take: devices on the LAN answer in tens of ms.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// How a device wants to be told who is asking.
pub enum Auth {
    None,
    /// Answered with basic or digest, whichever the device's 401 asks.
    Password {
        user: String,
        password: String,
    },
    /// `Authorization: Bearer` (Home Assistant's long-lived tokens).
    Bearer(String),
}

pub struct Http {
    /// `http://host:port`, no credentials.
    base: String,
    /// What errors call the device: `shelly 10.0.0.8`.
    pub label: String,
    auth: Auth,
    /// The last digest challenge, reused until refused.
    digest: Option<digest_auth::WwwAuthenticateHeader>,
    basic: bool,
}

/// A device on the LAN read over HTTP: its driver says how to ask it;
/// being a [`Meter`] is the same for all of them.
pub trait Device: Send {
    /// The protocol's name, as in `--meter` and `watts_source`.
    const PROTOCOL: &'static str;
    fn http(&self) -> &Http;
    /// One reading's values, asked now.
    fn ask(&mut self) -> Result<Values, MeterError>;
}

impl<D: Device> Meter for D {
    fn protocol(&self) -> &'static str {
        D::PROTOCOL
    }

    fn port(&self) -> &str {
        &self.http().label
    }

    fn read(&mut self) -> Result<Reading, MeterError> {
        Ok(reading(self.ask()?))
    }
}

/// `host[:port]` or a URL, as `http://host[:port]` without a trailing `/`.
pub fn base_url(host: &str) -> String {
    let host = host.trim_end_matches('/');
    if host.starts_with("http://") || host.starts_with("https://") {
        host.to_string()
    } else {
        format!("http://{host}")
    }
}

impl Http {
    pub fn new(host: &str, label: String, auth: Auth) -> Http {
        Http {
            base: base_url(host),
            label,
            auth,
            digest: None,
            basic: false,
        }
    }

    pub fn bad(&self, what: impl Into<String>) -> MeterError {
        MeterError::Bad {
            port: self.label.clone(),
            what: what.into(),
        }
    }

    /// The body of `GET path` when the device answers 200. `missing` says
    /// what a 404 means for this device ("no /meter/0: is id= right?").
    pub fn get(&mut self, path: &str, missing: &str) -> Result<String, MeterError> {
        let mut answer = self.send(path)?;
        if answer.status_code == 401 && self.answer_challenge(&answer)? {
            answer = self.send(path)?;
            if answer.status_code == 401 && self.digest.is_some() {
                // A stale nonce: the new challenge is answered once.
                self.digest = None;
                if self.answer_challenge(&answer)? {
                    answer = self.send(path)?;
                }
            }
        }
        let code = answer.status_code;
        match code {
            200 => answer
                .as_str()
                .map(str::to_string)
                .map_err(|_| self.bad("the answer is not UTF-8 text")),
            401 | 403 => Err(self.bad(match self.auth {
                Auth::None => format!(
                    "HTTP {code}: the device wants a password: give password-file= \
                     (or password-env=)"
                ),
                Auth::Password { .. } => format!(
                    "HTTP {code}: the device refused the credentials; check the user and \
                     the password file or variable"
                ),
                Auth::Bearer(_) => format!(
                    "HTTP {code}: the token was refused; check the token file or variable \
                     (a long-lived access token from the user's profile page)"
                ),
            })),
            404 => Err(self.bad(format!("HTTP 404: {missing}"))),
            500..=599 => Err(self.bad(format!(
                "HTTP {code} {}: the device failed to answer",
                answer.reason_phrase
            ))),
            _ => Err(self.bad(format!("HTTP {code} {}", answer.reason_phrase))),
        }
    }

    /// Prepares the credentials a 401 asks for; false when there are none
    /// to give (or the challenge cannot be answered).
    fn answer_challenge(&mut self, answer: &minreq::Response) -> Result<bool, MeterError> {
        if !matches!(self.auth, Auth::Password { .. }) {
            return Ok(false);
        }
        let challenge = answer
            .headers
            .get("www-authenticate")
            .map(String::as_str)
            .unwrap_or("");
        if challenge
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("digest")
        {
            let parsed = digest_auth::parse(challenge)
                .map_err(|e| self.bad(format!("cannot answer the digest challenge: {e}")))?;
            self.digest = Some(parsed);
            Ok(true)
        } else if self.basic {
            Ok(false)
        } else {
            self.basic = true;
            Ok(true)
        }
    }

    fn send(&mut self, path: &str) -> Result<minreq::Response, MeterError> {
        let mut request =
            minreq::get(format!("{}{path}", self.base)).with_timeout(TIMEOUT.as_secs());
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                request = request.with_header("Authorization", format!("Bearer {token}"));
            }
            Auth::Password { user, password } => {
                if let Some(prompt) = self.digest.as_mut() {
                    let context =
                        digest_auth::AuthContext::new(user.as_str(), password.as_str(), path);
                    let header = prompt.respond(&context).map_err(|e| MeterError::Bad {
                        port: self.label.clone(),
                        what: format!("cannot answer the digest challenge: {e}"),
                    })?;
                    request = request.with_header("Authorization", header.to_header_string());
                } else if self.basic {
                    request = request.with_header(
                        "Authorization",
                        format!("Basic {}", base64(&format!("{user}:{password}"))),
                    );
                }
            }
        }
        request.send().map_err(|e| self.transport(e))
    }

    /// What went wrong before any answer, without the URL (it may hold a
    /// query the user would rather not see) and without credentials.
    fn transport(&self, e: minreq::Error) -> MeterError {
        use std::io::ErrorKind;
        match e {
            minreq::Error::IoError(io)
                if matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
            {
                MeterError::Timeout {
                    port: self.label.clone(),
                    ms: TIMEOUT.as_millis(),
                }
            }
            minreq::Error::IoError(io) if io.kind() == ErrorKind::ConnectionRefused => {
                self.bad("connection refused: is the host right, and the device's HTTP API on?")
            }
            minreq::Error::IoError(io) if is_dns(&io) => {
                self.bad(format!("the host name does not resolve ({io})"))
            }
            minreq::Error::IoError(io) => self.bad(format!("cannot reach the device: {io}")),
            e => self.bad(format!("bad HTTP answer: {e}")),
        }
    }
}

/// A failed name lookup: std reports it as an uncategorised error whose
/// text comes from getaddrinfo.
fn is_dns(io: &std::io::Error) -> bool {
    let text = io.to_string();
    text.contains("lookup") || text.contains("resolve") || text.contains("Name or service")
}

/// RFC 4648 base64, for one basic-auth header.
fn base64(s: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("admin:pa55", "YWRtaW46cGE1NQ=="),
        ] {
            assert_eq!(base64(plain), coded, "{plain}");
        }
    }

    #[test]
    fn hosts_become_base_urls() {
        assert_eq!(base_url("10.0.0.8"), "http://10.0.0.8");
        assert_eq!(base_url("plug:8080/"), "http://plug:8080");
        assert_eq!(base_url("http://ha.local:8123/"), "http://ha.local:8123");
    }
}
