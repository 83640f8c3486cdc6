//! Passkeys through the JSON API and the pages, with a software authenticator standing in for
//! the browser's: adding, listing, renaming and removing one's passkeys, signing in with a
//! passkey alone, and every way such a request can be wrong.

use chrono::Duration;
use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Cookie, Header, Method, Status};
use serde_json::{json, Value};

use crate::attackers::*;
use crate::passkey_device::{b64, unb64, Device};
use crate::support::*;

use Method::{Delete, Get, Patch, Post};

/// The address members use; passkeys are bound to its host, `localhost`.
const ORIGIN: &str = "http://localhost:8000";

async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.base_url = ORIGIN.into()).await
}

/// A club with the member `bo`, signed in on a browser of their own.
async fn club_with_bo() -> (TestApp, Browser) {
    let app = spawn().await;
    app.create_user("bo", &[Role::Member]).await;
    let bo = Browser::signed_in(&app, "bo").await;
    (app, bo)
}

/// Starts a registration as `who`: the ceremony token and the options.
async fn start_registration(app: &TestApp, who: &Browser) -> (String, Value) {
    let started = who.call_ok(app, Post, "/api/v1/auth/passkeys/registration", json!({})).await;
    let ceremony = started["ceremony"].as_str().expect("a ceremony").to_string();
    (ceremony, started["options"].clone())
}

/// Finishes a registration and returns the answer.
async fn finish_registration(
    app: &TestApp,
    who: &Browser,
    ceremony: &str,
    name: &str,
    credential: Value,
) -> Reply {
    let body = json!({"ceremony": ceremony, "name": name, "credential": credential});
    who.send(app, Post, "/api/v1/auth/passkeys", Payload::json(body)).await
}

/// Adds a passkey made on `device` to `who`'s account; returns the stored passkey.
async fn add_passkey(app: &TestApp, who: &Browser, device: &mut Device, name: &str) -> Value {
    let (ceremony, options) = start_registration(app, who).await;
    let credential = device.create(&options);
    let reply = finish_registration(app, who, &ceremony, name, credential).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    reply.json()
}

/// A POST without a session of its own: the status, the answer and the session cookie it set.
async fn post_anonymous(app: &TestApp, path: &str, body: Value) -> (Status, Value, Option<String>) {
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::JSON)
        .header(Header::new("Accept", "application/json"))
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    let cookie = set_cookie(&response, "clubroom_session")
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty());
    let text = response.into_string().await.unwrap_or_default();
    forget_jar_session(app).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), cookie)
}

/// Starts a passkey-only sign-in: the ceremony token and the options.
async fn start_sign_in(app: &TestApp) -> (String, Value) {
    let (status, started, _) =
        post_anonymous(app, "/api/v1/auth/passkey-login/start", json!({})).await;
    assert_eq!(status, Status::Ok, "{started}");
    (started["ceremony"].as_str().expect("a ceremony").to_string(), started["options"].clone())
}

/// Signs in with the first passkey `device` holds: the status, answer and session cookie.
async fn sign_in(app: &TestApp, device: &mut Device) -> (Status, Value, Option<String>) {
    let (ceremony, options) = start_sign_in(app).await;
    let credential = device.get(&options);
    let body = json!({"ceremony": ceremony, "credential": credential});
    post_anonymous(app, "/api/v1/auth/passkey-login", body).await
}

/// Who the session cookie belongs to, by username.
async fn whose(app: &TestApp, session: &str) -> Option<String> {
    let response = app
        .client
        .get("/api/v1/auth/session")
        .cookie(Cookie::new("clubroom_session", session.to_string()))
        .dispatch()
        .await;
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap_or_default())
        .unwrap_or(Value::Null);
    body["username"].as_str().map(str::to_string)
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    app.db()
        .read(|tx| {
            let mut stmt = tx.prepare("SELECT kind FROM audit_log ORDER BY id")?;
            let kinds = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(kinds)
        })
        .await
        .unwrap()
}

