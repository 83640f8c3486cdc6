//! Emailed secrets: the second-factor code after a password, sign-in links (and their codes),
//! and password resets, through the API and the pages.

use chrono::Duration;
use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

const MAGIC_SENT: &str = "If that email belongs to an account, a sign-in link has been sent to it.";
const RESET_SENT: &str = "If that email is registered, a reset link has been sent.";
const MAGIC_PREFIX: &str = "http://127.0.0.1:8000/auth/magic/";
const RESET_PREFIX: &str = "http://127.0.0.1:8000/reset/";
const NEW_PASSWORD: &str = "green teapot under the stairs";

/// Posts JSON and returns the status, the raw body and whether a session cookie was set.
async fn post_raw(app: &TestApp, path: &str, body: Value) -> (Status, String, bool) {
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    let sets_session = set_cookie(&response, "clubroom_session").is_some();
    (status, response.into_string().await.unwrap_or_default(), sets_session)
}

/// The username of the session the client holds, if any.
async fn signed_in_as(app: &TestApp) -> Option<String> {
    let (status, body) = app.json("/api/v1/auth/session").await;
    (status == Status::Ok).then(|| body["username"].as_str().unwrap_or_default().to_string())
}

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

/// Sets the club's second-factor policy as the admin `admin` (created when missing).
async fn set_policy(app: &TestApp, policy: &str) {
    if app.count("SELECT count(*) FROM users WHERE username = 'admin'").await == 0 {
        app.create_user("admin", &[Role::Admin, Role::Member]).await;
    }
    app.login_as("admin").await;
    let (status, body) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"two_factor_policy": policy}))
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    logout(app).await;
}

/// Whether a correct password login of `username` is answered with a challenge. A login that
/// is not challenged is logged out again.
async fn challenged(app: &TestApp, username: &str) -> bool {
    let response = app.api_login(username, PASSWORD).await;
    assert_eq!(response.status(), Status::Ok, "login as {username}");
    let body = body_json(response).await;
    if body["two_factor_required"] == true {
        return true;
    }
    assert_eq!(body, json!({"message": "Login successful"}));
    logout(app).await;
    false
}

/// Starts a password login that must be challenged; returns the challenge and the emailed code.
async fn start_challenge(app: &TestApp, username: &str) -> (String, String) {
    let response = app.api_login(username, PASSWORD).await;
    assert_eq!(response.status(), Status::Ok);
    let body = body_json(response).await;
    assert_eq!(body["two_factor_required"], true, "{body}");
    let challenge = body["challenge"].as_str().expect("challenge").to_string();
    let code = app.last_code(&format!("{username}@example.org")).await;
    (challenge, code)
}

async fn verify_code(app: &TestApp, challenge: &str, code: &str) -> (Status, Value) {
    app.post_json("/api/v1/auth/login/verify", json!({"challenge": challenge, "code": code})).await
}

/// A code of the same shape that differs from `code` in every character.
fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '9' => '0',
            'Z' => 'A',
            '0'..='8' | 'A'..='Y' => (c as u8 + 1) as char,
            other => other,
        })
        .collect()
}

/// The value of the hidden input `name` in a page.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in page")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

async fn request_magic_link(app: &TestApp, email: &str) -> Status {
    app.post_json("/api/v1/auth/magic-link", json!({"email": email})).await.0
}

/// The token and the code in the newest sign-in email to `to`.
async fn magic_email(app: &TestApp, to: &str) -> (String, String) {
    let mail = app.emails_to(to).await;
    let last = mail.last().unwrap_or_else(|| panic!("no email to {to}"));
    let link = extract_link(&last.text, MAGIC_PREFIX).expect("sign-in link");
    let token = link.trim_start_matches(MAGIC_PREFIX).to_string();
    assert!(!token.is_empty());
    (token, app.last_code(to).await)
}

async fn request_reset(app: &TestApp, email: &str) -> Status {
    app.post_json("/api/v1/auth/password/forgot", json!({"email": email})).await.0
}

/// The token in the newest reset email to `to`.
async fn reset_token(app: &TestApp, to: &str) -> String {
    let mail = app.emails_to(to).await;
    let last = mail.last().unwrap_or_else(|| panic!("no email to {to}"));
    let link = extract_link(&last.text, RESET_PREFIX).expect("reset link");
    link.trim_start_matches(RESET_PREFIX).to_string()
}

