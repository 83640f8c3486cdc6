//! The test harness: every test gets its own temp directory, database, memory mailer, cheap
//! password hashing and a manual clock, and talks to the app through Rocket's local client.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clubroom::accounts::model::{Role, UserStatus};
use clubroom::accounts::repo::{self, NewUser};
use clubroom::clock::ManualClock;
use clubroom::config::AppConfig;
use clubroom::ctx::Ctx;
use clubroom::db::Db;
use clubroom::email::{deliver_due, Mailbox, SentEmail, Transport};
use clubroom::web::SetupLink;
use clubroom::Runtime;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use tempfile::TempDir;

pub const PASSWORD: &str = "blue kettle on the stove";
/// The cookie by which a browser that signed in before is known.
pub const DEVICE_COOKIE: &str = "clubroom_device";

pub struct TestApp {
    pub client: Client,
    pub clock: Arc<ManualClock>,
    pub mailbox: Mailbox,
    pub config: AppConfig,
    /// Kept alive for the test's duration; removed afterwards.
    pub dir: Arc<TempDir>,
}

/// Configuration for tests: a private data directory, cheap Argon2, quiet logs.
pub fn test_config(data_dir: &Path) -> AppConfig {
    let mut config = AppConfig::defaults();
    config.data_dir = data_dir.to_path_buf();
    config.log_level = "off".into();
    config.password_hash_memory_kib = 8;
    config.password_hash_iterations = 1;
    config.login_attempts_per_minute = 10_000;
    config
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut AppConfig)) -> TestApp {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = test_config(&dir.path().join("data"));
        adjust(&mut config);
        Self::start(dir, config, Transport::Memory(Mailbox::default())).await
    }

    /// Starts the app on an existing directory and configuration with a chosen transport.
    pub async fn start(dir: Arc<TempDir>, config: AppConfig, transport: Transport) -> TestApp {
        let mailbox = match &transport {
            Transport::Memory(m) => m.clone(),
            _ => Mailbox::default(),
        };
        let clock = Arc::new(ManualClock::new());
        let runtime =
            Runtime { clock: clock.clone(), transport: Some(transport), print_setup_link: false };
        let rocket = clubroom::rocket_with(config.clone(), runtime);
        let client = Client::tracked(rocket).await.expect("valid rocket");
        TestApp { client, clock, mailbox, config, dir }
    }

    /// A second instance on the same data directory (a restart).
    pub async fn restart(&self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// A second instance on the same data directory, with its configuration changed.
    pub async fn restart_with(&self, adjust: impl FnOnce(&mut AppConfig)) -> TestApp {
        let mut config = self.config.clone();
        adjust(&mut config);
        Self::start(self.dir.clone(), config, Transport::Memory(Mailbox::default())).await
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    pub fn db(&self) -> Db {
        self.client.rocket().state::<Db>().expect("db").clone()
    }

    pub fn ctx(&self) -> Ctx {
        self.client.rocket().state::<Ctx>().expect("ctx").clone()
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// The path part of the setup link the server would have printed.
    pub fn setup_path(&self) -> Option<String> {
        let link = self.client.rocket().state::<SetupLink>()?.get()?;
        Some(link.trim_start_matches(&self.config.public_url()).to_string())
    }

    /// Submits the setup form at `path` for club `club_name` with admin ann / `PASSWORD`.
    pub async fn submit_setup(&self, path: &str, club_name: &str) -> Status {
        let token = self.csrf_token("/login").await;
        let fields = [
            ("csrf_token", token.as_str()),
            ("club_name", club_name),
            ("username", "ann"),
            ("email", "Ann@Example.org"),
            ("password", PASSWORD),
        ];
        self.post_form(path, &fields).await.status()
    }

    /// Creates an active user with `roles` and the password `PASSWORD`.
    pub async fn create_user(&self, username: &str, roles: &[Role]) -> i64 {
        self.create_user_with_status(username, roles, UserStatus::Active).await
    }

    pub async fn create_user_with_status(
        &self,
        username: &str,
        roles: &[Role],
        status: UserStatus,
    ) -> i64 {
        let ctx = self.ctx();
        let (username, roles) = (username.to_string(), roles.to_vec());
        let hash = ctx.passwords.hash(PASSWORD).unwrap();
        self.db()
            .write(move |tx| {
                let email = format!("{username}@example.org");
                let user = NewUser {
                    username: &username,
                    email: &email,
                    display_name: "",
                    password_hash: Some(&hash),
                    status,
                };
                let id = repo::insert_user(tx, &user, ctx.now_unix())?;
                repo::add_roles(tx, id, &roles)?;
                Ok(id)
            })
            .await
            .unwrap()
    }

    /// Runs `sql` and returns the first column of the first row as an i64.
    pub async fn count(&self, sql: &'static str) -> i64 {
        self.db().read(move |tx| Ok(tx.query_row(sql, [], |r| r.get(0))?)).await.unwrap()
    }

    pub async fn exec(&self, sql: &'static str) {
        self.db().call(move |c| Ok(c.execute_batch(sql)?)).await.unwrap();
    }

    pub async fn api_login(&self, login: &str, password: &str) -> LocalResponse<'_> {
        let body = serde_json::json!({ "login": login, "password": password }).to_string();
        self.client.post("/api/v1/auth/login").header(ContentType::JSON).body(body).dispatch().await
    }

    /// `api_login` from another device: `device` stands in for the device cookie this client
    /// holds ("" for none).
    pub async fn api_login_from(
        &self,
        device: &str,
        login: &str,
        password: &str,
    ) -> LocalResponse<'_> {
        let body = serde_json::json!({ "login": login, "password": password }).to_string();
        self.client
            .post("/api/v1/auth/login")
            .header(ContentType::JSON)
            .cookie(rocket::http::Cookie::new(DEVICE_COOKIE, device.to_string()))
            .body(body)
            .dispatch()
            .await
    }

    /// The device cookie this client holds ("" for none).
    pub fn device_cookie(&self) -> String {
        self.client.cookies().get(DEVICE_COOKIE).map(|c| c.value().to_string()).unwrap_or_default()
    }

    /// Logs in through the API (answering a second-factor challenge from the email when one
    /// comes) and asserts it worked.
    pub async fn login_as(&self, username: &str) {
        let response = self.api_login(username, PASSWORD).await;
        assert_eq!(response.status(), Status::Ok, "login as {username}");
        let body = body_json(response).await;
        if body["two_factor_required"] == true {
            let code = self.last_code(&format!("{username}@example.org")).await;
            let verify = serde_json::json!({"challenge": body["challenge"], "code": code});
            let (status, done) = self.post_json("/api/v1/auth/login/verify", verify).await;
            assert_eq!(status, Status::Ok, "second factor for {username}: {done}");
        }
    }

    /// The code in the newest email to `to`: the line that holds only six capitals or digits.
    pub async fn last_code(&self, to: &str) -> String {
        let text = self.last_email_text(to).await;
        text.lines()
            .map(str::trim)
            .find(|l| {
                l.len() == 6 && l.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            })
            .unwrap_or_else(|| panic!("no code in {text}"))
            .to_string()
    }

    /// The text of the newest email queued for `to` (by queue order, whatever order the
    /// workers delivered them in), delivering everything first.
    pub async fn last_email_text(&self, to: &str) -> String {
        self.emails().await;
        let (to, ctx) = (to.to_string(), self.ctx());
        self.db()
            .read(move |tx| {
                let sealed: String = tx.query_row(
                    "SELECT body_text FROM email_outbox WHERE to_address = ?1 ORDER BY id DESC LIMIT 1",
                    [&to],
                    |r| r.get(0),
                )?;
                clubroom::email::seal::Sealer::new(&ctx.secret).open(&sealed)
            })
            .await
            .unwrap_or_else(|e| panic!("no email: {e:?}"))
    }

    /// Creates an admin named `admin` and logs in as them.
    pub async fn as_admin(&self) -> i64 {
        let id = self.create_user("admin", &[Role::Admin, Role::Member]).await;
        self.login_as("admin").await;
        id
    }

    /// Sends a JSON request and returns the status and parsed body.
    pub async fn send_json(
        &self,
        method: rocket::http::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (Status, serde_json::Value) {
        let response = self
            .client
            .req(method, path.to_string())
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
            .await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (Status, serde_json::Value) {
        self.send_json(rocket::http::Method::Post, path, body).await
    }

    /// Emails sent so far to `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<SentEmail> {
        self.emails().await.into_iter().filter(|m| m.to == to).collect()
    }

    /// The CSRF token a page at `path` embeds (also giving this client its CSRF cookie).
    pub async fn csrf_token(&self, path: &str) -> String {
        let body = self
            .client
            .get(path.to_string())
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap_or_default();
        extract_csrf(&body).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    /// Posts a urlencoded form with the given fields.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> LocalResponse<'_> {
        self.client
            .post(path.to_string())
            .header(ContentType::Form)
            .body(form_body(fields))
            .dispatch()
            .await
    }

    /// Delivers every due email (as the worker would) and returns all messages sent so far.
    /// The app's own worker may hold some mid-delivery, so this waits until none is queued.
    pub async fn emails(&self) -> Vec<SentEmail> {
        self.client.rocket().state::<clubroom::web::Background>().expect("background").idle().await;
        let transport = Arc::new(Transport::Memory(self.mailbox.clone()));
        for _ in 0..500 {
            deliver_due(&self.db(), transport.clone(), self.ctx()).await.unwrap();
            if self.count("SELECT count(*) FROM email_outbox WHERE status = 'queued'").await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        self.mailbox.messages()
    }

    pub async fn json(&self, path: &str) -> (Status, serde_json::Value) {
        let response = self
            .client
            .get(path.to_string())
            .header(Header::new("Accept", "application/json"))
            .dispatch()
            .await;
        let status = response.status();
        let body = response.into_string().await.unwrap_or_default();
        (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
    }
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Undoes the HTML escaping of slashes and quotes, to find URLs in pages.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

/// The first URL in `text` that starts with `prefix`.
pub fn extract_link(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    let rest = &text[start..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '"' || c == '<').unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Parses a JSON response body.
pub async fn body_json(response: LocalResponse<'_>) -> serde_json::Value {
    let body = response.into_string().await.unwrap_or_default();
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

/// The value of `Set-Cookie` for cookie `name`, if the response sets it.
pub fn set_cookie<'a>(response: &'a LocalResponse<'_>, name: &str) -> Option<&'a str> {
    response.headers().get("Set-Cookie").find(|c| c.starts_with(&format!("{name}=")))
}

/// What a page or form post answered, owned so the client can be used again.
pub struct Answered {
    pub status: Status,
    pub location: Option<String>,
    pub html: String,
}

impl Answered {
    pub fn redirects_to(&self, to: &str) -> bool {
        self.status == Status::SeeOther && self.location.as_deref() == Some(to)
    }
}

pub async fn answered(response: rocket::local::asynchronous::LocalResponse<'_>) -> Answered {
    let status = response.status();
    let location = response.headers().get_one("Location").map(str::to_string);
    let html = response.into_string().await.unwrap_or_default();
    Answered { status, location, html }
}

pub async fn get(app: &TestApp, path: &str) -> Answered {
    answered(app.client.get(path.to_string()).dispatch().await).await
}

/// Takes the CSRF token from the page at `from` and posts `fields` with it to `path`.
pub async fn submit(app: &TestApp, from: &str, path: &str, fields: &[(&str, &str)]) -> Answered {
    let token = app.csrf_token(from).await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    answered(app.post_form(path, &all).await).await
}
