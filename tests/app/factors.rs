//! Second factors: authenticator apps, recovery codes, the second step after a password or an
//! email link, the club policy that requires admins to hold an app or a passkey, and an
//! admin's reset of a member's factors.

use chrono::Duration;
use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::support::*;

const MAGIC_PREFIX: &str = "http://127.0.0.1:8000/auth/magic/";
const RESET_PREFIX: &str = "http://127.0.0.1:8000/reset/";
const NEW_PASSWORD: &str = "green teapot under the stairs";

/// An authenticator app in the test: the secret the server handed out.
struct Phone {
    secret: Vec<u8>,
}

impl Phone {
    fn from(enrolment: &Value) -> Phone {
        let typed = enrolment["secret"].as_str().expect("secret").replace(' ', "");
        let secret = Secret::Encoded(typed).to_bytes().expect("base32 secret");
        let url = enrolment["otpauth_url"].as_str().expect("otpauth_url");
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        Phone { secret }
    }

    /// The code the app shows at the server's current time.
    fn code(&self, app: &TestApp) -> String {
        let now = u64::try_from(app.ctx().now_unix()).unwrap();
        TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, self.secret.clone(), None, String::new())
            .generate(now)
    }
}

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

async fn signed_in_as(app: &TestApp) -> Option<String> {
    let (status, body) = app.json("/api/v1/auth/session").await;
    (status == Status::Ok).then(|| body["username"].as_str().unwrap_or_default().to_string())
}

/// Sets up an authenticator app for the signed-in member; returns it and the recovery codes.
async fn set_up_app(app: &TestApp) -> (Phone, Vec<String>) {
    let (status, enrolment) = app.post_json("/api/v1/auth/authenticator", json!(null)).await;
    assert_eq!(status, Status::Created, "{enrolment}");
    let phone = Phone::from(&enrolment);
    let (status, done) =
        app.post_json("/api/v1/auth/authenticator/confirm", json!({"code": phone.code(app)})).await;
    assert_eq!(status, Status::Ok, "{done}");
    let codes = done["recovery_codes"].as_array().expect("codes").iter();
    (phone, codes.map(|c| c.as_str().unwrap().to_string()).collect())
}

/// A password sign-in that must be challenged: the challenge and its methods.
async fn start(app: &TestApp, username: &str, password: &str) -> (String, Vec<String>) {
    let response = app.api_login(username, password).await;
    assert_eq!(response.status(), Status::Ok, "login as {username}");
    let body = body_json(response).await;
    assert_eq!(body["two_factor_required"], true, "{body}");
    (body["challenge"].as_str().unwrap().to_string(), methods(&body))
}

fn methods(body: &Value) -> Vec<String> {
    let all = body["methods"].as_array().unwrap_or_else(|| panic!("no methods in {body}"));
    all.iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

async fn verify(app: &TestApp, body: Value) -> (Status, Value) {
    app.post_json("/api/v1/auth/login/verify", body).await
}

async fn templates_sent(app: &TestApp, template: &'static str) -> i64 {
    app.emails().await;
    let sql: &'static str = match template {
        "two_factor_code" => "SELECT count(*) FROM email_outbox WHERE template = 'two_factor_code'",
        "sign_in_methods_changed" => {
            "SELECT count(*) FROM email_outbox WHERE template = 'sign_in_methods_changed'"
        }
        other => panic!("no query for {other}"),
    };
    app.count(sql).await
}

