//! Gift exchanges through the JSON API: the state machine, registration and sign-in links,
//! the participant's own view, exclusions, the draw, the CSV, and who may do what.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Duration;
use clubroom::accounts::model::Role;
use clubroom::clock::Clock;
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// An app that trusts `X-Real-IP`, so each registration can come from its own address (the
/// email allowance per client would otherwise stop a test that registers many people).
pub async fn gift_app() -> TestApp {
    TestApp::spawn_with(|c| c.ip_header = "X-Real-IP".into()).await
}

/// `days` from the app's today, as YYYY-MM-DD (UTC).
pub fn day(app: &TestApp, days: i64) -> String {
    (app.clock.now() + Duration::days(days)).format("%Y-%m-%d").to_string()
}

pub fn email_of(name: &str) -> String {
    format!("{}@example.org", name.to_lowercase())
}

pub fn ideas_of(name: &str) -> String {
    format!("ideas-of-{}", name.to_lowercase())
}

pub async fn scalar<T: rusqlite::types::FromSql + Send + 'static>(app: &TestApp, sql: String) -> T {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

/// Creates an exchange (registration closes in 10 days, the exchange in 20) as whoever is
/// logged in; returns (id, slug).
pub async fn create(app: &TestApp, name: &str) -> (i64, String) {
    let body = json!({
        "name": name,
        "description": "Under the tree",
        "budget": "20 euros",
        "registration_close_date": day(app, 10),
        "exchange_date": day(app, 20),
        "timezone": "Europe/Oslo",
    });
    let (status, e) = app.post_json("/api/v1/exchanges", body).await;
    assert_eq!(status, Status::Created, "{e}");
    (e["id"].as_i64().unwrap(), e["slug"].as_str().unwrap().to_string())
}

pub async fn act(app: &TestApp, id: i64, action: &str, body: Value) -> (Status, Value) {
    app.post_json(&format!("/api/v1/exchanges/{id}/{action}"), body).await
}

/// Moves an exchange with `action`, asserting it worked.
pub async fn step(app: &TestApp, id: i64, action: &str, body: Value) -> Value {
    let (status, e) = act(app, id, action, body).await;
    assert_eq!(status, Status::Ok, "{action}: {e}");
    e
}

static NEXT_IP: AtomicU32 = AtomicU32::new(1);

/// Registers `name` (email name@example.org, gift ideas "ideas-of-name") from a fresh address.
pub async fn register(app: &TestApp, slug: &str, name: &str) -> (Status, Value) {
    let body = json!({"name": name, "email": email_of(name), "gift_ideas": ideas_of(name)});
    register_with(app, slug, body).await
}

