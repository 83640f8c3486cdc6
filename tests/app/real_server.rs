//! The real `clubroom` binary serving a data directory, and a plain HTTP/1.1 client that tells
//! "no answer at all" from "the connection died before the answer was complete": what the crash
//! and race tests need and Rocket's local client cannot give (it runs the app inside the test on
//! a single async worker thread).

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clubroom::accounts::model::{Role, UserStatus};
use clubroom::accounts::password::Passwords;
use clubroom::accounts::repo::{self, NewUser};
use clubroom::db::{write_tx, Db};
use serde_json::Value;

use crate::cli::server_binary;
use crate::support::PASSWORD;

/// A complete answer: status, head and body (the body checked against `Content-Length`).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The value of the cookie `name` this answer sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .filter(|(header, _)| header.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| value.trim().split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().to_string())
    }
}

/// Why a request got no complete answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoReply {
    /// Nobody was listening: the request never reached a server.
    Refused,
    /// The connection was made but ended (or stalled) before a whole answer came back: the
    /// server may or may not have acted on the request.
    Cut,
}

/// A request to send: method, path, extra headers and an optional body with its type.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub accept: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<(&'a str, String)>,
    /// The loopback address the request is sent from (all of 127.0.0.0/8 is loopback on Linux),
    /// to play several clients.
    pub from: Option<std::net::Ipv4Addr>,
}

impl<'a> Request<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Request {
            method,
            path,
            accept: "application/json",
            headers: Vec::new(),
            body: None,
            from: None,
        }
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.headers.push(("Authorization", format!("Bearer {token}")));
        self
    }

    pub fn from(mut self, address: std::net::Ipv4Addr) -> Self {
        self.from = Some(address);
        self
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(("application/json", body.to_string()));
        self
    }

    /// As a browser asks for a page (errors come back as pages too).
    pub fn html(mut self) -> Self {
        self.accept = "text/html";
        self
    }

    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> =
            fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        self.body = Some(("application/x-www-form-urlencoded", encoded.join("&")));
        self
    }

    /// Sends the request on a fresh connection (`Connection: close`) to `127.0.0.1:port`.
    pub fn send(&self, port: u16) -> Result<Reply, NoReply> {
        let mut stream = connect(port, self.from).map_err(|_| NoReply::Refused)?;
        stream.set_read_timeout(Some(Duration::from_secs(20))).map_err(|_| NoReply::Cut)?;
        let mut text = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: {}\r\n",
            self.method, self.path, self.accept
        );
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = match &self.body {
            Some((content_type, body)) => {
                text.push_str(&format!("Content-Type: {content_type}\r\n"));
                body.as_str()
            }
            None => "",
        };
        text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(text.as_bytes()).map_err(|_| NoReply::Cut)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|_| NoReply::Cut)?;
        parse_complete(&raw).ok_or(NoReply::Cut)
    }
}

/// A connection to `127.0.0.1:port`, from `from` when given.
pub(crate) fn connect(port: u16, from: Option<std::net::Ipv4Addr>) -> std::io::Result<TcpStream> {
    let server = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Some(from) = from else { return TcpStream::connect(server) };
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from((from, 0)).into())?;
    socket.connect(&server.into())?;
    Ok(socket.into())
}

/// The answer in `raw`, only if it is whole: a status line, and exactly `Content-Length` bytes
/// of body. A server killed mid-answer leaves less, which must never count as an answer.
fn parse_complete(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &raw[split + 4..];
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))?
        .1
        .trim()
        .parse()
        .ok()?;
    (body.len() == length).then(|| Reply {
        status,
        head,
        body: String::from_utf8_lossy(body).to_string(),
    })
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// How to start the binary on one data directory: each start gets a new port (so another test
/// taking the previous one in between cannot fail a restart) and appends its stdout and stderr
/// to a log.
pub(crate) struct Binary {
    pub data: PathBuf,
    log: PathBuf,
    env: Vec<(String, String)>,
}