#[rocket::async_test]
async fn an_authenticator_app_is_set_up_with_its_first_code_and_then_asked_for_at_every_sign_in() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (phone, codes) = set_up_app(&app).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(templates_sent(&app, "sign_in_methods_changed").await, 1, "the member is told");
    let (_, factors) = app.json("/api/v1/auth/factors").await;
    assert_eq!(factors["authenticator_app"], true);
    assert_eq!(factors["recovery_codes_left"], 10);
    assert_eq!(factors["second_step_required"], true);

    // The secret is sealed at rest: the database holds no usable copy.
    let typed = Secret::Raw(phone.secret.clone()).to_encoded().to_string();
    let stored =
        app.count("SELECT count(*) FROM authenticator_apps WHERE secret LIKE 'sealed:v1:%'");
    assert_eq!(stored.await, 1);
    let db = std::fs::read(app.data_dir().join("clubroom.db")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&db).contains(&typed));

    logout(&app).await;
    let emailed = templates_sent(&app, "two_factor_code").await;
    let (challenge, offered) = start(&app, "bob", PASSWORD).await;
    assert_eq!(offered, ["authenticator_app", "recovery_code"]);
    assert_eq!(templates_sent(&app, "two_factor_code").await, emailed, "no emailed code");
    assert_eq!(signed_in_as(&app).await, None);

    // The code that confirmed the app was spent: the same 30 seconds give nothing twice.
    let same = verify(&app, json!({"challenge": challenge, "code": phone.code(&app)})).await;
    assert_eq!(same.0, Status::BadRequest, "{}", same.1);
    assert_eq!(same.1["error"]["code"], "invalid_code");
    app.advance(Duration::seconds(30));
    let (status, body) =
        verify(&app, json!({"challenge": challenge, "code": phone.code(&app)})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("bob"));
}

#[rocket::async_test]
async fn a_code_one_step_late_is_accepted_and_two_steps_late_is_not() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (phone, _) = set_up_app(&app).await;
    logout(&app).await;
    app.advance(Duration::seconds(60));
    let late = phone.code(&app);
    app.advance(Duration::seconds(30));
    let (challenge, _) = start(&app, "bob", PASSWORD).await;
    let (status, _) = verify(&app, json!({"challenge": challenge, "code": late})).await;
    assert_eq!(status, Status::Ok, "a code from the previous step still counts");

    logout(&app).await;
    app.advance(Duration::seconds(90));
    let stale = phone.code(&app);
    app.advance(Duration::seconds(60));
    let (challenge, _) = start(&app, "bob", PASSWORD).await;
    let (status, _) = verify(&app, json!({"challenge": challenge, "code": stale})).await;
    assert_eq!(status, Status::BadRequest, "two steps old is too old");
}

#[rocket::async_test]
async fn each_recovery_code_works_once_and_new_ones_void_the_old() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (_, codes) = set_up_app(&app).await;
    logout(&app).await;

    let (challenge1, _) = start(&app, "bob", PASSWORD).await;
    let typed = codes[3].to_lowercase().replace('-', " ");
    let (status, body) =
        verify(&app, json!({"challenge": challenge1, "recovery_code": typed})).await;
    assert_eq!(status, Status::Ok, "{body}");
    let (_, factors) = app.json("/api/v1/auth/factors").await;
    assert_eq!(factors["recovery_codes_left"], 9);
    logout(&app).await;

    let (challenge2, _) = start(&app, "bob", PASSWORD).await;
    let again = verify(&app, json!({"challenge": challenge2, "recovery_code": codes[3]})).await;
    assert_eq!(again.0, Status::BadRequest, "a recovery code works once");
    let (status, _) =
        verify(&app, json!({"challenge": challenge2, "recovery_code": codes[4]})).await;
    assert_eq!(status, Status::Ok);

    let (status, renewed) = app.post_json("/api/v1/auth/recovery-codes", json!(null)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(renewed["recovery_codes"].as_array().unwrap().len(), 10);
    logout(&app).await;
    let (challenge3, _) = start(&app, "bob", PASSWORD).await;
    let old = verify(&app, json!({"challenge": challenge3, "recovery_code": codes[5]})).await;
    assert_eq!(old.0, Status::BadRequest, "renewing voids the old codes");
}

