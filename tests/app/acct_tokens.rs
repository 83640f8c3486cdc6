//! API tokens (bearer access tokens, rotating refresh tokens), the member's own devices, and
//! password change: what each one ends and what it leaves alone.

use chrono::Duration;
use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Cookie, Header, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

const SESSION: &str = "clubroom_session";
const NEW_PASSWORD: &str = "green teapot by the window";

/// Who a request comes from: a browser session (its cookie) or an API client (a bearer token).
#[derive(Clone, Copy)]
enum As<'a> {
    Browser(&'a str),
    Bearer(&'a str),
}

/// Sends a request as `who`; writes say `Content-Type: application/json`.
async fn call(app: &TestApp, method: Method, path: &str, who: As<'_>) -> (Status, Value) {
    let mut request = app.client.req(method, path.to_string());
    if method != Method::Get {
        request = request.header(ContentType::JSON);
    }
    request = match who {
        As::Browser(token) => request.cookie(Cookie::new(SESSION, token.to_string())),
        As::Bearer(token) => request.header(bearer(token)),
    };
    let response = request.dispatch().await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

/// The status `GET /api/v1/auth/check` answers `who`.
async fn check(app: &TestApp, who: As<'_>) -> Status {
    call(app, Method::Get, "/api/v1/auth/check", who).await.0
}

/// `POST /api/v1/auth/token` for a member without a second factor: (access, refresh).
async fn issue_tokens(app: &TestApp, login: &str) -> (String, String) {
    let (status, body) =
        app.post_json("/api/v1/auth/token", json!({"login": login, "password": PASSWORD})).await;
    assert_eq!(status, Status::Ok, "tokens for {login}: {body}");
    let text = |key: &str| body[key].as_str().unwrap_or_else(|| panic!("{key} in {body}"));
    (text("access_token").to_string(), text("refresh_token").to_string())
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (Status, Value) {
    app.post_json("/api/v1/auth/refresh", json!({ "refresh_token": refresh_token })).await
}

/// Logs `username` in as a new browser, leaving every existing session alone; returns the
/// session token that browser's cookie holds.
async fn new_browser(app: &TestApp, username: &str) -> String {
    let body = json!({"login": username, "password": PASSWORD}).to_string();
    let response = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::JSON)
        // A cookie of its own, so the client's tracked session (if any) is not replaced.
        .cookie(Cookie::new(SESSION, "a-browser-with-no-session-yet"))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok, "login as {username}");
    let header = set_cookie(&response, SESSION).expect("session cookie").to_string();
    Cookie::parse(header).expect("cookie").value().to_string()
}

/// The database id of the session behind a session token.
async fn session_id(app: &TestApp, token: &str) -> i64 {
    let hash = clubroom::crypto::token_hash(token);
    app.db()
        .read(move |tx| {
            Ok(tx
                .query_row("SELECT id FROM sessions WHERE token_hash = ?1", [hash], |r| r.get(0))?)
        })
        .await
        .unwrap()
}

/// The family an API token belongs to.
async fn family_of(app: &TestApp, token: &str) -> String {
    let hash = clubroom::crypto::token_hash(token);
    app.db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT family FROM api_tokens WHERE token_hash = ?1",
                [hash],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

// ----- bearer tokens -----

#[rocket::async_test]
async fn a_member_trades_a_password_for_a_token_pair_that_works_without_a_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    let bob = app.create_user("bob", &[Role::Member]).await;

    // Act
    let body = json!({"login": "bob", "password": PASSWORD}).to_string();
    let response =
        app.client.post("/api/v1/auth/token").header(ContentType::JSON).body(body).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, SESSION).is_none(), "tokens, not a session cookie");
    let pair = body_json(response).await;

    // Assert
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().expect("access token");
    let refresh_token = pair["refresh_token"].as_str().expect("refresh token");
    assert_ne!(access, refresh_token);
    assert!(app.client.cookies().get(SESSION).is_none());
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 2, "one access, one refresh");

    let response = app.client.get("/api/v1/auth/check").header(bearer(access)).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let checked = body_json(response).await;
    assert_eq!(checked["authenticated"], true);
    assert_eq!(checked["user"]["username"], "bob");
    assert_eq!(checked["user"]["user_id"], bob);
    assert_eq!(checked["user"]["roles"], json!(["member"]));

    let (status, session) =
        call(&app, Method::Get, "/api/v1/auth/session", As::Bearer(access)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["username"], "bob");
    assert_eq!(session["logged_in"], true);
}