async fn reset_with(app: &TestApp, token: &str, password: &str) -> (Status, Value) {
    app.post_json("/api/v1/auth/password/reset", json!({"token": token, "new_password": password}))
        .await
}

/// The status of `GET /api/v1/auth/check` with `Authorization: <bearer>`.
async fn bearer_check(app: &TestApp, bearer: &str) -> Status {
    let header = Header::new("Authorization", bearer.to_string());
    app.client.get("/api/v1/auth/check").header(header).dispatch().await.status()
}

// ----- second factor -----

#[rocket::async_test]
async fn an_admin_password_login_is_finished_with_an_emailed_six_digit_code() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;

    // Act: the password step
    let (status, body, sets_session) =
        post_raw(&app, "/api/v1/auth/login", json!({"login": "admin", "password": PASSWORD})).await;

    // Assert: a challenge and no session yet
    assert_eq!(status, Status::Ok);
    assert!(!sets_session, "no session cookie before the code");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["two_factor_required"], true);
    let challenge = body["challenge"].as_str().expect("challenge").to_string();
    assert!(!challenge.is_empty());
    assert_eq!(body["methods"], json!(["email_code"]), "the emailed code answers it: {body}");
    assert_eq!(body.as_object().unwrap().len(), 3, "the flag, the challenge, the methods: {body}");
    assert_eq!(signed_in_as(&app).await, None);

    let mail = app.emails_to("admin@example.org").await;
    assert_eq!(mail.len(), 1);
    let code = app.last_code("admin@example.org").await;
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()), "{code}");
    assert!(mail[0].html.contains(&code));

    // Act: the code step
    let (status, body, sets_session) =
        post_raw(&app, "/api/v1/auth/login/verify", json!({"challenge": challenge, "code": code}))
            .await;

    // Assert
    assert_eq!(status, Status::Ok);
    assert!(sets_session);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"message": "Login successful"})
    );
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
}

#[rocket::async_test]
async fn the_club_policy_and_the_members_own_choice_decide_who_is_challenged() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    app.create_user("bob", &[Role::Member]).await;

    assert!(challenged(&app, "admin").await, "admins are challenged by default");
    assert!(!challenged(&app, "bob").await, "members are not under 'admins'");

    set_policy(&app, "everyone").await;
    assert!(challenged(&app, "bob").await, "members are under 'everyone'");

    set_policy(&app, "off").await;
    assert!(!challenged(&app, "admin").await, "nobody is under 'off'");
    assert!(!challenged(&app, "bob").await);

    // A member turns login codes on for themselves.
    app.login_as("bob").await;
    let (status, body) =
        app.send_json(Method::Put, "/api/v1/auth/two-factor", json!({"enabled": true})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["message"], "Login codes are on");
    logout(&app).await;

    assert!(challenged(&app, "bob").await, "their own choice holds even under 'off'");
    assert!(!challenged(&app, "admin").await);
    app.login_as("bob").await;
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));
}

#[rocket::async_test]
async fn wrong_codes_are_refused_and_the_fifth_one_kills_the_challenge() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin]).await;
    let (challenge, code) = start_challenge(&app, "admin").await;

    // Act + Assert: four wrong codes still leave the right one usable
    for _ in 0..4 {
        let (status, body, sets_session) = post_raw(
            &app,
            "/api/v1/auth/login/verify",
            json!({"challenge": challenge, "code": wrong(&code)}),
        )
        .await;
        assert_eq!(status, Status::BadRequest);
        assert!(!sets_session);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "invalid_code");
    }
    assert_eq!(signed_in_as(&app).await, None);
    assert_eq!(verify_code(&app, &challenge, &code).await.0, Status::Ok);
    logout(&app).await;
    app.advance(Duration::seconds(61)); // past the per-minute verification limit

    // Five wrong codes, then even the right code fails.
    let (challenge, code) = start_challenge(&app, "admin").await;
    for _ in 0..5 {
        let (status, body) = verify_code(&app, &challenge, &wrong(&code)).await;
        assert_eq!(status, Status::BadRequest);
        assert_eq!(body["error"]["code"], "invalid_code");
    }
    let (status, body) = verify_code(&app, &challenge, &code).await;
    assert_eq!(status, Status::BadRequest, "{body}");
    assert_eq!(body["error"]["code"], "invalid_code");
    assert_eq!(signed_in_as(&app).await, None);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'two_factor_failed'").await,
        9,
        "every wrong code is audited"
    );
}