#[rocket::async_test]
async fn a_challenge_takes_one_answer_and_dies_after_too_many_wrong_ones() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (phone, codes) = set_up_app(&app).await;
    logout(&app).await;
    let (challenge, _) = start(&app, "bob", PASSWORD).await;
    let both = json!({"challenge": challenge, "code": "123456", "recovery_code": codes[0]});
    let (status, body) = verify(&app, both).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, body) = verify(&app, json!({"challenge": challenge})).await;
    assert_eq!(
        (status, &body["error"]["fields"]["code"]),
        (Status::UnprocessableEntity, &json!("Enter the code."))
    );
    // The password is no answer for a member who holds an app.
    let (status, _) = verify(&app, json!({"challenge": challenge, "password": PASSWORD})).await;
    assert_eq!(status, Status::BadRequest);
    for _ in 0..5 {
        verify(&app, json!({"challenge": challenge, "code": "000000"})).await;
    }
    app.advance(Duration::seconds(30));
    let (status, _) = verify(&app, json!({"challenge": challenge, "code": phone.code(&app)})).await;
    assert_eq!(status, Status::BadRequest, "the challenge died");
}

/// Requests a sign-in link for `email` and completes it through the API.
async fn sign_in_by_link(app: &TestApp, email: &str) -> (Status, Value) {
    let (status, _) = app.post_json("/api/v1/auth/magic-link", json!({"email": email})).await;
    assert_eq!(status, Status::Ok);
    let mail = app.emails_to(email).await;
    let link = extract_link(&mail.last().expect("email").text, MAGIC_PREFIX).expect("link");
    let token = link.trim_start_matches(MAGIC_PREFIX).to_string();
    app.post_json("/api/v1/auth/magic-link/verify", json!({"token": token})).await
}

#[rocket::async_test]
async fn an_email_link_is_one_factor_and_an_admin_must_add_the_password() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    let emailed = templates_sent(&app, "two_factor_code").await;
    let (status, body) = sign_in_by_link(&app, "admin@example.org").await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["two_factor_required"], true, "the link alone does not sign an admin in");
    assert_eq!(methods(&body), ["password"], "never a second email");
    assert_eq!(templates_sent(&app, "two_factor_code").await, emailed);
    assert_eq!(signed_in_as(&app).await, None);
    let challenge = body["challenge"].clone();
    let wrong = verify(&app, json!({"challenge": challenge, "password": "not the password"})).await;
    assert_eq!(wrong.0, Status::BadRequest);
    let (status, _) = verify(&app, json!({"challenge": challenge, "password": PASSWORD})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));

    // A member the club does not ask for a second step still signs in with the link alone.
    logout(&app).await;
    app.create_user("bob", &[Role::Member]).await;
    let (status, body) = sign_in_by_link(&app, "bob@example.org").await;
    assert_eq!((status, body), (Status::Ok, json!({"message": "Login successful"})));
}

#[rocket::async_test]
async fn an_email_link_asks_a_member_with_an_app_for_the_app() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (phone, _) = set_up_app(&app).await;
    logout(&app).await;
    app.advance(Duration::seconds(30));
    let (_, body) = sign_in_by_link(&app, "bob@example.org").await;
    assert_eq!(methods(&body), ["authenticator_app", "recovery_code"]);
    let challenge = body["challenge"].clone();
    let (status, _) = verify(&app, json!({"challenge": challenge, "password": PASSWORD})).await;
    assert_eq!(status, Status::BadRequest, "the password does not replace the app");
    let (status, _) = verify(&app, json!({"challenge": challenge, "code": phone.code(&app)})).await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn a_password_reset_does_not_get_past_the_second_factor() {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    app.login_as("admin").await;
    set_up_app(&app).await;
    logout(&app).await;

    // Someone who can read the admin's mail resets the password...
    let (status, _) =
        app.post_json("/api/v1/auth/password/forgot", json!({"email": "admin@example.org"})).await;
    assert_eq!(status, Status::Ok);
    let mail = app.emails_to("admin@example.org").await;
    let link = extract_link(&mail.last().unwrap().text, RESET_PREFIX).expect("reset link");
    let token = link.trim_start_matches(RESET_PREFIX);
    let response = app
        .client
        .post("/api/v1/auth/password/reset")
        .header(ContentType::JSON)
        .body(json!({"token": token, "new_password": NEW_PASSWORD}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, "clubroom_session").is_none(), "a reset signs nobody in");
    assert_eq!(signed_in_as(&app).await, None);

    // ...and the new password leads to the app, not to another email.
    let emailed = templates_sent(&app, "two_factor_code").await;
    let (challenge, offered) = start(&app, "admin", NEW_PASSWORD).await;
    assert_eq!(offered, ["authenticator_app", "recovery_code"]);
    assert_eq!(templates_sent(&app, "two_factor_code").await, emailed);
    let (status, _) = verify(&app, json!({"challenge": challenge, "code": "000000"})).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(signed_in_as(&app).await, None);
}

