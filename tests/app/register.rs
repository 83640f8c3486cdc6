//! Registration: with an invitation, open or closed, role rules, duplicates and concurrency.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status};
use serde_json::json;

use crate::support::*;

/// Creates an invitation as a fresh admin and logs the admin out again; returns the token.
async fn invite(app: &TestApp, body: serde_json::Value) -> String {
    if app.count("SELECT count(*) FROM users WHERE username = 'admin'").await == 0 {
        app.create_user("admin", &[Role::Admin]).await;
    }
    app.login_as("admin").await;
    let (status, created) = app.post_json("/api/v1/admin/invites", body).await;
    assert_eq!(status, Status::Created, "{created}");
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    created["invite_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
}

fn registration(username: &str, token: &str) -> serde_json::Value {
    json!({"username": username, "email": format!("{username}@example.org"), "password": PASSWORD, "invite_token": token})
}

async fn set_mode(app: &TestApp, mode: &str) {
    app.create_user("boss", &[Role::Admin]).await;
    app.login_as("boss").await;
    let (status, _) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"registration_mode": mode}))
        .await;
    assert_eq!(status, Status::Ok);
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

#[rocket::async_test]
async fn registering_with_an_invitation_creates_the_account_and_signs_in() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"roles": ["member", "coach"], "max_uses": 3})).await;
    let mut body = registration("kim", &token);
    body["phone"] = json!("+44 20 7946 0000");
    let (status, created) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["username"], "kim");
    assert_eq!(created["message"], "Registration successful");

    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["username"], "kim");
    assert_eq!(session["roles"], json!(["coach", "member"]), "what the invitation grants");
    assert_eq!(session["status"], "onboarding");
    assert_eq!(app.count("SELECT uses FROM invites").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM invite_events WHERE kind = 'used' AND user_id IS NOT NULL")
            .await,
        1
    );
}

#[rocket::async_test]
async fn without_an_invitation_registration_depends_on_the_setting() {
    let app = TestApp::spawn().await;
    let body = json!({"username": "kim", "email": "kim@example.org", "password": PASSWORD});
    let (status, err) = app.post_json("/api/v1/auth/register", body.clone()).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["message"], "Registration is currently invite-only.");

    set_mode(&app, "open").await;
    let (status, created) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(app.json("/api/v1/auth/session").await.1["roles"], json!(["member"]));
}

#[rocket::async_test]
async fn roles_named_only_by_blanks_are_as_if_none_were_named() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"roles": ["member", "coach"]})).await;
    let mut body = registration("kim", &token);
    body["roles"] = json!(["", " "]);
    let (status, created) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Created, "{created}");
    let roles = app.json("/api/v1/auth/session").await.1["roles"].clone();
    assert_eq!(roles, json!(["coach", "member"]), "what the invitation grants, never none");

    let mut body = registration("bo", &invite(&app, json!({})).await);
    body["roles"] = json!(["wizard"]);
    let (_, err) = app.post_json("/api/v1/auth/register", body).await;
    let message = err["error"]["fields"]["roles"].as_str().unwrap_or_default();
    assert_eq!(message, "Unknown role \"wizard\". Choose member, coach or guardian.");
}

#[rocket::async_test]
async fn closed_registration_refuses_even_an_invitation() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({})).await;
    set_mode(&app, "closed").await;
    let (status, err) = app.post_json("/api/v1/auth/register", registration("kim", &token)).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["message"], "Registration is currently closed.");
    assert_eq!(app.count("SELECT uses FROM invites").await, 0);
}

#[rocket::async_test]
async fn self_chosen_roles_are_limited_to_member_coach_and_guardian_within_the_invitation() {
    let app = TestApp::spawn().await;
    let token =
        invite(&app, json!({"roles": ["member", "guardian", "admin"], "max_uses": 10})).await;
    for (roles, needle) in [
        (json!(["minor"]), "Minors cannot register themselves"),
        (json!(["wizard"]), "Unknown role"),
        (json!(["admin"]), "cannot choose the role admin"),
        (json!(["coach"]), "does not grant the role coach"),
    ] {
        let mut body = registration("kim", &token);
        body["roles"] = roles.clone();
        let (status, err) = app.post_json("/api/v1/auth/register", body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{roles}");
        let message = err["error"]["fields"]["roles"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{roles}: {message}");
    }
    assert_eq!(app.count("SELECT uses FROM invites").await, 0, "failed attempts spend nothing");

    let mut body = registration("kim", &token);
    body["roles"] = json!(["guardian"]);
    assert_eq!(app.post_json("/api/v1/auth/register", body).await.0, Status::Created);
    assert_eq!(app.json("/api/v1/auth/session").await.1["roles"], json!(["guardian"]));
}

#[rocket::async_test]
async fn taken_usernames_and_emails_are_409_and_spend_no_invitation() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    let token = invite(&app, json!({"max_uses": 5})).await;
    let mut body = registration("KIM", &token);
    body["email"] = json!("another@example.org");
    let (status, err) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["username"].is_string(), "{err}");

    let mut body = registration("kimberly", &token);
    body["email"] = json!("KIM@example.org");
    let (status, err) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["email"].is_string(), "{err}");
    assert_eq!(app.count("SELECT uses FROM invites").await, 0);
}

