//! Claiming pre-registered accounts, guest access, abuse resistance (rate limits and no user
//! enumeration) and a scan of the database for secrets stored in plaintext.

use clubroom::accounts::model::Role;
use clubroom::email::SentEmail;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};

use crate::support::*;

/// A code that can never be issued: `0` and `O` are not in the code alphabet, nor are letters
/// among the 2FA digits.
const WRONG_CODE: &str = "WRONG0";
const NEW_PASSWORD: &str = "green teapot by the window";
const CLAIM_SENT: &str =
    "If that email belongs to an account waiting to be claimed, a code has been sent to it.";

/// Sends a JSON POST and hands back the whole response (for headers).
async fn post_raw<'a>(app: &'a TestApp, path: &str, body: Value) -> LocalResponse<'a> {
    app.client
        .post(path.to_string())
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch()
        .await
}

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

/// The session token the client holds now, if any.
fn session_cookie(app: &TestApp) -> Option<String> {
    app.client.cookies().get("clubroom_session").map(|c| c.value().to_string())
}

/// The line of an email that holds only a code of six capitals or digits.
fn code_in(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        .map(str::to_string)
}

/// An app where an admin pre-registered Kim Lee (kim@example.org), with nobody signed in.
async fn app_with_kim() -> TestApp {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    preregister(&app, "kim@example.org", "Kim", "Lee").await;
    logout(&app).await;
    app
}

async fn preregister(app: &TestApp, email: &str, first: &str, last: &str) -> Value {
    let body = json!({"email": email, "first_name": first, "last_name": last});
    let (status, created) = app.post_json("/api/v1/admin/members", body).await;
    assert_eq!(status, Status::Created, "{created}");
    created
}

/// Asks for a claim code; returns the status and the raw body.
async fn request_claim(app: &TestApp, email: &str) -> (Status, String) {
    let response = post_raw(app, "/api/v1/auth/claim/request", json!({ "email": email })).await;
    (response.status(), response.into_string().await.unwrap_or_default())
}

/// Asks for a claim code for `email` and returns the code from the email.
async fn claim_code(app: &TestApp, email: &str) -> String {
    assert_eq!(request_claim(app, email).await.0, Status::Ok);
    app.last_code(email).await
}

async fn complete_claim(app: &TestApp, email: &str, code: &str, password: &str) -> (Status, Value) {
    let body = json!({"email": email, "code": code, "password": password});
    app.post_json("/api/v1/auth/claim/complete", body).await
}

async fn enable_guests(app: &TestApp) {
    app.as_admin().await;
    let (status, settings) =
        app.send_json(Method::Put, "/api/v1/admin/settings", json!({"guest_accounts": true})).await;
    assert_eq!(status, Status::Ok, "{settings}");
    assert_eq!(settings["guest_accounts"], true);
    logout(app).await;
}

// ----- pre-registration -----

#[rocket::async_test]
async fn an_admin_pre_registers_a_member_who_has_no_password_yet() {
    let app = TestApp::spawn().await;
    app.as_admin().await;

    let body = json!({"email": "Kim@Example.org", "first_name": " Kim ", "last_name": "Lee", "phone": "+44 20 7946 0000"});
    let (status, created) = app.post_json("/api/v1/admin/members", body).await;
    let (status2, namesake) = app
        .post_json(
            "/api/v1/admin/members",
            json!({"email": "kim.lee@example.org", "first_name": "Kim", "last_name": "Lee"}),
        )
        .await;

    assert_eq!(status, Status::Created, "{created}");
    let user_id = created["user_id"].as_i64().expect("user_id");
    assert_eq!(
        created,
        json!({"user_id": user_id, "username": "kim.lee", "email": "kim@example.org", "status": "invited"})
    );
    assert_eq!(status2, Status::Created, "{namesake}");
    assert_eq!(namesake["username"], "kim.lee2", "a taken username gets a number");
    let row: (Option<String>, String, String, String, String) = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT password_hash, status, first_name, last_name, phone FROM users WHERE id = ?1",
                [user_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        row,
        (None, "invited".into(), "Kim".into(), "Lee".into(), "+44 20 7946 0000".into())
    );
    assert!(app.emails_to("kim@example.org").await.is_empty(), "no email until a code is asked");
}