async fn set_policy(app: &TestApp, policy: &str) {
    app.create_user("root", &[Role::Admin, Role::Member]).await;
    app.exec("UPDATE users SET two_factor_enabled = 0").await;
    app.login_as("root").await;
    let (status, body) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"two_factor_policy": policy}))
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    logout(app).await;
}

#[rocket::async_test]
async fn the_strong_policy_makes_an_admin_set_up_an_app_before_the_session_starts() {
    let app = TestApp::spawn().await;
    set_policy(&app, "admins_strong").await;
    app.create_user("ann", &[Role::Admin, Role::Member]).await;
    let (challenge, offered) = start(&app, "ann", PASSWORD).await;
    assert_eq!(offered, ["email_code"], "the mailbox is the second step once more");
    let code = app.last_code("ann@example.org").await;
    let (status, body) = verify(&app, json!({"challenge": challenge, "code": code})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body, json!({"enrolment_required": true, "challenge": challenge}));
    assert_eq!(signed_in_as(&app).await, None, "no session before the app is set up");

    // The challenge cannot be answered a second time to slip past the set-up.
    let again = verify(&app, json!({"challenge": challenge, "code": code})).await;
    assert_eq!(again.0, Status::BadRequest);

    let (status, enrolment) =
        app.post_json("/api/v1/auth/login/enrol", json!({"challenge": challenge})).await;
    assert_eq!(status, Status::Ok, "{enrolment}");
    let phone = Phone::from(&enrolment);
    let wrong = json!({"challenge": challenge, "code": "000000"});
    let (status, body) = app.post_json("/api/v1/auth/login/enrol/confirm", wrong).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"]["code"].is_string());
    let right = json!({"challenge": challenge, "code": phone.code(&app)});
    let (status, done) = app.post_json("/api/v1/auth/login/enrol/confirm", right).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("ann"));

    // From now on the app is her second step; the mailbox is not offered.
    logout(&app).await;
    let (_, offered) = start(&app, "ann", PASSWORD).await;
    assert_eq!(offered, ["authenticator_app", "recovery_code"]);

    // A member is not held back by a policy for admins.
    app.create_user("bob", &[Role::Member]).await;
    let response = app.api_login("bob", PASSWORD).await;
    assert_eq!(body_json(response).await, json!({"message": "Login successful"}));
}