#[rocket::async_test]
async fn registration_checks_every_field() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"email": "kim@example.org"})).await;
    let cases = [
        (json!({"password": "short"}), "password"),
        (json!({"password": "password1234"}), "password"),
        (json!({"username": "k"}), "username"),
        (json!({"email": "someone.else@example.org"}), "email"),
        (json!({"phone": "call me maybe"}), "phone"),
    ];
    for (change, field) in cases {
        let mut body = registration("kim", &token);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, err) = app.post_json("/api/v1/auth/register", body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{change}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, _) =
        app.post_json("/api/v1/auth/register", registration("kim", "no-such-token")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(
        app.post_json("/api/v1/auth/register", registration("kim", &token)).await.0,
        Status::Created
    );
}

#[rocket::async_test]
async fn an_expired_or_used_invitation_is_refused() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"expires_in_days": 1, "max_uses": 1})).await;
    assert_eq!(
        app.post_json("/api/v1/auth/register", registration("kim", &token)).await.0,
        Status::Created
    );
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    let (status, err) = app.post_json("/api/v1/auth/register", registration("lee", &token)).await;
    assert_eq!(status, Status::Forbidden, "used up");
    assert_eq!(err["error"]["message"], "This invite has expired or has already been used.");

    let token = invite(&app, json!({"expires_in_days": 1, "max_uses": 9})).await;
    app.advance(chrono::Duration::hours(25));
    assert_eq!(
        app.post_json("/api/v1/auth/register", registration("lee", &token)).await.0,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn concurrent_registrations_cannot_share_a_single_use_invitation() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"max_uses": 1})).await;
    let requests: Vec<_> = (0..10)
        .map(|n| {
            app.client
                .post("/api/v1/auth/register")
                .header(ContentType::JSON)
                .body(registration(&format!("racer{n}"), &token).to_string())
                .dispatch()
        })
        .collect();
    let responses: Vec<Status> = futures::future::join_all(requests)
        .await
        .iter()
        .map(rocket::local::asynchronous::LocalResponse::status)
        .collect();
    let created = responses.iter().filter(|s| **s == Status::Created).count();
    let refused = responses.iter().filter(|s| **s == Status::Forbidden).count();
    assert_eq!((created, refused), (1, 9), "{responses:?}");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE username LIKE 'racer%'").await, 1);
    assert_eq!(app.count("SELECT uses FROM invites").await, 1);
}

#[rocket::async_test]
async fn the_join_page_registers_and_explains_a_dead_link() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"email": "kim@example.org", "name": "Kim"})).await;
    let page = app.client.get(format!("/join/{token}")).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("Welcome, Kim"));
    assert!(html.contains("value=\"kim@example.org\""), "the email is filled in");
    let csrf = extract_csrf(&html).unwrap();

    let path = format!("/join/{token}");
    let bad = app
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("username", "kim"),
                ("email", "kim@example.org"),
                ("password", "too short"),
            ],
        )
        .await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);
    assert!(bad.into_string().await.unwrap().contains("Use at least 12 characters."));

    let ok = app
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("username", "kim"),
                ("email", "kim@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status(), Status::SeeOther);
    assert_eq!(ok.headers().get_one("Location"), Some("/onboarding"), "on to joining");
    assert_eq!(app.json("/api/v1/auth/session").await.1["username"], "kim");
    let wizard = app.client.get("/onboarding").dispatch().await.into_string().await.unwrap();
    assert!(wizard.contains("action=\"/onboarding/profile\""), "the profile form");

    let again = app.client.get(format!("/join/{token}")).dispatch().await;
    assert_eq!(again.status(), Status::Forbidden);
    assert!(again
        .into_string()
        .await
        .unwrap()
        .contains("This invite has expired or has already been used."));
    let without = app.client.get("/join").dispatch().await;
    assert_eq!(without.status(), Status::Forbidden);
    assert!(without
        .into_string()
        .await
        .unwrap()
        .contains("Registration is currently invite-only."));
}

#[rocket::async_test]
async fn registration_is_rate_limited_per_client() {
    let app = TestApp::spawn().await;
    set_mode(&app, "open").await;
    for n in 0..10 {
        let body = json!({"username": format!("user{n}"), "email": "bad", "password": PASSWORD});
        assert_eq!(
            app.post_json("/api/v1/auth/register", body).await.0,
            Status::UnprocessableEntity
        );
    }
    let body = json!({"username": "late", "email": "late@example.org", "password": PASSWORD});
    let (status, err) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(err["error"]["code"], "rate_limited");
}

#[rocket::async_test]
async fn a_personal_invitation_is_single_use_by_default() {
    let app = TestApp::spawn().await;
    let token = invite(&app, json!({"email": "kim@example.org"})).await;
    assert_eq!(
        app.post_json("/api/v1/auth/register", registration("kim", &token)).await.0,
        Status::Created
    );
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{token}")).await.0, Status::Forbidden);
}