#[rocket::async_test]
async fn only_admins_pre_register_members_and_bad_input_is_named_by_field() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee"});

    let (anonymous, _) = app.post_json("/api/v1/admin/members", body.clone()).await;
    app.create_user("bob", &[Role::Member, Role::Coach]).await;
    app.login_as("bob").await;
    let (member, refused) = app.post_json("/api/v1/admin/members", body.clone()).await;

    assert_eq!(anonymous, Status::Unauthorized);
    assert_eq!(member, Status::Forbidden);
    assert_eq!(refused["error"]["code"], "forbidden");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'kim@example.org'").await, 0);

    logout(&app).await;
    app.as_admin().await;
    let cases = [
        (json!({"email": "not-an-email", "first_name": "Kim", "last_name": "Lee"}), &["email"][..]),
        (json!({"email": "kim@example.org"}), &["first_name", "last_name"][..]),
        (
            json!({"email": "kim@example.org", "first_name": "  ", "last_name": "Lee"}),
            &["first_name"][..],
        ),
        (
            json!({"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee", "phone": "call me"}),
            &["phone"][..],
        ),
    ];
    for (body, fields) in cases {
        let (status, err) = app.post_json("/api/v1/admin/members", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        for field in fields {
            assert!(err["error"]["fields"][field].is_string(), "{field} in {err}");
        }
    }
    let (status, err) = app
        .post_json(
            "/api/v1/admin/members",
            json!({"email": "ADMIN@example.org", "first_name": "Ann", "last_name": "Other"}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert!(err["error"]["fields"]["email"].is_string(), "{err}");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2, "admin and bob only");
}

// ----- claiming -----

#[rocket::async_test]
async fn a_claim_request_answers_the_same_for_every_address_but_mails_only_the_unclaimed_one() {
    let app = app_with_kim().await;
    app.create_user("bob", &[Role::Member]).await;

    let unclaimed = request_claim(&app, "Kim@Example.org").await;
    let unknown = request_claim(&app, "nobody@example.org").await;
    let active = request_claim(&app, "bob@example.org").await;

    assert_eq!(unclaimed.0, Status::Ok);
    assert_eq!(
        serde_json::from_str::<Value>(&unclaimed.1).unwrap(),
        json!({"message": CLAIM_SENT})
    );
    assert_eq!(unknown, unclaimed, "unknown address: same status and body");
    assert_eq!(active, unclaimed, "already active account: same status and body");
    let all = app.emails().await;
    assert_eq!(all.iter().filter(|m| m.to == "bob@example.org").count(), 0);
    assert_eq!(all.iter().filter(|m| m.to == "nobody@example.org").count(), 0);
    let mail = app.emails_to("kim@example.org").await;
    assert_eq!(mail.len(), 1);
    let code = app.last_code("kim@example.org").await;
    assert_eq!(code.len(), 6);
    assert!(mail[0].text.contains("http://127.0.0.1:8000/claim"), "{}", mail[0].text);
    assert!(mail[0].html.contains(&code));
}

#[rocket::async_test]
async fn the_right_code_claims_the_account_signs_in_and_sets_the_password() {
    let app = app_with_kim().await;
    let code = claim_code(&app, "kim@example.org").await;
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);

    let response = post_raw(
        &app,
        "/api/v1/auth/claim/complete",
        json!({"email": "KIM@example.org", "code": typed, "password": NEW_PASSWORD}),
    )
    .await;

    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, "clubroom_session").is_some(), "a session cookie");
    assert_eq!(body_json(response).await, json!({"message": "Account claimed"}));
    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["username"], "kim.lee");
    assert_eq!(session["status"], "onboarding");
    assert_eq!(session["roles"], json!(["member"]));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE username = 'kim.lee' AND claimed_at IS NOT NULL
               AND password_hash IS NOT NULL AND status = 'onboarding'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'account_claimed'").await, 1);

    logout(&app).await;
    assert_eq!(app.api_login("kim@example.org", NEW_PASSWORD).await.status(), Status::Ok);
    assert_eq!(app.json("/api/v1/auth/session").await.1["username"], "kim.lee");
}

#[rocket::async_test]
async fn a_wrong_code_is_refused_and_five_wrong_codes_kill_the_right_one() {
    let app = app_with_kim().await;
    let code = claim_code(&app, "kim@example.org").await;

    let (status, err) = complete_claim(&app, "kim@example.org", WRONG_CODE, NEW_PASSWORD).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(err["error"]["code"], "invalid_code");
    for _ in 0..4 {
        let (status, _) = complete_claim(&app, "kim@example.org", WRONG_CODE, NEW_PASSWORD).await;
        assert_eq!(status, Status::BadRequest);
    }
    let (status, err) = complete_claim(&app, "kim@example.org", &code, NEW_PASSWORD).await;

    assert_eq!(status, Status::BadRequest, "the code died after five wrong tries: {err}");
    assert_eq!(err["error"]["code"], "invalid_code");
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE status = 'invited' AND password_hash IS NULL")
            .await,
        1
    );
}

