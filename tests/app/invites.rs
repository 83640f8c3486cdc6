//! Invitations: personal invites, shareable links, their lifecycle and the preflight.

use clubroom::accounts::model::Role;
use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::*;

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

#[rocket::async_test]
async fn an_admin_invites_someone_by_email_and_the_link_works() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) = app
        .post_json(
            "/api/v1/admin/invites",
            json!({"name": "Kim", "email": "Kim@Example.org", "roles": ["member", "coach"]}),
        )
        .await;
    assert_eq!(status, Status::Created, "{body}");
    let url = body["invite_url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:8000/join/"), "{url}");
    assert!(body["invite_id"].as_i64().is_some());
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.timestamp() - chrono::Utc::now().timestamp()) as f64 / 86_400.0;
    assert!((6.9..7.1).contains(&days), "7 days by default, got {days}");

    let mail = app.emails_to("kim@example.org").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].text.contains(url), "the email holds the link");

    let (status, pre) = app.json(&format!("/api/v1/auth/invites/{}", token_of(url))).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        pre,
        json!({"valid": true, "email": "kim@example.org", "name": "Kim", "roles": ["coach", "member"]})
    );
}

#[rocket::async_test]
async fn only_admins_manage_invitations() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "kim@example.org"});
    assert_eq!(app.post_json("/api/v1/admin/invites", body.clone()).await.0, Status::Unauthorized);
    app.create_user("bob", &[Role::Member, Role::Coach]).await;
    app.login_as("bob").await;
    let (status, err) = app.post_json("/api/v1/admin/invites", body).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "forbidden");
    assert_eq!(app.json("/api/v1/admin/invites").await.0, Status::Forbidden);
    assert_eq!(
        app.post_json("/api/v1/admin/invites/1/revoke", json!({})).await.0,
        Status::Forbidden
    );
    assert_eq!(app.client.get("/admin/invites").dispatch().await.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM invites").await, 0);
}

