//! CSRF: every HTML form POST needs the token, and cookie-authenticated API writes need a JSON
//! content type. A refused request changes nothing. The form routes are read from the built
//! application, so a new form is covered as soon as it is mounted.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status};
use rocket::local::asynchronous::Client;

use crate::access_matrix::World;
use crate::attackers::*;
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

#[rocket::async_test]
async fn a_forged_post_is_refused_as_forged_even_when_its_fields_are_wrong() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    // The agreement form requires a title and a body; this post has neither.
    let forged = answered(app.post_form("/admin/agreement", &[]).await).await;
    assert_eq!(forged.status, Status::Forbidden);
    assert!(forged.html.contains("This form has expired"), "the token is checked first");
    let token = app.csrf_token("/admin/agreement").await;
    let honest = app.post_form("/admin/agreement", &[("csrf_token", &token)]).await;
    assert_eq!(honest.status(), Status::UnprocessableEntity, "with the token, the fields count");
    assert_eq!(app.count("SELECT count(*) FROM agreements").await, 0);
}

/// Form routes that take a POST without the CSRF token, on purpose. There are none: every
/// HTML form goes through `CsrfForm`, including the sign-in and sign-up forms (login CSRF).
const CSRF_FREE_BY_DESIGN: &[(Method, &str)] = &[];

#[rocket::async_test]
async fn every_form_route_refuses_a_post_without_its_token_or_with_another_browsers() {
    let app = TestApp::spawn().await;
    // Real records behind every id, and an admin, whom no other guard stops: only the token
    // stands between each form and its handler.
    let world = World::build(&app).await;
    let admin = &world.admin;
    let other_member = Browser::signed_in(&app, "mal").await;
    let visitor = Browser::anonymous(&app).await;
    settle(&app).await;
    let mut before = snapshot(&app).await;

    let form_routes: Vec<(Method, String)> = mounted_routes(&app)
        .into_iter()
        .filter(|(method, path, _)| {
            !matches!(method, Method::Get | Method::Head | Method::Options) && !is_api(path)
        })
        .filter(|(method, path, _)| !CSRF_FREE_BY_DESIGN.contains(&(*method, path.as_str())))
        .map(|(method, path, _)| (method, path))
        .collect();
    assert!(form_routes.len() > 100, "{} form routes", form_routes.len());

    let tokens = [
        ("no token", None),
        ("an empty token", Some(String::new())),
        ("another member's token", Some(other_member.csrf_token.clone())),
        ("a logged-out browser's token", Some(visitor.csrf_token.clone())),
    ];
    let mut failures = Vec::new();
    for (method, route) in &form_routes {
        let (path, fields) = world.form_for(*method, route, admin);
        for (what, token) in &tokens {
            let mut sent = fields.clone();
            if let Some(token) = token {
                sent.insert(0, ("csrf_token".into(), token.clone()));
            }
            let payload = Payload::Form { fields: sent, bare: true };
            let reply = admin.send(&app, *method, &path, payload).await;
            if reply.status != Status::Forbidden || !reply.body.contains("This form has expired") {
                let body: String = reply.body.chars().take(200).collect();
                failures.push(format!("{method} {path} with {what}: {} {body}", reply.status));
            }
            settle(&app).await;
            let after = snapshot(&app).await;
            let changed = changes(&before, &after);
            if !changed.is_empty() {
                failures.push(format!("{method} {path} with {what} changed: {changed:?}"));
                before = after;
            }
        }
    }
    assert!(failures.is_empty(), "{} posts went through:\n{}", failures.len(), failures.join("\n"));
}
