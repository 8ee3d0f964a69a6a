//! A real SMTP server on loopback for tests: the `mailin` SMTP state machine over TCP,
//! keeping every message it accepts so tests can read the codes Vestibule sent; optionally
//! requiring AUTH (user `mailer`, password `s3cret-pass`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Handler, Response, SessionBuilder};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    /// The six-digit code in the message body.
    pub fn code(&self) -> String {
        let body = self.data.split("\r\n\r\n").skip(1).collect::<Vec<_>>().join("\n");
        let digits: Vec<char> = body.chars().collect();
        digits
            .windows(6)
            .enumerate()
            .find(|(i, w)| w.iter().all(|c| c.is_ascii_digit()) && (*i == 0 || !digits[i - 1].is_ascii_digit()) && digits.get(i + 6).is_none_or(|c| !c.is_ascii_digit()))
            .map(|(_, w)| w.iter().collect())
            .unwrap_or_else(|| panic!("no code in {}", self.data))
    }

    /// The message body as text, whatever its transfer encoding (7bit, quoted-printable or base64).
    pub fn text(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap_or((&self.data, ""));
        let head = head.to_ascii_lowercase();
        if head.contains("content-transfer-encoding: base64") {
            use base64::Engine;
            let joined: String = body.split_whitespace().collect();
            return String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(joined).unwrap_or_default()).into_owned();
        }
        if !head.contains("content-transfer-encoding: quoted-printable") {
            return body.to_owned();
        }
        let unfolded = body.replace("=\r\n", "");
        let bytes = unfolded.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match (bytes[i], bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
                (b'=', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The first link in the message whose address contains `part`.
    pub fn link(&self, part: &str) -> String {
        let text = self.text();
        text.split_whitespace().find(|w| w.starts_with("http") && w.contains(part)).unwrap_or_else(|| panic!("no link with {part} in {text}")).to_owned()
    }

    pub fn subject(&self) -> String {
        self.data.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_owned()
    }
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

#[derive(Clone)]
struct Collector {
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    to: Vec<String>,
    data: Vec<u8>,
    /// Accepted `(user, password)` for AUTH PLAIN/LOGIN, which is then required.
    credentials: Option<(String, String)>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn auth_plain(&mut self, _authorization_id: &str, user: &str, password: &str) -> Response {
        self.auth_login(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        if self.credentials.as_ref().is_some_and(|(u, p)| (u.as_str(), p.as_str()) == (user, password)) {
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail { to: self.to.clone(), data: String::from_utf8_lossy(&self.data).replace("=\r\n", "") };
        self.mails.lock().unwrap().push(mail);
        mailin::response::OK
    }
}

impl SmtpServer {
    /// A server that accepts mail from anyone.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// A server that requires AUTH with `mailer` / `s3cret-pass`.
    pub fn start_with_auth() -> Self {
        Self::start_with(Some(("mailer".into(), "s3cret-pass".into())))
    }

    fn start_with(credentials: Option<(String, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let with_auth = credentials.is_some();
        let collector = Collector { mails: mails.clone(), to: vec![], data: vec![], credentials };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let collector = collector.clone();
                std::thread::spawn(move || {
                    let peer = stream.peer_addr().unwrap().ip();
                    let mut builder = SessionBuilder::new("mail.test");
                    if with_auth {
                        // Loopback only: plaintext AUTH is fine here, and lets tests check credentials.
                        builder.enable_auth(mailin::AuthMechanism::Plain).enable_auth(mailin::AuthMechanism::Login).insecure_enable_plaintext_auth();
                    }
                    let mut session = builder.build(peer, collector);
                    let mut writer = stream.try_clone().unwrap();
                    session.greeting().write_to(&mut writer).unwrap();
                    let mut reader = BufReader::new(stream);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        let response = session.process(&line);
                        match response.action {
                            mailin::Action::Close => {
                                let _ = response.write_to(&mut writer);
                                break;
                            }
                            mailin::Action::NoReply => {}
                            _ => {
                                if response.write_to(&mut writer).is_err() {
                                    break;
                                }
                            }
                        }
                        let _ = writer.flush();
                    }
                });
            }
        });
        Self { port, mails }
    }

    /// The SMTP connector configuration that sends here.
    pub fn connector(&self) -> identity::connectors::ConnectorConfig {
        identity::connectors::ConnectorConfig::Smtp(identity::connectors::SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security: identity::connectors::SmtpSecurity::None,
            username: None,
            password: None,
            from_email: "no-reply@vestibule.test".into(),
            from_name: Some("Vestibule".into()),
        })
    }

    pub fn all(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// The last message to `address`, waiting briefly for it to arrive.
    pub async fn last_to(&self, address: &str) -> ReceivedMail {
        for _ in 0..100 {
            if let Some(mail) = self.all().into_iter().rev().find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address))) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no mail to {address}; received {:?}", self.all().iter().map(|m| &m.to).collect::<Vec<_>>());
    }

    pub fn count_to(&self, address: &str) -> usize {
        self.all().iter().filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address))).count()
    }
}