#[rocket::async_test]
async fn the_strong_policy_enrolment_works_through_the_pages() {
    let app = TestApp::spawn().await;
    set_policy(&app, "admins_strong").await;
    app.create_user("ann", &[Role::Admin, Role::Member]).await;
    let login = submit(&app, "/login", "/login", &[("login", "ann"), ("password", PASSWORD)]).await;
    assert_eq!(login.status, Status::Ok);
    assert!(login.html.contains("Code from the email we just sent you"), "{}", login.html);
    let challenge = hidden(&login.html, "challenge");
    let code = app.last_code("ann@example.org").await;
    let fields = [("challenge", challenge.as_str()), ("code", code.as_str())];
    let setup = submit(&app, "/login", "/login/verify", &fields).await;
    assert_eq!(setup.status, Status::Ok);
    assert!(setup.html.contains("Set up an authenticator app"), "{}", setup.html);
    assert!(setup.html.contains("<svg"), "a QR code");
    let secret = Secret::Encoded(hidden_text(&setup.html, "<code class=\"secret\">")).to_bytes();
    let phone = Phone { secret: secret.expect("secret") };

    let wrong = [("challenge", challenge.as_str()), ("code", "000000")];
    let refused = submit(&app, "/login", "/login/enrol", &wrong).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(refused.html.contains("That code is not right"));
    let code = phone.code(&app);
    let right = [("challenge", challenge.as_str()), ("code", code.as_str())];
    let done = submit(&app, "/login", "/login/enrol", &right).await;
    assert_eq!(done.status, Status::Ok);
    assert!(done.html.contains("Keep your recovery codes"));
    assert_eq!(done.html.matches("<li><code>").count(), 10);
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("ann"));
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// The text after `marker` up to the next tag, without spaces.
fn hidden_text(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].replace(' ', "")
}

#[rocket::async_test]
async fn the_account_pages_set_up_and_remove_an_app_asking_first() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let account = get(&app, "/account").await;
    assert!(account.html.contains("Set up an authenticator app"));
    let setup = submit(&app, "/account", "/account/authenticator", &[]).await;
    assert_eq!(setup.status, Status::Ok);
    let secret = Secret::Encoded(hidden_text(&setup.html, "<code class=\"secret\">")).to_bytes();
    let phone = Phone { secret: secret.unwrap() };
    // A reload shows the same set-up.
    let again = get(&app, "/account/authenticator").await;
    assert!(again.html.contains(&hidden_text(&setup.html, "<code class=\"secret\">")[..4]));
    let code = phone.code(&app);
    let done = submit(&app, "/account", "/account/authenticator/confirm", &[("code", &code)]).await;
    assert_eq!(done.status, Status::Ok);
    assert_eq!(done.html.matches("<li><code>").count(), 10);
    let account = get(&app, "/account").await;
    assert!(account.html.contains("10 of 10 unused"), "{}", account.html);

    let ask = get(&app, "/account/authenticator/remove").await;
    assert!(ask.html.contains("Remove the authenticator app?"));
    let removed =
        submit(&app, "/account/authenticator/remove", "/account/authenticator/remove", &[]).await;
    assert!(removed.redirects_to("/account"));
    let (_, factors) = app.json("/api/v1/auth/factors").await;
    assert_eq!(factors["authenticator_app"], false);
    assert_eq!(templates_sent(&app, "sign_in_methods_changed").await, 2, "added, removed");
}

#[rocket::async_test]
async fn the_second_step_page_offers_the_app_and_a_recovery_code() {
    let app = TestApp::spawn().await;
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (phone, codes) = set_up_app(&app).await;
    logout(&app).await;
    app.advance(Duration::seconds(30));
    let step = submit(&app, "/login", "/login", &[("login", "bob"), ("password", PASSWORD)]).await;
    assert!(step.html.contains("Code from your authenticator app"));
    assert!(step.html.contains("Use a recovery code"));
    assert!(!step.html.contains("name=\"password\""));
    let challenge = hidden(&step.html, "challenge");
    let wrong =
        submit(&app, "/login", "/login/verify", &[("challenge", &challenge), ("code", "000000")])
            .await;
    assert_eq!(wrong.status, Status::BadRequest);
    assert!(wrong.html.contains("Code from your authenticator app"), "the forms come back");
    let code = phone.code(&app);
    let done =
        submit(&app, "/login", "/login/verify", &[("challenge", &challenge), ("code", &code)])
            .await;
    assert!(done.redirects_to("/home"));
    logout(&app).await;
    let step = submit(&app, "/login", "/login", &[("login", "bob"), ("password", PASSWORD)]).await;
    let challenge = hidden(&step.html, "challenge");
    let fields = [("challenge", challenge.as_str()), ("recovery_code", codes[0].as_str())];
    let done = submit(&app, "/login", "/login/verify", &fields).await;
    assert!(done.redirects_to("/home"));
}