#[rocket::async_test]
async fn a_member_adds_a_passkey_that_is_discoverable_and_verifies_its_user() {
    let (app, bo) = club_with_bo().await;
    let bo_id = bo.id();
    let (ceremony, options) = start_registration(&app, &bo).await;

    let o = &options["publicKey"];
    assert_eq!(o["rp"]["id"], "localhost");
    assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(o["authenticatorSelection"]["requireResidentKey"], true);
    assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(o["user"]["name"], "bo");
    // The user handle is a random UUID kept on the account, never its id or email address.
    let handle = unb64(o["user"]["id"].as_str().unwrap());
    assert_eq!(handle.len(), 16);
    let stored: String = app
        .db()
        .read(move |tx| {
            let sql = "SELECT webauthn_handle FROM users WHERE id = ?1";
            Ok(tx.query_row(sql, [bo_id], |r| r.get(0))?)
        })
        .await
        .unwrap();
    assert_eq!(stored.replace('-', ""), hex(&handle));
    assert_ne!(handle, bo_id.to_string().into_bytes());

    let mut phone = Device::new(ORIGIN);
    let credential = phone.create(&options);
    let reply = finish_registration(&app, &bo, &ceremony, "  Phone ", credential).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let added = reply.json();
    assert_eq!(added["name"], "Phone");
    assert!(added["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(added["last_used_at"], Value::Null);

    let list = bo.get_ok(&app, "/api/v1/auth/passkeys").await;
    assert_eq!(list["passkeys"], json!([added]));
    assert!(audit_kinds(&app).await.contains(&"passkey_added".to_string()));
    assert_eq!(app.count("SELECT count(*) FROM passkey_ceremonies").await, 0, "spent");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[rocket::async_test]
async fn a_member_can_have_several_passkeys_and_each_new_one_excludes_those_they_have() {
    let (app, bo) = club_with_bo().await;
    let (mut phone, mut laptop) = (Device::new(ORIGIN), Device::new(ORIGIN));
    add_passkey(&app, &bo, &mut phone, "Phone").await;

    let (ceremony, options) = start_registration(&app, &bo).await;
    let excluded = options["publicKey"]["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["id"], b64(&phone.credentials[0].id));
    // The same account's handle again: an authenticator keeps one passkey per account.
    let first_handle = phone.credentials[0].user_handle.clone();
    assert_eq!(unb64(options["publicKey"]["user"]["id"].as_str().unwrap()), first_handle);

    let credential = laptop.create(&options);
    let reply = finish_registration(&app, &bo, &ceremony, "Laptop", credential).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let list = bo.get_ok(&app, "/api/v1/auth/passkeys").await;
    let names: Vec<&str> =
        list["passkeys"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Phone", "Laptop"]);
}

#[rocket::async_test]
async fn a_passkey_alone_signs_in_with_no_second_step_even_when_login_codes_are_on() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let added = add_passkey(&app, &bo, &mut phone, "Phone").await;
    app.exec("UPDATE users SET two_factor_enabled = 1 WHERE username = 'bo'").await;

    let (ceremony, options) = start_sign_in(&app).await;
    let o = &options["publicKey"];
    assert_eq!(o["rpId"], "localhost");
    assert_eq!(o["userVerification"], "required");
    assert!(o["allowCredentials"].as_array().is_none_or(Vec::is_empty), "names no account");
    assert!(options.get("mediation").is_none_or(Value::is_null), "asked for with a button");

    let credential = phone.get(&options);
    let body = json!({"ceremony": ceremony, "credential": credential});
    let (status, answer, cookie) = post_anonymous(&app, "/api/v1/auth/passkey-login", body).await;
    assert_eq!(status, Status::Ok, "{answer}");
    assert_eq!(answer["message"], "Login successful");
    assert!(answer.get("two_factor_required").is_none(), "{answer}");
    assert_eq!(whose(&app, &cookie.expect("a session cookie")).await.as_deref(), Some("bo"));

    // The use is recorded, with the authenticator's counter, and audited.
    let list = bo.get_ok(&app, "/api/v1/auth/passkeys").await;
    assert_eq!(list["passkeys"][0]["id"], added["id"]);
    assert!(list["passkeys"][0]["last_used_at"].is_string());
    let counter =
        app.count("SELECT json_extract(credential, '$.cred.counter') FROM passkeys").await;
    assert_eq!(counter, 1);
    let method = app
        .db()
        .read(|tx| {
            let sql = "SELECT json_extract(detail, '$.method') FROM audit_log
                        WHERE kind = 'login_succeeded' ORDER BY id DESC LIMIT 1";
            Ok(tx.query_row(sql, [], |r| r.get::<_, String>(0))?)
        })
        .await
        .unwrap();
    assert_eq!(method, "passkey");
    assert!(app.emails_to("bo@example.org").await.is_empty(), "no login code was sent");
}

#[rocket::async_test]
async fn an_api_client_can_take_tokens_for_a_passkey_sign_in() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    let (ceremony, options) = start_sign_in(&app).await;
    let body = json!({"ceremony": ceremony, "credential": phone.get(&options), "grant": "tokens"});
    let (status, answer, cookie) = post_anonymous(&app, "/api/v1/auth/passkey-login", body).await;
    assert_eq!(status, Status::Ok, "{answer}");
    assert!(cookie.is_none(), "tokens, not a cookie");
    let token = answer["access_token"].as_str().expect("an access token");
    let response = app
        .client
        .get("/api/v1/auth/check")
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_passkey_can_be_renamed_and_removed_and_then_signs_nobody_in() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let id = add_passkey(&app, &bo, &mut phone, "Phone").await["id"].as_i64().unwrap();
    let path = format!("/api/v1/auth/passkeys/{id}");

    let renamed = bo.call_ok(&app, Patch, &path, json!({"name": "Old phone"})).await;
    assert_eq!(renamed["name"], "Old phone");
    for bad in ["", "   ", "Line\nbreak", &"x".repeat(61)] {
        let reply = bo.send(&app, Patch, &path, Payload::json(json!({"name": bad}))).await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{bad:?}");
        assert!(reply.json()["error"]["fields"]["name"].is_string(), "{}", reply.body);
    }

    let removed = bo.call_ok(&app, Delete, &path, json!({})).await;
    assert_eq!(removed["message"], "Passkey removed");
    assert_eq!(bo.get_ok(&app, "/api/v1/auth/passkeys").await["passkeys"], json!([]));
    assert!(audit_kinds(&app).await.contains(&"passkey_removed".to_string()));
    let again = bo.send(&app, Delete, &path, Payload::json(json!({}))).await;
    assert_eq!(again.status, Status::NotFound);

    let (status, answer, cookie) = sign_in(&app, &mut phone).await;
    assert_eq!(status, Status::Unauthorized, "{answer}");
    assert_eq!(answer["error"]["code"], "passkey_refused");
    assert!(cookie.is_none());
}

#[rocket::async_test]
async fn someone_elses_passkey_is_not_found_whatever_is_asked_of_it() {
    let (app, bo) = club_with_bo().await;
    app.create_user("cy", &[Role::Member]).await;
    let cy = Browser::signed_in(&app, "cy").await;
    let mut phone = Device::new(ORIGIN);
    let id = add_passkey(&app, &bo, &mut phone, "Phone").await["id"].as_i64().unwrap();
    let path = format!("/api/v1/auth/passkeys/{id}");

    let rename = cy.send(&app, Patch, &path, Payload::json(json!({"name": ""}))).await;
    assert_eq!(rename.status, Status::NotFound, "the id is checked before the name");
    let rename = cy.send(&app, Patch, &path, Payload::json(json!({"name": "Mine"}))).await;
    assert_eq!(rename.status, Status::NotFound);
    assert_eq!(
        cy.send(&app, Delete, &path, Payload::json(json!({}))).await.status,
        Status::NotFound
    );
    assert_eq!(cy.get_ok(&app, "/api/v1/auth/passkeys").await["passkeys"], json!([]));
    for page in [format!("/account/passkeys/{id}/rename"), format!("/account/passkeys/{id}/remove")]
    {
        assert_eq!(cy.send(&app, Get, &page, Payload::None).await.status, Status::NotFound);
    }
    assert_eq!(bo.get_ok(&app, "/api/v1/auth/passkeys").await["passkeys"][0]["name"], "Phone");
}

#[rocket::async_test]
async fn an_answer_made_for_another_origin_is_refused() {
    let (app, bo) = club_with_bo().await;
    let mut phishing = Device::new("http://localhost.evil.example:8000");
    let (ceremony, options) = start_registration(&app, &bo).await;
    let reply = finish_registration(&app, &bo, &ceremony, "Phone", phishing.create(&options)).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert!(reply.json()["error"]["fields"]["credential"].is_string());
    assert_eq!(app.count("SELECT count(*) FROM passkeys").await, 0);

    // A passkey added here, used through a page of another origin, signs nobody in.
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    phone.origin = "https://clubroom.evil.example".into();
    let (status, answer, cookie) = sign_in(&app, &mut phone).await;
    assert_eq!(status, Status::Unauthorized, "{answer}");
    assert!(cookie.is_none());
    assert!(audit_kinds(&app).await.contains(&"passkey_login_failed".to_string()));
}

#[rocket::async_test]
async fn a_ceremony_works_once_and_an_answer_cannot_be_replayed() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let (ceremony, options) = start_registration(&app, &bo).await;
    let credential = phone.create(&options);
    let first = finish_registration(&app, &bo, &ceremony, "Phone", credential.clone()).await;
    assert_eq!(first.status, Status::Created);
    let again = finish_registration(&app, &bo, &ceremony, "Phone", credential).await;
    assert_eq!(again.status, Status::BadRequest, "{}", again.body);
    assert_eq!(again.json()["error"]["code"], "ceremony_expired");

    let (ceremony, options) = start_sign_in(&app).await;
    let answer = phone.get(&options);
    let body = json!({"ceremony": ceremony, "credential": answer});
    let (status, _, _) = post_anonymous(&app, "/api/v1/auth/passkey-login", body.clone()).await;
    assert_eq!(status, Status::Ok);
    let (status, refusal, cookie) = post_anonymous(&app, "/api/v1/auth/passkey-login", body).await;
    assert_eq!(status, Status::BadRequest, "{refusal}");
    assert_eq!(refusal["error"]["code"], "ceremony_expired");
    assert!(cookie.is_none());

    // The same signed answer under a new ceremony: its challenge is the old one.
    let (ceremony, _) = start_sign_in(&app).await;
    let body = json!({"ceremony": ceremony, "credential": answer});
    let (status, refusal, _) = post_anonymous(&app, "/api/v1/auth/passkey-login", body).await;
    assert_eq!(status, Status::Unauthorized, "{refusal}");
}

#[rocket::async_test]
async fn a_ceremony_left_too_long_has_expired() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let (ceremony, options) = start_registration(&app, &bo).await;
    app.advance(Duration::minutes(7));
    let reply = finish_registration(&app, &bo, &ceremony, "Phone", phone.create(&options)).await;
    assert_eq!(reply.status, Status::BadRequest, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "ceremony_expired");
}

#[rocket::async_test]
async fn a_cloned_authenticator_whose_counter_went_back_is_refused() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    assert_eq!(sign_in(&app, &mut phone).await.0, Status::Ok);
    assert_eq!(sign_in(&app, &mut phone).await.0, Status::Ok);
    phone.credentials[0].counter = 0;
    let (status, answer, _) = sign_in(&app, &mut phone).await;
    assert_eq!(status, Status::Unauthorized, "{answer}");
}