#[rocket::async_test]
async fn inviting_the_same_email_again_reissues_the_same_record() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (_, first) =
        app.post_json("/api/v1/admin/invites", json!({"email": "kim@example.org"})).await;
    let (status, second) = app
        .post_json("/api/v1/admin/invites", json!({"email": "KIM@example.org", "roles": ["coach"]}))
        .await;
    assert_eq!(status, Status::Created);
    assert_eq!(first["invite_id"], second["invite_id"]);
    assert_ne!(first["invite_url"], second["invite_url"]);
    assert_eq!(app.count("SELECT count(*) FROM invites").await, 1);

    let old = token_of(first["invite_url"].as_str().unwrap());
    let (status, err) = app.json(&format!("/api/v1/auth/invites/{old}")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["message"], "This invite has expired or has already been used.");
    let new = token_of(second["invite_url"].as_str().unwrap());
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{new}")).await.1["roles"], json!(["coach"]));

    let kinds: Vec<String> = app
        .db()
        .read(|tx| {
            let mut stmt = tx.prepare("SELECT kind FROM invite_events ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(kinds, ["created", "sent", "reissued", "sent"], "the history is kept");
}

#[rocket::async_test]
async fn invitations_are_validated_field_by_field() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let cases = [
        (json!({"email": "not-an-email"}), "email"),
        (json!({"roles": ["wizard"]}), "roles"),
        (json!({"max_uses": 0}), "max_uses"),
        (json!({"expires_in_days": 365}), "expires_in_days"),
        (json!({"name": "x".repeat(101)}), "name"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json("/api/v1/admin/invites", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, err) =
        app.post_json("/api/v1/admin/invites", json!({"email": "admin@example.org"})).await;
    assert_eq!(status, Status::Conflict, "already a member");
    assert!(err["error"]["fields"]["email"].is_string());
    let (status, _) = app.post_json("/api/v1/admin/invites", json!({"max_uses": "three"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn invitations_are_listed_with_status_and_can_be_revoked_or_resent() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (_, personal) =
        app.post_json("/api/v1/admin/invites", json!({"email": "kim@example.org"})).await;
    let (_, link) =
        app.post_json("/api/v1/admin/invites", json!({"max_uses": 5, "expires_in_days": 2})).await;
    let (_, unlimited) =
        app.post_json("/api/v1/admin/invites", json!({"roles": ["guardian"]})).await;

    let (status, list) = app.json("/api/v1/admin/invites").await;
    assert_eq!(status, Status::Ok);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let find = |id: &serde_json::Value| list.iter().find(|i| &i["id"] == id).unwrap().clone();
    assert_eq!(find(&personal["invite_id"])["kind"], "personal");
    assert_eq!(find(&personal["invite_id"])["uses_left"], 1);
    assert_eq!(find(&link["invite_id"])["uses_left"], 5);
    assert_eq!(find(&link["invite_id"])["status"], "pending");
    assert!(find(&unlimited["invite_id"])["uses_left"].is_null(), "unlimited");

    let id = personal["invite_id"].as_i64().unwrap();
    let (status, revoked) =
        app.post_json(&format!("/api/v1/admin/invites/{id}/revoke"), json!({})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(revoked["status"], "revoked");
    let token = token_of(personal["invite_url"].as_str().unwrap());
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{token}")).await.0, Status::Forbidden);

    let (status, err) =
        app.post_json(&format!("/api/v1/admin/invites/{id}/resend"), json!({})).await;
    assert_eq!(status, Status::Conflict, "revoking is final: {err}");
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{token}")).await.0, Status::Forbidden);

    let link_id = link["invite_id"].as_i64().unwrap();
    let (status, resent) =
        app.post_json(&format!("/api/v1/admin/invites/{link_id}/resend"), json!({})).await;
    assert_eq!(status, Status::Ok, "{resent}");
    let fresh = token_of(resent["invite_url"].as_str().unwrap());
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{fresh}")).await.0, Status::Ok);
    let old = token_of(link["invite_url"].as_str().unwrap());
    assert_eq!(
        app.json(&format!("/api/v1/auth/invites/{old}")).await.0,
        Status::Forbidden,
        "the old link died"
    );
    let expiry = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap()
    };
    let drift = expiry(&resent) - expiry(&link);
    assert!(drift.num_minutes().abs() < 5, "a new link lives as long as the first: {drift}");

    app.advance(chrono::Duration::days(2) + chrono::Duration::hours(1));
    let (_, list) = app.json("/api/v1/admin/invites").await;
    let link_now =
        list.as_array().unwrap().iter().find(|i| i["id"] == link["invite_id"]).unwrap().clone();
    assert_eq!(link_now["status"], "expired");
    assert_eq!(
        app.post_json("/api/v1/admin/invites/999/revoke", json!({})).await.0,
        Status::NotFound
    );
}

#[rocket::async_test]
async fn the_preflight_without_a_token_follows_the_registration_setting() {
    let app = TestApp::spawn().await;
    let (status, err) = app.json("/api/v1/auth/invites").await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["message"], "Registration is currently invite-only.");

    app.as_admin().await;
    let (status, _) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"registration_mode": "open"}))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        app.json("/api/v1/auth/invites").await,
        (Status::Ok, json!({"valid": true, "roles": ["member"]}))
    );

    app.send_json(Method::Put, "/api/v1/admin/settings", json!({"registration_mode": "closed"}))
        .await;
    let (status, err) = app.json("/api/v1/auth/invites").await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["message"], "Registration is currently closed.");

    let (status, err) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"registration_mode": "sometimes"}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["registration_mode"].is_string());
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed'").await, 2);
}