#[rocket::async_test]
async fn a_second_factor_code_lasts_ten_minutes_and_works_once() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin]).await;

    // An expired code
    let (challenge, code) = start_challenge(&app, "admin").await;
    app.advance(Duration::minutes(11));
    let (status, body) = verify_code(&app, &challenge, &code).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_code");
    assert_eq!(signed_in_as(&app).await, None);

    // A code still in time works, but only once
    let (challenge, code) = start_challenge(&app, "admin").await;
    app.advance(Duration::minutes(9));
    assert_eq!(verify_code(&app, &challenge, &code).await.0, Status::Ok);
    logout(&app).await;
    let (status, body) = verify_code(&app, &challenge, &code).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_code");
    assert_eq!(signed_in_as(&app).await, None);
}

#[rocket::async_test]
async fn the_login_page_asks_for_the_code_and_then_signs_in() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin]).await;
    let token = app.csrf_token("/login").await;

    // Act: the password form
    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("login", "admin"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;

    // Assert: the code form, not a session
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, "clubroom_session").is_none());
    let html = response.into_string().await.unwrap();
    assert!(html.contains("name=\"challenge\""));
    assert!(html.contains("action=\"/login/verify\""));
    let challenge = hidden_value(&html, "challenge");
    let token = extract_csrf(&html).expect("csrf on the code form");
    assert_eq!(signed_in_as(&app).await, None);
    let code = app.last_code("admin@example.org").await;

    // Act: the code form
    let response = app
        .post_form(
            "/login/verify",
            &[
                ("csrf_token", &token),
                ("challenge", &challenge),
                ("code", &code),
                ("next", "/account"),
            ],
        )
        .await;

    // Assert
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/account"));
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
}

#[rocket::async_test]
async fn the_code_form_without_next_goes_home_and_refuses_a_wrong_code() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin]).await;
    let token = app.csrf_token("/login").await;
    let html = app
        .post_form("/login", &[("csrf_token", &token), ("login", "admin"), ("password", PASSWORD)])
        .await
        .into_string()
        .await
        .unwrap();
    let challenge = hidden_value(&html, "challenge");
    let token = extract_csrf(&html).unwrap();
    let code = app.last_code("admin@example.org").await;

    let response = app
        .post_form(
            "/login/verify",
            &[("csrf_token", &token), ("challenge", &challenge), ("code", &wrong(&code))],
        )
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(signed_in_as(&app).await, None);

    let response = app
        .post_form(
            "/login/verify",
            &[("csrf_token", &token), ("challenge", &challenge), ("code", &code)],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/home"));
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
}

// ----- sign-in links -----

#[rocket::async_test]
async fn a_sign_in_link_request_answers_the_same_for_known_and_unknown_emails() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // Act
    let known =
        post_raw(&app, "/api/v1/auth/magic-link", json!({"email": "bob@example.org"})).await;
    let unknown =
        post_raw(&app, "/api/v1/auth/magic-link", json!({"email": "nobody@example.org"})).await;

    // Assert
    assert_eq!(known.0, Status::Ok);
    assert_eq!(unknown.0, Status::Ok);
    assert_eq!(known.1, unknown.1, "same body");
    assert_eq!(serde_json::from_str::<Value>(&known.1).unwrap(), json!({"message": MAGIC_SENT}));
    assert!(!known.2 && !unknown.2, "asking signs nobody in");

    let mail = app.emails().await;
    assert_eq!(mail.len(), 1, "only the known address gets an email");
    assert_eq!(mail[0].to, "bob@example.org");
    let (token, code) = magic_email(&app, "bob@example.org").await;
    assert!(token.len() >= 20, "{token}");
    assert_eq!(code.len(), 6);
    assert!(mail[0].html.contains(&code));
    assert!(unescape(&mail[0].html).contains(&format!("{MAGIC_PREFIX}{token}")));
    assert_eq!(signed_in_as(&app).await, None);
}