#[rocket::async_test]
async fn missing_or_invalid_credentials_are_401_and_a_bad_bearer_is_never_anonymous() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    // Act
    let (anonymous, anonymous_body) = app.json("/api/v1/auth/check").await;
    let (garbage, garbage_body) =
        call(&app, Method::Get, "/api/v1/auth/check", As::Bearer("not-a-real-token")).await;
    let (session, session_body) =
        call(&app, Method::Get, "/api/v1/auth/session", As::Bearer("not-a-real-token")).await;
    let basic = app
        .client
        .get("/api/v1/auth/session")
        .header(Header::new("Authorization", "Basic Ym9iOnBhc3N3b3Jk"))
        .dispatch()
        .await;
    let (basic_status, basic_body) = (basic.status(), body_json(basic).await);
    // A valid session cookie does not rescue a bad bearer token sent with it.
    let browser = new_browser(&app, "bob").await;
    let both = app
        .client
        .get("/api/v1/auth/check")
        .cookie(Cookie::new(SESSION, browser.clone()))
        .header(bearer("not-a-real-token"))
        .dispatch()
        .await;
    let (both_status, both_body) = (both.status(), body_json(both).await);

    // Assert
    assert_eq!(anonymous, Status::Unauthorized);
    assert_eq!(anonymous_body["error"]["code"], "unauthenticated");
    assert_eq!(garbage, Status::Unauthorized);
    assert_eq!(garbage_body["error"]["code"], "invalid_token");
    assert_eq!(session, Status::Unauthorized, "a bad bearer is not an anonymous visitor");
    assert_eq!(session_body["error"]["code"], "invalid_token");
    assert_eq!(basic_status, Status::Unauthorized);
    assert_eq!(
        basic_body,
        json!({"logged_in": false}),
        "another scheme (a proxy's Basic auth) is not our credential: the request is anonymous"
    );
    assert_eq!(both_status, Status::Unauthorized);
    assert_eq!(both_body["error"]["code"], "invalid_token");
    assert_eq!(check(&app, As::Browser(&browser)).await, Status::Ok, "the session is untouched");
}

#[rocket::async_test]
async fn logging_out_with_a_bearer_token_revokes_only_that_token_family() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    let (other_access, other_refresh) = issue_tokens(&app, "bob").await;

    // Act
    let (status, body) = call(&app, Method::Post, "/api/v1/auth/logout", As::Bearer(&access)).await;

    // Assert
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["message"], "Logged out");
    let (status, body) = call(&app, Method::Get, "/api/v1/auth/check", As::Bearer(&access)).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "invalid_token");
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(status, Status::Unauthorized, "the refresh token goes with its family");
    assert_eq!(body["error"]["code"], "invalid_token");

    assert_eq!(check(&app, As::Bearer(&other_access)).await, Status::Ok, "another app stays");
    assert_eq!(refresh(&app, &other_refresh).await.0, Status::Ok);
}

#[rocket::async_test]
async fn cookie_api_writes_need_json_but_bearer_writes_do_not() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let browser = new_browser(&app, "bob").await;
    let (access, _) = issue_tokens(&app, "bob").await;

    // Act
    let by_cookie = app
        .client
        .post("/api/v1/auth/logout")
        .cookie(Cookie::new(SESSION, browser.clone()))
        .dispatch()
        .await;
    let (cookie_status, cookie_body) = (by_cookie.status(), body_json(by_cookie).await);
    let by_bearer = app.client.post("/api/v1/auth/logout").header(bearer(&access)).dispatch().await;
    let (bearer_status, bearer_body) = (by_bearer.status(), body_json(by_bearer).await);

    // Assert
    assert_eq!(cookie_status, Status::UnsupportedMediaType);
    assert_eq!(cookie_body["error"]["code"], "json_required");
    assert_eq!(check(&app, As::Browser(&browser)).await, Status::Ok, "the session survived");
    assert_eq!(bearer_status, Status::Ok, "no CSRF check for a bearer token: {bearer_body}");
    assert_eq!(bearer_body["message"], "Logged out");
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Unauthorized);
}

// ----- expiry and rotation -----