/// One running (or just killed) server process.
pub(crate) struct Process {
    pub child: Child,
    pub port: u16,
    pub started: Instant,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    /// The binary on `data`, with the given extra settings (`CLUBROOM_` + key).
    pub fn new(data: &Path, settings: &[(&str, &str)]) -> Binary {
        let log = data.with_extension("log");
        let mut env = vec![
            ("CLUBROOM_DATA_DIR".to_string(), data.display().to_string()),
            ("CLUBROOM_ADDRESS".to_string(), "127.0.0.1".to_string()),
            ("CLUBROOM_LOG_LEVEL".to_string(), "critical".to_string()),
        ];
        for (key, value) in settings {
            env.push((format!("CLUBROOM_{key}"), value.to_string()));
        }
        Binary { data: data.to_path_buf(), log, env }
    }

    pub fn start(&self) -> Process {
        let port = free_port();
        let log = File::options().create(true).append(true).open(&self.log).unwrap();
        let output = log.try_clone().unwrap();
        let mut command = Command::new(server_binary());
        command
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("CLUBROOM_PORT", port.to_string())
            .current_dir(self.data.parent().unwrap())
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(log);
        let child = command.spawn().expect("the server binary starts");
        Process { child, port, started: Instant::now() }
    }

    /// What the server processes wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/health` answers 200. Err when the process exits first (with its log) or
    /// after 30 seconds.
    pub fn wait_healthy(&self, process: &mut Process) -> Result<Duration, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) while starting:\n{}",
                    self.log()
                ));
            }
            if let Ok(reply) = Request::new("GET", "/health").send(process.port) {
                if reply.status == 200 {
                    return Ok(process.started.elapsed());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("not healthy after 30 s:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts the server and waits until it is healthy; panics with the log otherwise.
    pub fn start_healthy(&self) -> Process {
        let mut process = self.start();
        if let Err(why) = self.wait_healthy(&mut process) {
            panic!("{why}");
        }
        process
    }
}

/// Kills `process` with SIGKILL (no chance to clean up) and reaps it.
pub(crate) fn sigkill(process: &mut Process) {
    process.child.kill().expect("SIGKILL");
    process.child.wait().expect("reaped");
}

/// Creates `data` with a migrated database before the server ever ran there: an admin named
/// `admin` and active members named `members`, all with `PASSWORD` (hashed cheaply), and login
/// codes off so API tokens come from the password alone. Returns the members' ids.
pub(crate) fn prepare_data_dir(data: &Path, members: &[String]) -> Vec<i64> {
    clubroom::datadir::create_private_dir(data).unwrap();
    let db = Db::open(&data.join("clubroom.db"), 2, Duration::from_secs(5)).unwrap();
    let hash = Passwords::new(8, 1, 1).unwrap().hash(PASSWORD).unwrap();
    let mut conn = db.conn().unwrap();
    write_tx(&mut conn, |tx| {
        let add = |username: &str, roles: &[Role]| {
            let email = format!("{username}@example.org");
            let user = NewUser {
                username,
                email: &email,
                display_name: "",
                password_hash: Some(&hash),
                status: UserStatus::Active,
            };
            let id = repo::insert_user(tx, &user, 1_700_000_000)?;
            repo::add_roles(tx, id, roles)?;
            Ok::<_, clubroom::error::AppError>(id)
        };
        add("admin", &[Role::Admin, Role::Member])?;
        let ids = members.iter().map(|m| add(m, &[Role::Member])).collect::<Result<_, _>>()?;
        tx.execute(
            "INSERT OR REPLACE INTO settings (key, value, updated_at)
             VALUES ('two_factor_policy', 'off', 0)",
            [],
        )?;
        Ok(ids)
    })
    .unwrap()
}

/// An API access token for `username` (password `PASSWORD`).
pub(crate) fn token(port: u16, username: &str) -> String {
    let body = serde_json::json!({"login": username, "password": PASSWORD});
    let reply = Request::new("POST", "/api/v1/auth/token").json(&body).send(port).unwrap();
    assert_eq!(reply.status, 200, "token for {username}: {}", reply.body);
    reply.json()["access_token"].as_str().expect("an access token").to_string()
}