#[rocket::async_test]
async fn a_claim_code_lasts_fifteen_minutes() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    preregister(&app, "kim@example.org", "Kim", "Lee").await;
    preregister(&app, "lou@example.org", "Lou", "Park").await;
    logout(&app).await;
    let kim = claim_code(&app, "kim@example.org").await;
    let lou = claim_code(&app, "lou@example.org").await;

    app.advance(chrono::Duration::minutes(14));
    let (in_time, _) = complete_claim(&app, "kim@example.org", &kim, NEW_PASSWORD).await;
    logout(&app).await;
    app.advance(chrono::Duration::minutes(2));
    let (late, err) = complete_claim(&app, "lou@example.org", &lou, NEW_PASSWORD).await;

    assert_eq!(in_time, Status::Ok, "after 14 minutes");
    assert_eq!(late, Status::BadRequest, "after 16 minutes");
    assert_eq!(err["error"]["code"], "invalid_code");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE status = 'invited'").await, 1);
}

#[rocket::async_test]
async fn a_weak_password_is_refused_without_spending_the_code() {
    let app = app_with_kim().await;
    let code = claim_code(&app, "kim@example.org").await;

    let (short, short_err) = complete_claim(&app, "kim@example.org", &code, "short").await;
    let (same, same_err) = complete_claim(&app, "kim@example.org", &code, "kim@example.org").await;
    let (status, done) = complete_claim(&app, "kim@example.org", &code, NEW_PASSWORD).await;

    assert_eq!(short, Status::UnprocessableEntity);
    assert!(short_err["error"]["fields"]["password"].is_string(), "{short_err}");
    assert_eq!(same, Status::UnprocessableEntity, "the email address as password");
    assert!(same_err["error"]["fields"]["password"].is_string(), "{same_err}");
    assert_eq!(status, Status::Ok, "the code still works: {done}");
    assert_eq!(app.json("/api/v1/auth/session").await.1["status"], "onboarding");
}

#[rocket::async_test]
async fn a_new_code_request_retires_the_old_code() {
    let app = app_with_kim().await;
    let first = claim_code(&app, "kim@example.org").await;
    let second = claim_code(&app, "kim@example.org").await;
    assert_ne!(first, second);

    let (old, err) = complete_claim(&app, "kim@example.org", &first, NEW_PASSWORD).await;
    let (new, _) = complete_claim(&app, "kim@example.org", &second, NEW_PASSWORD).await;

    assert_eq!(old, Status::BadRequest);
    assert_eq!(err["error"]["code"], "invalid_code");
    assert_eq!(new, Status::Ok);
}

#[rocket::async_test]
async fn an_account_can_be_claimed_only_once() {
    let app = app_with_kim().await;
    let code = claim_code(&app, "kim@example.org").await;
    assert_eq!(complete_claim(&app, "kim@example.org", &code, NEW_PASSWORD).await.0, Status::Ok);
    logout(&app).await;

    let (again, err) =
        complete_claim(&app, "kim@example.org", &code, "another long pass phrase").await;
    let (asked, _) = request_claim(&app, "kim@example.org").await;
    let mails = app.emails_to("kim@example.org").await.len();

    assert_eq!(again, Status::BadRequest);
    assert_eq!(err["error"]["code"], "invalid_code");
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);
    assert_eq!(asked, Status::Ok);
    assert_eq!(mails, 1, "no new code for a claimed account");
    assert_eq!(app.api_login("kim.lee", NEW_PASSWORD).await.status(), Status::Ok);
    logout(&app).await;
    assert_eq!(
        app.api_login("kim.lee", "another long pass phrase").await.status(),
        Status::Unauthorized,
        "the second claim did not change the password"
    );
}

