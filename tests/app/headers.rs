//! Security headers on every response, HSTS and Secure cookies under https.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Status};

use crate::support::*;

fn assert_security_headers(response: &rocket::local::asynchronous::LocalResponse<'_>, what: &str) {
    let h = response.headers();
    let csp = h.get_one("Content-Security-Policy").unwrap_or_else(|| panic!("{what}: CSP"));
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: no inline script or style");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}");
    assert_eq!(h.get_one("X-Frame-Options"), Some("DENY"), "{what}");
    assert_eq!(h.get_one("X-Content-Type-Options"), Some("nosniff"), "{what}");
    assert_eq!(h.get_one("Referrer-Policy"), Some("same-origin"), "{what}");
    assert!(h.get_one("X-Request-Id").is_some(), "{what}");
    assert!(h.get_one("Server").is_none(), "{what}: no server banner");
}

#[rocket::async_test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    for path in [
        "/",
        "/login",
        "/health",
        "/assets/css/app.css",
        "/nowhere",
        "/api/v1/nowhere",
        "/api/v1/auth/session",
        "/admin",
    ] {
        let response = app.client.get(path).dispatch().await;
        assert_security_headers(&response, path);
        assert!(
            response.headers().get_one("Strict-Transport-Security").is_none(),
            "no HSTS over http"
        );
    }
    let response = app.api_login("bob", "wrong password here").await;
    assert_security_headers(&response, "failed login");
}

#[rocket::async_test]
async fn pages_are_not_cached_but_assets_are() {
    let app = TestApp::spawn().await;
    let page = app.client.get("/login").dispatch().await;
    assert_eq!(page.headers().get_one("Cache-Control"), Some("no-store"));
    let asset = app.client.get("/assets/css/app.css").dispatch().await;
    assert!(asset.headers().get_one("Cache-Control").unwrap().contains("max-age"));
}

#[rocket::async_test]
async fn https_base_url_turns_on_hsts_and_secure_cookies() {
    let app = TestApp::spawn_with(|c| c.base_url = "https://club.example.org".into()).await;
    app.create_user("bob", &[Role::Member]).await;
    let response = app.client.get("/login").dispatch().await;
    assert!(response.headers().get_one("Strict-Transport-Security").unwrap().contains("max-age="));
    assert!(set_cookie(&response, "clubroom_csrf").unwrap().contains("Secure"));
    let body = serde_json::json!({"login": "bob", "password": PASSWORD}).to_string();
    let response =
        app.client.post("/api/v1/auth/login").header(ContentType::JSON).body(body).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, "clubroom_session").unwrap().contains("Secure"));
}

/// The attributes of the `_flash` cookie a redirect to the login page sets.
async fn flash_cookie(app: &TestApp) -> String {
    let response = app.client.get("/home").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    set_cookie(&response, "_flash").expect("a flash message").to_string()
}

#[rocket::async_test]
async fn the_flash_cookie_is_http_only_and_lax_and_secure_under_https() {
    let app = TestApp::spawn_with(|c| c.base_url = "https://club.example.org".into()).await;
    let cookie = flash_cookie(&app).await;
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    let shown = app.client.get("/login").dispatch().await;
    let page = shown.into_string().await.unwrap();
    assert!(page.contains("Please log in to continue."), "the message still shows");

    let app = TestApp::spawn().await;
    let cookie = flash_cookie(&app).await;
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http cannot keep a Secure cookie: {cookie}");
}
