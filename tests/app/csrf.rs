//! CSRF: every HTML form POST needs the token, and cookie-authenticated API writes need a JSON
//! content type. A refused request changes nothing.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;

use crate::support::*;

#[rocket::async_test]
async fn a_login_form_without_a_valid_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let _ = app.csrf_token("/login").await;

    for token in [None, Some("forged"), Some("")] {
        let mut fields = vec![("login", "bob"), ("password", PASSWORD)];
        if let Some(t) = token {
            fields.push(("csrf_token", t));
        }
        let response = app.post_form("/login", &fields).await;
        assert_eq!(response.status(), Status::Forbidden, "token {token:?}");
        assert!(response.into_string().await.unwrap().contains("This form has expired"));
    }
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0, "the handler never ran");
}

#[rocket::async_test]
async fn a_token_from_another_browser_does_not_work() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let attacker_token = app.csrf_token("/login").await;

    // A second browser: its own cookie jar, same server.
    let victim = Client::tracked(clubroom::rocket_with(
        test_config(&app.data_dir()),
        clubroom::Runtime { print_setup_link: false, ..Default::default() },
    ))
    .await
    .unwrap();
    let _ = victim.get("/login").dispatch().await;
    let response = victim
        .post("/login")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &attacker_token),
            ("login", "bob"),
            ("password", PASSWORD),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_logout_post_without_the_token_leaves_the_session_alone() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let response = app.post_form("/logout", &[]).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok);
}

#[rocket::async_test]
async fn tokens_issued_before_login_stop_working_after_it() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let before = app.csrf_token("/login").await;
    app.login_as("bob").await;
    let response = app.post_form("/logout", &[("csrf_token", &before)]).await;
    assert_eq!(response.status(), Status::Forbidden, "tokens are bound to the session");
    let after = app.csrf_token("/home").await;
    assert_ne!(before, after);
    assert_eq!(
        app.post_form("/logout", &[("csrf_token", &after)]).await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn cookie_authenticated_api_writes_require_a_json_content_type() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;

    for content_type in [None, Some(ContentType::Form), Some(ContentType::Plain)] {
        let mut request = app.client.post("/api/v1/auth/logout");
        if let Some(ct) = content_type.clone() {
            request = request.header(ct);
        }
        let response = request.dispatch().await;
        assert_eq!(response.status(), Status::UnsupportedMediaType, "{content_type:?}");
        assert_eq!(body_json(response).await["error"]["code"], "json_required");
    }
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1, "still logged in");
}