pub async fn register_with(app: &TestApp, slug: &str, body: Value) -> (Status, Value) {
    let n = NEXT_IP.fetch_add(1, Ordering::SeqCst);
    let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    let response = app
        .client
        .post(format!("/api/v1/exchanges/{slug}/register"))
        .header(ContentType::JSON)
        .header(Header::new("X-Real-IP", ip))
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An open exchange with `people` registered.
pub async fn open_with(app: &TestApp, name: &str, people: &[&str]) -> (i64, String) {
    let (id, slug) = create(app, name).await;
    step(app, id, "open", json!({})).await;
    for person in people {
        let (status, body) = register(app, &slug, person).await;
        assert_eq!(status, Status::Created, "{person}: {body}");
    }
    (id, slug)
}

pub async fn closed_with(app: &TestApp, name: &str, people: &[&str]) -> (i64, String) {
    let (id, slug) = open_with(app, name, people).await;
    step(app, id, "close", json!({})).await;
    (id, slug)
}

pub async fn matched_with(app: &TestApp, name: &str, people: &[&str]) -> (i64, String) {
    let (id, slug) = closed_with(app, name, people).await;
    let e = step(app, id, "match", json!({"seed": 7})).await;
    assert_eq!(e["state"], "matched");
    (id, slug)
}

pub async fn participant_id(app: &TestApp, exchange: i64, name: &str) -> i64 {
    scalar(
        app,
        format!(
            "SELECT id FROM exchange_participants WHERE exchange_id = {exchange} AND name = '{name}'"
        ),
    )
    .await
}

/// (giver name, receiver name) of the drawn cycle, by giver name.
pub async fn pairs(app: &TestApp, exchange: i64) -> Vec<(String, String)> {
    let sql = format!(
        "SELECT g.name, r.name FROM exchange_matches m
           JOIN exchange_participants g ON g.id = m.giver_id
           JOIN exchange_participants r ON r.id = m.receiver_id
          WHERE m.exchange_id = {exchange} ORDER BY g.name"
    );
    app.db()
        .read(move |tx| {
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap()
}

/// Follows the newest exchange link emailed to `email`: the confirmation page, then its form.
/// Returns where the browser is sent.
pub async fn sign_in_from_email(app: &TestApp, email: &str) -> String {
    let text = app.last_email_text(email).await;
    let link = extract_link(&text, "http://127.0.0.1:8000/exchange/access?token=")
        .unwrap_or_else(|| panic!("no exchange link in {text}"));
    let path = link.trim_start_matches("http://127.0.0.1:8000").to_string();
    let token = path.split("token=").nth(1).unwrap().to_string();
    let csrf = app.csrf_token(&path).await;
    let response =
        app.post_form("/exchange/access", &[("csrf_token", &csrf), ("token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

async fn state_of(app: &TestApp, id: i64) -> String {
    scalar(app, format!("SELECT state FROM exchanges WHERE id = {id}")).await
}

// ----- the state machine -----

const STATES: [&str; 5] =
    ["draft", "registration_open", "registration_closed", "matched", "completed"];
const ACTIONS: [&str; 6] = ["open", "close", "reopen", "match", "rematch", "complete"];

/// The state each allowed (action, state) leads to.
fn allowed(action: &str, state: &str) -> Option<&'static str> {
    match (action, state) {
        ("open", "draft") => Some("registration_open"),
        ("close", "registration_open") => Some("registration_closed"),
        ("reopen", "registration_closed" | "matched") => Some("registration_open"),
        ("match", "registration_closed") => Some("matched"),
        ("rematch", "matched") => Some("matched"),
        ("complete", "matched") => Some("completed"),
        _ => None,
    }
}

async fn exchange_in(app: &TestApp, state: &str, label: &str) -> i64 {
    let (id, slug) = create(app, label).await;
    if state == "draft" {
        return id;
    }
    step(app, id, "open", json!({})).await;
    for person in ["Ann", "Bo", "Cy"] {
        assert_eq!(register(app, &slug, person).await.0, Status::Created);
    }
    if state == "registration_open" {
        return id;
    }
    step(app, id, "close", json!({})).await;
    if state == "registration_closed" {
        return id;
    }
    step(app, id, "match", json!({"seed": 1})).await;
    if state == "matched" {
        return id;
    }
    step(app, id, "complete", json!({})).await;
    id
}

#[rocket::async_test]
async fn every_action_from_every_state_is_allowed_or_refused_naming_the_state() {
    let app = gift_app().await;
    app.as_admin().await;
    for state in STATES {
        for action in ACTIONS {
            let id = exchange_in(&app, state, &format!("{action} from {state}")).await;
            assert_eq!(state_of(&app, id).await, state);
            let (status, body) = act(&app, id, action, json!({"confirm": true, "seed": 3})).await;
            match allowed(action, state) {
                Some(target) => {
                    assert_eq!(status, Status::Ok, "{action} from {state}: {body}");
                    assert_eq!(body["state"], target, "{action} from {state}");
                    assert_eq!(state_of(&app, id).await, target);
                }
                None => {
                    assert_eq!(status, Status::Conflict, "{action} from {state}: {body}");
                    assert_eq!(body["error"]["code"], "invalid_transition");
                    let message = body["error"]["message"].as_str().unwrap();
                    assert!(message.contains(state), "{action} from {state}: {message}");
                    assert_eq!(state_of(&app, id).await, state, "unchanged");
                }
            }
        }
    }
    let kinds = app.count("SELECT count(*) FROM audit_log WHERE kind LIKE 'exchange_%'").await;
    assert!(kinds > 60, "transitions are audited ({kinds})");
}

#[rocket::async_test]
async fn reopening_a_matched_exchange_needs_confirmation_and_deletes_the_matches() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = matched_with(&app, "Reopen", &["Ann", "Bo", "Cy"]).await;
    let (status, err) = act(&app, id, "reopen", json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["fields"]["confirm"].is_string(), "{err}");
    let (status, _) = act(&app, id, "reopen", json!({"confirm": false})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(state_of(&app, id).await, "matched");
    assert_eq!(pairs(&app, id).await.len(), 3, "nothing deleted without confirmation");

    let e = step(&app, id, "reopen", json!({"confirm": true})).await;
    assert_eq!(e["state"], "registration_open");
    assert!(e["matched_at"].is_null());
    assert!(pairs(&app, id).await.is_empty());

    // From closed, reopening needs no confirmation.
    step(&app, id, "close", json!({})).await;
    assert_eq!(step(&app, id, "reopen", json!({})).await["state"], "registration_open");
}

#[rocket::async_test]
async fn rematching_needs_confirmation_and_emails_everyone_again() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = matched_with(&app, "Rematch", &["Ann", "Bo", "Cy", "Di"]).await;
    assert_eq!(app.emails_to("ann@example.org").await.len(), 2, "welcome and recipient");
    let (status, err) = act(&app, id, "rematch", json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["confirm"].is_string());
    assert_eq!(app.emails_to("ann@example.org").await.len(), 2);

    let e = step(&app, id, "rematch", json!({"confirm": true, "seed": 99})).await;
    assert_eq!(e["state"], "matched");
    assert_eq!(pairs(&app, id).await.len(), 4);
    let mail = app.emails_to("ann@example.org").await;
    assert_eq!(mail.len(), 3);
    assert!(mail[2].subject.starts_with("New draw"), "{}", mail[2].subject);
}

#[rocket::async_test]
async fn the_same_seed_draws_the_same_cycle() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = closed_with(&app, "Seeded", &["Ann", "Bo", "Cy", "Di", "Ed", "Flo"]).await;
    step(&app, id, "match", json!({"seed": 42})).await;
    let first = pairs(&app, id).await;
    step(&app, id, "reopen", json!({"confirm": true})).await;
    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({"seed": 42})).await;
    assert_eq!(pairs(&app, id).await, first);
}

#[rocket::async_test]
async fn editing_is_refused_once_matched_and_the_limit_never_drops_below_the_people_in() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Edit", &["Ann", "Bo", "Cy", "Di"]).await;
    let mut body = json!({
        "name": "Edited",
        "registration_close_date": day(&app, 5),
        "exchange_date": day(&app, 6),
        "timezone": "UTC",
        "max_participants": 3,
    });
    let path = format!("/api/v1/exchanges/{id}");
    let (status, err) = app.send_json(Method::Put, &path, body.clone()).await;
    assert_eq!(status, Status::UnprocessableEntity, "4 are in: {err}");
    assert!(err["error"]["fields"]["max_participants"].is_string());
    body["max_participants"] = json!(4);
    let (status, e) = app.send_json(Method::Put, &path, body.clone()).await;
    assert_eq!(status, Status::Ok, "{e}");
    assert_eq!(e["name"], "Edited");
    assert_eq!(e["description"], "", "PUT replaces the whole exchange");
    assert_eq!(e["max_participants"], 4);

    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({})).await;
    let (status, err) = app.send_json(Method::Put, &path, body.clone()).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "exchange_locked");
    step(&app, id, "complete", json!({})).await;
    assert_eq!(app.send_json(Method::Put, &path, body).await.0, Status::Conflict);
    assert_eq!(app.json(&path).await.1["name"], "Edited");
}

#[rocket::async_test]
async fn deleting_needs_the_word_delete_and_takes_everything_with_it() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = matched_with(&app, "Delete me", &["Ann", "Bo", "Cy"]).await;
    let path = format!("/api/v1/exchanges/{id}");
    for body in [json!({}), json!({"confirm": "delete"}), json!({"confirm": "yes"})] {
        let (status, err) = app.send_json(Method::Delete, &path, body).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(err["error"]["fields"]["confirm"].is_string());
    }
    assert_eq!(app.json(&path).await.0, Status::Ok);
    let (status, done) = app.send_json(Method::Delete, &path, json!({"confirm": "DELETE"})).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(app.json(&path).await.0, Status::NotFound);
    assert_eq!(app.count("SELECT count(*) FROM exchange_participants").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM exchange_matches").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'exchange_deleted'").await,
        1
    );
    assert_eq!(
        app.send_json(Method::Delete, &path, json!({"confirm": "DELETE"})).await.0,
        Status::NotFound
    );
}

// ----- creating -----

