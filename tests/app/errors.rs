//! Error shapes: JSON under /api, pages elsewhere, and nothing internal ever shown.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Status};

use crate::support::*;

#[rocket::async_test]
async fn api_errors_have_one_shape() {
    let app = TestApp::spawn().await;
    let (status, body) = app.json("/api/v1/no/such/route").await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["fields"].is_object());

    let response =
        app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    assert_eq!(body_json(response).await["error"]["code"], "unauthenticated");
}

#[rocket::async_test]
async fn unknown_pages_get_the_404_page() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/no/such/page").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("/assets/css/app.css"), "error pages use the site layout");
}

#[rocket::async_test]
async fn an_internal_failure_is_an_opaque_500() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.exec("DROP TABLE audit_log").await;

    let response = app.api_login("bob", PASSWORD).await;
    assert_eq!(response.status(), Status::InternalServerError);
    let body = response.into_string().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "internal_error");
    for leak in ["audit_log", "no such table", "SQL", "rusqlite", "panicked"] {
        assert!(!body.contains(leak), "{leak} leaked: {body}");
    }

    let token = app.csrf_token("/login").await;
    let response = app
        .post_form("/login", &[("csrf_token", &token), ("login", "bob"), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), Status::InternalServerError);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Something went wrong"));
    assert!(!html.contains("audit_log") && !html.contains("no such table"));
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        0,
        "the failed login was rolled back"
    );
}

#[rocket::async_test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let big = format!(r#"{{"login": "{}", "password": "x"}}"#, "a".repeat(2 * 1024 * 1024));
    let response =
        app.client.post("/api/v1/auth/login").header(ContentType::JSON).body(big).dispatch().await;
    assert_eq!(response.status(), Status::PayloadTooLarge);
    assert_eq!(body_json(response).await["error"]["code"], "payload_too_large");
}