#[rocket::async_test]
async fn opening_a_sign_in_link_asks_to_confirm_and_the_link_signs_in_once() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    assert_eq!(request_magic_link(&app, "bob@example.org").await, Status::Ok);
    let (token, _) = magic_email(&app, "bob@example.org").await;
    let path = format!("/auth/magic/{token}");

    // Act: opening the link
    let page = app.client.get(path.clone()).dispatch().await;

    // Assert: a confirmation, nobody signed in yet
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("Log in as bob"));
    assert_eq!(signed_in_as(&app).await, None);
    let csrf = extract_csrf(&html).expect("csrf on the confirm page");

    // Act: confirming
    let response = app.post_form(&path, &[("csrf_token", &csrf)]).await;

    // Assert
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/home"));
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));

    // The link is spent.
    let csrf = app.csrf_token("/home").await;
    let again = app.post_form(&path, &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status(), Status::BadRequest);
    let html = again.into_string().await.unwrap();
    assert!(html.contains("This code or link is wrong, has expired or was already used."));
    assert_eq!(app.client.get(path).dispatch().await.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn the_api_signs_in_with_a_link_token_once_or_with_the_emailed_code() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // The token from the link
    request_magic_link(&app, "bob@example.org").await;
    let (token, _) = magic_email(&app, "bob@example.org").await;
    let (status, body, sets_session) =
        post_raw(&app, "/api/v1/auth/magic-link/verify", json!({"token": token})).await;
    assert_eq!(status, Status::Ok);
    assert!(sets_session);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"message": "Login successful"})
    );
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));
    logout(&app).await;

    let (status, body) =
        app.post_json("/api/v1/auth/magic-link/verify", json!({"token": token})).await;
    assert_eq!(status, Status::BadRequest, "a link works once");
    assert_eq!(body["error"]["code"], "invalid_code");
    assert_eq!(signed_in_as(&app).await, None);

    // The email address and the code instead
    request_magic_link(&app, "bob@example.org").await;
    let (token, code) = magic_email(&app, "bob@example.org").await;
    let proof = json!({"email": "bob@example.org", "code": code});
    let (status, body) = app.post_json("/api/v1/auth/magic-link/verify", proof.clone()).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));
    logout(&app).await;

    let (status, body) = app.post_json("/api/v1/auth/magic-link/verify", proof).await;
    assert_eq!(status, Status::BadRequest, "a code works once");
    assert_eq!(body["error"]["code"], "invalid_code");
    let (status, _) =
        app.post_json("/api/v1/auth/magic-link/verify", json!({"token": token})).await;
    assert_eq!(status, Status::BadRequest, "the link of a used code is spent too");
    assert_eq!(signed_in_as(&app).await, None);
}

#[rocket::async_test]
async fn wrong_sign_in_codes_count_and_the_fifth_kills_the_code() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // Four wrong codes leave the right one usable.
    request_magic_link(&app, "bob@example.org").await;
    let (_, code) = magic_email(&app, "bob@example.org").await;
    for _ in 0..4 {
        let (status, body) = app
            .post_json(
                "/api/v1/auth/magic-link/verify",
                json!({"email": "bob@example.org", "code": wrong(&code)}),
            )
            .await;
        assert_eq!(status, Status::BadRequest);
        assert_eq!(body["error"]["code"], "invalid_code");
    }
    let right = json!({"email": "bob@example.org", "code": code});
    assert_eq!(app.post_json("/api/v1/auth/magic-link/verify", right).await.0, Status::Ok);
    logout(&app).await;
    app.advance(Duration::seconds(61)); // past the per-minute verification limit

    // Five wrong codes, then even the right one fails.
    request_magic_link(&app, "bob@example.org").await;
    let (_, code) = magic_email(&app, "bob@example.org").await;
    for _ in 0..5 {
        let (status, _) = app
            .post_json(
                "/api/v1/auth/magic-link/verify",
                json!({"email": "bob@example.org", "code": wrong(&code)}),
            )
            .await;
        assert_eq!(status, Status::BadRequest);
    }
    let right = json!({"email": "bob@example.org", "code": code});
    let (status, body) = app.post_json("/api/v1/auth/magic-link/verify", right).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_code");
    assert_eq!(signed_in_as(&app).await, None);
}

