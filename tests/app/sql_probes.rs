//! SQL injection probes: classic payloads (quotes, comments, tautologies, UNION SELECT,
//! stacked statements, slow `randomblob` expressions, LIKE wildcards) against the login and
//! every search and filter parameter, through the API and the pages. Nothing may be
//! injectable: no answer is a 5xx, a payload never shows more than a harmless nonsense value
//! does, a slow expression does not slow the answer, and afterwards the database passes its
//! integrity check and holds exactly what it held (only the audit log may grow, with the
//! failed logins it records). A search for `%`, `_` or `\` matches those characters only.

use std::collections::BTreeSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use clubroom::accounts::model::Role;
use clubroom::clock::Clock;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::attackers::*;
use crate::support::*;

/// What the probes send. Each is a way SQL built from text would break or widen.
const PAYLOADS: &[&str] = &[
    // Quotes and comment sequences that unbalance a string literal.
    "'",
    "\"",
    "`",
    "')",
    "'--",
    "' -- ",
    "'/*",
    "*/",
    "';",
    "\\'",
    // Boolean tautologies.
    "' OR '1'='1",
    "' OR 1=1 --",
    "\" OR \"1\"=\"1",
    "1 OR 1=1",
    "') OR ('1'='1",
    "%' OR 1=1 --",
    "' OR ''='",
    "quill' --",
    "1)) OR ((1=1",
    // UNION SELECT, to read other tables.
    "' UNION SELECT NULL --",
    "' UNION SELECT username, email, password_hash FROM users --",
    "1 UNION SELECT 1,2,3,4,5,6,7,8,9,10 --",
    "' UNION SELECT sql FROM sqlite_master --",
    // Stacked statements.
    "'; DROP TABLE users; --",
    "1; DELETE FROM sessions",
    "'; UPDATE users SET status = 'disabled'; --",
    "'); INSERT INTO user_roles (user_id, role) VALUES (2, 'admin'); --",
    // Slow expressions (SQLite has no sleep: a huge random blob is the equivalent).
    "' AND 1=(SELECT count(*) FROM (SELECT randomblob(300000000))) --",
    "1 AND hex(randomblob(100000000)) <> ''",
    "' || (SELECT hex(randomblob(100000000))) || '",
    // Functions and odd characters.
    "' || sqlite_version() || '",
    "\0",
    "%00",
    "ORDER BY 99 --",
    "9999999999999999999999",
];

/// A value that is merely nonsense: what a payload may not do better than.
const NONSENSE: &str = "zqxjvw";

/// The words seeded into every record the probes can list; a widened answer shows more.
const MARKERS: &[&str] = &[
    "quill",
    "rowan",
    "sorrel",
    "pctuser",
    "unduser",
    "bsluser",
    "noteaspen",
    "notebirch",
    "bookcedar",
    "invitedogwood",
    "noticeelm",
    "msgfir",
];

/// What an answer shows: the markers in it and how many rows it lists (JSON: the lengths of
/// its top-level lists; a page: its table rows; CSV: its lines).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    markers: BTreeSet<&'static str>,
    rows: usize,
}

fn shape(body: &str) -> Shape {
    let markers = MARKERS.iter().copied().filter(|m| body.contains(m)).collect();
    let rows = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => {
            map.values().filter_map(Value::as_array).map(Vec::len).sum::<usize>()
        }
        Ok(Value::Array(items)) => items.len(),
        Ok(_) => 0,
        Err(_) if body.contains("<html") => body.matches("<tr").count(),
        Err(_) => body.lines().count(),
    };
    Shape { markers, rows }
}

/// `value` encoded for a query string or a path segment.
fn encoded(value: &str) -> String {
    form_body(&[("v", value)]).trim_start_matches("v=").to_string()
}

/// The club the probes search: members with markers for names (three whose names hold the
/// LIKE wildcards and the escape character), and an admin with activities, a booking, an
/// invitation, a notice and a conversation, all marked.
struct Club {
    admin: Browser,
    group: i64,
}