#[rocket::async_test]
async fn the_admin_page_creates_an_invitation_and_shows_its_link_once_with_a_qr_code() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let page = app.client.get("/admin/invites").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let token = extract_csrf(&page.into_string().await.unwrap()).unwrap();

    let response = app
        .post_form(
            "/admin/invites",
            &[
                ("csrf_token", &token),
                ("email", ""),
                ("roles", "member"),
                ("roles", "coach"),
                ("max_uses", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::Created);
    let html = unescape(&response.into_string().await.unwrap());
    let url = extract_link(&html, "http://127.0.0.1:8000/join/").expect("the link is shown");
    assert!(html.contains("<svg"), "with a QR code");
    assert!(html.contains("data-copy"), "and a copy button");
    assert_eq!(app.json(&format!("/api/v1/auth/invites/{}", token_of(&url))).await.0, Status::Ok);

    let listed =
        unescape(&app.client.get("/admin/invites").dispatch().await.into_string().await.unwrap());
    assert!(!listed.contains(&url), "the link is never shown again");

    let response = app
        .post_form(
            "/admin/invites",
            &[("csrf_token", &token), ("email", "bad"), ("roles", "member")],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Enter a valid email address"));

    let id: i64 = app.count("SELECT max(id) FROM invites").await;
    let response =
        app.post_form(&format!("/admin/invites/{id}/revoke"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(
        app.json(&format!("/api/v1/auth/invites/{}", token_of(&url))).await.0,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn the_admin_page_adds_a_member_who_can_then_claim_the_account() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let token = app.csrf_token("/admin/invites").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("first_name", "Kim"),
        ("last_name", "Lee"),
        ("email", "kim@example.org"),
    ];
    let response = app.post_form("/admin/members", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let page = app.client.get("/admin/invites").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("kim.lee was added"), "the flash names the new account");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'kim.lee' AND status = 'invited'")
            .await,
        1
    );

    let again = app.post_form("/admin/members", &fields).await;
    assert_eq!(again.status(), Status::Conflict, "the same email twice");
    let html = again.into_string().await.unwrap();
    assert!(html.contains("already exists"));
}

#[rocket::async_test]
async fn the_settings_page_changes_the_club_name_and_registration_mode() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let page = app.client.get("/admin/settings").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let token = extract_csrf(&page.into_string().await.unwrap()).unwrap();
    let fields = [
        ("csrf_token", token.as_str()),
        ("club_name", "Harbour Rowing"),
        ("registration_mode", "open"),
        ("two_factor_policy", "admins"),
    ];
    let response = app.post_form("/admin/settings", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let home = app.client.get("/home").dispatch().await.into_string().await.unwrap();
    assert!(home.contains("Harbour Rowing"), "every page shows the new name at once");
    assert_eq!(app.json("/api/v1/admin/settings").await.1["registration_mode"], "open");

    let bad =
        [("csrf_token", token.as_str()), ("club_name", ""), ("registration_mode", "sometimes")];
    let response = app.post_form("/admin/settings", &bad).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Use 1 to 80 characters.")
            && html.contains("Choose invite_only, open or closed.")
    );

    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    assert_eq!(app.client.get("/admin/settings").dispatch().await.status(), Status::Forbidden);
    let (status, _) =
        app.send_json(Method::Put, "/api/v1/admin/settings", json!({"guest_accounts": true})).await;
    assert_eq!(status, Status::Forbidden);
}

/// The invitations page holds two forms that both ask for an email: an error in one is shown
/// on that form only, with its message above it, and the other form stays clean.
#[rocket::async_test]
async fn an_error_on_one_form_of_the_invitations_page_stays_on_that_form() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let token = app.csrf_token("/admin/invites").await;

    let invite = [("csrf_token", token.as_str()), ("email", "not-an-email")];
    let response = app.post_form("/admin/invites", &invite).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains(r#"id="e-email""#), "the invitation's email is marked");
    assert!(!html.contains(r#"id="e-member-email""#), "the member form's email is not");

    let member = [
        ("csrf_token", token.as_str()),
        ("first_name", "Kim"),
        ("last_name", "Lee"),
        ("email", "not-an-email"),
    ];
    let response = app.post_form("/admin/members", &member).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains(r#"id="e-member-email""#), "the member form's email is marked");
    assert!(!html.contains(r#"id="e-email""#), "the invitation's email is not");

    // A refusal is said in the section of the form that was sent, whether it names a field
    // or not.
    let kim = [
        ("csrf_token", token.as_str()),
        ("first_name", "Kim"),
        ("last_name", "Lee"),
        ("email", "kim@example.org"),
    ];
    assert_eq!(app.post_form("/admin/members", &kim).await.status(), Status::SeeOther);
    let response = app.post_form("/admin/members", &kim).await;
    assert_eq!(response.status(), Status::Conflict);
    let html = response.into_string().await.unwrap();
    let invite_form = html.find(r#"action="/admin/invites""#).unwrap();
    let invite_form_end = invite_form + html[invite_form..].find("</form>").unwrap();
    let said = html.find("already exists").expect("the refusal");
    let list = html.find("All invitations").unwrap();
    assert!(invite_form_end < said && said < list, "the refusal is in the member section");
}

/// The roles an invitation may grant are every role Clubroom has, read from one list: the form
/// offers each, the API accepts each, and a refusal names them all.
#[rocket::async_test]
async fn an_invitation_can_grant_every_role_there_is() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let (status, created) =
        app.post_json("/api/v1/admin/invites", json!({"roles": names.clone()})).await;
    assert_eq!(status, Status::Created, "{created}");
    let (_, list) = app.json("/api/v1/admin/invites").await;
    assert_eq!(list[0]["roles"], json!(names), "{list}");

    let page = app.client.get("/admin/invites").dispatch().await.into_string().await.unwrap();
    for name in &names {
        let checkbox = format!(r#"name="roles" value="{name}""#);
        assert!(page.contains(&checkbox), "the form offers {name}");
    }
    let (_, err) = app.post_json("/api/v1/admin/invites", json!({"roles": ["wizard"]})).await;
    let refusal = err["error"]["fields"]["roles"].as_str().unwrap();
    for name in &names {
        assert!(refusal.contains(name), "{refusal} names {name}");
    }
}