#[rocket::async_test]
async fn creating_checks_every_field_and_names_it() {
    let app = gift_app().await;
    app.as_admin().await;
    let good = json!({
        "name": "Secret Santa",
        "registration_close_date": day(&app, 3),
        "exchange_date": day(&app, 9),
    });
    let cases = [
        ("name", json!("")),
        ("name", json!("x".repeat(101))),
        ("description", json!("x".repeat(2001))),
        ("budget", json!("x".repeat(101))),
        ("max_participants", json!(2)),
        ("registration_close_date", json!("2026-13-01")),
        ("registration_close_date", json!("soon")),
        ("exchange_date", json!(day(&app, 3))),
        ("exchange_date", json!(day(&app, 1))),
        ("timezone", json!("Mars/Olympus")),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value.clone();
        let (status, err) = app.post_json("/api/v1/exchanges", body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field} = {value}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, err) = app.post_json("/api/v1/exchanges", json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    for field in ["name", "registration_close_date", "exchange_date"] {
        assert!(err["error"]["fields"][field].is_string(), "{field} is required: {err}");
    }
    let mut unknown = good.clone();
    unknown["state"] = json!("matched");
    assert_eq!(app.post_json("/api/v1/exchanges", unknown).await.0, Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT count(*) FROM exchanges").await, 0);

    let (status, e) = app.post_json("/api/v1/exchanges", good.clone()).await;
    assert_eq!(status, Status::Created, "{e}");
    assert_eq!(e["state"], "draft");
    assert_eq!(e["timezone"], "UTC", "an absent zone is UTC");
    assert!(e["max_participants"].is_null());
    let slug = e["slug"].as_str().unwrap();
    assert_eq!(slug.len(), 12);
    assert!(slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{slug}");
    assert_eq!(
        e["registration_url"],
        format!("http://127.0.0.1:8000/exchange/{slug}/register").as_str()
    );
    let (_, other) = app.post_json("/api/v1/exchanges", good).await;
    assert_ne!(other["slug"], e["slug"]);
}

#[rocket::async_test]
async fn the_list_groups_exchanges_by_state_with_counts() {
    let app = gift_app().await;
    app.as_admin().await;
    create(&app, "A draft").await;
    create(&app, "Another draft").await;
    let (id, _) = create(&app, "Open one").await;
    step(&app, id, "open", json!({})).await;
    let (status, list) = app.json("/api/v1/exchanges").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(list["total"], 3);
    assert_eq!(list["counts"]["draft"], 2);
    assert_eq!(list["counts"]["registration_open"], 1);
    assert_eq!(list["counts"]["matched"], 0);
    let groups = list["groups"].as_array().unwrap();
    let states: Vec<&str> = groups.iter().map(|g| g["state"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        ["draft", "registration_open", "registration_closed", "matched", "completed"]
    );
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(groups[1]["exchanges"][0]["name"], "Open one");
}

// ----- who may do what -----

#[rocket::async_test]
async fn organizers_manage_exchanges_members_get_403_and_visitors_401() {
    let app = gift_app().await;
    let body = json!({"name": "X", "registration_close_date": day(&app, 1), "exchange_date": day(&app, 2)});
    let (status, err) = app.post_json("/api/v1/exchanges", body.clone()).await;
    assert_eq!(status, Status::Unauthorized, "{err}");
    assert_eq!(app.json("/api/v1/exchanges").await.0, Status::Unauthorized);
    assert_eq!(app.json("/api/v1/exchanges/mine").await.0, Status::Unauthorized);

    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    app.login_as("olga").await;
    let (status, e) = app.post_json("/api/v1/exchanges", body.clone()).await;
    assert_eq!(status, Status::Created, "an organizer creates: {e}");
    let id = e["id"].as_i64().unwrap();
    step(&app, id, "open", json!({})).await;
    assert_eq!(app.json("/api/v1/exchanges").await.1["total"], 1);

    app.create_user("mia", &[Role::Member]).await;
    app.login_as("mia").await;
    let paths = [
        (Method::Get, "/api/v1/exchanges".to_string()),
        (Method::Post, "/api/v1/exchanges".to_string()),
        (Method::Get, format!("/api/v1/exchanges/{id}")),
        (Method::Put, format!("/api/v1/exchanges/{id}")),
        (Method::Delete, format!("/api/v1/exchanges/{id}")),
        (Method::Post, format!("/api/v1/exchanges/{id}/close")),
        (Method::Get, format!("/api/v1/exchanges/{id}/participants")),
        (Method::Get, format!("/api/v1/exchanges/{id}/exclusions")),
        (Method::Post, format!("/api/v1/exchanges/{id}/exclusions")),
        (Method::Get, format!("/api/v1/exchanges/{id}/matches")),
        (Method::Get, format!("/api/v1/exchanges/{id}/matches.csv")),
        (Method::Delete, format!("/api/v1/exchanges/{id}/participants/1")),
    ];
    for (method, path) in &paths {
        let (status, err) = app.send_json(*method, path, body.clone()).await;
        assert_eq!(status, Status::Forbidden, "{method} {path}: {err}");
    }
    assert_eq!(state_of(&app, id).await, "registration_open");
    assert_eq!(app.count("SELECT count(*) FROM exchanges").await, 1);
}

#[rocket::async_test]
async fn admins_grant_and_take_away_the_organizer_right() {
    let app = gift_app().await;
    let mia = app.create_user("mia", &[Role::Member]).await;
    let olga = app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    let path = format!("/api/v1/admin/members/{mia}/organizer");
    app.login_as("olga").await;
    let (status, _) = app.send_json(Method::Put, &path, json!({"organizer": true})).await;
    assert_eq!(status, Status::Forbidden, "organizers do not grant the right");

    app.as_admin().await;
    let (status, v) = app.send_json(Method::Put, &path, json!({"organizer": true})).await;
    assert_eq!(status, Status::Ok, "{v}");
    assert_eq!(v["organizer"], true);
    assert_eq!(v["roles"], json!(["member", "organizer"]));
    app.login_as("mia").await;
    assert_eq!(app.json("/api/v1/exchanges").await.0, Status::Ok);

    app.login_as("admin").await;
    let (status, v) = app.send_json(Method::Put, &path, json!({"organizer": false})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(v["organizer"], false);
    app.login_as("mia").await;
    assert_eq!(app.json("/api/v1/exchanges").await.0, Status::Forbidden);

    app.login_as("admin").await;
    let (status, err) = app.send_json(Method::Put, &path, json!({"organiser": true})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    let unknown = "/api/v1/admin/members/9999/organizer";
    assert_eq!(
        app.send_json(Method::Put, unknown, json!({"organizer": true})).await.0,
        Status::NotFound
    );
    let guest = app.create_user("gus", &[Role::Guest]).await;
    let (status, err) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/admin/members/{guest}/organizer"),
            json!({"organizer": true}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "a guest would become more than a guest: {err}");
    let audited = scalar::<i64>(
        &app,
        format!(
            "SELECT count(*) FROM audit_log WHERE kind IN ('organizer_granted', 'organizer_revoked')
              AND target = 'user:{mia}'"
        ),
    )
    .await;
    assert_eq!(audited, 2);
    let _ = olga;
}

// ----- registration -----

#[rocket::async_test]
async fn registering_creates_a_guest_and_emails_a_link_that_signs_in_to_the_dashboard() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = create(&app, "Family").await;
    step(&app, id, "open", json!({})).await;
    let (status, public) = app.json(&format!("/api/v1/exchanges/{slug}/register")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(public["name"], "Family");
    assert_eq!(public["open"], true);

    let body = json!({"name": " Kim ", "email": "Kim@Example.ORG", "gift_ideas": "Tea", "reminders": false});
    let (status, done) = register_with(&app, &slug, body).await;
    assert_eq!(status, Status::Created, "{done}");
    assert_eq!(done["exchange_name"], "Family");

    let (user_id, status_, has_password): (i64, String, bool) = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT id, status, password_hash IS NOT NULL FROM users WHERE email = 'kim@example.org'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(status_, "active");
    assert!(!has_password);
    let roles: String = scalar(
        &app,
        format!("SELECT group_concat(role) FROM user_roles WHERE user_id = {user_id}"),
    )
    .await;
    assert_eq!(roles, "guest");
    let linked: i64 = scalar(
        &app,
        format!(
            "SELECT user_id FROM exchange_participants WHERE exchange_id = {id} AND name = 'Kim'"
        ),
    )
    .await;
    assert_eq!(linked, user_id);
    let reminders: bool = scalar(&app, "SELECT reminders FROM exchange_participants".into()).await;
    assert!(!reminders);

    let mail = app.emails_to("kim@example.org").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("Family"));

    let landed = sign_in_from_email(&app, "kim@example.org").await;
    assert_eq!(landed, "/exchanges");
    let (status, mine) = app.json("/api/v1/exchanges/mine").await;
    assert_eq!(status, Status::Ok, "the guest is signed in");
    assert_eq!(mine[0]["name"], "Family");
    assert_eq!(mine[0]["me"]["gift_ideas"], "Tea");
    let page = app.client.get("/exchanges").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    assert!(page.into_string().await.unwrap().contains("Family"));

    // The link works once.
    let text = app.last_email_text("kim@example.org").await;
    let link = extract_link(&text, "http://127.0.0.1:8000/exchange/access?token=").unwrap();
    let path = link.trim_start_matches("http://127.0.0.1:8000");
    assert_eq!(app.client.get(path.to_string()).dispatch().await.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn an_existing_account_is_linked_and_the_answer_does_not_tell() {
    let app = gift_app().await;
    let lee = app.create_user("lee", &[Role::Member]).await;
    app.as_admin().await;
    let (id, slug) = open_with(&app, "Linked", &[]).await;
    let users = app.count("SELECT count(*) FROM users").await;
    let (s1, known) = register_with(
        &app,
        &slug,
        json!({"name": "Lee", "email": "LEE@example.org", "gift_ideas": ""}),
    )
    .await;
    let (s2, unknown) =
        register_with(&app, &slug, json!({"name": "Nia", "email": "nia@example.org"})).await;
    assert_eq!((s1, s2), (Status::Created, Status::Created));
    assert_eq!(known, unknown, "the same answer with or without an account");
    assert_eq!(app.count("SELECT count(*) FROM users").await, users + 1, "only Nia is new");
    let linked: i64 = scalar(
        &app,
        format!(
            "SELECT user_id FROM exchange_participants WHERE exchange_id = {id} AND name = 'Lee'"
        ),
    )
    .await;
    assert_eq!(linked, lee);
    // Lee's own account now sees the exchange.
    app.login_as("lee").await;
    assert_eq!(app.json("/api/v1/exchanges/mine").await.1[0]["name"], "Linked");
}

#[rocket::async_test]
async fn registration_is_refused_when_closed_full_past_its_date_or_duplicate() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = create(&app, "Not yet").await;
    let (status, err) = register(&app, &slug, "Ann").await;
    assert_eq!(status, Status::Conflict, "draft: {err}");
    assert_eq!(err["error"]["code"], "registration_closed");
    assert_eq!(err["error"]["message"], "Registration is closed.");

    step(&app, id, "open", json!({})).await;
    assert_eq!(register(&app, &slug, "Ann").await.0, Status::Created);
    let (status, err) =
        register_with(&app, &slug, json!({"name": "Ann again", "email": " ANN@example.org "}))
            .await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert!(err["error"]["fields"]["email"].is_string());

    for (body, field) in [
        (json!({"name": "", "email": "x@example.org"}), "name"),
        (json!({"name": "x".repeat(101), "email": "x@example.org"}), "name"),
        (json!({"name": "X", "email": "not-an-email"}), "email"),
        (
            json!({"name": "X", "email": "x@example.org", "gift_ideas": "x".repeat(10_001)}),
            "gift_ideas",
        ),
    ] {
        let (status, err) = register_with(&app, &slug, body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {err}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, _) =
        register_with(&app, &slug, json!({"name": "X", "email": "x@example.org", "admin": true}))
            .await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused");

    step(&app, id, "close", json!({})).await;
    let (status, err) = register(&app, &slug, "Bo").await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "registration_closed");

    // Full.
    let body = json!({
        "name": "Small", "max_participants": 3,
        "registration_close_date": day(&app, 2), "exchange_date": day(&app, 4),
    });
    let (_, small) = app.post_json("/api/v1/exchanges", body).await;
    let (small_id, small_slug) =
        (small["id"].as_i64().unwrap(), small["slug"].as_str().unwrap().to_string());
    step(&app, small_id, "open", json!({})).await;
    for person in ["Ann", "Bo", "Cy"] {
        assert_eq!(register(&app, &small_slug, person).await.0, Status::Created);
    }
    let (status, err) = register(&app, &small_slug, "Di").await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "exchange_full");
    assert_eq!(err["error"]["message"], "Exchange is full.");
    assert_eq!(
        app.json(&format!("/api/v1/exchanges/{small_slug}/register")).await.1["closed_message"],
        "Exchange is full."
    );

    // Past the close date, while still open: refused, and the state does not change by itself.
    let body = json!({
        "name": "Soon over",
        "registration_close_date": day(&app, 1), "exchange_date": day(&app, 5), "timezone": "UTC",
    });
    let (_, soon) = app.post_json("/api/v1/exchanges", body).await;
    let (soon_id, soon_slug) =
        (soon["id"].as_i64().unwrap(), soon["slug"].as_str().unwrap().to_string());
    step(&app, soon_id, "open", json!({})).await;
    assert_eq!(register(&app, &soon_slug, "Ann").await.0, Status::Created);
    app.advance(Duration::days(3));
    let (status, err) = register(&app, &soon_slug, "Bo").await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "registration_closed");
    assert_eq!(state_of(&app, soon_id).await, "registration_open");

    let (status, _) = register(&app, "nosuchslug00", "Ann").await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn a_signed_in_member_joins_with_one_click() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = open_with(&app, "Club party", &["Ann"]).await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let (status, done) = app.post_json(&format!("/api/v1/exchanges/{slug}/join"), json!({})).await;
    assert_eq!(status, Status::Created, "{done}");
    let (name, email): (String, String) = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT name, email FROM exchange_participants WHERE exchange_id = ?1 AND name = 'kim'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!((name.as_str(), email.as_str()), ("kim", "kim@example.org"));
    let (status, err) = app.post_json(&format!("/api/v1/exchanges/{slug}/join"), json!({})).await;
    assert_eq!(status, Status::Conflict, "only once: {err}");
    assert_eq!(
        app.json("/api/v1/exchanges/mine").await.1[0]["participants"],
        json!(["Ann", "kim"])
    );
    app.post_json("/api/v1/auth/logout", json!({})).await;
    let (status, _) = app.post_json(&format!("/api/v1/exchanges/{slug}/join"), json!({})).await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn asking_for_access_answers_the_same_whatever_exists_and_mails_only_participants() {
    let app = gift_app().await;
    app.as_admin().await;
    let (_, slug) = open_with(&app, "Access", &["Ann"]).await;
    let before = app.emails_to("ann@example.org").await.len();
    let known = app
        .post_json(
            &format!("/api/v1/exchanges/{slug}/request-access"),
            json!({"email": "ANN@example.org"}),
        )
        .await;
    let unknown_email = app
        .post_json(
            &format!("/api/v1/exchanges/{slug}/request-access"),
            json!({"email": "zed@example.org"}),
        )
        .await;
    let unknown_slug = app
        .post_json(
            "/api/v1/exchanges/nosuchslug00/request-access",
            json!({"email": "ann@example.org"}),
        )
        .await;
    assert_eq!(known.0, Status::Ok);
    assert_eq!(known, unknown_email);
    assert_eq!(known, unknown_slug);
    let mail = app.emails_to("ann@example.org").await;
    assert_eq!(mail.len(), before + 1, "one fresh link for the participant");
    assert!(mail.last().unwrap().subject.contains("Your link"));
    assert!(app.emails_to("zed@example.org").await.is_empty());
    assert_eq!(sign_in_from_email(&app, "ann@example.org").await, "/exchanges");
    assert_eq!(app.json("/api/v1/exchanges/mine").await.1[0]["name"], "Access");

    let (status, err) = app
        .post_json(&format!("/api/v1/exchanges/{slug}/request-access"), json!({"email": "nope"}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["email"].is_string());
}

// ----- the participant's own view -----

/// Signs in as a registered participant (by their emailed link).
pub async fn as_participant(app: &TestApp, name: &str) {
    let email = email_of(name);
    app.post_json("/api/v1/auth/logout", json!({})).await;
    let slug: String = scalar(
        app,
        format!(
            "SELECT e.slug FROM exchanges e JOIN exchange_participants p ON p.exchange_id = e.id
              WHERE p.email = '{email}' AND p.removed_at IS NULL ORDER BY p.id DESC LIMIT 1"
        ),
    )
    .await;
    let (status, _) = app
        .post_json(&format!("/api/v1/exchanges/{slug}/request-access"), json!({"email": email}))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(sign_in_from_email(app, &email).await, "/exchanges");
}

#[rocket::async_test]
async fn participants_see_names_only_and_their_own_recipient_only() {
    let app = gift_app().await;
    app.as_admin().await;
    let people = ["Ann", "Bo", "Cy", "Di"];
    let (id, _) = matched_with(&app, "Names", &people).await;
    let cycle = pairs(&app, id).await;
    for name in people {
        as_participant(&app, name).await;
        let (status, mine) = app.json("/api/v1/exchanges/mine").await;
        assert_eq!(status, Status::Ok);
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let x = &mine[0];
        assert_eq!(x["participants"], json!(["Ann", "Bo", "Cy", "Di"]));
        let receiver = &cycle.iter().find(|(g, _)| g == name).unwrap().1;
        assert_eq!(x["assignment"]["recipient_name"], receiver.as_str());
        assert_eq!(x["assignment"]["gift_ideas"], ideas_of(receiver).as_str());
        let text = mine.to_string();
        for other in people.iter().filter(|p| **p != name) {
            if *other != receiver {
                assert!(!text.contains(&ideas_of(other)), "{name} sees {other}'s ideas");
            }
            assert!(!text.contains(&email_of(other)), "{name} sees {other}'s email");
        }
        let (status, a) = app.json(&format!("/api/v1/exchanges/{id}/assignment")).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(a, json!({"recipient_name": receiver, "gift_ideas": ideas_of(receiver)}));
        let html = app.client.get("/exchanges").dispatch().await.into_string().await.unwrap();
        assert!(html.contains(&ideas_of(receiver)));
        for other in people.iter().filter(|p| **p != name && *p != receiver) {
            assert!(!html.contains(&ideas_of(other)), "{name}'s page shows {other}'s ideas");
        }
    }
}

#[rocket::async_test]
async fn no_route_shows_another_exchange_or_assignment_to_a_participant() {
    let app = gift_app().await;
    app.as_admin().await;
    let (x, _) = matched_with(&app, "Mine", &["Ann", "Bo", "Cy"]).await;
    let (y, _) = matched_with(&app, "Theirs", &["Dan", "Eve", "Fay"]).await;
    let eve = participant_id(&app, y, "Eve").await;
    let bo = participant_id(&app, x, "Bo").await;
    let theirs = pairs(&app, y).await;

    as_participant(&app, "Ann").await;
    let missing = 999_999;
    let mut not_found_bodies = Vec::new();
    for target in [y, missing] {
        for (method, path, body) in [
            (Method::Get, format!("/api/v1/exchanges/{target}/assignment"), json!({})),
            (
                Method::Put,
                format!("/api/v1/exchanges/{target}/me"),
                json!({"gift_ideas": "hacked"}),
            ),
            (Method::Post, format!("/api/v1/exchanges/{target}/withdraw"), json!({})),
        ] {
            let (status, err) = app.send_json(method, &path, body).await;
            assert_eq!(status, Status::NotFound, "{method} {path}: {err}");
            not_found_bodies.push(err);
        }
    }
    assert_eq!(not_found_bodies[0], not_found_bodies[3], "an existing id looks like a missing one");
    for (method, path) in [
        (Method::Get, format!("/api/v1/exchanges/{y}")),
        (Method::Get, format!("/api/v1/exchanges/{y}/matches")),
        (Method::Get, format!("/api/v1/exchanges/{x}/matches")),
        (Method::Get, format!("/api/v1/exchanges/{x}/matches.csv")),
        (Method::Get, format!("/api/v1/exchanges/{x}/participants")),
        (Method::Get, format!("/api/v1/exchanges/{y}/participants")),
        (Method::Delete, format!("/api/v1/exchanges/{y}/participants/{eve}")),
        (Method::Delete, format!("/api/v1/exchanges/{x}/participants/{bo}")),
        (Method::Get, "/api/v1/exchanges".to_string()),
    ] {
        let (status, body) = app.send_json(method, &path, json!({})).await;
        assert_eq!(status, Status::Forbidden, "{method} {path}: {body}");
    }
    for path in [
        format!("/admin/exchanges/{x}"),
        format!("/admin/exchanges/{y}"),
        "/admin/exchanges".to_string(),
    ] {
        assert_eq!(
            app.client.get(path.clone()).dispatch().await.status(),
            Status::Forbidden,
            "{path}"
        );
    }
    let mine = app.json("/api/v1/exchanges/mine").await.1.to_string();
    for (giver, receiver) in &theirs {
        assert!(!mine.contains(giver.as_str()) && !mine.contains(receiver.as_str()));
    }
    let untouched: String =
        scalar(&app, format!("SELECT gift_ideas FROM exchange_participants WHERE id = {eve}"))
            .await;
    assert_eq!(untouched, ideas_of("Eve"));
    assert_eq!(pairs(&app, y).await.len(), 3);

    // Someone in no exchange sees nothing of either.
    app.create_user("zoe", &[Role::Member]).await;
    app.login_as("zoe").await;
    assert_eq!(app.json("/api/v1/exchanges/mine").await.1, json!([]));
    for target in [x, y] {
        let path = format!("/api/v1/exchanges/{target}/assignment");
        assert_eq!(app.json(&path).await.0, Status::NotFound);
    }
}

#[rocket::async_test]
async fn participants_edit_their_entry_and_the_name_only_until_matched() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = closed_with(&app, "Edits", &["Ann", "Bo", "Cy"]).await;
    as_participant(&app, "Ann").await;
    let path = format!("/api/v1/exchanges/{id}/me");
    let (status, v) = app
        .send_json(
            Method::Put,
            &path,
            json!({"name": "Annie", "gift_ideas": "Socks", "reminders": false}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{v}");
    assert_eq!(v["me"]["name"], "Annie");
    assert_eq!(v["me"]["reminders"], false);
    let (status, err) = app.send_json(Method::Put, &path, json!({"name": ""})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["name"].is_string());
    let (status, err) =
        app.send_json(Method::Put, &path, json!({"gift_ideas": "x".repeat(10_001)})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["gift_ideas"].is_string());
    let (status, _) = app.send_json(Method::Put, &path, json!({"email": "x@example.org"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "the email is not theirs to change here");

    app.login_as("admin").await;
    step(&app, id, "match", json!({})).await;
    as_participant(&app, "Ann").await;
    let (status, err) = app.send_json(Method::Put, &path, json!({"name": "Anna"})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["name"].is_string());
    let (status, v) =
        app.send_json(Method::Put, &path, json!({"gift_ideas": "Books", "reminders": true})).await;
    assert_eq!(status, Status::Ok, "gift ideas stay editable: {v}");
    assert_eq!(v["me"]["name"], "Annie");
    assert_eq!(v["can_edit_name"], false);
    // Whoever draws Ann sees the new ideas.
    let giver = pairs(&app, id).await.into_iter().find(|(_, r)| r == "Annie").unwrap().0;
    as_participant(&app, &giver).await;
    assert_eq!(
        app.json(&format!("/api/v1/exchanges/{id}/assignment")).await.1["gift_ideas"],
        "Books"
    );
}

#[rocket::async_test]
async fn withdrawing_works_until_the_names_are_drawn() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = closed_with(&app, "Leaving", &["Ann", "Bo", "Cy", "Di"]).await;
    let (ann, bo) = (participant_id(&app, id, "Ann").await, participant_id(&app, id, "Bo").await);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/exchanges/{id}/exclusions"),
            json!({"participant_a": ann, "participant_b": bo}),
        )
        .await;
    assert_eq!(status, Status::Created);
    let (status, _) = app.json(&format!("/api/v1/exchanges/{id}/assignment")).await;
    assert_eq!(status, Status::NotFound, "the admin is no participant");

    as_participant(&app, "Ann").await;
    let (status, err) = app.json(&format!("/api/v1/exchanges/{id}/assignment")).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "not_matched");
    let (status, w) = app.post_json(&format!("/api/v1/exchanges/{id}/withdraw"), json!({})).await;
    assert_eq!(status, Status::Ok, "{w}");
    assert_eq!(w["withdrawn"], true);
    let how: String =
        scalar(&app, format!("SELECT removed_how FROM exchange_participants WHERE id = {ann}"))
            .await;
    assert_eq!(how, "withdrew");
    assert_eq!(
        app.count("SELECT count(*) FROM exchange_exclusions").await,
        0,
        "their exclusion went with them"
    );
    assert_eq!(app.json("/api/v1/exchanges/mine").await.1, json!([]));
    assert_eq!(
        app.post_json(&format!("/api/v1/exchanges/{id}/withdraw"), json!({})).await.0,
        Status::NotFound
    );

    app.login_as("admin").await;
    step(&app, id, "reopen", json!({})).await;
    assert_eq!(register(&app, &slug, "Ann").await.0, Status::Created, "the address is free again");
    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({})).await;
    as_participant(&app, "Bo").await;
    let (status, err) = app.post_json(&format!("/api/v1/exchanges/{id}/withdraw"), json!({})).await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert_eq!(err["error"]["code"], "already_matched");
    assert_eq!(app.json("/api/v1/exchanges/mine").await.1[0]["can_withdraw"], false);
}

// ----- organizers and participants -----

#[rocket::async_test]
async fn removing_a_participant_after_matching_deletes_the_matches_and_closes_again() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Removal", &["Ann", "Bo", "Cy", "Di"]).await;
    let di = participant_id(&app, id, "Di").await;
    let (status, removed) = app
        .send_json(Method::Delete, &format!("/api/v1/exchanges/{id}/participants/{di}"), json!({}))
        .await;
    assert_eq!(status, Status::Ok, "{removed}");
    assert_eq!(removed["matches_deleted"], false);
    assert_eq!(removed["state"], "registration_open");
    assert_eq!(removed["participant"]["status"], "removed");

    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({})).await;
    let cy = participant_id(&app, id, "Cy").await;
    let (status, removed) = app
        .send_json(Method::Delete, &format!("/api/v1/exchanges/{id}/participants/{cy}"), json!({}))
        .await;
    assert_eq!(status, Status::Ok, "{removed}");
    assert_eq!(removed["matches_deleted"], true);
    assert_eq!(removed["state"], "registration_closed");
    assert!(removed["message"].as_str().unwrap().contains("matches were deleted"), "{removed}");
    assert!(pairs(&app, id).await.is_empty());
    assert_eq!(state_of(&app, id).await, "registration_closed");

    let list = app.json(&format!("/api/v1/exchanges/{id}/participants")).await.1;
    let statuses: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [("Ann", "active"), ("Bo", "active"), ("Cy", "removed"), ("Di", "removed")]
    );
    let path = format!("/api/v1/exchanges/{id}/participants/{cy}");
    assert_eq!(app.send_json(Method::Delete, &path, json!({})).await.0, Status::Conflict);
    let (other, _) = open_with(&app, "Other", &["Ed"]).await;
    let ed = participant_id(&app, other, "Ed").await;
    let wrong = format!("/api/v1/exchanges/{id}/participants/{ed}");
    assert_eq!(app.send_json(Method::Delete, &wrong, json!({})).await.0, Status::NotFound);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'exchange_participant_removed'")
            .await,
        2
    );
}

#[rocket::async_test]
async fn exclusions_follow_their_rules() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Exclusions", &["Ann", "Bo", "Cy", "Di", "Fi"]).await;
    let (other, _) = open_with(&app, "Elsewhere", &["Ed"]).await;
    let [ann, bo, cy, di] = [
        participant_id(&app, id, "Ann").await,
        participant_id(&app, id, "Bo").await,
        participant_id(&app, id, "Cy").await,
        participant_id(&app, id, "Di").await,
    ];
    let ed = participant_id(&app, other, "Ed").await;
    let path = format!("/api/v1/exchanges/{id}/exclusions");
    let (status, err) =
        app.post_json(&path, json!({"participant_a": ann, "participant_b": bo})).await;
    assert_eq!(status, Status::Conflict, "not while open: {err}");
    assert_eq!(err["error"]["code"], "exclusions_locked");

    step(&app, id, "close", json!({})).await;
    let (status, x) =
        app.post_json(&path, json!({"participant_a": bo, "participant_b": ann})).await;
    assert_eq!(status, Status::Created, "{x}");
    assert_eq!(x["participant_a"]["name"], "Ann", "stored lower id first");
    assert_eq!(x["participant_b"]["name"], "Bo");
    let stored: (i64, i64) = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT participant_a, participant_b FROM exchange_exclusions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, (ann, bo));
    let (status, _) =
        app.post_json(&path, json!({"participant_a": ann, "participant_b": bo})).await;
    assert_eq!(status, Status::Conflict, "a pair is stored once, either way round");

    for (body, field) in [
        (json!({"participant_a": cy, "participant_b": cy}), "participant_b"),
        (json!({"participant_a": ed, "participant_b": cy}), "participant_a"),
        (json!({"participant_a": cy, "participant_b": 999_999}), "participant_b"),
        (json!({"participant_b": cy}), "participant_a"),
    ] {
        let (status, err) = app.post_json(&path, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {err}");
        assert!(err["error"]["fields"][field].is_string(), "{body}: {err}");
    }
    let gone = app
        .send_json(Method::Delete, &format!("/api/v1/exchanges/{id}/participants/{di}"), json!({}))
        .await;
    assert_eq!(gone.0, Status::Ok);
    let (status, err) =
        app.post_json(&path, json!({"participant_a": cy, "participant_b": di})).await;
    assert_eq!(status, Status::UnprocessableEntity, "not someone who left: {err}");

    let list = app.json(&path).await.1;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let xid = list[0]["id"].as_i64().unwrap();
    let wrong = format!("/api/v1/exchanges/{other}/exclusions/{xid}");
    assert_eq!(app.send_json(Method::Delete, &wrong, json!({})).await.0, Status::NotFound);

    step(&app, id, "match", json!({})).await;
    let one = format!("/api/v1/exchanges/{id}/exclusions/{xid}");
    let (status, err) = app.send_json(Method::Delete, &one, json!({})).await;
    assert_eq!(status, Status::Conflict, "not once matched: {err}");
    step(&app, id, "reopen", json!({"confirm": true})).await;
    step(&app, id, "close", json!({})).await;
    assert_eq!(app.send_json(Method::Delete, &one, json!({})).await.0, Status::Ok);
    assert_eq!(app.json(&path).await.1, json!([]));
}