#[rocket::async_test]
async fn an_access_token_expires_after_fifteen_minutes_and_the_refresh_token_renews_it() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    app.advance(Duration::minutes(14));
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Ok, "still valid at 14 minutes");

    // Act
    app.advance(Duration::minutes(2));
    let (expired, expired_body) =
        call(&app, Method::Get, "/api/v1/auth/check", As::Bearer(&access)).await;
    let (status, pair) = refresh(&app, &refresh_token).await;

    // Assert
    assert_eq!(expired, Status::Unauthorized);
    assert_eq!(expired_body["error"]["code"], "invalid_token");
    assert_eq!(status, Status::Ok, "{pair}");
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let new_access = pair["access_token"].as_str().unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh_token);
    assert_eq!(check(&app, As::Bearer(new_access)).await, Status::Ok);
    assert_eq!(family_of(&app, new_access).await, family_of(&app, &access).await, "same family");

    // The new refresh token rotates in turn.
    let (status, again) = refresh(&app, new_refresh).await;
    assert_eq!(status, Status::Ok, "{again}");
    assert_eq!(check(&app, As::Bearer(again["access_token"].as_str().unwrap())).await, Status::Ok);
}

#[rocket::async_test]
async fn a_used_refresh_token_is_refused_and_reusing_it_revokes_the_whole_family() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (_, first_refresh) = issue_tokens(&app, "bob").await;
    let (other_access, other_refresh) = issue_tokens(&app, "bob").await;
    let (status, pair) = refresh(&app, &first_refresh).await;
    assert_eq!(status, Status::Ok);
    let newest_access = pair["access_token"].as_str().unwrap().to_string();
    let newest_refresh = pair["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(check(&app, As::Bearer(&newest_access)).await, Status::Ok);

    // Act: someone replays the refresh token that was already traded in.
    let (status, body) = refresh(&app, &first_refresh).await;

    // Assert
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "invalid_token");
    assert_eq!(
        check(&app, As::Bearer(&newest_access)).await,
        Status::Unauthorized,
        "the newest access token dies with its family"
    );
    let (status, body) = refresh(&app, &newest_refresh).await;
    assert_eq!(status, Status::Unauthorized, "so does the newest refresh token");
    assert_eq!(body["error"]["code"], "invalid_token");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'token_reuse_detected'").await,
        1
    );
    assert_eq!(check(&app, As::Bearer(&other_access)).await, Status::Ok, "other families stay");
    assert_eq!(refresh(&app, &other_refresh).await.0, Status::Ok);
}

#[rocket::async_test]
async fn a_refresh_token_lasts_seven_days_whatever_the_session_timeouts() {
    // Arrange: browser sessions would be long gone after an hour.
    let app = TestApp::spawn_with(|c| {
        c.session_idle_minutes = 10;
        c.session_absolute_minutes = 60;
    })
    .await;
    app.create_user("bob", &[Role::Member]).await;
    let (_, first_refresh) = issue_tokens(&app, "bob").await;

    // Act
    app.advance(Duration::days(7) - Duration::minutes(1));
    let (kept, pair) = refresh(&app, &first_refresh).await;
    app.advance(Duration::days(7) + Duration::minutes(1));
    let late_refresh = pair["refresh_token"].as_str().unwrap_or_default();
    let (late, late_body) = refresh(&app, late_refresh).await;

    // Assert
    assert_eq!(kept, Status::Ok, "one minute short of seven days: {pair}");
    assert_eq!(late, Status::Unauthorized, "seven days after its issue the refresh token is dead");
    assert_eq!(late_body["error"]["code"], "invalid_token");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'token_reuse_detected'").await,
        0,
        "expiry is not theft"
    );
}

#[rocket::async_test]
async fn a_disabled_members_tokens_stop_working() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Ok);

    // Act
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'bob'").await;

    // Assert
    let (status, body) = call(&app, Method::Get, "/api/v1/auth/check", As::Bearer(&access)).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "invalid_token");
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "invalid_token");
    let (status, body) =
        app.post_json("/api/v1/auth/token", json!({"login": "bob", "password": PASSWORD})).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(body["error"]["code"], "account_disabled");
}

#[rocket::async_test]
async fn an_admin_gets_api_tokens_only_after_the_emailed_code() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Admin, Role::Member]).await;

    // Act
    let (status, challenge) =
        app.post_json("/api/v1/auth/token", json!({"login": "ann", "password": PASSWORD})).await;
    assert_eq!(status, Status::Ok, "{challenge}");
    assert_eq!(challenge["two_factor_required"], true);
    assert!(challenge.get("access_token").is_none(), "no token before the code");
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
    let code = app.last_code("ann@example.org").await;
    let body = json!({"challenge": challenge["challenge"], "code": code}).to_string();
    let response = app
        .client
        .post("/api/v1/auth/login/verify")
        .header(ContentType::JSON)
        .body(body)
        .dispatch()
        .await;

    // Assert
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, SESSION).is_none(), "a token login sets no cookie");
    let pair = body_json(response).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    let access = pair["access_token"].as_str().expect("access token");
    let (status, checked) = call(&app, Method::Get, "/api/v1/auth/check", As::Bearer(access)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(checked["user"]["username"], "ann");
    assert_eq!(checked["user"]["roles"], json!(["admin", "member"]));
    assert!(pair["refresh_token"].is_string());
}