#[rocket::async_test]
async fn an_authenticator_that_did_not_verify_its_user_is_refused() {
    let (app, bo) = club_with_bo().await;
    let mut key = Device::new(ORIGIN);
    key.verifies_user = false;
    let (ceremony, options) = start_registration(&app, &bo).await;
    let reply = finish_registration(&app, &bo, &ceremony, "Key", key.create(&options)).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);

    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    phone.verifies_user = false;
    assert_eq!(sign_in(&app, &mut phone).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_disabled_account_cannot_sign_in_with_its_passkey() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'bo'").await;
    let (status, answer, cookie) = sign_in(&app, &mut phone).await;
    assert_eq!(status, Status::Forbidden, "{answer}");
    assert_eq!(answer["error"]["code"], "account_disabled");
    assert!(cookie.is_none());
    assert!(audit_kinds(&app).await.contains(&"login_refused_disabled".to_string()));
}

#[rocket::async_test]
async fn a_passkey_already_registered_cannot_be_registered_again() {
    let (app, bo) = club_with_bo().await;
    app.create_user("cy", &[Role::Member]).await;
    let cy = Browser::signed_in(&app, "cy").await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    let (ceremony, options) = start_registration(&app, &cy).await;
    let reply = finish_registration(&app, &cy, &ceremony, "Phone", phone.attest(&options, 0)).await;
    assert_eq!(reply.status, Status::Conflict, "{}", reply.body);
    assert!(reply.json()["error"]["fields"]["credential"].is_string());
}