// ----- the draw -----

#[rocket::async_test]
async fn matching_emails_everyone_their_recipient_and_respects_exclusions() {
    let app = gift_app().await;
    app.as_admin().await;
    let people = ["Ann", "Bo", "Cy", "Di", "Ed"];
    for seed in [1u64, 2, 3] {
        let (id, _) = closed_with(&app, &format!("Draw {seed}"), &people).await;
        let ids: Vec<i64> = {
            let mut v = Vec::new();
            for p in people {
                v.push(participant_id(&app, id, p).await);
            }
            v
        };
        let path = format!("/api/v1/exchanges/{id}/exclusions");
        for (a, b) in [(0, 1), (2, 3), (0, 4)] {
            let body = json!({"participant_a": ids[a], "participant_b": ids[b]});
            assert_eq!(app.post_json(&path, body).await.0, Status::Created);
        }
        let e = step(&app, id, "match", json!({"seed": seed})).await;
        assert_eq!(e["state"], "matched");
        assert!(e["matched_at"].is_string());
        let cycle = pairs(&app, id).await;
        assert_eq!(cycle.len(), 5);
        let excluded = [("Ann", "Bo"), ("Cy", "Di"), ("Ann", "Ed")];
        for (g, r) in &cycle {
            assert_ne!(g, r);
            assert!(
                !excluded.iter().any(|(a, b)| (a == g && b == r) || (a == r && b == g)),
                "{g} -> {r} breaks an exclusion"
            );
        }
        // One cycle: following it from Ann visits everyone.
        let mut at = "Ann".to_string();
        for _ in 0..5 {
            at = cycle.iter().find(|(g, _)| *g == at).unwrap().1.clone();
        }
        assert_eq!(at, "Ann");
        let (status, list) = app.json(&format!("/api/v1/exchanges/{id}/matches")).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(list.as_array().unwrap().len(), 5);
        for (giver, receiver) in &cycle {
            let text = app.last_email_text(&email_of(giver)).await;
            assert!(
                text.contains(&format!("You give a present to: {receiver}")),
                "{giver}: {text}"
            );
            assert!(text.contains(&ideas_of(receiver)), "{giver} gets the recipient's ideas");
        }
    }
}