// ----- devices -----

#[rocket::async_test]
async fn the_devices_list_marks_the_callers_own_session_or_token_family() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let (access, _) = issue_tokens(&app, "bob").await;
    new_browser(&app, "carol").await;
    issue_tokens(&app, "carol").await;
    let (laptop_id, phone_id) = (session_id(&app, &laptop).await, session_id(&app, &phone).await);
    let family = family_of(&app, &access).await;

    // Act
    let (by_cookie, seen_by_laptop) =
        call(&app, Method::Get, "/api/v1/auth/sessions", As::Browser(&laptop)).await;
    let (by_bearer, seen_by_app) =
        call(&app, Method::Get, "/api/v1/auth/sessions", As::Bearer(&access)).await;

    // Assert
    assert_eq!(by_cookie, Status::Ok, "{seen_by_laptop}");
    let sessions = seen_by_laptop["sessions"].as_array().expect("sessions");
    let mut ids: Vec<String> = sessions.iter().map(|s| s["id"].as_str().unwrap().into()).collect();
    ids.sort();
    let mut expected = vec![laptop_id.to_string(), phone_id.to_string()];
    expected.sort();
    assert_eq!(ids, expected, "only bob's own sessions");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], laptop_id.to_string());
    assert_eq!(seen_by_laptop["tokens"].as_array().expect("tokens").len(), 1);
    assert_eq!(seen_by_laptop["tokens"][0]["id"], family.as_str());
    assert_eq!(seen_by_laptop["tokens"][0]["current"], false);

    assert_eq!(by_bearer, Status::Ok, "{seen_by_app}");
    assert_eq!(seen_by_app["tokens"][0]["id"], family.as_str());
    assert_eq!(seen_by_app["tokens"][0]["current"], true);
    assert!(seen_by_app["sessions"].as_array().unwrap().iter().all(|s| s["current"] == false));
}

#[rocket::async_test]
async fn a_member_ends_their_other_session_but_gets_404_for_someone_elses() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let carols = new_browser(&app, "carol").await;
    let (phone_id, carols_id) = (session_id(&app, &phone).await, session_id(&app, &carols).await);

    // Act
    let (foreign, foreign_body) = call(
        &app,
        Method::Delete,
        &format!("/api/v1/auth/sessions/{carols_id}"),
        As::Browser(&laptop),
    )
    .await;
    let (unknown, _) =
        call(&app, Method::Delete, "/api/v1/auth/sessions/999999", As::Browser(&laptop)).await;
    let (own, own_body) = call(
        &app,
        Method::Delete,
        &format!("/api/v1/auth/sessions/{phone_id}"),
        As::Browser(&laptop),
    )
    .await;

    // Assert
    assert_eq!(foreign, Status::NotFound, "{foreign_body}");
    assert_eq!(unknown, Status::NotFound);
    assert_eq!(check(&app, As::Browser(&carols)).await, Status::Ok, "carol is still signed in");
    assert_eq!(own, Status::Ok, "{own_body}");
    assert_eq!(own_body["message"], "Session ended");
    assert_eq!(check(&app, As::Browser(&laptop)).await, Status::Ok, "this session stays");
    assert_eq!(check(&app, As::Browser(&phone)).await, Status::Unauthorized);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 2, "bob's laptop and carol");
}