#[rocket::async_test]
async fn the_claim_pages_send_a_code_and_sign_the_member_in() {
    let app = app_with_kim().await;

    let page = app.client.get("/claim").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(unescape(&html).contains("action=\"/claim/request\""), "step one asks for the email");
    let token = extract_csrf(&html).unwrap();

    let step_two = app
        .post_form("/claim/request", &[("csrf_token", &token), ("email", "kim@example.org")])
        .await;
    assert_eq!(step_two.status(), Status::Ok);
    let html = step_two.into_string().await.unwrap();
    assert!(html.contains("6-character code"), "{html}");
    assert!(unescape(&html).contains("action=\"/claim\""));
    let token = extract_csrf(&html).unwrap();
    let code = app.last_code("kim@example.org").await;

    let wrong = app
        .post_form(
            "/claim",
            &[
                ("csrf_token", &token),
                ("email", "kim@example.org"),
                ("code", WRONG_CODE),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status(), Status::BadRequest, "the form is shown again");
    assert!(wrong.into_string().await.unwrap().contains("This code or link is wrong"));

    let done = app
        .post_form(
            "/claim",
            &[
                ("csrf_token", &token),
                ("email", "kim@example.org"),
                ("code", &code),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), Status::SeeOther);
    assert_eq!(done.headers().get_one("Location"), Some("/home"));
    let home = app.client.get("/home").dispatch().await;
    assert_eq!(home.status(), Status::Ok);
    assert!(home.into_string().await.unwrap().contains("Hello, Kim Lee"));
    assert_eq!(app.json("/api/v1/auth/session").await.1["status"], "onboarding");
}

// ----- guests -----

#[rocket::async_test]
async fn guests_are_refused_until_an_admin_turns_them_on() {
    let app = TestApp::spawn().await;

    let (off, err) = app.post_json("/api/v1/auth/guest", json!({"display_name": "Val"})).await;
    assert_eq!(off, Status::Forbidden);
    assert_eq!(err["error"]["code"], "guests_disabled");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);

    enable_guests(&app).await;
    let (empty, err) = app.post_json("/api/v1/auth/guest", json!({"display_name": "   "})).await;
    assert_eq!(empty, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["display_name"].is_string(), "{err}");
    let (missing, _) = app.post_json("/api/v1/auth/guest", json!({})).await;
    assert_eq!(missing, Status::UnprocessableEntity);

    let response =
        post_raw(&app, "/api/v1/auth/guest", json!({"display_name": " Visiting Val "})).await;
    assert_eq!(response.status(), Status::Created);
    assert!(set_cookie(&response, "clubroom_session").is_some());
    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["roles"], json!(["guest"]), "exactly the guest role");
    assert_eq!(session["display_name"], "Visiting Val");
    assert!(session["username"].as_str().unwrap().starts_with("guest-"), "{session}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id
              WHERE r.role = 'guest' AND u.password_hash IS NULL"
        )
        .await,
        1
    );
}

#[rocket::async_test]
async fn a_guest_cannot_reach_the_admin_pages_or_api() {
    let app = TestApp::spawn().await;
    enable_guests(&app).await;
    let (status, _) = app.post_json("/api/v1/auth/guest", json!({"display_name": "Val"})).await;
    assert_eq!(status, Status::Created);

    let page = app.client.get("/admin").dispatch().await.status();
    let (invites, err) = app.json("/api/v1/admin/invites").await;
    let (members, _) = app
        .post_json(
            "/api/v1/admin/members",
            json!({"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee"}),
        )
        .await;
    let (settings, _) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"guest_accounts": false}))
        .await;

    assert_eq!(page, Status::Forbidden);
    assert_eq!(invites, Status::Forbidden);
    assert_eq!(err["error"]["code"], "forbidden");
    assert_eq!(members, Status::Forbidden);
    assert_eq!(settings, Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'kim@example.org'").await, 0);
}

#[rocket::async_test]
async fn the_guest_page_signs_a_guest_in_when_guests_are_allowed() {
    let app = TestApp::spawn().await;
    let page = app.client.get("/guest").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let token = extract_csrf(&page.into_string().await.unwrap()).unwrap();

    let refused =
        app.post_form("/guest", &[("csrf_token", &token), ("display_name", "Visiting Val")]).await;
    assert_eq!(refused.status(), Status::Forbidden);
    assert!(refused.into_string().await.unwrap().contains("Guest access is turned off"));

    enable_guests(&app).await;
    let token = app.csrf_token("/guest").await;
    let empty = app.post_form("/guest", &[("csrf_token", &token), ("display_name", "")]).await;
    assert_eq!(empty.status(), Status::UnprocessableEntity);
    let done =
        app.post_form("/guest", &[("csrf_token", &token), ("display_name", "Visiting Val")]).await;
    assert_eq!(done.status(), Status::SeeOther);
    assert_eq!(done.headers().get_one("Location"), Some("/home"));
    let home = app.client.get("/home").dispatch().await;
    assert_eq!(home.status(), Status::Ok);
    assert!(home.into_string().await.unwrap().contains("Hello, Visiting Val"));
    assert_eq!(app.json("/api/v1/auth/session").await.1["roles"], json!(["guest"]));
}

// ----- abuse resistance -----

