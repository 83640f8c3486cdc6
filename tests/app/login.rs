//! Password login by username or email, through the API and the pages.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Status};

use crate::support::*;

#[rocket::async_test]
async fn api_login_by_username_or_email_sets_a_session_cookie() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    for login in ["bob", "BOB@example.org"] {
        let response = app.api_login(login, PASSWORD).await;
        assert_eq!(response.status(), Status::Ok);
        let cookie = set_cookie(&response, "clubroom_session").expect("session cookie").to_string();
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"), "plain http base_url");
        assert_eq!(body_json(response).await, serde_json::json!({"message": "Login successful"}));
    }

    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["logged_in"], true);
    assert_eq!(session["username"], "bob");
    assert_eq!(session["roles"], serde_json::json!(["member"]));
    assert!(session["user_id"].as_i64().unwrap() > 0);
}

#[rocket::async_test]
async fn unknown_user_and_wrong_password_are_indistinguishable() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let passwords = app.ctx().passwords.clone();

    let before = passwords.verifications();
    let wrong = app.api_login("bob", "not the right password").await;
    let after_wrong = passwords.verifications();
    let (wrong_status, wrong_body) = (wrong.status(), wrong.into_string().await.unwrap());

    let unknown = app.api_login("nobody", "not the right password").await;
    let after_unknown = passwords.verifications();
    let (unknown_status, unknown_body) = (unknown.status(), unknown.into_string().await.unwrap());

    assert_eq!(wrong_status, Status::Unauthorized);
    assert_eq!(unknown_status, Status::Unauthorized);
    assert_eq!(wrong_body, unknown_body, "same body");
    let body: serde_json::Value = serde_json::from_str(&wrong_body).unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials");
    assert_eq!(after_wrong - before, 1, "one Argon2 verification for a wrong password");
    assert_eq!(after_unknown - after_wrong, 1, "and one for an unknown account");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'login_failed'").await, 2);
}

#[rocket::async_test]
async fn an_account_without_a_password_cannot_log_in() {
    let app = TestApp::spawn().await;
    let id = app.create_user("bob", &[Role::Member]).await;
    app.db()
        .write(move |tx| {
            Ok(tx.execute("UPDATE users SET password_hash = NULL WHERE id = ?1", [id])?)
        })
        .await
        .unwrap();
    let response = app.api_login("bob", "").await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let response = app.api_login("bob", "anything at all").await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn empty_and_malformed_login_bodies_are_rejected_with_the_field_named() {
    let app = TestApp::spawn().await;
    let response =
        app.client.post("/api/v1/auth/login").header(ContentType::JSON).body("{}").dispatch().await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let body = body_json(response).await;
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(body["error"]["fields"]["login"].is_string());
    assert!(body["error"]["fields"]["password"].is_string());

    let response = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::JSON)
        .body(r#"{"login": 7}"#)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(body_json(response).await["error"]["fields"]["login"].is_string());

    let response = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::JSON)
        .body(r#"{"login": "#)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(body_json(response).await["error"]["code"], "malformed_json");

    let response = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::Plain)
        .body(r#"{"login": "bob", "password": "x"}"#)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnsupportedMediaType, "a text/plain body is refused");
}

#[rocket::async_test]
async fn a_disabled_account_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user_with_status("carol", &[Role::Member], UserStatus::Disabled).await;
    let response = app.api_login("carol", PASSWORD).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(body_json(response).await["error"]["code"], "account_disabled");
    let response = app.api_login("carol", "wrong password here").await;
    assert_eq!(response.status(), Status::Unauthorized, "no hint without the right password");
}

#[rocket::async_test]
async fn logins_are_rate_limited_per_client() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 3).await;
    app.create_user("bob", &[Role::Member]).await;
    for _ in 0..3 {
        assert_eq!(
            app.api_login("bob", "wrong password here").await.status(),
            Status::Unauthorized
        );
    }
    let response = app.api_login("bob", PASSWORD).await;
    assert_eq!(response.status(), Status::TooManyRequests);
    assert!(response.headers().get_one("Retry-After").is_some());
    assert_eq!(body_json(response).await["error"]["code"], "rate_limited");

    let token = app.csrf_token("/login").await;
    let response = app
        .post_form("/login", &[("csrf_token", &token), ("login", "bob"), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), Status::TooManyRequests, "the page is limited too");
    assert!(response.into_string().await.unwrap().contains("Too many attempts"));
}