#[rocket::async_test]
async fn sign_in_links_expire_after_sixty_minutes() {
    // Arrange: two links sent at the same time
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    request_magic_link(&app, "bob@example.org").await;
    let (first, _) = magic_email(&app, "bob@example.org").await;
    request_magic_link(&app, "bob@example.org").await;
    let (second, code) = magic_email(&app, "bob@example.org").await;
    assert_ne!(first, second);

    // Act + Assert: within the hour a link works
    app.advance(Duration::minutes(59));
    let (status, body) =
        app.post_json("/api/v1/auth/magic-link/verify", json!({"token": first})).await;
    assert_eq!(status, Status::Ok, "{body}");
    logout(&app).await;

    // after it, neither the link nor its code nor the page does
    app.advance(Duration::minutes(2));
    let (status, body) =
        app.post_json("/api/v1/auth/magic-link/verify", json!({"token": second})).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_code");
    let proof = json!({"email": "bob@example.org", "code": code});
    assert_eq!(app.post_json("/api/v1/auth/magic-link/verify", proof).await.0, Status::BadRequest);
    let page = app.client.get(format!("/auth/magic/{second}")).dispatch().await;
    assert_eq!(page.status(), Status::BadRequest);
    assert_eq!(signed_in_as(&app).await, None);
}

#[rocket::async_test]
async fn sign_in_link_requests_are_limited_to_three_per_hour_per_email() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;

    for _ in 0..3 {
        assert_eq!(request_magic_link(&app, "bob@example.org").await, Status::Ok);
    }
    let response = app
        .client
        .post("/api/v1/auth/magic-link")
        .header(ContentType::JSON)
        .body(json!({"email": "bob@example.org"}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::TooManyRequests);
    assert!(response.headers().get_one("Retry-After").is_some());
    assert_eq!(body_json(response).await["error"]["code"], "rate_limited");
    assert_eq!(
        request_magic_link(&app, " BOB@Example.org ").await,
        Status::TooManyRequests,
        "the same address written differently"
    );
    assert_eq!(request_magic_link(&app, "carol@example.org").await, Status::Ok, "per email");
    assert_eq!(app.emails_to("bob@example.org").await.len(), 3);
    assert_eq!(app.emails_to("carol@example.org").await.len(), 1);

    app.advance(Duration::minutes(61));
    assert_eq!(request_magic_link(&app, "bob@example.org").await, Status::Ok);
}

#[rocket::async_test]
async fn a_disabled_account_gets_neither_a_sign_in_link_nor_a_reset_link() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user_with_status("carol", &[Role::Member], UserStatus::Disabled).await;

    // Act
    let magic =
        post_raw(&app, "/api/v1/auth/magic-link", json!({"email": "carol@example.org"})).await;
    let reset =
        post_raw(&app, "/api/v1/auth/password/forgot", json!({"email": "carol@example.org"})).await;

    // Assert: the usual answers, but no email
    assert_eq!(magic.0, Status::Ok);
    assert_eq!(serde_json::from_str::<Value>(&magic.1).unwrap(), json!({"message": MAGIC_SENT}));
    assert_eq!(reset.0, Status::Ok);
    assert_eq!(serde_json::from_str::<Value>(&reset.1).unwrap(), json!({"message": RESET_SENT}));
    assert!(app.emails().await.is_empty());
}

// ----- password reset -----

#[rocket::async_test]
async fn a_password_reset_sets_the_new_password_and_ends_every_session() {
    // Arrange: bob holds API tokens and a browser session
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (status, pair) =
        app.post_json("/api/v1/auth/token", json!({"login": "bob", "password": PASSWORD})).await;
    assert_eq!(status, Status::Ok, "{pair}");
    let bearer = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    assert_eq!(bearer_check(&app, &bearer).await, Status::Ok);
    app.login_as("bob").await;
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));

    // Act: ask for a link, for bob and for an unknown address
    let known =
        post_raw(&app, "/api/v1/auth/password/forgot", json!({"email": "bob@example.org"})).await;
    let unknown =
        post_raw(&app, "/api/v1/auth/password/forgot", json!({"email": "nobody@example.org"}))
            .await;

    // Assert: the same answer, one email
    assert_eq!(known.0, Status::Ok);
    assert_eq!(unknown.0, Status::Ok);
    assert_eq!(known.1, unknown.1);
    assert_eq!(serde_json::from_str::<Value>(&known.1).unwrap(), json!({"message": RESET_SENT}));
    let mail = app.emails().await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "bob@example.org");
    let token = reset_token(&app, "bob@example.org").await;
    assert!(!token.is_empty());

    // Act: reset
    let (status, body) = reset_with(&app, &token, NEW_PASSWORD).await;

    // Assert
    assert_eq!(status, Status::Ok, "{body}");
    assert!(body["message"].is_string());
    assert_eq!(signed_in_as(&app).await, None, "the browser session ended");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(bearer_check(&app, &bearer).await, Status::Unauthorized, "the API tokens too");
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Unauthorized);
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));
}