#[rocket::async_test]
async fn claim_requests_are_limited_to_five_a_minute_per_client() {
    let app = app_with_kim().await;
    assert_eq!(request_claim(&app, "kim@example.org").await.0, Status::Ok);
    for n in 1..5 {
        let other = format!("other{n}@example.org");
        assert_eq!(request_claim(&app, &other).await.0, Status::Ok, "request {n}");
    }
    let sent = app.emails_to("kim@example.org").await.len();

    let sixth =
        post_raw(&app, "/api/v1/auth/claim/request", json!({"email": "kim@example.org"})).await;
    assert_eq!(sixth.status(), Status::TooManyRequests);
    let retry: u64 = sixth.headers().get_one("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(body_json(sixth).await["error"]["code"], "rate_limited");
    let token = app.csrf_token("/claim").await;
    let page = app
        .post_form("/claim/request", &[("csrf_token", &token), ("email", "kim@example.org")])
        .await;
    assert_eq!(page.status(), Status::TooManyRequests, "the page shares the limit");
    assert_eq!(app.emails_to("kim@example.org").await.len(), sent, "no email when limited");
    assert_eq!(sent, 1);

    app.advance(chrono::Duration::seconds(61));
    assert_eq!(request_claim(&app, "kim@example.org").await.0, Status::Ok, "the window slides");
}

/// Asks for a claim code as the client at `ip` (the app reads `X-Real-IP`).
async fn request_claim_from(app: &TestApp, ip: &str, email: &str) -> (Status, bool) {
    let response = app
        .client
        .post("/api/v1/auth/claim/request")
        .header(ContentType::JSON)
        .header(Header::new("X-Real-IP", ip.to_string()))
        .body(json!({ "email": email }).to_string())
        .dispatch()
        .await;
    (response.status(), response.headers().get_one("Retry-After").is_some())
}

#[rocket::async_test]
async fn claim_codes_for_one_address_are_limited_to_three_an_hour_from_any_client() {
    let app = TestApp::spawn_with(|c| c.ip_header = "X-Real-IP".into()).await;
    app.as_admin().await;
    preregister(&app, "kim@example.org", "Kim", "Lee").await;
    logout(&app).await;

    let mut kim = Vec::new();
    let mut nobody = Vec::new();
    for n in 0..8 {
        kim.push(request_claim_from(&app, &format!("192.0.2.{n}"), "kim@example.org").await);
        nobody.push(request_claim_from(&app, &format!("198.51.100.{n}"), "no@example.org").await);
    }
    let sent = app.emails_to("kim@example.org").await.len();
    let token = app.csrf_token("/claim").await;
    let page = answered(
        app.client
            .post("/claim/request")
            .header(ContentType::Form)
            .header(Header::new("X-Real-IP", "203.0.113.9"))
            .body(form_body(&[("csrf_token", &token), ("email", "kim@example.org")]))
            .dispatch()
            .await,
    )
    .await;
    app.advance(chrono::Duration::minutes(61));
    let later = request_claim_from(&app, "192.0.2.200", "kim@example.org").await.0;

    let limited = (Status::TooManyRequests, true);
    let ok = (Status::Ok, false);
    assert_eq!(kim, [ok, ok, ok, limited, limited, limited, limited, limited]);
    assert_eq!(nobody, kim, "an unknown address answers alike");
    assert_eq!(sent, 3, "one mailbox gets three codes an hour, however many clients ask");
    assert_eq!(page.status, Status::TooManyRequests);
    assert!(page.html.contains("Too many attempts"), "the form says so");
    assert_eq!(later, Status::Ok, "the hour slides");
}

async fn wrong_guesses(app: &TestApp, email: &str, n: usize) {
    for _ in 0..n {
        let (status, err) = complete_claim(app, email, WRONG_CODE, NEW_PASSWORD).await;
        assert_eq!(status, Status::BadRequest, "{err}");
    }
}

#[rocket::async_test]
async fn wrong_claim_codes_count_per_address_and_a_new_code_does_not_restore_them() {
    let app = app_with_kim().await;
    let pause = || app.advance(chrono::Duration::seconds(61)); // past the per-client limit

    let _first = claim_code(&app, "kim@example.org").await;
    wrong_guesses(&app, "kim@example.org", 4).await;
    let _second = claim_code(&app, "kim@example.org").await;
    wrong_guesses(&app, "kim@example.org", 4).await;
    pause();
    let third = claim_code(&app, "kim@example.org").await;
    wrong_guesses(&app, "kim@example.org", 2).await;
    pause();
    let body = json!({"email": "kim@example.org", "code": third, "password": NEW_PASSWORD});
    let right = post_raw(&app, "/api/v1/auth/claim/complete", body).await;
    let (right_status, retry) =
        (right.status(), right.headers().get_one("Retry-After").map(str::to_string));
    let right_body = body_json(right).await;
    let token = app.csrf_token("/claim").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("email", "kim@example.org"),
        ("code", third.as_str()),
        ("password", NEW_PASSWORD),
    ];
    let page = answered(app.post_form("/claim", &fields).await).await;
    pause();
    wrong_guesses(&app, "nobody@example.org", 9).await;
    pause();
    wrong_guesses(&app, "nobody@example.org", 1).await;
    let (stranger, _) = complete_claim(&app, "nobody@example.org", WRONG_CODE, NEW_PASSWORD).await;

    assert_eq!(right_status, Status::TooManyRequests, "ten wrong codes spend the allowance");
    assert!(retry.is_some(), "Retry-After");
    assert_eq!(right_body["error"]["code"], "rate_limited");
    assert_eq!(page.status, Status::TooManyRequests);
    assert!(page.html.contains("Too many attempts"), "the form says so");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE status = 'invited'").await, 1);
    assert_eq!(stranger, Status::TooManyRequests, "an unknown address is counted alike");
}