#[rocket::async_test]
async fn login_page_logs_in_and_follows_only_local_next_links() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    let page = app.client.get("/login?next=/admin").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("name=\"next\" value=\"&#x2F;admin\""), "next is carried (escaped)");
    let token = extract_csrf(&html).unwrap();

    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("login", "bob"),
                ("password", PASSWORD),
                ("next", "/home?tab=1"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/home?tab=1"));

    let home = app.client.get("/home").dispatch().await;
    assert_eq!(home.status(), Status::Ok);
    assert!(home.into_string().await.unwrap().contains("Hello, bob"));

    let other = TestApp::spawn().await;
    other.create_user("bob", &[Role::Member]).await;
    let token = other.csrf_token("/login").await;
    let response = other
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("login", "bob"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(response.headers().get_one("Location"), Some("/home"), "no open redirect");
}

#[rocket::async_test]
async fn login_page_shows_the_same_error_for_unknown_user_and_wrong_password() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let mut bodies = Vec::new();
    for login in ["bob", "nobody"] {
        let token = app.csrf_token("/login").await;
        let response = app
            .post_form(
                "/login",
                &[("csrf_token", &token), ("login", login), ("password", "wrong password here")],
            )
            .await;
        assert_eq!(response.status(), Status::Unauthorized);
        let html = response.into_string().await.unwrap();
        assert!(html.contains("Invalid login or password."));
        assert!(!html.contains("wrong password here"));
        bodies.push(html.replace(login, "LOGIN").replace(&token, "TOKEN"));
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[rocket::async_test]
async fn a_signed_in_visitor_is_sent_from_login_and_landing_to_home() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    assert_eq!(app.client.get("/").dispatch().await.status(), Status::Ok);
    app.login_as("bob").await;
    let response = app.client.get("/login").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/home"));
    let response = app.client.get("/").dispatch().await;
    assert_eq!(response.headers().get_one("Location"), Some("/home"));
}

#[rocket::async_test]
async fn a_made_up_ip_header_does_not_dodge_the_rate_limit() {
    let app = TestApp::spawn_with(|c| c.login_attempts_per_minute = 2).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let body =
            serde_json::json!({"login": "bob", "password": "wrong password here"}).to_string();
        let response = app
            .client
            .post("/api/v1/auth/login")
            .header(ContentType::JSON)
            .header(rocket::http::Header::new("X-Real-IP", format!("10.0.0.{n}")))
            .header(rocket::http::Header::new("X-Forwarded-For", format!("10.0.1.{n}")))
            .body(body)
            .dispatch()
            .await;
        statuses.push(response.status());
    }
    assert_eq!(statuses, vec![Status::Unauthorized, Status::Unauthorized, Status::TooManyRequests]);
}

#[rocket::async_test]
async fn behind_a_configured_proxy_each_client_address_has_its_own_limit() {
    let app = TestApp::spawn_with(|c| {
        c.login_attempts_per_minute = 1;
        c.ip_header = "X-Real-IP".into();
    })
    .await;
    for n in 0..3 {
        let body =
            serde_json::json!({"login": "bob", "password": "wrong password here"}).to_string();
        let response = app
            .client
            .post("/api/v1/auth/login")
            .header(ContentType::JSON)
            .header(rocket::http::Header::new("X-Real-IP", format!("192.0.2.{n}")))
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Unauthorized, "client {n}");
    }
}

/// On a listener bound to `::`, IPv4 clients arrive as `::ffff:a.b.c.d`: each must still count
/// as itself, for the login limit and in what the server records about it.
#[test]
fn on_a_dual_stack_listener_each_ipv4_client_has_its_own_login_limit() {
    use crate::real_server::{prepare_data_dir, Binary, Request};
    use std::net::Ipv4Addr;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare_data_dir(&data, &["ann".to_string()]);
    let binary = Binary::new(&data, &[("ADDRESS", "::"), ("LOGIN_ATTEMPTS_PER_MINUTE", "10")]);
    let server = binary.start_healthy();
    let login = |from: Ipv4Addr, name: &str, password: &str| {
        let body = serde_json::json!({"login": name, "password": password});
        Request::new("POST", "/api/v1/auth/token").from(from).json(&body).send(server.port).unwrap()
    };
    let first = Ipv4Addr::new(127, 0, 0, 1);
    let second = Ipv4Addr::new(127, 0, 0, 2);
    // A different made-up name each time, so no account's own failure limit is reached.
    let statuses: Vec<u16> =
        (0..11).map(|n| login(first, &format!("nobody{n}"), "wrong password").status).collect();
    assert_eq!(statuses.last(), Some(&429), "the first client is limited: {statuses:?}");

    let reply = login(second, "ann", PASSWORD);
    assert_eq!(reply.status, 200, "another client is not: {}", reply.body);
    let token = reply.json()["access_token"].as_str().unwrap().to_string();
    let devices = Request::new("GET", "/api/v1/auth/sessions").bearer(&token).send(server.port);
    let devices = devices.unwrap().json();
    assert_eq!(devices["tokens"][0]["ip"], "127.0.0.2", "recorded as itself: {devices}");
}

#[rocket::async_test]
async fn behind_a_proxy_that_writes_ipv4_clients_as_ipv6_each_has_its_own_limit() {
    let app = TestApp::spawn_with(|c| {
        c.login_attempts_per_minute = 1;
        c.ip_header = "X-Real-IP".into();
    })
    .await;
    for n in 0..3 {
        let body =
            serde_json::json!({"login": "bob", "password": "wrong password here"}).to_string();
        let response = app
            .client
            .post("/api/v1/auth/login")
            .header(ContentType::JSON)
            .header(rocket::http::Header::new("X-Real-IP", format!("::ffff:192.0.2.{n}")))
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Unauthorized, "client {n}");
    }
}