#[rocket::async_test]
async fn an_admin_reset_removes_every_factor_and_tells_the_member() {
    let app = TestApp::spawn().await;
    let bob = app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    set_up_app(&app).await;
    logout(&app).await;
    app.as_admin().await;
    let told = templates_sent(&app, "sign_in_methods_changed").await;
    let path = format!("/api/v1/admin/members/{bob}/two-factor/reset");
    let (status, body) = app.post_json(&path, json!(null)).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(app.count("SELECT count(*) FROM authenticator_apps").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
    assert_eq!(templates_sent(&app, "sign_in_methods_changed").await, told + 1);
    let audited = "SELECT count(*) FROM audit_log WHERE kind = 'member_two_factor_reset'";
    assert_eq!(app.count(audited).await, 1);
    let (status, _) = app.post_json(&path, json!(null)).await;
    assert_eq!(status, Status::Conflict, "nothing left to reset");
    logout(&app).await;
    let response = app.api_login("bob", PASSWORD).await;
    assert_eq!(body_json(response).await, json!({"message": "Login successful"}));
}

#[rocket::async_test]
async fn factor_routes_need_a_signed_in_member_and_refuse_what_makes_no_sense() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::Get, "/api/v1/auth/factors"),
        (Method::Post, "/api/v1/auth/authenticator"),
        (Method::Post, "/api/v1/auth/authenticator/confirm"),
        (Method::Delete, "/api/v1/auth/authenticator"),
        (Method::Post, "/api/v1/auth/recovery-codes"),
    ] {
        let (status, _) = app.send_json(method, path, json!({"code": "123456"})).await;
        assert_eq!(status, Status::Unauthorized, "{path}");
    }
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let (status, _) = app.post_json("/api/v1/auth/recovery-codes", json!(null)).await;
    assert_eq!(status, Status::Conflict, "no codes without an app or a passkey");
    let (status, _) =
        app.send_json(Method::Delete, "/api/v1/auth/authenticator", json!(null)).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) =
        app.post_json("/api/v1/auth/authenticator/confirm", json!({"code": "123456"})).await;
    assert_eq!(status, Status::Conflict, "nothing is being set up");
    set_up_app(&app).await;
    let (status, _) = app.post_json("/api/v1/auth/authenticator", json!(null)).await;
    assert_eq!(status, Status::Conflict, "one app at a time");
    let (status, _) =
        app.post_json("/api/v1/auth/login/enrol", json!({"challenge": "made-up"})).await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn a_set_password_link_signs_in_only_those_who_need_no_second_step() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let ann = app.create_user("ann", &[Role::Admin, Role::Member]).await;
    for id in [bo, ann] {
        let path = format!("/api/v1/admin/members/{id}/access");
        let (status, body) = app.post_json(&path, json!({"kind": "set_password"})).await;
        assert_eq!(status, Status::Accepted, "{body}");
    }
    let _ = admin;
    logout(&app).await;
    let prefix = "http://127.0.0.1:8000";
    for (who, signed_in) in [("bo", true), ("ann", false)] {
        let text = app.last_email_text(&format!("{who}@example.org")).await;
        let link = extract_link(&text, &format!("{prefix}/set-password/")).expect("link");
        let path = link.trim_start_matches(prefix).to_string();
        let fields = [("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)];
        let done = submit(&app, &path, &path, &fields).await;
        assert_eq!(done.status, Status::SeeOther);
        let expected = if signed_in { Some(who.to_string()) } else { None };
        assert_eq!(signed_in_as(&app).await, expected, "{who}");
        assert!(done.redirects_to(if signed_in { "/home" } else { "/login" }), "{who}");
        logout(&app).await;
    }
    // The admin signs in with the new password and takes the second step.
    let (_, offered) = start(&app, "ann", NEW_PASSWORD).await;
    assert_eq!(offered, ["email_code"]);
}