#[rocket::async_test]
async fn code_checks_are_limited_to_ten_a_minute_even_with_the_right_code() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    let login = body_json(app.api_login("admin", PASSWORD).await).await;
    let challenge = login["challenge"].as_str().expect("a 2FA challenge").to_string();
    let two_factor = app.last_code("admin@example.org").await;
    app.login_as("admin").await; // a second challenge; verify hit 1
    preregister(&app, "kim@example.org", "Kim", "Lee").await;
    logout(&app).await;
    let code = claim_code(&app, "kim@example.org").await;

    // Hits 2 to 10: wrong codes (fewer than kill either secret) and refused passwords.
    for _ in 0..4 {
        let (status, _) = complete_claim(&app, "kim@example.org", WRONG_CODE, NEW_PASSWORD).await;
        assert_eq!(status, Status::BadRequest);
    }
    for _ in 0..3 {
        let wrong = json!({"challenge": challenge, "code": WRONG_CODE});
        assert_eq!(app.post_json("/api/v1/auth/login/verify", wrong).await.0, Status::BadRequest);
    }
    for _ in 0..2 {
        let (status, _) = complete_claim(&app, "kim@example.org", &code, "short").await;
        assert_eq!(status, Status::UnprocessableEntity);
    }

    let body = json!({"email": "kim@example.org", "code": code, "password": NEW_PASSWORD});
    let claim = post_raw(&app, "/api/v1/auth/claim/complete", body).await;
    let claim_status = claim.status();
    let claim_retry = claim.headers().get_one("Retry-After").map(str::to_string);
    let right = json!({"challenge": challenge, "code": two_factor});
    let (verify_status, verify_err) = app.post_json("/api/v1/auth/login/verify", right).await;

    assert_eq!(claim_status, Status::TooManyRequests, "the 11th check, with the right code");
    assert!(claim_retry.is_some(), "Retry-After");
    assert_eq!(verify_status, Status::TooManyRequests, "login/verify shares the limit");
    assert_eq!(verify_err["error"]["code"], "rate_limited");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE status = 'invited'").await, 1);

    app.advance(chrono::Duration::seconds(61));
    let (status, done) = complete_claim(&app, "kim@example.org", &code, NEW_PASSWORD).await;
    assert_eq!(status, Status::Ok, "the code was alive all along: {done}");
}

#[rocket::async_test]
async fn no_email_endpoint_tells_a_known_address_from_an_unknown_one() {
    let app = app_with_kim().await;
    app.create_user("bob", &[Role::Member]).await;

    let mut answers = Vec::new();
    for (path, known, unknown) in [
        ("/api/v1/auth/password/forgot", "bob@example.org", "nobody@example.org"),
        ("/api/v1/auth/magic-link", "bob@example.org", "nobody@example.org"),
        ("/api/v1/auth/claim/request", "kim@example.org", "nobody@example.org"),
        ("/api/v1/auth/claim/request", "bob@example.org", "nobody@example.org"),
    ] {
        let mut pair = Vec::new();
        for email in [known, unknown] {
            let response = post_raw(&app, path, json!({ "email": email })).await;
            pair.push((response.status(), response.into_string().await.unwrap_or_default()));
        }
        answers.push((path, pair));
    }
    let mut logins = Vec::new();
    for login in ["bob@example.org", "nobody@example.org"] {
        let response = app.api_login(login, "not the right password").await;
        logins.push((response.status(), response.into_string().await.unwrap_or_default()));
    }

    for (path, pair) in &answers {
        assert_eq!(pair[0].0, Status::Ok, "{path}");
        assert_eq!(pair[0], pair[1], "{path}: same status and body");
    }
    assert_eq!(logins[0].0, Status::Unauthorized);
    assert_eq!(logins[0], logins[1], "login: same status and body");
    let mail = app.emails().await;
    assert_eq!(mail.iter().filter(|m| m.to == "nobody@example.org").count(), 0);
    assert_eq!(mail.iter().filter(|m| m.to == "bob@example.org").count(), 2, "reset and link");
    assert_eq!(mail.iter().filter(|m| m.to == "kim@example.org").count(), 1, "claim code");
}

// ----- secrets at rest -----

/// Every secret seen in a response or an email, with where it came from.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, secret: &str) {
        assert!(secret.len() >= 6, "{what}: {secret:?} is not a secret");
        if !self.0.iter().any(|(_, s)| s == secret) {
            self.0.push((what.to_string(), secret.to_string()));
        }
    }

    fn cookie(&mut self, what: &str, app: &TestApp) {
        let token = session_cookie(app).unwrap_or_else(|| panic!("{what}: no session cookie"));
        self.add(what, &token);
    }

    fn json(&mut self, what: &str, body: &Value, key: &str) {
        let value = body[key].as_str().unwrap_or_else(|| panic!("{what}: no {key} in {body}"));
        self.add(what, value);
    }
}