#[rocket::async_test]
async fn a_reset_link_works_once_and_expires_after_sixty_minutes() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // Once
    request_reset(&app, "bob@example.org").await;
    let token = reset_token(&app, "bob@example.org").await;
    assert_eq!(reset_with(&app, &token, NEW_PASSWORD).await.0, Status::Ok);
    let (status, body) = reset_with(&app, &token, "another long passphrase here").await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_token");
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok, "unchanged");
    logout(&app).await;

    // Expiry
    request_reset(&app, "bob@example.org").await;
    let token = reset_token(&app, "bob@example.org").await;
    app.advance(Duration::minutes(59));
    assert_eq!(app.client.get(format!("/reset/{token}")).dispatch().await.status(), Status::Ok);
    app.advance(Duration::minutes(2));
    assert_eq!(
        app.client.get(format!("/reset/{token}")).dispatch().await.status(),
        Status::BadRequest
    );
    let (status, body) = reset_with(&app, &token, "another long passphrase here").await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "invalid_token");
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_weak_new_password_is_refused_without_spending_the_link() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    request_reset(&app, "bob@example.org").await;
    let token = reset_token(&app, "bob@example.org").await;

    // Act
    let (status, body) = reset_with(&app, &token, "short").await;

    // Assert
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(body["error"]["fields"]["new_password"].is_string(), "{body}");
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Ok, "password unchanged");
    logout(&app).await;
    assert_eq!(reset_with(&app, &token, NEW_PASSWORD).await.0, Status::Ok, "the link still works");
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_forgot_and_reset_pages_walk_through_a_reset() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // Asking for the link
    let page = app.client.get("/forgot").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let csrf = extract_csrf(&page.into_string().await.unwrap()).unwrap();
    let response =
        app.post_form("/forgot", &[("csrf_token", &csrf), ("email", "bob@example.org")]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/login"));
    let login = app.client.get("/login").dispatch().await.into_string().await.unwrap();
    assert!(login.contains(RESET_SENT), "the message is shown on the login page");
    let token = reset_token(&app, "bob@example.org").await;
    let path = format!("/reset/{token}");

    // The form
    let page = app.client.get(path.clone()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("name=\"new_password\""));
    assert!(html.contains("name=\"new_password_confirm\""));
    let csrf = extract_csrf(&html).unwrap();

    // Two different passwords
    let response = app
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", "green teapot under the chair"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("The two passwords do not match."));
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Ok, "nothing changed");
    logout(&app).await;

    // The same password twice
    let csrf = app.csrf_token(&path).await;
    let response = app
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/login"));
    let login = app.client.get("/login").dispatch().await.into_string().await.unwrap();
    assert!(login.contains("Your password has been reset"));
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Unauthorized);
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn reset_requests_are_limited_to_three_per_hour_per_email() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    for _ in 0..3 {
        assert_eq!(request_reset(&app, "bob@example.org").await, Status::Ok);
    }
    let (status, body) =
        app.post_json("/api/v1/auth/password/forgot", json!({"email": "bob@example.org"})).await;
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(request_reset(&app, "someone@example.org").await, Status::Ok, "per email");

    let csrf = app.csrf_token("/forgot").await;
    let response =
        app.post_form("/forgot", &[("csrf_token", &csrf), ("email", "bob@example.org")]).await;
    assert_eq!(response.status(), Status::TooManyRequests, "the page shares the limit");
    assert_eq!(app.emails_to("bob@example.org").await.len(), 3);

    app.advance(Duration::minutes(61));
    assert_eq!(request_reset(&app, "bob@example.org").await, Status::Ok);
}

/// Subjects show on lock screens and in notification previews: a code there would let anyone
/// who glances at the phone sign in.
#[rocket::async_test]
async fn no_emailed_code_is_in_its_subject() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    set_policy(&app, "everyone").await;
    start_challenge(&app, "bob").await;
    assert_eq!(request_magic_link(&app, "bob@example.org").await, Status::Ok);
    let emails = app.emails_to("bob@example.org").await;
    assert!(emails.len() >= 2, "a second-factor code and a sign-in link were sent");
    for email in emails {
        let code = email.text.lines().map(str::trim).find(|l| {
            l.len() == 6 && l.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
        let code = code.unwrap_or_else(|| panic!("a code in {}", email.text));
        assert!(!email.subject.contains(code), "{}: {}", email.subject, email.text);
    }
}
