//! What the attack tests share: browsers that each hold their own session without touching the
//! client's cookie jar, a snapshot of the whole database to prove an attempt changed nothing,
//! and the routes the built application mounts.

use std::collections::BTreeMap;

use rocket::http::{ContentType, Cookie, Header, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

const SESSION_COOKIE: &str = "clubroom_session";
const CSRF_COOKIE: &str = "clubroom_csrf";

/// One browser: its own session cookie (none when logged out), CSRF cookie and form token. The
/// cookies go with every request explicitly, so several people can take turns on one client.
#[derive(Clone)]
pub struct Browser {
    pub name: String,
    pub user_id: Option<i64>,
    session: Option<String>,
    csrf_cookie: String,
    pub csrf_token: String,
}

/// What a request answered, owned.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Status,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A page's answer to a visitor without a session: off to the login page.
    pub fn sends_to_login(&self) -> bool {
        self.status == Status::SeeOther
            && self.location.as_deref().is_some_and(|l| l == "/login" || l.starts_with("/login?"))
    }
}

/// The body of a request.
#[derive(Debug, Clone)]
pub enum Payload {
    None,
    /// JSON text, sent as `application/json`.
    Json(String),
    /// Form fields; the browser's CSRF token is added unless `bare`.
    Form {
        fields: Vec<(String, String)>,
        bare: bool,
    },
}

impl Payload {
    pub fn json(value: Value) -> Payload {
        Payload::Json(value.to_string())
    }
}

impl Browser {
    /// A visitor without a session (it still holds a CSRF cookie, as any browser that opened a
    /// page does).
    pub async fn anonymous(app: &TestApp) -> Browser {
        let mut browser = Browser {
            name: "logged out".into(),
            user_id: None,
            session: None,
            csrf_cookie: format!("csrf-anonymous-{}", clubroom::crypto::random_token()),
            csrf_token: String::new(),
        };
        browser.csrf_token = browser.token_from(app, "/login").await;
        browser
    }

    /// Signs `username` in through the API (answering a second-factor challenge when one
    /// comes) and keeps the session cookie, leaving the client's cookie jar without one.
    pub async fn signed_in(app: &TestApp, username: &str) -> Browser {
        let login = json!({"login": username, "password": PASSWORD});
        let (reply, cookie) = login_request(app, "/api/v1/auth/login", login).await;
        assert_eq!(reply.status, Status::Ok, "login as {username}: {}", reply.body);
        let mut session = cookie;
        let body = reply.json();
        if body["two_factor_required"] == true {
            let code = app.last_code(&format!("{username}@example.org")).await;
            let verify = json!({"challenge": body["challenge"], "code": code});
            let (reply, cookie) = login_request(app, "/api/v1/auth/login/verify", verify).await;
            assert_eq!(reply.status, Status::Ok, "second factor for {username}: {}", reply.body);
            session = cookie;
        }
        let session = session.unwrap_or_else(|| panic!("no session cookie for {username}"));
        forget_jar_session(app).await;
        let user_id =
            app.count_of(&format!("SELECT id FROM users WHERE username = '{username}'")).await;
        let mut browser = Browser {
            name: username.to_string(),
            user_id: Some(user_id),
            session: Some(session),
            csrf_cookie: format!("csrf-{username}-{}", clubroom::crypto::random_token()),
            csrf_token: String::new(),
        };
        browser.csrf_token = browser.token_from(app, "/account").await;
        browser
    }

    pub fn id(&self) -> i64 {
        self.user_id.unwrap_or_else(|| panic!("{} has no account", self.name))
    }

    /// The CSRF token of the form on `page`, as this browser sees it.
    async fn token_from(&self, app: &TestApp, page: &str) -> String {
        let reply = self.send(app, Method::Get, page, Payload::None).await;
        extract_csrf(&reply.body)
            .unwrap_or_else(|| panic!("no CSRF token on {page} for {}: {reply:?}", self.name))
    }

    /// Sends a request with this browser's cookies only.
    pub async fn send(&self, app: &TestApp, method: Method, path: &str, payload: Payload) -> Reply {
        let mut request = app
            .client
            .req(method, path.to_string())
            .cookie(Cookie::new(CSRF_COOKIE, self.csrf_cookie.clone()));
        if let Some(session) = &self.session {
            request = request.cookie(Cookie::new(SESSION_COOKIE, session.clone()));
        }
        request = match payload {
            Payload::None => request,
            Payload::Json(text) => request.header(ContentType::JSON).body(text),
            Payload::Form { fields, bare } => {
                let mut all: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                if !bare {
                    all.insert(0, ("csrf_token", self.csrf_token.as_str()));
                }
                request.header(ContentType::Form).body(form_body(&all))
            }
        };
        let response = request.dispatch().await;
        let status = response.status();
        let location = response.headers().get_one("Location").map(str::to_string);
        let body = response.into_string().await.unwrap_or_default();
        Reply { status, location, body }
    }