async fn club(app: &TestApp) -> Club {
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    for name in ["quill", "rowan", "sorrel", "pctuser", "unduser", "bsluser"] {
        app.create_user(name, &[Role::Member]).await;
    }
    app.exec(
        "UPDATE users SET display_name = 'Fifty%Off' WHERE username = 'pctuser';
         UPDATE users SET display_name = 'Snake_Case' WHERE username = 'unduser';
         UPDATE users SET display_name = 'Back\\slash' WHERE username = 'bsluser';",
    )
    .await;
    let admin = Browser::signed_in(app, "admin").await;
    let now = app.clock.now();
    let at = |hours: i64| {
        (now + Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let body = json!({"key": "walk", "label": "Walk"});
    admin.call_ok(app, Method::Post, "/api/v1/admin/activity-types", body).await;
    for (hours, note) in [(-3, "noteaspen"), (-30, "notebirch")] {
        let body = json!({"started_at": at(hours), "duration_minutes": 30, "type": "walk",
                          "format": "solo", "notes": note});
        admin.call_ok(app, Method::Post, "/api/v1/activities", body).await;
    }
    let body = json!({"name": "Lesson", "duration_minutes": 45});
    let service = admin.call_ok(app, Method::Post, "/api/v1/admin/services", body).await;
    let body =
        json!({"service_id": service["id"], "requested_start": at(48), "notes": "bookcedar"});
    admin.call_ok(app, Method::Post, "/api/v1/bookings", body).await;
    let body = json!({"email": "invitedogwood@example.org"});
    admin.call_ok(app, Method::Post, "/api/v1/admin/invites", body).await;
    let body = json!({"subject": "noticeelm", "body": "Thursday.",
                      "to": {"member_ids": [admin.id()]}});
    admin.call_ok(app, Method::Post, "/api/v1/admin/messages", body).await;
    let quill = app.count_of("SELECT id FROM users WHERE username = 'quill'").await;
    let body = json!({"name": "Fir group", "member_ids": [quill]});
    let group = admin.call_ok(app, Method::Post, "/api/v1/conversations", body).await;
    let group = group["id"].as_i64().unwrap();
    for text in ["msgfir one", "msgfir two"] {
        let path = format!("/api/v1/conversations/{group}/messages");
        admin.call_ok(app, Method::Post, &path, json!({"content": text})).await;
    }
    Club { admin, group }
}

/// Every listing with its search and filter parameters, API and pages. `{group}` is the
/// conversation's id.
const LISTINGS: &[(&str, &[&str])] = &[
    ("/api/v1/directory", &["q", "page", "per_page"]),
    ("/directory", &["q", "page", "per_page"]),
    ("/api/v1/admin/members", &["q", "role", "status", "sort", "page"]),
    ("/admin/members", &["q", "role", "status", "sort", "page"]),
    ("/api/v1/admin/members/export.csv", &["q", "role", "status", "sort"]),
    ("/admin/members/export.csv", &["q", "role", "status", "sort"]),
    ("/api/v1/admin/audit", &["actor", "target", "kind", "page"]),
    ("/admin/audit", &["actor", "target", "kind", "page"]),
    ("/api/v1/admin/audit/export.csv", &["actor", "target", "kind"]),
    ("/api/v1/admin/outbox", &["status", "page"]),
    ("/admin/outbox", &["status", "page"]),
    ("/api/v1/activities", &["from", "to", "type", "page", "per_page", "member_id"]),
    ("/activities", &["from", "to", "type", "page", "per_page", "member_id"]),
    ("/api/v1/activities/export.csv", &["from", "to", "type", "member_id"]),
    ("/api/v1/admin/activities/export.csv", &["from", "to", "type", "member_id"]),
    ("/api/v1/bookings", &["status"]),
    ("/api/v1/admin/bookings", &["status", "from", "to"]),
    ("/admin/bookings", &["status", "from", "to"]),
    ("/api/v1/messages", &["page", "per_page"]),
    ("/messages", &["page", "per_page"]),
    ("/api/v1/admin/messages", &["page", "per_page"]),
    ("/admin/messages", &["page", "per_page"]),
    ("/api/v1/conversations", &["all"]),
    ("/conversations", &["all"]),
    ("/api/v1/conversations/{group}/messages", &["before", "limit"]),
    ("/conversations/{group}", &["before"]),
];

/// Pages and endpoints that look a record up by a token or slug in the path; `{}` is where
/// the probe goes.
const LOOKUPS: &[&str] = &[
    "/api/v1/exchanges/{}/register",
    "/exchange/{}/register",
    "/exchange/{}/registered",
    "/exchange/access?token={}",
    "/api/v1/cards/{}",
    "/cards/{}",
    "/calendar/{}",
    "/calendar/{}.ics",
    "/api/v1/auth/invites/{}",
    "/join/{}",
    "/reset/{}",
    "/set-password/{}",
    "/auth/magic/{}",
    "/api/v1/activities/{}",
    "/api/v1/admin/members/import/{}",
];

/// Slower than this, an answer counts as a slow expression that ran.
const SLOW: StdDuration = StdDuration::from_secs(5);

/// One probe's answer: refused, or shaped exactly like the nonsense value's.
struct Probe {
    label: String,
    reply: Reply,
    took: StdDuration,
}

async fn probe(browser: &Browser, app: &TestApp, label: String, path: &str) -> Probe {
    let start = Instant::now();
    let reply = browser.send(app, Method::Get, path, Payload::None).await;
    Probe { label, reply, took: start.elapsed() }
}

/// Checks a probe against the nonsense value's answer, adding what is wrong to `failures`.
/// Markers the payload itself spells are left out: pages echo the search back.
fn judge(probe: &Probe, payload: &str, nonsense: &Reply, failures: &mut Vec<String>) {
    let Probe { label, reply, took } = probe;
    let shape = |body: &str| {
        let mut s = shape(body);
        s.markers.retain(|m| !payload.contains(m));
        s
    };
    if reply.status.code >= 500 {
        failures.push(format!("{label}: {} {}", reply.status, reply.body));
    }
    if reply.status.class().is_success() {
        if !nonsense.status.class().is_success() {
            failures.push(format!(
                "{label}: answered {} where nonsense is refused with {}",
                reply.status, nonsense.status
            ));
        } else if shape(&reply.body) != shape(&nonsense.body) {
            failures.push(format!(
                "{label}: shows {:?}, nonsense shows {:?}",
                shape(&reply.body),
                shape(&nonsense.body)
            ));
        }
    }
    if *took > SLOW {
        failures.push(format!("{label}: took {took:?}"));
    }
}

/// The database as the probes must leave it: every table but the audit log, whose rows may
/// only be added to.
async fn still_intact(app: &TestApp, before: &Snapshot) -> Vec<String> {
    let after = snapshot(app).await;
    let mut wrong: Vec<String> = changes(before, &after)
        .into_iter()
        .filter(|c| !c.starts_with("audit_log:") || c.contains("removed [\""))
        .collect();
    if before.keys().ne(after.keys()) {
        wrong.push(format!("tables differ: {:?} -> {:?}", before.keys(), after.keys()));
    }
    let check: String = app
        .db()
        .read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .await
        .unwrap();
    if check != "ok" {
        wrong.push(format!("integrity check: {check}"));
    }
    wrong
}

#[rocket::async_test]
async fn no_search_or_filter_parameter_is_injectable() {
    let app = TestApp::spawn().await;
    let club = club(&app).await;
    let admin = &club.admin;
    settle(&app).await;
    let before = snapshot(&app).await;

    let mut failures = Vec::new();
    let mut probes = 0;
    for (listing, params) in LISTINGS {
        let listing = listing.replace("{group}", &club.group.to_string());
        // Control: unfiltered, the listing shows what a widened answer would show.
        let all = admin.send(&app, Method::Get, &listing, Payload::None).await;
        assert_eq!(all.status, Status::Ok, "{listing}: {}", all.body);
        let everything = shape(&all.body);
        assert!(everything.rows > 0 || !everything.markers.is_empty(), "{listing} lists nothing");

        for param in *params {
            let nonsense_path = format!("{listing}?{param}={NONSENSE}");
            let nonsense = admin.send(&app, Method::Get, &nonsense_path, Payload::None).await;
            for payload in PAYLOADS {
                let path = format!("{listing}?{param}={}", encoded(payload));
                let label = format!("GET {listing} {param}={payload:?}");
                judge(&probe(admin, &app, label, &path).await, payload, &nonsense, &mut failures);
                probes += 1;
            }
        }
    }
    for lookup in LOOKUPS {
        let nonsense_path = lookup.replace("{}", NONSENSE);
        let nonsense = admin.send(&app, Method::Get, &nonsense_path, Payload::None).await;
        for payload in PAYLOADS {
            let path = lookup.replace("{}", &encoded(payload));
            let label = format!("GET {lookup} with {payload:?}");
            judge(&probe(admin, &app, label, &path).await, payload, &nonsense, &mut failures);
            probes += 1;
        }
    }
    assert!(probes > 1000, "{probes} probes");
    settle(&app).await;
    failures.extend(still_intact(&app, &before).await);
    assert!(failures.is_empty(), "{} probes went wrong:\n{}", failures.len(), failures.join("\n"));
}

/// Whether a login answer signed someone in: a session or tokens, or the page's redirect.
fn signed_in(path: &str, reply: &Reply) -> bool {
    if path == "/login" {
        reply.status == Status::SeeOther
    } else {
        reply.status.class().is_success()
    }
}

#[rocket::async_test]
async fn the_login_is_not_injectable() {
    let app = TestApp::spawn().await;
    let club = club(&app).await;
    drop(club);
    let visitor = Browser::anonymous(&app).await;
    settle(&app).await;
    let before = snapshot(&app).await;

    let mut failures = Vec::new();
    for path in ["/api/v1/auth/login", "/api/v1/auth/token", "/login"] {
        let send = |login: String, password: String| {
            let visitor = &visitor;
            let app = &app;
            async move {
                let payload = if path == "/login" {
                    Payload::Form {
                        fields: vec![("login".into(), login), ("password".into(), password)],
                        bare: false,
                    }
                } else {
                    Payload::json(json!({"login": login, "password": password}))
                };
                let start = Instant::now();
                let reply = visitor.send(app, Method::Post, path, payload).await;
                (reply, start.elapsed())
            }
        };
        let (nonsense, _) = send(NONSENSE.into(), NONSENSE.into()).await;
        assert!(!signed_in(path, &nonsense), "{path}: {nonsense:?}");
        for payload in PAYLOADS {
            // The payload as the login with the right password (`quill' --` would sign in as
            // quill if the query were built from text), and as the password of a real login.
            // Refused like nonsense, or (after many failures on one account) a 429.
            for (login, password) in
                [(payload.to_string(), PASSWORD.to_string()), ("quill".into(), payload.to_string())]
            {
                let label = format!("POST {path} login={login:?} password={password:?}");
                let (reply, took) = send(login, password).await;
                let refused =
                    reply.status == nonsense.status || reply.status == Status::TooManyRequests;
                if !refused || signed_in(path, &reply) {
                    failures.push(format!(
                        "{label}: {} where nonsense gets {}: {}",
                        reply.status, nonsense.status, reply.body
                    ));
                }
                if took > SLOW {
                    failures.push(format!("{label}: took {took:?}"));
                }
            }
        }
    }
    settle(&app).await;
    failures.extend(still_intact(&app, &before).await);
    let sessions = app.count("SELECT count(*) FROM sessions").await;
    let admin_sessions = app
        .count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'admin'")
        .await;
    assert_eq!(sessions, admin_sessions, "nobody but the admin set up above is signed in");
    assert!(failures.is_empty(), "{} logins went wrong:\n{}", failures.len(), failures.join("\n"));
}

/// The seeded members a directory or member list answer shows, by username (pages show the
/// display name instead).
fn listed(body: &str) -> Vec<&'static str> {
    [
        ("quill", "quill"),
        ("rowan", "rowan"),
        ("sorrel", "sorrel"),
        ("pctuser", "Fifty%Off"),
        ("unduser", "Snake_Case"),
        ("bsluser", "Back\\slash"),
    ]
    .into_iter()
    .filter(|(username, name)| body.contains(username) || body.contains(name))
    .map(|(username, _)| username)
    .collect()
}

#[rocket::async_test]
async fn a_search_for_like_wildcards_matches_those_characters_only() {
    let app = TestApp::spawn().await;
    let club = club(&app).await;
    let cases: [(&str, &[&str]); 8] = [
        ("%", &["pctuser"]),
        ("_", &["unduser"]),
        ("\\", &["bsluser"]),
        ("y%O", &["pctuser"]),
        ("e_C", &["unduser"]),
        ("%%", &[]),
        ("F%f", &[]),
        ("Snake%", &[]),
    ];
    for listing in ["/api/v1/directory", "/directory", "/api/v1/admin/members", "/admin/members"] {
        let all = club.admin.send(&app, Method::Get, listing, Payload::None).await;
        assert_eq!(listed(&all.body).len(), 6, "{listing} lists everyone unfiltered");
        for (q, expected) in &cases {
            let path = format!("{listing}?q={}", encoded(q));
            let reply = club.admin.send(&app, Method::Get, &path, Payload::None).await;
            assert_eq!(reply.status, Status::Ok, "{path}");
            assert_eq!(&listed(&reply.body), expected, "{listing} q={q:?}");
        }
        // SQLite reads a LIKE pattern only up to a NUL: "%\0..." would match everybody.
        let path = format!("{listing}?q={}", encoded("zz\0"));
        let reply = club.admin.send(&app, Method::Get, &path, Payload::None).await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{listing}: {}", reply.body);
        assert!(listed(&reply.body).is_empty(), "{listing}: {}", reply.body);
        if is_api(listing) {
            assert!(reply.json()["error"]["fields"]["q"].is_string(), "{}", reply.body);
        }
    }
}
