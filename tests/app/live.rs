//! A Clubroom server listening on loopback, for what Rocket's local client cannot do
//! (WebSockets): plain HTTP requests over TCP and WebSocket clients against it.

use std::sync::Arc;
use std::time::Duration;

use clubroom::accounts::model::{Role, UserStatus};
use clubroom::accounts::repo::{self, NewUser};
use clubroom::clock::ManualClock;
use clubroom::config::AppConfig;
use clubroom::ctx::Ctx;
use clubroom::db::Db;
use clubroom::email::{Mailbox, Transport};
use clubroom::realtime::Hub;
use clubroom::Runtime;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{test_config, PASSWORD};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct LiveServer {
    /// `127.0.0.1:<port>`
    pub host: String,
    pub db: Db,
    pub ctx: Ctx,
    pub hub: Hub,
    shutdown: rocket::Shutdown,
    server: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl LiveServer {
    pub async fn start() -> LiveServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut AppConfig)) -> LiveServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(&dir.path().join("data"));
        adjust(&mut config);
        config.address = "127.0.0.1".parse().unwrap();
        config.port = free_port();
        config.base_url = format!("http://127.0.0.1:{}", config.port);
        let clock = Arc::new(ManualClock::new());
        let runtime = Runtime {
            clock: clock.clone(),
            transport: Some(Transport::Memory(Mailbox::default())),
            print_setup_link: false,
        };
        let rocket = clubroom::rocket_with(config.clone(), runtime).ignite().await.expect("ignite");
        let db = rocket.state::<Db>().expect("db").clone();
        let ctx = rocket.state::<Ctx>().expect("ctx").clone();
        let hub = rocket.state::<Db>().expect("db").outlets().hub().clone();
        let shutdown = rocket.shutdown();
        let server = tokio::spawn(async move {
            rocket.launch().await.expect("server ran");
        });
        // Tokens come from plain password logins here; second factors have tests of their own.
        db.call(|c| {
            Ok(c.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('two_factor_policy', 'off', 0)",
                [],
            )?)
        })
        .await
        .expect("second factor off");
        let host = format!("127.0.0.1:{}", config.port);
        for _ in 0..500 {
            if TcpStream::connect(&host).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        LiveServer { host, db, ctx, hub, shutdown, server, _dir: dir }
    }

    /// Creates an active user with `roles` and the password `PASSWORD`.
    pub async fn create_user(&self, username: &str, roles: &[Role]) -> i64 {
        let (ctx, username, roles) = (self.ctx.clone(), username.to_string(), roles.to_vec());
        let hash = ctx.passwords.hash(PASSWORD).unwrap();
        self.db
            .write(move |tx| {
                let email = format!("{username}@example.org");
                let user = NewUser {
                    username: &username,
                    email: &email,
                    display_name: "",
                    password_hash: Some(&hash),
                    status: UserStatus::Active,
                };
                let id = repo::insert_user(tx, &user, ctx.now_unix())?;
                repo::add_roles(tx, id, &roles)?;
                Ok(id)
            })
            .await
            .unwrap()
    }

    /// An API access token for `username`.
    pub async fn token(&self, username: &str) -> String {
        let body = serde_json::json!({"login": username, "password": PASSWORD});
        let (status, answer) = self.send("POST", "/api/v1/auth/token", None, Some(body)).await;
        assert_eq!(status, 200, "token for {username}: {answer}");
        answer["access_token"].as_str().expect("access token").to_string()
    }

    /// One HTTP/1.1 request (JSON in, JSON out) with an optional bearer token: (status, body).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|value| ("Authorization", value.as_str())).collect();
        self.send_with(method, path, &headers, body).await
    }

    /// One HTTP/1.1 request (JSON in, JSON out) with the given extra headers (a `Cookie`, say):
    /// (status, body).
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.host
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() {
            request.push_str("Content-Type: application/json\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        let (status, _, text) = self.raw(&request).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Logs `username` in as a browser would: the `clubroom_session=...` cookie pair.
    pub async fn session_cookie(&self, username: &str) -> String {
        self.session_cookie_replacing(username, None).await
    }

    /// Logs `username` in from a browser that holds the session cookie `replaces`, if any.
    pub async fn session_cookie_replacing(&self, username: &str, replaces: Option<&str>) -> String {
        let body = serde_json::json!({"login": username, "password": PASSWORD}).to_string();
        let cookie = replaces.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let request = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{cookie}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        let (status, head, answer) = self.raw(&request).await;
        assert_eq!(status, 200, "login as {username}: {answer}");
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| value.trim().split(';').next())
            .find(|pair| pair.starts_with("clubroom_session="))
            .expect("a session cookie")
            .to_string()
    }

    /// Sends a raw HTTP request and returns the status, the head and the body (read to the
    /// end).
    pub async fn raw(&self, request: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.host).await.expect("connect");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).to_string();
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (status, head.to_string(), body.to_string())
    }

    /// Opens `/api/v1/ws<query>` with the given extra headers: the socket, or the HTTP status
    /// the handshake was refused with.
    pub async fn try_socket(&self, query: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
        let mut request =
            format!("ws://{}/api/v1/ws{query}", self.host).into_client_request().unwrap();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(err) => panic!("socket failed: {err}"),
        }
    }

    /// A socket authenticated by `token`, past its `ready` frame.
    pub async fn socket(&self, token: &str, query: &str) -> Socket {
        let auth = format!("Bearer {token}");
        let mut socket =
            self.try_socket(query, &[("Authorization", &auth)]).await.expect("socket opens");
        let ready = next_event(&mut socket).await;
        assert_eq!(ready["type"], "ready", "{ready}");
        socket
    }

    /// A socket authenticated by the session `cookie`, past its `ready` frame.
    pub async fn cookie_socket(&self, cookie: &str) -> Socket {
        let mut socket = self.try_socket("", &[("Cookie", cookie)]).await.expect("socket opens");
        let ready = next_event(&mut socket).await;
        assert_eq!(ready["type"], "ready", "{ready}");
        socket
    }

    /// Starts a graceful shutdown and waits for the server to finish. (Tests that do not test
    /// shutdown just end: their runtime takes the server with it.)
    pub async fn stop(self) {
        self.shutdown.notify();
        tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .expect("the server stopped in time")
            .expect("the server task ended cleanly");
    }
}

/// The next JSON frame (answering pings on the way); panics after five seconds.
pub async fn next_event(socket: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).expect("JSON frame");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("a frame within five seconds")
}

/// The close frame's code the server ends the socket with (the client answers the close, as
/// browsers do); panics after five seconds.
pub async fn close_code(socket: &mut Socket) -> u16 {
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut code = None;
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => {
                    code = Some(frame.map_or(1005, |f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => {
                    return code.expect("a close frame before the connection ended");
                }
            }
        }
    })
    .await
    .expect("closed within five seconds")
}

/// Sends a JSON frame.
pub async fn send_frame(socket: &mut Socket, frame: Value) {
    socket.send(Message::Text(frame.to_string())).await.unwrap();
}