    /// A JSON GET, asserting a 200.
    pub async fn get_ok(&self, app: &TestApp, path: &str) -> Value {
        let reply = self.send(app, Method::Get, path, Payload::None).await;
        assert_eq!(reply.status, Status::Ok, "{} GET {path}: {}", self.name, reply.body);
        reply.json()
    }

    /// A JSON request with a body, asserting a 2xx, returning the parsed answer.
    pub async fn call_ok(&self, app: &TestApp, method: Method, path: &str, body: Value) -> Value {
        let reply = self.send(app, method, path, Payload::json(body)).await;
        assert!(
            reply.status.class().is_success(),
            "{} {method} {path}: {} {}",
            self.name,
            reply.status,
            reply.body
        );
        reply.json()
    }
}

/// Posts a login and returns the answer and the session cookie it set.
async fn login_request(app: &TestApp, path: &str, body: Value) -> (Reply, Option<String>) {
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::JSON)
        .header(Header::new("Accept", "application/json"))
        .body(body.to_string())
        .dispatch()
        .await;
    let cookie = response
        .cookies()
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty());
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    (Reply { status, location: None, body }, cookie)
}

/// The tracked client keeps the session cookie a login set. A request with a stale session
/// cookie makes the server clear it, which clears it from the jar too, so requests sent
/// without a session cookie of their own really are logged out.
pub async fn forget_jar_session(app: &TestApp) {
    let response = app
        .client
        .get("/api/v1/auth/session")
        .cookie(Cookie::new(SESSION_COOKIE, "stale"))
        .dispatch()
        .await;
    drop(response);
    assert!(app.client.cookies().get(SESSION_COOKIE).is_none(), "the jar holds no session");
}

impl TestApp {
    /// The first column of the first row of a query built at run time, as an i64.
    pub async fn count_of(&self, sql: &str) -> i64 {
        let sql = sql.to_string();
        self.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
    }
}

// ----- the database, whole -----

/// Columns that change on every request and say nothing about who may do what: when a
/// session or token was last used.
const VOLATILE: [(&str, &str); 3] = [
    ("sessions", "last_seen_at"),
    ("api_tokens", "last_used_at"),
    ("calendar_feeds", "last_used_at"),
];

/// Every row of every table, as text, by table: two snapshots are equal when the database
/// holds the same data.
pub type Snapshot = BTreeMap<String, Vec<String>>;

pub async fn snapshot(app: &TestApp) -> Snapshot {
    app.db()
        .read(|tx| {
            let mut tables = tx.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                 ORDER BY name",
            )?;
            let names: Vec<String> =
                tables.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut out = Snapshot::new();
            for table in names {
                let mut stmt = tx.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let columns: Vec<String> =
                    stmt.column_names().into_iter().map(str::to_string).collect();
                let keep: Vec<bool> = columns
                    .iter()
                    .map(|c| !VOLATILE.contains(&(table.as_str(), c.as_str())))
                    .collect();
                let mut rows: Vec<String> = stmt
                    .query_map([], |r| {
                        let mut cells = Vec::new();
                        for (i, column) in columns.iter().enumerate() {
                            if keep[i] {
                                let value: rusqlite::types::Value = r.get(i)?;
                                cells.push(format!("{column}={value:?}"));
                            }
                        }
                        Ok(cells.join(" "))
                    })?
                    .collect::<Result<_, _>>()?;
                rows.sort();
                out.insert(table, rows);
            }
            Ok(out)
        })
        .await
        .unwrap()
}

/// What differs between two snapshots, table by table; empty when nothing does.
pub fn changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (table, rows) in after {
        let old = before.get(table).cloned().unwrap_or_default();
        if &old == rows {
            continue;
        }
        let gone: Vec<&String> = old.iter().filter(|r| !rows.contains(r)).collect();
        let new: Vec<&String> = rows.iter().filter(|r| !old.contains(r)).collect();
        out.push(format!("{table}: removed {gone:?}, added {new:?}"));
    }
    out
}

/// Waits until the app's own work is done (emails sent, start-up jobs finished), so that the
/// database stays still unless a request changes it.
pub async fn settle(app: &TestApp) {
    app.emails().await;
}

// ----- the routes -----

/// (method, path as mounted, query part) of every route of the built application.
pub fn mounted_routes(app: &TestApp) -> Vec<(Method, String, Option<String>)> {
    let mut routes: Vec<(Method, String, Option<String>)> = app
        .client
        .rocket()
        .routes()
        .map(|r| (r.method, r.uri.path().to_string(), r.uri.query().map(str::to_string)))
        .collect();
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes
}

/// Whether a route's path takes a parameter (`<id>`, `<token>`, `<path..>`).
pub fn has_path_parameter(path: &str) -> bool {
    path.contains('<')
}

/// Whether a path is served as JSON.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}
