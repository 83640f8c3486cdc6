//! A rate limit belongs to the use case, not to the address it was reached by: the JSON API,
//! the pages and the gift exchange's own sign-in spend one allowance, and every way in checks
//! the same rules.

use clubroom::accounts::model::Role;
use rocket::http::Status;
use serde_json::json;

use crate::support::*;

/// Spends the client's allowance of code and link checks (10 a minute) through the API.
async fn spend_the_verify_allowance(app: &TestApp) {
    for _ in 0..10 {
        let (status, _) =
            app.post_json("/api/v1/auth/refresh", json!({"refresh_token": "not-a-token"})).await;
        assert_eq!(status, Status::Unauthorized);
    }
    let (status, body) =
        app.post_json("/api/v1/auth/refresh", json!({"refresh_token": "not-a-token"})).await;
    assert_eq!(status, Status::TooManyRequests, "{body}");
}

#[rocket::async_test]
async fn every_way_to_spend_a_code_or_link_shares_one_allowance() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let csrf = app.csrf_token("/login").await;
    spend_the_verify_allowance(&app).await;

    // A sign-in link confirmed on its page, the gift exchange's sign-in, a reset and a claim
    // through their forms: each is refused before anything is looked up.
    let form = [("csrf_token", csrf.as_str())];
    let response = app.post_form("/auth/magic/some-token", &form).await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let form = [("csrf_token", csrf.as_str()), ("token", "some-token")];
    let response = app.post_form("/exchange/access", &form).await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let form = [("csrf_token", csrf.as_str()), ("new_password", "a long new password")];
    let response = app.post_form("/reset/some-token", &form).await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Too many attempts"), "the reset form again, with the reason: {html}");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("email", "bob@example.org"),
        ("code", "ABC123"),
        ("password", "a long new password"),
    ];
    assert_eq!(app.post_form("/claim", &form).await.status(), Status::TooManyRequests);
}

#[rocket::async_test]
async fn a_reset_confirmation_that_differs_is_refused_by_the_api_as_by_the_page() {
    let app = TestApp::spawn().await;
    let body = json!({
        "token": "some-token",
        "new_password": "a long new password",
        "new_password_confirm": "another long password",
    });
    let (status, answer) = app.post_json("/api/v1/auth/password/reset", body).await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert!(answer["error"]["fields"]["new_password_confirm"].is_string(), "{answer}");
}