#[rocket::async_test]
async fn malformed_answers_are_refused_with_the_field_named_never_with_a_500() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    let (_, options) = start_registration(&app, &bo).await;
    let good = phone.create(&options);
    let mut truncated = good.clone();
    truncated["response"]["attestationObject"] = json!("AAAA");
    let mut not_base64 = good.clone();
    not_base64["response"]["clientDataJSON"] = json!("%%%");
    not_base64["rawId"] = json!("not base64!");
    let shapes = [
        json!(null),
        json!("a credential"),
        json!(42),
        json!([]),
        json!({}),
        json!({"id": 1}),
        json!({"response": {}}),
        truncated,
        not_base64,
    ];
    for credential in &shapes {
        // A fresh ceremony each time: a shape the service can read spends the one it names.
        let (ceremony, _) = start_registration(&app, &bo).await;
        let reply = finish_registration(&app, &bo, &ceremony, "Phone", credential.clone()).await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{credential}: {}", reply.body);
        assert!(reply.json()["error"]["fields"]["credential"].is_string(), "{}", reply.body);

        let (ceremony, _) = start_sign_in(&app).await;
        let body = json!({"ceremony": ceremony, "credential": credential});
        let (status, answer, _) = post_anonymous(&app, "/api/v1/auth/passkey-login", body).await;
        assert!(status.code == 422 || status.code == 401, "{credential}: {status} {answer}");
        // The rate limit of the anonymous endpoints is not what this is about.
        app.advance(Duration::seconds(61));
    }
    for body in [
        json!({"ceremony": "nope", "credential": good}),
        json!({"ceremony": 7}),
        json!({"name": "Phone", "surprise": true}),
    ] {
        let reply = bo.send(&app, Post, "/api/v1/auth/passkeys", Payload::json(body.clone())).await;
        assert!(reply.status.code >= 400 && reply.status.code < 500, "{body}: {}", reply.status);
        let (status, _, _) = post_anonymous(&app, "/api/v1/auth/passkey-login", body.clone()).await;
        assert!(status.code >= 400 && status.code < 500, "{body}: {status}");
    }
}

