//! Server-side sessions: logout, renewal on login, idle and absolute timeouts, and the guards
//! that answer a missing or wrong session.

use chrono::Duration;
use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Cookie, Status};

use crate::support::*;

fn session_cookie(app: &TestApp) -> String {
    app.client.cookies().get("clubroom_session").expect("session cookie").value().to_string()
}

#[rocket::async_test]
async fn api_logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let stolen = session_cookie(&app);

    let response =
        app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(body_json(response).await["message"], "Logged out");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);

    let (status, body) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body, serde_json::json!({"logged_in": false}));

    // The old cookie, replayed, opens nothing.
    let replay = app
        .client
        .get("/api/v1/auth/session")
        .cookie(Cookie::new("clubroom_session", stolen))
        .dispatch()
        .await;
    assert_eq!(replay.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn the_logout_button_ends_the_session() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let home = app.client.get("/home").dispatch().await.into_string().await.unwrap();
    assert!(home.contains("action=\"/logout\""), "every page has a logout button");
    let token = extract_csrf(&home).unwrap();

    let response = app.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/"));
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    let home = app.client.get("/home").dispatch().await;
    assert_eq!(home.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn logging_in_again_replaces_the_previous_session() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let first = session_cookie(&app);
    app.login_as("bob").await;
    let second = session_cookie(&app);
    assert_ne!(first, second, "a login always issues a fresh token");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);
}

#[rocket::async_test]
async fn session_tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let token = session_cookie(&app);
    let stored: Vec<u8> = app
        .db()
        .read(|tx| Ok(tx.query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(stored, clubroom::crypto::token_hash(&token));
}

#[rocket::async_test]
async fn an_idle_session_expires() {
    let app = TestApp::spawn_with(|c| {
        c.session_idle_minutes = 30;
        c.session_absolute_minutes = 600;
    })
    .await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;

    app.advance(Duration::minutes(29));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok, "still within the idle limit");
    app.advance(Duration::minutes(29));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok, "activity renewed it");
    app.advance(Duration::minutes(31));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0, "expired rows are deleted");
}

#[rocket::async_test]
async fn a_session_ends_at_its_absolute_limit_however_active() {
    let app = TestApp::spawn_with(|c| {
        c.session_idle_minutes = 30;
        c.session_absolute_minutes = 90;
    })
    .await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    for _ in 0..4 {
        app.advance(Duration::minutes(20));
        assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok);
    }
    app.advance(Duration::minutes(11));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn an_expired_session_sends_pages_to_login_with_a_note() {
    let app = TestApp::spawn_with(|c| c.session_idle_minutes = 10).await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    app.advance(Duration::minutes(11));

    let response = app.client.get("/home").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/login?next=/home"));
    let login = app.client.get("/login?next=/home").dispatch().await.into_string().await.unwrap();
    assert!(login.contains("Your session has expired"));

    let api = app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    assert_eq!(api.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn the_purge_job_deletes_expired_sessions() {
    let app = TestApp::spawn_with(|c| c.session_idle_minutes = 10).await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    app.advance(Duration::minutes(11));
    let ctx = app.ctx();
    let (sessions, _) =
        app.db().call(move |c| clubroom::accounts::sessions::purge_expired(c, &ctx)).await.unwrap();
    assert_eq!(sessions, 1);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[rocket::async_test]
async fn pages_need_a_login_and_admin_pages_need_the_admin_role() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("ann", &[Role::Admin]).await;

    let response = app.client.get("/admin").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/login?next=/admin"));

    app.login_as("bob").await;
    let response = app.client.get("/admin").dispatch().await;
    assert_eq!(response.status(), Status::Forbidden);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("for club admins"));
    assert!(html.contains("Log out"), "the error page knows who is signed in");

    app.login_as("ann").await;
    let response = app.client.get("/admin").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Background jobs"));
    assert!(html.contains("email outbox"));
}

#[rocket::async_test]
async fn a_garbage_session_cookie_is_anonymous_on_public_pages_and_401_on_the_api() {
    let app = TestApp::spawn().await;
    let bogus = Cookie::new("clubroom_session", "not-a-real-token");
    let login = app.client.get("/login").cookie(bogus.clone()).dispatch().await;
    assert_eq!(login.status(), Status::Ok, "the login page stays reachable");
    let api = app.client.get("/api/v1/auth/session").cookie(bogus.clone()).dispatch().await;
    assert_eq!(api.status(), Status::Unauthorized);
    let logout = app
        .client
        .post("/api/v1/auth/logout")
        .header(ContentType::JSON)
        .cookie(bogus)
        .dispatch()
        .await;
    assert_eq!(logout.status(), Status::Unauthorized);
    assert_eq!(body_json(logout).await["error"]["code"], "session_expired");
}

#[rocket::async_test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let app = TestApp::spawn().await;
    let id = app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    app.db()
        .write(
            move |tx| Ok(tx.execute("UPDATE users SET status = 'disabled' WHERE id = ?1", [id])?),
        )
        .await
        .unwrap();
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[rocket::async_test]
async fn a_known_session_skips_the_database_until_something_it_depends_on_changes() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let cache = app.ctx().sessions.clone();

    let (status, first) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    let hits = cache.hits();
    let (_, again) = app.json("/api/v1/auth/session").await;
    assert_eq!(again, first);
    assert_eq!(cache.hits(), hits + 1, "the second request was answered from memory");

    // A role given by any write is seen by the very next request.
    app.exec("INSERT INTO user_roles (user_id, role) SELECT id, 'coach' FROM users WHERE username = 'bob'")
        .await;
    let (_, changed) = app.json("/api/v1/auth/session").await;
    assert!(changed["roles"].as_array().unwrap().iter().any(|r| r == "coach"), "{changed}");

    // So is the end of the session, however it ends.
    app.json("/api/v1/auth/session").await;
    app.exec("DELETE FROM sessions").await;
    let (status, _) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_remembered_session_still_expires_when_idle() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    app.json("/api/v1/auth/session").await;
    app.json("/api/v1/auth/session").await;
    app.advance(Duration::minutes(app.config.session_idle_minutes) + Duration::seconds(1));
    let (status, body) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Unauthorized, "{body}");
}