/// The last path segment of the first URL in `text` starting with `prefix`.
fn link_token(text: &str, prefix: &str) -> String {
    let link = extract_link(text, prefix).unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    link.rsplit('/').next().unwrap().to_string()
}

/// Every TEXT and BLOB cell of every table: (table.column, text, hex of a BLOB).
async fn every_stored_value(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    use rusqlite::types::ValueRef;
    app.db()
        .read(|tx| {
            let mut tables = tx.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?;
            let names: Vec<String> =
                tables.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut cells = Vec::new();
            for table in names {
                let mut stmt = tx.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let columns: Vec<String> =
                    stmt.column_names().iter().map(std::string::ToString::to_string).collect();
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    for (i, column) in columns.iter().enumerate() {
                        let place = format!("{table}.{column}");
                        match row.get_ref(i)? {
                            ValueRef::Text(t) => {
                                cells.push((place, String::from_utf8_lossy(t).into_owned(), None));
                            }
                            ValueRef::Blob(b) => cells.push((
                                place,
                                String::from_utf8_lossy(b).into_owned(),
                                Some(hex::encode(b)),
                            )),
                            _ => {}
                        }
                    }
                }
            }
            Ok(cells)
        })
        .await
        .unwrap()
}

/// Every email that any of `browsers` delivered (each instance has its own mailbox).
async fn all_mail(browsers: &[&TestApp]) -> Vec<SentEmail> {
    let mut mail = Vec::new();
    for browser in browsers {
        mail.extend(browser.emails().await);
    }
    mail
}

/// The newest email to `to` whose text holds `needle`.
async fn mail_with(browsers: &[&TestApp], to: &str, needle: &str) -> String {
    all_mail(browsers)
        .await
        .into_iter()
        .rev()
        .find(|m| m.to == to && m.text.contains(needle))
        .unwrap_or_else(|| panic!("no email to {to} with {needle:?}"))
        .text
}