#[rocket::async_test]
async fn the_anonymous_passkey_endpoints_are_limited_per_client() {
    let (app, _) = club_with_bo().await;
    for _ in 0..10 {
        start_sign_in(&app).await;
    }
    let (status, answer, _) =
        post_anonymous(&app, "/api/v1/auth/passkey-login/start", json!({})).await;
    assert_eq!(status, Status::TooManyRequests, "{answer}");
    let (status, _, _) = post_anonymous(
        &app,
        "/api/v1/auth/passkey-login",
        json!({"ceremony": "x", "credential": {}}),
    )
    .await;
    assert_eq!(status, Status::TooManyRequests);
    app.advance(Duration::seconds(61));
    start_sign_in(&app).await;
}

#[rocket::async_test]
async fn the_passkey_routes_of_an_account_need_a_session() {
    let app = spawn().await;
    let anonymous = Browser::anonymous(&app).await;
    for (method, path) in [
        (Post, "/api/v1/auth/passkeys/registration"),
        (Post, "/api/v1/auth/passkeys"),
        (Get, "/api/v1/auth/passkeys"),
    ] {
        let payload = if method == Get { Payload::None } else { Payload::json(json!({})) };
        let reply = anonymous.send(&app, method, path, payload).await;
        assert_eq!(reply.status, Status::Unauthorized, "{method} {path}");
    }
}

#[rocket::async_test]
async fn a_server_whose_address_cannot_have_passkeys_says_so_and_offers_none() {
    let app = TestApp::spawn().await;
    app.create_user("bo", &[Role::Member]).await;
    let bo = Browser::signed_in(&app, "bo").await;
    let path = "/api/v1/auth/passkeys/registration";
    let reply = bo.send(&app, Post, path, Payload::json(json!({}))).await;
    assert_eq!(reply.status, Status::Forbidden, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "passkeys_unavailable");
    let (status, answer, _) =
        post_anonymous(&app, "/api/v1/auth/passkey-login/start", json!({})).await;
    assert_eq!(status, Status::Forbidden, "{answer}");

    let account = bo.send(&app, Get, "/account", Payload::None).await;
    assert!(account.body.contains("Passkeys are not available on this server"));
    assert!(!account.body.contains("passkeys.js"));
    let login = get(&app, "/login").await;
    assert!(!login.html.contains("Sign in with a passkey"));
}

// ----- the pages -----

