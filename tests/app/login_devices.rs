//! Failed sign-ins slow down the name they were typed with, but never a device that signed in
//! to the account before: that one is known by its device cookie.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Cookie, Status};
use serde_json::{json, Value};

use crate::support::*;

const WRONG: &str = "wrong password here";

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

/// (status, body, whether Retry-After came) of a sign-in from a device that never signed in.
async fn attempt_from_elsewhere(
    app: &TestApp,
    login: &str,
    password: &str,
) -> (Status, String, bool) {
    let response = app.api_login_from("", login, password).await;
    let status = response.status();
    let retry = response.headers().get_one("Retry-After").is_some();
    (status, response.into_string().await.unwrap_or_default(), retry)
}

/// A JSON POST with `device` in place of this client's device cookie.
async fn post_json_from(app: &TestApp, device: &str, path: &str, body: Value) -> (Status, Value) {
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::JSON)
        .cookie(Cookie::new(DEVICE_COOKIE, device.to_string()))
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[rocket::async_test]
async fn an_attackers_twenty_wrong_passwords_do_not_keep_the_owner_out_on_a_known_device() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    let first = app.api_login("bob", PASSWORD).await;
    assert_eq!(first.status(), Status::Ok);
    let cookie = set_cookie(&first, DEVICE_COOKIE).map(str::to_string);
    logout(&app).await;

    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(attempt_from_elsewhere(&app, "bob", WRONG).await.0);
    }
    let owner = app.api_login("bob", PASSWORD).await.status();
    logout(&app).await;
    let page = submit(&app, "/login", "/login", &[("login", "bob"), ("password", PASSWORD)]).await;

    let cookie = cookie.expect("a successful sign-in sets a device cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "it outlives the browser session: {cookie}");
    assert_eq!(statuses[..5], [Status::Unauthorized; 5]);
    assert!(statuses[5..].iter().all(|s| *s == Status::TooManyRequests), "{statuses:?}");
    assert_eq!(owner, Status::Ok, "the owner's device gets in at once");
    assert!(page.redirects_to("/home"), "and through the login page: {}", page.status);
}

#[rocket::async_test]
async fn a_device_that_never_signed_in_is_slowed_after_five_failures_of_a_name() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    for login in ["bob", "nobody"] {
        for _ in 0..5 {
            assert_eq!(app.api_login(login, WRONG).await.status(), Status::Unauthorized);
        }
        let response = app.api_login(login, PASSWORD).await;
        assert_eq!(response.status(), Status::TooManyRequests, "{login}");
        let retry: u64 = response.headers().get_one("Retry-After").unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(body_json(response).await["error"]["code"], "rate_limited");
    }
    let page = submit(&app, "/login", "/login", &[("login", "bob"), ("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::TooManyRequests, "the page is slowed too");
    assert!(page.html.contains("Too many attempts"), "on the form");

    app.advance(chrono::Duration::minutes(15));
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn failures_by_username_and_by_email_look_like_failures_of_two_unrelated_names() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;

    let mut answers = Vec::new();
    for (first, second) in [("bob", "bob@example.org"), ("nobody", "someone.else@example.org")] {
        let mut seen = Vec::new();
        for login in [first, second, first, second] {
            for _ in 0..3 {
                seen.push(attempt_from_elsewhere(&app, login, WRONG).await);
            }
        }
        answers.push(seen);
    }

    assert_eq!(answers[0], answers[1], "one account by two names answers as two strangers");
    let statuses: Vec<Status> = answers[0].iter().map(|a| a.0).collect();
    let (ok, slowed) = (Status::Unauthorized, Status::TooManyRequests);
    assert_eq!(statuses, [ok, ok, ok, ok, ok, ok, ok, ok, slowed, ok, ok, slowed]);
}

#[rocket::async_test]
async fn a_forged_or_another_accounts_device_cookie_gives_no_exemption() {
    let app = TestApp::spawn().await;
    let bob = app.create_user("bob", &[Role::Member]).await;
    let carol = app.create_user("carol", &[Role::Member]).await;
    app.login_as("carol").await;
    let carols = app.device_cookie();
    logout(&app).await;
    app.login_as("bob").await; // this client is now bob's known device (and carol's)
    logout(&app).await;
    for _ in 0..5 {
        assert_eq!(attempt_from_elsewhere(&app, "bob", WRONG).await.0, Status::Unauthorized);
    }

    // Carol's cookie with bob's account id in it: the signature no longer fits.
    let forged = carols.replacen(&format!("{carol}."), &format!("{bob}."), 1);
    let mut refused = Vec::new();
    for device in [carols.as_str(), forged.as_str(), "1.2.3.4", "junk"] {
        refused.push(app.api_login_from(device, "bob", PASSWORD).await.status());
    }
    let known = app.api_login("bob", PASSWORD).await.status();

    assert!(!carols.is_empty() && forged != carols, "{carols}");
    assert_eq!(refused, [Status::TooManyRequests; 4]);
    assert_eq!(known, Status::Ok, "bob's own device cookie still works");
}

#[rocket::async_test]
async fn a_known_device_has_an_allowance_of_its_own_of_ten_failures() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    logout(&app).await;

    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.api_login("bob", WRONG).await.status());
    }
    let spent = app.api_login("bob", PASSWORD).await.status();
    app.advance(chrono::Duration::minutes(15));
    let later = app.api_login("bob", PASSWORD).await.status();

    assert_eq!(statuses, [Status::Unauthorized; 10]);
    assert_eq!(spent, Status::TooManyRequests, "a stolen device cookie is no endless pass");
    assert_eq!(later, Status::Ok);
}

#[rocket::async_test]
async fn wrong_login_codes_from_elsewhere_do_not_lock_the_owners_known_device() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await; // admins confirm with a code
    app.login_as("admin").await;
    logout(&app).await;

    // Someone who has the password but not the mailbox spends the account's code allowance.
    let login = json!({"login": "admin", "password": PASSWORD});
    let mut last_challenge = String::new();
    for tries in [3, 2] {
        let (status, body) = post_json_from(&app, "", "/api/v1/auth/login", login.clone()).await;
        assert_eq!(status, Status::Ok, "{body}");
        last_challenge = body["challenge"].as_str().expect("a challenge").to_string();
        for _ in 0..tries {
            let wrong = json!({"challenge": last_challenge, "code": "WRONG0"});
            let (status, _) = post_json_from(&app, "", "/api/v1/auth/login/verify", wrong).await;
            assert_eq!(status, Status::BadRequest);
        }
    }
    let code = app.last_code("admin@example.org").await;
    let right = json!({"challenge": last_challenge, "code": code});
    let (elsewhere, _) = post_json_from(&app, "", "/api/v1/auth/login/verify", right).await;

    let response = app.api_login("admin", PASSWORD).await;
    assert_eq!(response.status(), Status::Ok);
    let challenge = body_json(response).await["challenge"].as_str().unwrap().to_string();
    let code = app.last_code("admin@example.org").await;
    let (owner, body) = app
        .post_json("/api/v1/auth/login/verify", json!({"challenge": challenge, "code": code}))
        .await;

    assert_eq!(elsewhere, Status::TooManyRequests, "elsewhere the account's allowance is spent");
    assert_eq!(owner, Status::Ok, "the owner's device still gets in: {body}");
}