#[rocket::async_test]
async fn no_secret_handed_out_is_stored_in_plaintext() {
    // Every person uses their own browser (an instance on the same data directory), so that
    // every session stays alive until the database is read.
    let app = TestApp::spawn().await;
    let mut secrets = Secrets::default();
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    app.create_user("rob", &[Role::Member]).await;
    let (ivy, kim, magic) = (app.restart().await, app.restart().await, app.restart().await);
    let browsers = [&app, &ivy, &kim, &magic];

    // An admin login with its second factor.
    let login = body_json(app.api_login("admin", PASSWORD).await).await;
    secrets.json("2FA challenge", &login, "challenge");
    let text = mail_with(&browsers, "admin@example.org", "").await;
    let code = code_in(&text).expect("a 2FA code");
    secrets.add("2FA code", &code);
    let verify = json!({"challenge": login["challenge"], "code": code});
    assert_eq!(app.post_json("/api/v1/auth/login/verify", verify).await.0, Status::Ok);
    secrets.cookie("admin session", &app);

    // An invitation and a pre-registered member.
    let (status, invite) =
        app.post_json("/api/v1/admin/invites", json!({"email": "ivy@example.org"})).await;
    assert_eq!(status, Status::Created, "{invite}");
    let invite_token = link_token(invite["invite_url"].as_str().unwrap(), "http");
    secrets.add("invite token", &invite_token);
    preregister(&app, "kim@example.org", "Kim", "Lee").await;

    // Registering with the invitation.
    let body = json!({"username": "ivy", "email": "ivy@example.org", "password": PASSWORD, "invite_token": invite_token});
    let (status, created) = ivy.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Created, "{created}");
    secrets.cookie("registration session", &ivy);

    // Claiming the pre-registered account.
    assert_eq!(request_claim(&kim, "kim@example.org").await.0, Status::Ok);
    let claim = code_in(&mail_with(&browsers, "kim@example.org", "claim").await).expect("code");
    secrets.add("claim code", &claim);
    assert_eq!(complete_claim(&kim, "kim@example.org", &claim, NEW_PASSWORD).await.0, Status::Ok);
    secrets.cookie("claim session", &kim);

    // A sign-in link and its code.
    let (status, _) =
        magic.post_json("/api/v1/auth/magic-link", json!({"email": "ivy@example.org"})).await;
    assert_eq!(status, Status::Ok);
    let text = mail_with(&browsers, "ivy@example.org", "/auth/magic/").await;
    let link = link_token(&text, "http://127.0.0.1:8000/auth/magic/");
    secrets.add("magic link token", &link);
    secrets.add("magic link code", &code_in(&text).expect("a sign-in code"));
    let (status, _) =
        magic.post_json("/api/v1/auth/magic-link/verify", json!({"token": link})).await;
    assert_eq!(status, Status::Ok);
    secrets.cookie("magic link session", &magic);

    // A password reset (for rob, so that it ends nobody's session above).
    let (status, _) =
        app.post_json("/api/v1/auth/password/forgot", json!({"email": "rob@example.org"})).await;
    assert_eq!(status, Status::Ok);
    let text = mail_with(&browsers, "rob@example.org", "/reset/").await;
    let reset = link_token(&text, "http://127.0.0.1:8000/reset/");
    secrets.add("reset token", &reset);
    let body = json!({"token": reset, "new_password": NEW_PASSWORD});
    let (status, done) = app.post_json("/api/v1/auth/password/reset", body).await;
    assert_eq!(status, Status::Ok, "{done}");

    // API tokens and a refresh.
    let (status, pair) = app
        .post_json("/api/v1/auth/token", json!({"login": "rob", "password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, Status::Ok, "{pair}");
    secrets.json("access token", &pair, "access_token");
    secrets.json("refresh token", &pair, "refresh_token");
    let (status, fresh) = app
        .post_json("/api/v1/auth/refresh", json!({"refresh_token": pair["refresh_token"]}))
        .await;
    assert_eq!(status, Status::Ok, "{fresh}");
    secrets.json("refreshed access token", &fresh, "access_token");
    secrets.json("refreshed refresh token", &fresh, "refresh_token");

    // Whatever else the emails carried: every link's last segment and every code.
    for mail in all_mail(&browsers).await {
        for prefix in ["/join/", "/auth/magic/", "/reset/"] {
            let prefix = format!("http://127.0.0.1:8000{prefix}");
            if mail.text.contains(&prefix) {
                secrets
                    .add(&format!("link in {:?}", mail.subject), &link_token(&mail.text, &prefix));
            }
        }
        if let Some(code) = code_in(&mail.text) {
            secrets.add(&format!("code in {:?}", mail.subject), &code);
        }
    }
    assert!(secrets.0.len() >= 15, "every kind of secret was collected: {}", secrets.0.len());
    for (what, credential) in [
        ("admin", session_cookie(&app)),
        ("ivy", session_cookie(&ivy)),
        ("kim", session_cookie(&kim)),
        ("magic", session_cookie(&magic)),
    ] {
        assert!(credential.is_some(), "{what} still holds a session");
    }
    for browser in [&app, &ivy, &kim, &magic] {
        assert_eq!(browser.json("/api/v1/auth/session").await.0, Status::Ok, "sessions are live");
    }
    let bearer = format!("Bearer {}", fresh["access_token"].as_str().unwrap());
    let check = app
        .client
        .get("/api/v1/auth/check")
        .header(Header::new("Authorization", bearer))
        .dispatch();
    assert_eq!(check.await.status(), Status::Ok);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 4);
    assert!(app.count("SELECT count(*) FROM email_outbox").await >= 5, "the emails are kept");

    let cells = every_stored_value(&app).await;
    assert!(
        cells.iter().any(|(place, _, _)| place == "sessions.token_hash"),
        "the scan reads BLOBs"
    );
    let mut leaks = Vec::new();
    for (what, secret) in &secrets.0 {
        let hexed = hex::encode(secret);
        for (place, text, blob_hex) in &cells {
            let in_text = text.contains(secret.as_str());
            // Hex only for long secrets: a 6-digit code can turn up in a random hash's hex.
            let in_hex =
                secret.len() >= 16 && blob_hex.as_ref().is_some_and(|h| h.contains(&hexed));
            if in_text || in_hex {
                leaks.push(format!("{what} in {place}"));
            }
        }
    }
    leaks.sort();
    leaks.dedup();
    assert!(leaks.is_empty(), "secrets stored in plaintext:\n{}", leaks.join("\n"));
}

#[rocket::async_test]
async fn a_preregistered_account_cannot_skip_the_claim_with_a_sign_in_link_or_reset() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let body =
        serde_json::json!({"email": "pat@example.org", "first_name": "Pat", "last_name": "Doe"});
    assert_eq!(app.post_json("/api/v1/admin/members", body).await.0, Status::Created);
    let link = app
        .post_json("/api/v1/auth/magic-link", serde_json::json!({"email": "pat@example.org"}))
        .await;
    let reset = app
        .post_json("/api/v1/auth/password/forgot", serde_json::json!({"email": "pat@example.org"}))
        .await;
    assert_eq!((link.0, reset.0), (Status::Ok, Status::Ok), "the usual answers");
    assert!(
        app.emails_to("pat@example.org").await.is_empty(),
        "no link: the account is claimed instead"
    );
}