#[rocket::async_test]
async fn a_member_revokes_their_own_token_family_but_gets_404_for_someone_elses() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    let (carols_access, carols_refresh) = issue_tokens(&app, "carol").await;
    let (family, carols_family) =
        (family_of(&app, &access).await, family_of(&app, &carols_access).await);

    // Act
    let (foreign, foreign_body) = call(
        &app,
        Method::Delete,
        &format!("/api/v1/auth/tokens/{carols_family}"),
        As::Browser(&laptop),
    )
    .await;
    let (unknown, _) =
        call(&app, Method::Delete, "/api/v1/auth/tokens/no-such-family", As::Browser(&laptop))
            .await;
    let (own, own_body) =
        call(&app, Method::Delete, &format!("/api/v1/auth/tokens/{family}"), As::Browser(&laptop))
            .await;

    // Assert
    assert_eq!(foreign, Status::NotFound, "{foreign_body}");
    assert_eq!(unknown, Status::NotFound);
    assert_eq!(check(&app, As::Bearer(&carols_access)).await, Status::Ok);
    assert_eq!(refresh(&app, &carols_refresh).await.0, Status::Ok);
    assert_eq!(own, Status::Ok, "{own_body}");
    assert_eq!(own_body["message"], "Token revoked");
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Unauthorized);
    assert_eq!(refresh(&app, &refresh_token).await.0, Status::Unauthorized);
    assert_eq!(check(&app, As::Browser(&laptop)).await, Status::Ok, "the browser stays");
    let (_, devices) = call(&app, Method::Get, "/api/v1/auth/sessions", As::Browser(&laptop)).await;
    assert_eq!(devices["tokens"], json!([]), "the revoked app is no longer listed");
}

#[rocket::async_test]
async fn logging_out_everywhere_ends_every_session_and_token_including_this_one() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    let carols = new_browser(&app, "carol").await;
    let (carols_access, _) = issue_tokens(&app, "carol").await;

    // Act
    let (status, body) =
        call(&app, Method::Post, "/api/v1/auth/sessions/revoke-all", As::Browser(&laptop)).await;

    // Assert
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["message"], "Logged out everywhere");
    assert_eq!(check(&app, As::Browser(&laptop)).await, Status::Unauthorized, "this one too");
    assert_eq!(check(&app, As::Browser(&phone)).await, Status::Unauthorized);
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Unauthorized);
    assert_eq!(refresh(&app, &refresh_token).await.0, Status::Unauthorized);
    assert_eq!(check(&app, As::Browser(&carols)).await, Status::Ok, "other members unaffected");
    assert_eq!(check(&app, As::Bearer(&carols_access)).await, Status::Ok);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'logged_out_everywhere'").await,
        1
    );
}

// ----- password change -----

#[rocket::async_test]
async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let (access, _) = issue_tokens(&app, "bob").await;
    let change = |current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new}).to_string();
        app.client
            .post("/api/v1/auth/password/change")
            .header(ContentType::JSON)
            .cookie(Cookie::new(SESSION, laptop.clone()))
            .body(body)
            .dispatch()
    };

    // Act
    let wrong = change("not my password at all", NEW_PASSWORD).await;
    let (wrong_status, wrong_body) = (wrong.status(), body_json(wrong).await);
    let common = change(PASSWORD, "password1234").await;
    let (common_status, common_body) = (common.status(), body_json(common).await);
    let short = change(PASSWORD, "short").await;
    let (short_status, short_body) = (short.status(), body_json(short).await);

    // Assert
    assert_eq!(wrong_status, Status::Unauthorized);
    assert_eq!(wrong_body["error"]["code"], "invalid_credentials");
    assert_eq!(common_status, Status::UnprocessableEntity);
    assert!(common_body["error"]["fields"]["new_password"].is_string(), "{common_body}");
    assert_eq!(short_status, Status::UnprocessableEntity);
    assert!(short_body["error"]["fields"]["new_password"].is_string(), "{short_body}");
    assert_eq!(check(&app, As::Browser(&phone)).await, Status::Ok, "other sessions untouched");
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Ok, "tokens untouched");
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Ok, "old password kept");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'password_changed'").await,
        0
    );
}

#[rocket::async_test]
async fn changing_the_password_keeps_this_session_and_ends_every_other_session_and_token() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.create_user("carol", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    let (other_access, _) = issue_tokens(&app, "bob").await;
    let (carols_access, _) = issue_tokens(&app, "carol").await;

    // Act
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}).to_string();
    let response = app
        .client
        .post("/api/v1/auth/password/change")
        .header(ContentType::JSON)
        .cookie(Cookie::new(SESSION, laptop.clone()))
        .body(body)
        .dispatch()
        .await;

    // Assert
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        body_json(response).await["message"],
        "Password changed. Your other sessions have been ended."
    );
    assert_eq!(check(&app, As::Browser(&laptop)).await, Status::Ok, "this session stays");
    assert_eq!(check(&app, As::Browser(&phone)).await, Status::Unauthorized);
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Unauthorized);
    assert_eq!(check(&app, As::Bearer(&other_access)).await, Status::Unauthorized);
    assert_eq!(refresh(&app, &refresh_token).await.0, Status::Unauthorized);
    assert_eq!(check(&app, As::Bearer(&carols_access)).await, Status::Ok, "carol unaffected");
    let old = app.api_login("bob", PASSWORD).await;
    assert_eq!(old.status(), Status::Unauthorized, "the old password is gone");
    assert_eq!(body_json(old).await["error"]["code"], "invalid_credentials");
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'password_changed'").await,
        1
    );
}