#[rocket::async_test]
async fn an_impossible_draw_explains_why_and_stays_closed() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = closed_with(&app, "Stuck", &["Ann", "Bo", "Cy", "Di"]).await;
    let (ann, bo, cy) = (
        participant_id(&app, id, "Ann").await,
        participant_id(&app, id, "Bo").await,
        participant_id(&app, id, "Cy").await,
    );
    let path = format!("/api/v1/exchanges/{id}/exclusions");
    for other in [bo, cy] {
        let body = json!({"participant_a": ann, "participant_b": other});
        assert_eq!(app.post_json(&path, body).await.0, Status::Created);
    }
    let (status, err) = act(&app, id, "match", json!({})).await;
    assert_eq!(status, Status::Conflict, "{err}");
    let e = &err["error"];
    assert_eq!(e["code"], "no_match_possible");
    assert_eq!(e["reason"], "isolated");
    assert_eq!(e["participant"]["name"], "Ann");
    assert!(e["message"].as_str().unwrap().contains("Ann"), "{err}");
    let blamed: Vec<(&str, &str)> = e["blamed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["participant_a"]["name"].as_str().unwrap(),
                b["participant_b"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(blamed, [("Ann", "Bo"), ("Ann", "Cy")]);
    assert!(e["blamed"][0]["id"].is_i64());
    assert_eq!(state_of(&app, id).await, "registration_closed");
    assert!(pairs(&app, id).await.is_empty());
    assert!(app.emails().await.iter().all(|m| !m.subject.contains("recipient")));

    let (few, _) = closed_with(&app, "Too few", &["Ann", "Bo"]).await;
    let (status, err) = act(&app, few, "match", json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["reason"], "too_few");
    assert_eq!(state_of(&app, few).await, "registration_closed");
}

#[rocket::async_test]
async fn the_csv_lists_every_pair_with_formulas_made_inert() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = create(&app, "Export").await;
    step(&app, id, "open", json!({})).await;
    for (name, email, ideas) in [
        ("=Evil", "evil@example.org", "=HYPERLINK(\"http://x\")"),
        ("Bo", "bo@example.org", "+1 scarf"),
        ("Cy", "cy@example.org", "@home, \"quoted\"\nsecond line"),
    ] {
        let body = json!({"name": name, "email": email, "gift_ideas": ideas});
        assert_eq!(register_with(&app, &slug, body).await.0, Status::Created);
    }
    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({})).await;
    let response = app.client.get(format!("/api/v1/exchanges/{id}/matches.csv")).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::CSV));
    assert!(response.headers().get_one("Content-Disposition").unwrap().contains("attachment"));
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let body = response.into_string().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        ["giver_name", "giver_email", "receiver_name", "receiver_email", "receiver_gift_ideas"]
    );
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    assert_eq!(rows.len(), 3);
    let cycle = pairs(&app, id).await;
    for row in &rows {
        let giver = row[0].trim_start_matches('\'');
        let receiver = row[2].trim_start_matches('\'');
        assert!(cycle.iter().any(|(g, r)| g == giver && r == receiver), "{row:?}");
    }
    let evil_row = rows.iter().find(|r| r[0].contains("Evil")).unwrap();
    assert_eq!(evil_row[0], "'=Evil");
    let to_evil = rows.iter().find(|r| r[2].contains("Evil")).unwrap();
    assert_eq!(to_evil[2], "'=Evil");
    assert_eq!(to_evil[4], "'=HYPERLINK(\"http://x\")");
    let to_bo = rows.iter().find(|r| r[2] == "Bo").unwrap();
    assert_eq!(to_bo[4], "'+1 scarf");
    let to_cy = rows.iter().find(|r| r[2] == "Cy").unwrap();
    assert_eq!(to_cy[4], "'@home, \"quoted\"\nsecond line");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'exchange_matches_exported'").await,
        1
    );
}