#[rocket::async_test]
async fn the_account_page_lists_the_passkeys_and_offers_to_add_one_with_javascript() {
    let (app, bo) = club_with_bo().await;
    let page = bo.send(&app, Get, "/account", Payload::None).await;
    assert!(page.body.contains("You have no passkey yet."));
    assert!(page.body.contains("data-passkey-register"));
    assert!(page.body.contains("needs a browser with JavaScript"));
    assert!(page.body.contains("/assets/js/passkeys.js"));

    let mut phone = Device::new(ORIGIN);
    let id = add_passkey(&app, &bo, &mut phone, "Phone <3").await["id"].as_i64().unwrap();
    let page = bo.send(&app, Get, "/account", Payload::None).await;
    assert!(page.body.contains("Phone &lt;3"), "escaped");
    assert!(page.body.contains(&format!("/account/passkeys/{id}/rename")));
    assert!(page.body.contains(&format!("/account/passkeys/{id}/remove")));
    assert!(page.body.contains("never"), "not used yet");

    let script = app.client.get("/assets/js/passkeys.js").dispatch().await;
    assert_eq!(script.status(), Status::Ok);
    assert_eq!(script.content_type(), Some(ContentType::JavaScript));
}

#[rocket::async_test]
async fn a_passkey_is_renamed_on_its_page_and_a_bad_name_shows_the_form_again() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let id = add_passkey(&app, &bo, &mut phone, "Phone").await["id"].as_i64().unwrap();
    let path = format!("/account/passkeys/{id}/rename");
    let form = bo.send(&app, Get, &path, Payload::None).await;
    assert_eq!(form.status, Status::Ok);
    assert!(form.body.contains("Rename the passkey “Phone”"));

    let bad = Payload::Form { fields: vec![("name".into(), " ".into())], bare: false };
    let reply = bo.send(&app, Post, &path, bad).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert!(reply.body.contains("aria-invalid=\"true\""));

    let good = Payload::Form { fields: vec![("name".into(), "Pixel".into())], bare: false };
    let reply = bo.send(&app, Post, &path, good).await;
    assert_eq!((reply.status, reply.location.as_deref()), (Status::SeeOther, Some("/account")));
    assert_eq!(bo.get_ok(&app, "/api/v1/auth/passkeys").await["passkeys"][0]["name"], "Pixel");

    let forged = Payload::Form { fields: vec![("name".into(), "Forged".into())], bare: true };
    assert_eq!(bo.send(&app, Post, &path, forged).await.status, Status::Forbidden);
}

#[rocket::async_test]
async fn removing_a_passkey_asks_first_on_a_page_that_names_it() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    let id = add_passkey(&app, &bo, &mut phone, "Work laptop").await["id"].as_i64().unwrap();
    let path = format!("/account/passkeys/{id}/remove");
    let confirm = bo.send(&app, Get, &path, Payload::None).await;
    assert_eq!(confirm.status, Status::Ok);
    assert!(confirm.body.contains("Remove the passkey “Work laptop”?"));
    assert_eq!(app.count("SELECT count(*) FROM passkeys").await, 1, "asking removes nothing");

    let reply = bo.send(&app, Post, &path, Payload::Form { fields: vec![], bare: false }).await;
    assert_eq!((reply.status, reply.location.as_deref()), (Status::SeeOther, Some("/account")));
    assert_eq!(app.count("SELECT count(*) FROM passkeys").await, 0);
}

#[rocket::async_test]
async fn the_login_page_offers_a_passkey_button_that_keeps_where_to_go_next() {
    let app = spawn().await;
    let login = get(&app, "/login?next=/activities").await;
    assert!(login.html.contains("Sign in with a passkey"));
    assert!(
        login.html.contains("data-next=\"/activities\"")
            || login.html.contains("data-next=\"&#x2F;activities\"")
    );
    assert!(login.html.contains("/assets/js/passkeys.js"));
    let login = get(&app, "/login?next=//evil.example").await;
    assert!(login.html.contains("data-next=\"\""), "only a local path");
}

#[rocket::async_test]
async fn deleting_an_account_says_its_passkeys_go_and_takes_them() {
    let (app, bo) = club_with_bo().await;
    let mut phone = Device::new(ORIGIN);
    add_passkey(&app, &bo, &mut phone, "Phone").await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    let admin = Browser::signed_in(&app, "admin").await;
    let path = format!("/api/v1/admin/members/{}", bo.id());
    let preview = admin.get_ok(&app, &format!("{path}/deletion")).await;
    let deleted: Vec<&str> = preview["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(deleted.contains(&"passkeys"), "{preview}");

    admin.call_ok(&app, Delete, &path, json!({"confirm": "bo"})).await;
    assert_eq!(app.count("SELECT count(*) FROM passkeys").await, 0);
    assert_eq!(sign_in(&app, &mut phone).await.0, Status::Unauthorized);
}