#[rocket::async_test]
async fn changing_the_password_with_a_bearer_token_keeps_only_that_token_family() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let (access, refresh_token) = issue_tokens(&app, "bob").await;
    let (other_access, _) = issue_tokens(&app, "bob").await;

    // Act
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    let response = app
        .client
        .post("/api/v1/auth/password/change")
        .header(ContentType::JSON)
        .header(bearer(&access))
        .body(body.to_string())
        .dispatch()
        .await;

    // Assert
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Ok, "the calling app stays");
    assert_eq!(refresh(&app, &refresh_token).await.0, Status::Ok);
    assert_eq!(check(&app, As::Bearer(&other_access)).await, Status::Unauthorized);
    assert_eq!(check(&app, As::Browser(&laptop)).await, Status::Unauthorized, "every session");
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[rocket::async_test]
async fn the_account_page_lists_devices_and_changes_the_password() {
    // Arrange
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let laptop = new_browser(&app, "bob").await;
    let phone = new_browser(&app, "bob").await;
    let response = app
        .client
        .post("/api/v1/auth/token")
        .header(ContentType::JSON)
        .header(Header::new("User-Agent", "SyncBot/1.0"))
        .body(json!({"login": "bob", "password": PASSWORD}).to_string())
        .dispatch()
        .await;
    let access = body_json(response).await["access_token"].as_str().unwrap().to_string();
    let (phone_id, family) = (session_id(&app, &phone).await, family_of(&app, &access).await);
    let as_laptop = || Cookie::new(SESSION, laptop.clone());

    // Act
    let page = app.client.get("/account").cookie(as_laptop()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = unescape(&page.into_string().await.unwrap());
    let token = extract_csrf(&html).expect("csrf token");
    let post = |fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.client
            .post("/account/password")
            .header(ContentType::Form)
            .cookie(as_laptop())
            .body(form_body(&fields))
            .dispatch()
    };
    let forged =
        post(vec![("current_password", PASSWORD.into()), ("new_password", NEW_PASSWORD.into())])
            .await;
    let forged_status = forged.status();
    let wrong = post(vec![
        ("csrf_token", token.clone()),
        ("current_password", "not my password at all".into()),
        ("new_password", NEW_PASSWORD.into()),
    ])
    .await;
    let (wrong_status, wrong_html) = (wrong.status(), wrong.into_string().await.unwrap());
    let done = post(vec![
        ("csrf_token", token.clone()),
        ("current_password", PASSWORD.into()),
        ("new_password", NEW_PASSWORD.into()),
    ])
    .await;
    let (done_status, location) =
        (done.status(), done.headers().get_one("Location").map(str::to_string));

    // Assert: the page.
    assert!(html.contains("action=\"/account/password\""));
    assert!(html.contains("name=\"current_password\""));
    assert!(html.contains("name=\"new_password\""));
    assert!(html.contains("this device"), "the laptop is marked");
    assert!(html.contains(&format!("action=\"/account/sessions/{phone_id}/revoke\"")));
    assert!(html.contains(&format!("action=\"/account/tokens/{family}/revoke\"")));
    assert!(html.contains("SyncBot/1.0"), "the app is named by its user agent");
    assert!(html.contains("action=\"/account/logout-everywhere\""));
    // Assert: the form.
    assert_eq!(forged_status, Status::Forbidden, "no CSRF token, no change");
    assert_eq!(wrong_status, Status::Unauthorized);
    assert!(wrong_html.contains("This is not your current password."), "the field is named");
    assert_eq!(done_status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/account"));
    assert_eq!(
        app.client.get("/account").cookie(as_laptop()).dispatch().await.status(),
        Status::Ok
    );
    assert_eq!(check(&app, As::Browser(&phone)).await, Status::Unauthorized);
    assert_eq!(check(&app, As::Bearer(&access)).await, Status::Unauthorized);
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Unauthorized);
    assert_eq!(app.api_login("bob", NEW_PASSWORD).await.status(), Status::Ok);
}