#[rocket::async_test]
async fn completed_exchanges_show_the_days_until_the_purge() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = matched_with(&app, "Done", &["Ann", "Bo", "Cy"]).await;
    let e = step(&app, id, "complete", json!({})).await;
    assert_eq!(e["purge_in_days"], 30);
    assert!(e["completed_at"].is_string());
    app.advance(Duration::days(10));
    app.login_as("admin").await;
    assert_eq!(app.json(&format!("/api/v1/exchanges/{id}")).await.1["purge_in_days"], 20);
    // Participants still see their recipient after completion.
    as_participant(&app, "Ann").await;
    assert_eq!(app.json(&format!("/api/v1/exchanges/{id}/assignment")).await.0, Status::Ok);
}

#[rocket::async_test]
async fn asking_for_access_is_rate_limited_per_address() {
    let app = gift_app().await;
    let path = "/api/v1/exchanges/nosuchslug00/request-access";
    for _ in 0..3 {
        assert_eq!(app.post_json(path, json!({"email": "ann@example.org"})).await.0, Status::Ok);
    }
    let (status, err) = app.post_json(path, json!({"email": "ANN@example.org"})).await;
    assert_eq!(status, Status::TooManyRequests, "{err}");
    assert_eq!(app.post_json(path, json!({"email": "bo@example.org"})).await.0, Status::Ok);
}

#[rocket::async_test]
async fn admins_hear_of_registrations_withdrawals_and_the_draw() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Office party", &["Ann", "Bo", "Cy", "Di"]).await;
    as_participant(&app, "Di").await;
    let (status, body) =
        app.post_json(&format!("/api/v1/exchanges/{id}/withdraw"), json!({})).await;
    assert_eq!(status, Status::Ok, "{body}");
    app.login_as("admin").await;
    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({"seed": 3})).await;

    let subjects: Vec<String> =
        app.emails_to("admin@example.org").await.into_iter().map(|m| m.subject).collect();
    for name in ["Ann", "Bo", "Cy", "Di"] {
        let joined = format!("{name} joined Office party");
        assert!(subjects.contains(&joined), "{joined} in {subjects:?}");
    }
    assert!(subjects.contains(&"Di withdrew from Office party".to_string()), "{subjects:?}");
    assert!(subjects.contains(&"Names drawn for Office party".to_string()), "{subjects:?}");
}
