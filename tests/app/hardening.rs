//! Attacks and edge cases found in review: each test names the hole it keeps closed.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Status};
use serde_json::json;

use crate::support::*;

#[rocket::async_test]
async fn the_first_login_after_a_session_expires_is_not_refused_as_a_stale_form() {
    let app = TestApp::spawn_with(|c| c.session_idle_minutes = 10).await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    app.advance(chrono::Duration::minutes(11));

    let home = app.client.get("/home").dispatch().await;
    assert_eq!(home.status(), Status::SeeOther);
    let token = app.csrf_token("/login?next=/home").await;
    let response = app
        .post_form("/login", &[("csrf_token", &token), ("login", "bob"), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), Status::SeeOther, "not a 403 'form expired'");
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok);
}

#[rocket::async_test]
async fn a_next_path_that_is_no_valid_uri_falls_back_to_home_instead_of_failing() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    for (n, next) in ["/a b", "/caf\u{e9}", "/x\"onmouseover"].into_iter().enumerate() {
        // Signed in after the first round, the page with a form is the account page.
        let token = app.csrf_token(if n == 0 { "/login" } else { "/account" }).await;
        let fields = [
            ("csrf_token", token.as_str()),
            ("login", "bob"),
            ("password", PASSWORD),
            ("next", next),
        ];
        let response = app.post_form("/login", &fields).await;
        assert_eq!(response.status(), Status::SeeOther, "{next:?}");
        assert_eq!(response.headers().get_one("Location"), Some("/home"), "{next:?}");
    }
    assert_eq!(app.client.get("/login?next=%2Fa%20b").dispatch().await.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn email_requests_refuse_what_is_not_an_address_before_anything_is_kept() {
    let app = TestApp::spawn().await;
    let huge = format!("{}@example.org", "x".repeat(100_000));
    for path in
        ["/api/v1/auth/password/forgot", "/api/v1/auth/magic-link", "/api/v1/auth/claim/request"]
    {
        for email in [huge.as_str(), "not an address", ""] {
            let (status, err) = app.post_json(path, json!({ "email": email })).await;
            assert_eq!(status, Status::UnprocessableEntity, "{path}");
            assert!(err["error"]["fields"]["email"].is_string());
        }
    }
    assert_eq!(app.ctx().limits.forgot_email.tracked_keys(), 0, "nothing kept for junk");
    assert_eq!(app.ctx().limits.magic_email.tracked_keys(), 0);
}

#[rocket::async_test]
async fn one_client_cannot_ask_for_endless_emails_by_varying_the_address() {
    let app = TestApp::spawn().await;
    for n in 0..10 {
        let (status, _) = app
            .post_json(
                "/api/v1/auth/password/forgot",
                json!({ "email": format!("p{n}@example.org") }),
            )
            .await;
        assert_eq!(status, Status::Ok);
    }
    let (status, _) =
        app.post_json("/api/v1/auth/magic-link", json!({ "email": "p99@example.org" })).await;
    assert_eq!(status, Status::TooManyRequests, "10 email requests a minute per client");
}

#[rocket::async_test]
async fn wrong_second_factor_codes_count_against_the_account_across_new_challenges() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Admin]).await;
    let mut last = Status::Ok;
    for round in 0..6 {
        if round == 3 {
            app.advance(chrono::Duration::seconds(61)); // stay under the per-client code limit
        }
        let response = app.api_login("ann", PASSWORD).await;
        if response.status() == Status::TooManyRequests {
            last = Status::TooManyRequests;
            break;
        }
        let body = body_json(response).await;
        let challenge = body["challenge"].as_str().expect("a challenge").to_string();
        let (status, _) = app
            .post_json(
                "/api/v1/auth/login/verify",
                json!({"challenge": challenge, "code": "000000"}),
            )
            .await;
        last = status;
    }
    assert_eq!(
        last,
        Status::TooManyRequests,
        "five wrong codes lock the account like five wrong passwords"
    );
    app.advance(chrono::Duration::minutes(16));
    app.login_as("ann").await;
}

#[rocket::async_test]
async fn a_new_login_retires_the_code_of_the_previous_challenge() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Admin]).await;
    let first = body_json(app.api_login("ann", PASSWORD).await).await;
    let first_code = app.last_code("ann@example.org").await;
    let _second = body_json(app.api_login("ann", PASSWORD).await).await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/login/verify",
            json!({"challenge": first["challenge"], "code": first_code}),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn a_token_challenge_cannot_be_finished_on_the_login_page() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Admin]).await;
    let (_, body) =
        app.post_json("/api/v1/auth/token", json!({"login": "ann", "password": PASSWORD})).await;
    let challenge = body["challenge"].as_str().unwrap().to_string();
    let code = app.last_code("ann@example.org").await;
    let csrf = app.csrf_token("/login").await;
    let page = app
        .post_form(
            "/login/verify",
            &[("csrf_token", &csrf), ("challenge", &challenge), ("code", &code)],
        )
        .await;
    assert_eq!(page.status(), Status::BadRequest, "refused, not a 500");
    let (status, pair) = app
        .post_json("/api/v1/auth/login/verify", json!({"challenge": challenge, "code": code}))
        .await;
    assert_eq!(status, Status::Ok, "and not used up: {pair}");
    assert!(pair["access_token"].is_string());
}

#[rocket::async_test]
async fn email_flows_match_addresses_only_never_usernames() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (status, _) = app.post_json("/api/v1/auth/password/forgot", json!({"email": "bob"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    app.post_json("/api/v1/auth/password/forgot", json!({"email": "BOB@example.org"})).await;
    let mail = app.emails().await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "bob@example.org", "sent to the stored address");
}

#[rocket::async_test]
async fn a_proxys_basic_authorization_header_does_not_lock_visitors_out() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get("/login")
        .header(rocket::http::Header::new("Authorization", "Basic Ym9iOnBhc3N3b3Jk"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let bearer_logout = app
        .client
        .post("/api/v1/auth/logout")
        .header(ContentType::JSON)
        .header(rocket::http::Header::new("Authorization", "Bearer nonsense"))
        .dispatch()
        .await;
    assert_eq!(bearer_logout.status(), Status::Unauthorized);
}
