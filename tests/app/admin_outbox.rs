//! The email outbox screen: the list, resending, copying the link of a sign-in email, and the
//! test email with its diagnosis against fake mail servers on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use clubroom::accounts::model::Role;
use clubroom::config::SmtpTls;
use clubroom::email::Transport;
use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::support::*;

async fn outbox_id(app: &TestApp, template: &str) -> i64 {
    let name = template.to_string();
    app.db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT max(id) FROM email_outbox WHERE template = ?1",
                [&name],
                |r| r.get::<_, Option<i64>>(0),
            )?)
        })
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {template} email"))
}

/// The text of the stored email `id`, opened with the server's key.
async fn email_text(app: &TestApp, id: i64) -> String {
    let ctx = app.ctx();
    app.db()
        .read(move |tx| {
            let sealed: String =
                tx.query_row("SELECT body_text FROM email_outbox WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            clubroom::email::seal::Sealer::new(&ctx.secret).open(&sealed)
        })
        .await
        .unwrap()
}

/// What in an email lets someone in: the token at the end of each link, and a code on a line
/// of its own.
fn secrets_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split_whitespace() {
        if word.starts_with("http") {
            let token = word.rsplit(['/', '=']).next().unwrap_or_default();
            if token.len() >= 20 {
                found.push(token.to_string());
            }
        }
    }
    found.extend(
        text.lines()
            .map(str::trim)
            .filter(|l| {
                l.len() == 6 && l.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            })
            .map(str::to_string),
    );
    found
}

async fn request_reset(app: &TestApp, email: &str) -> i64 {
    let (status, _) =
        app.post_json("/api/v1/auth/password/forgot", json!({ "email": email })).await;
    assert_eq!(status, Status::Ok);
    app.emails().await;
    outbox_id(app, "password_reset").await
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    let db = app.db();
    db.read(|tx| {
        let mut stmt = tx.prepare("SELECT kind FROM audit_log ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<String>, _>>()?)
    })
    .await
    .unwrap()
}

#[rocket::async_test]
async fn the_list_shows_every_email_with_its_state_and_filters_by_status() {
    let app = TestApp::spawn().await;
    app.create_user("bo", &[Role::Member]).await;
    request_reset(&app, "bo@example.org").await;
    app.as_admin().await;
    app.exec(
        "UPDATE email_outbox SET status = 'failed', attempts = 5, last_error = 'connection refused'
          WHERE template = 'password_reset'",
    )
    .await;

    let (status, body) = app.json("/api/v1/admin/outbox").await;
    assert_eq!(status, Status::Ok, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(items.len() >= 2, "the reset and the admin's own emails: {body}");
    let reset = items.iter().find(|i| i["template"] == "password_reset").unwrap();
    assert_eq!(reset["to"], "bo@example.org");
    assert_eq!(reset["status"], "failed");
    assert_eq!(reset["attempts"], 5);
    assert_eq!(reset["last_error"], "connection refused");
    assert_eq!(reset["has_link"], false, "a reset link is never shown");
    assert_eq!(reset["withheld"], "A password reset link was sent.");
    assert!(reset["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 50);

    let (status, failed) = app.json("/api/v1/admin/outbox?status=failed").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(failed["total"], 1);
    assert_eq!(failed["items"][0]["id"], reset["id"]);
    let (_, sent) = app.json("/api/v1/admin/outbox?status=sent").await;
    assert!(sent["items"].as_array().unwrap().iter().all(|i| i["status"] == "sent"));

    let (status, bad) = app.json("/api/v1/admin/outbox?status=lost&page=0").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(bad["error"]["fields"]["status"].is_string(), "{bad}");
    assert!(bad["error"]["fields"]["page"].is_string(), "{bad}");
}

#[rocket::async_test]
async fn the_list_pages_fifty_at_a_time_newest_first() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    app.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
         INSERT INTO email_outbox (to_address, template, subject, body_text, body_html, status,
                                   next_attempt_at, created_at)
         SELECT 'p' || i || '@example.org', 'notice', 'x', 'x', 'x', 'sent', 0, i FROM n",
    )
    .await;
    let total = app.count("SELECT count(*) FROM email_outbox").await;
    let (_, first) = app.json("/api/v1/admin/outbox").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    assert_eq!(first["total"], total);
    assert_eq!(first["pages"], 2);
    let (_, second) = app.json("/api/v1/admin/outbox?page=2").await;
    let second = second["items"].as_array().unwrap();
    assert_eq!(second.len() as i64, total - 50);
    assert_eq!(first["items"][0]["to"], "p60@example.org", "the newest comes first");
    let ids: Vec<i64> = second.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert!(ids[0] < first["items"][49]["id"].as_i64().unwrap());
}

#[rocket::async_test]
async fn only_admins_see_or_touch_the_outbox() {
    let app = TestApp::spawn().await;
    app.create_user("bo", &[Role::Member]).await;
    let id = request_reset(&app, "bo@example.org").await;
    let routes = [
        ("/api/v1/admin/outbox/1/resend".to_string(), json!(null)),
        (format!("/api/v1/admin/outbox/{id}/link"), json!(null)),
        ("/api/v1/admin/outbox/test".to_string(), json!({"to": "x@example.org"})),
    ];

    let (status, _) = app.json("/api/v1/admin/outbox").await;
    assert_eq!(status, Status::Unauthorized);
    for (path, body) in &routes {
        assert_eq!(app.post_json(path, body.clone()).await.0, Status::Unauthorized, "{path}");
    }
    let page = app.client.get("/admin/outbox").dispatch().await;
    assert_eq!(page.status(), Status::SeeOther);
    assert!(page.headers().get_one("Location").unwrap().starts_with("/login"));

    for (name, roles) in [("cy", vec![Role::Member]), ("org", vec![Role::Member, Role::Organizer])]
    {
        app.create_user(name, &roles).await;
        app.login_as(name).await;
        assert_eq!(app.json("/api/v1/admin/outbox").await.0, Status::Forbidden, "{name}");
        for (path, body) in &routes {
            assert_eq!(
                app.post_json(path, body.clone()).await.0,
                Status::Forbidden,
                "{name} {path}"
            );
        }
        let page = app.client.get("/admin/outbox").dispatch().await;
        assert_eq!(page.status(), Status::Forbidden, "{name}");
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind LIKE 'email_%'").await, 0);
}

#[rocket::async_test]
async fn a_failed_email_is_queued_again_sent_and_the_resend_is_audited() {
    let app = TestApp::spawn().await;
    app.create_user("bo", &[Role::Member]).await;
    let id = request_reset(&app, "bo@example.org").await;
    app.as_admin().await;
    app.exec(
        "UPDATE email_outbox SET status = 'failed', attempts = 5, last_error = 'timed out'
          WHERE template = 'password_reset'",
    )
    .await;
    let before = app.emails_to("bo@example.org").await.len();

    let (status, item) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/resend"), json!(null)).await;
    assert_eq!(status, Status::Ok, "{item}");
    assert_eq!(item["status"], "queued");
    assert_eq!(item["attempts"], 0);
    app.exec(
        "UPDATE email_outbox SET status = 'queued', next_attempt_at = 9999999999
          WHERE template = 'two_factor_code'",
    )
    .await;
    let waiting = outbox_id(&app, "two_factor_code").await;
    let (status, again) =
        app.post_json(&format!("/api/v1/admin/outbox/{waiting}/resend"), json!(null)).await;
    assert_eq!(status, Status::Conflict, "a queued email is not queued twice");
    assert_eq!(again["error"]["code"], "already_queued");

    assert_eq!(app.emails_to("bo@example.org").await.len(), before + 1, "delivered again");
    let (_, list) = app.json("/api/v1/admin/outbox?status=sent").await;
    assert!(list["items"].as_array().unwrap().iter().any(|i| i["id"] == id));
    let (status, _) = app.post_json("/api/v1/admin/outbox/99999/resend", json!(null)).await;
    assert_eq!(status, Status::NotFound);

    let (_, log) = app.json("/api/v1/admin/audit?kind=email_resent").await;
    assert_eq!(log["items"][0]["target"], format!("email:{id}"));
    assert_eq!(log["items"][0]["actor"]["username"], "admin");
}

/// Every email that holds a way in meant for its recipient alone: a sign-in link with its code,
/// a reset link, another admin's login code, a claim code the member asked for, and the sign-in
/// link of a gift exchange. Returns their outbox ids with what each holds.
async fn private_emails(app: &TestApp) -> Vec<(i64, Vec<String>)> {
    app.create_user("bo", &[Role::Member]).await;
    app.create_user("ada", &[Role::Admin, Role::Member]).await;
    let (status, _) =
        app.post_json("/api/v1/auth/magic-link", json!({"email": "bo@example.org"})).await;
    assert_eq!(status, Status::Ok);
    request_reset(app, "bo@example.org").await;
    let started = body_json(app.api_login("ada", PASSWORD).await).await;
    assert_eq!(started["two_factor_required"], true, "{started}");
    app.as_admin().await;
    let body = json!({"email": "lee@example.org", "first_name": "Lee", "last_name": "Park"});
    let (status, member) = app.post_json("/api/v1/admin/members", body).await;
    assert!(status.code < 300, "{member}");
    app.post_json("/api/v1/auth/claim/request", json!({"email": "lee@example.org"})).await;
    let (exchange, slug) = crate::gifts::create(app, "Family").await;
    crate::gifts::step(app, exchange, "open", json!({})).await;
    let body = json!({"name": "Kim", "email": "kim@example.org"});
    let (status, done) = crate::gifts::register_with(app, &slug, body).await;
    assert_eq!(status, Status::Created, "{done}");
    app.emails().await;

    let mut found = Vec::new();
    for template in
        ["magic_link", "password_reset", "two_factor_code", "claim_code", "gift_registered"]
    {
        let id = outbox_id(app, template).await;
        let secrets = secrets_in(&email_text(app, id).await);
        assert!(!secrets.is_empty(), "{template} holds a secret");
        found.push((id, secrets));
    }
    assert_eq!(found[0].1.len(), 2, "a sign-in link and its code: {:?}", found[0].1);
    found
}

fn assert_hides(secrets: &[(i64, Vec<String>)], what: &str, answer: &str) {
    let answer = unescape(answer);
    for secret in secrets.iter().flat_map(|(_, s)| s) {
        assert!(!answer.contains(secret.as_str()), "{what} shows {secret}: {answer}");
    }
}

#[rocket::async_test]
async fn no_outbox_route_shows_a_sign_in_link_reset_link_or_code_of_anyone() {
    let app = TestApp::spawn().await;
    let secrets = private_emails(&app).await;
    let csrf = app.csrf_token("/admin/outbox").await;

    for list in ["/api/v1/admin/outbox", "/api/v1/admin/outbox?status=sent&page=1"] {
        let (status, body) = app.json(list).await;
        assert_eq!(status, Status::Ok);
        assert_hides(&secrets, list, &body.to_string());
        for (id, _) in &secrets {
            let item = body["items"].as_array().unwrap().iter().find(|i| i["id"] == *id).unwrap();
            assert_eq!(item["has_link"], false, "{item}");
            let withheld = item["withheld"].as_str().unwrap_or_default();
            assert!(withheld.starts_with('A') && withheld.ends_with(" sent."), "{item}");
        }
    }
    for page in ["/admin/outbox", "/admin/outbox?status=sent"] {
        let html = get(&app, page).await.html;
        assert_hides(&secrets, page, &html);
        assert!(html.contains("A password reset link was sent."));
    }
    for (id, _) in &secrets {
        let path = format!("/api/v1/admin/outbox/{id}/link");
        let (status, body) = app.post_json(&path, json!(null)).await;
        assert_eq!(status, Status::Forbidden, "{path}: {body}");
        assert_eq!(body["error"]["code"], "link_withheld");
        assert_hides(&secrets, &path, &body.to_string());

        let path = format!("/admin/outbox/{id}/link");
        let shown = answered(app.post_form(&path, &[("csrf_token", &csrf)]).await).await;
        assert_eq!(shown.status, Status::Forbidden, "{path}");
        assert_hides(&secrets, &path, &shown.html);

        let path = format!("/api/v1/admin/outbox/{id}/resend");
        let (status, body) = app.post_json(&path, json!(null)).await;
        assert_eq!(status, Status::Ok, "{path}: {body}");
        assert_hides(&secrets, &path, &body.to_string());
        app.emails().await;

        let path = format!("/admin/outbox/{id}/resend");
        let done = answered(app.post_form(&path, &[("csrf_token", &csrf)]).await).await;
        assert_eq!(done.status, Status::SeeOther, "{path}");
        let after = get(&app, done.location.as_deref().unwrap()).await;
        assert_hides(&secrets, &path, &after.html);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'email_link_viewed'").await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'email_resent'").await, 10);
}

#[rocket::async_test]
async fn a_withheld_email_is_resent_as_it_was_to_its_recipient_alone() {
    let app = TestApp::spawn().await;
    private_emails(&app).await;
    let id = outbox_id(&app, "magic_link").await;
    let first = app.emails_to("bo@example.org").await;
    let stored = email_text(&app, id).await;

    let (status, item) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/resend"), json!(null)).await;
    assert_eq!(status, Status::Ok, "{item}");
    assert_eq!(item["withheld"], "A sign-in link and its code were sent.");
    let again = app.emails_to("bo@example.org").await;
    assert_eq!(again.len(), first.len() + 1, "delivered again");
    assert_eq!(again.last().unwrap().text, stored, "the same link and code, to bo");
}

/// Sends `user_id` a set-password link from their admin page; returns the link.
async fn send_set_password(app: &TestApp, user_id: i64, to: &str) -> String {
    let path = format!("/api/v1/admin/members/{user_id}/access");
    let (status, sent) = app.post_json(&path, json!({"kind": "set_password"})).await;
    assert_eq!(status, Status::Accepted, "{sent}");
    extract_link(&app.last_email_text(to).await, "http").unwrap()
}

#[rocket::async_test]
async fn an_admin_sees_the_set_password_link_of_an_account_never_signed_in_and_the_member_is_told()
{
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.as_admin().await;
    let emailed = send_set_password(&app, bo, "bo@example.org").await;
    let id = outbox_id(&app, "member_set_password").await;
    let (_, list) = app.json("/api/v1/admin/outbox").await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
    assert_eq!(item["has_link"], true, "{item}");
    assert!(item["withheld"].is_null());

    let (status, link) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/link"), json!(null)).await;
    assert_eq!(status, Status::Ok, "{link}");
    assert_eq!(link["url"], emailed);
    assert_eq!(link["told_member"], true);

    let (_, log) = app.json("/api/v1/admin/audit?kind=email_link_viewed").await;
    assert_eq!(log["items"][0]["target"], format!("email:{id}"));
    assert_eq!(log["items"][0]["actor"]["username"], "admin");
    assert_eq!(log["items"][0]["detail"]["user_id"], bo);
    let notice = app.emails_to("bo@example.org").await.pop().unwrap();
    assert!(notice.subject.contains("viewed"), "{}", notice.subject);
    assert!(notice.text.contains("An administrator viewed your set-password link"));
    assert!(notice.text.contains("did not expect this"));
    let token = emailed.rsplit('/').next().unwrap();
    assert!(!notice.text.contains(token) && !notice.html.contains(token));
    let (_, list) = app.json("/api/v1/admin/outbox").await;
    let told = &list["items"][0];
    assert_eq!((&told["template"], &told["has_link"]), (&json!("link_viewed"), &json!(false)));

    let path = format!("/set-password/{token}");
    let set = submit(&app, &path, &path, &[("password", "a fresh and long passphrase")]).await;
    assert_eq!(set.status, Status::SeeOther, "the link still works for bo: {}", set.html);
    app.login_as("admin").await;
    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/link"), json!(null)).await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert_eq!(body["error"]["code"], "link_expired");
    assert!(!body.to_string().contains(token), "a dead link is not shown");
}

#[rocket::async_test]
async fn the_set_password_link_of_an_account_that_has_signed_in_is_never_shown() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    app.as_admin().await;
    let emailed = send_set_password(&app, bo, "bo@example.org").await;
    let id = outbox_id(&app, "member_set_password").await;
    let token = emailed.rsplit('/').next().unwrap().to_string();

    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/link"), json!(null)).await;
    assert_eq!(status, Status::Forbidden, "{body}");
    assert_eq!(body["error"]["code"], "link_withheld");
    assert!(!body.to_string().contains(&token));
    let csrf = app.csrf_token("/admin/outbox").await;
    let shown = answered(
        app.post_form(&format!("/admin/outbox/{id}/link"), &[("csrf_token", &csrf)]).await,
    )
    .await;
    assert_eq!(shown.status, Status::Forbidden);
    assert!(!unescape(&shown.html).contains(&token));
    assert_eq!(
        app.count("SELECT count(*) FROM email_outbox WHERE template = 'link_viewed'").await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'email_link_viewed'").await,
        0
    );

    let (status, _) =
        app.post_json(&format!("/api/v1/admin/outbox/{id}/resend"), json!(null)).await;
    assert_eq!(status, Status::Ok, "resending it is fine: it goes to bo");
}

#[rocket::async_test]
async fn invitation_links_can_be_copied_while_they_work() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (_, created) =
        app.post_json("/api/v1/admin/invites", json!({"email": "kim@example.org"})).await;
    app.emails().await;
    let invite_mail = outbox_id(&app, "invite").await;
    let (status, link) =
        app.post_json(&format!("/api/v1/admin/outbox/{invite_mail}/link"), json!(null)).await;
    assert_eq!(status, Status::Ok, "{link}");
    assert_eq!(link["url"], created["invite_url"]);
    assert_eq!(link["told_member"], false, "nobody has an account to be told about");
    assert!(audit_kinds(&app).await.contains(&"email_link_viewed".to_string()));
    let invite_id = created["invite_id"].as_i64().unwrap();
    app.post_json(&format!("/api/v1/admin/invites/{invite_id}/revoke"), json!(null)).await;
    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{invite_mail}/link"), json!(null)).await;
    assert_eq!(status, Status::Conflict, "a revoked invitation's link is dead");
    assert_eq!(body["error"]["code"], "link_expired");
}

#[rocket::async_test]
async fn a_claim_code_an_admin_sent_is_shown_until_it_expires_and_one_the_member_asked_for_never() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let body = json!({"email": "lee@example.org", "first_name": "Lee", "last_name": "Park"});
    let (status, member) = app.post_json("/api/v1/admin/members", body).await;
    assert!(status.code < 300, "{member}");
    let lee = member["user_id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/members/{lee}/access");
    let (status, sent) = app.post_json(&path, json!({"kind": "claim_code"})).await;
    assert_eq!(status, Status::Accepted, "{sent}");
    let code = app.last_code("lee@example.org").await;
    let sent_mail = outbox_id(&app, "member_claim_code").await;

    let (status, link) =
        app.post_json(&format!("/api/v1/admin/outbox/{sent_mail}/link"), json!(null)).await;
    assert_eq!(status, Status::Ok, "{link}");
    assert_eq!(link["code"], code);
    assert!(link["url"].as_str().unwrap().ends_with("/claim"));
    assert_eq!(link["told_member"], true);
    let notice = app.emails_to("lee@example.org").await.pop().unwrap();
    assert!(notice.text.contains("An administrator viewed your claim code"), "{}", notice.text);
    assert!(!notice.text.contains(&code));

    app.advance(chrono::Duration::hours(1));
    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{sent_mail}/link"), json!(null)).await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert_eq!(body["error"]["code"], "link_expired");

    app.post_json("/api/v1/auth/claim/request", json!({"email": "lee@example.org"})).await;
    app.emails().await;
    let asked = outbox_id(&app, "claim_code").await;
    let code = app.last_code("lee@example.org").await;
    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{asked}/link"), json!(null)).await;
    assert_eq!(status, Status::Forbidden, "{body}");
    assert_eq!(body["error"]["code"], "link_withheld");
    assert!(!body.to_string().contains(&code));
}

#[rocket::async_test]
async fn emails_without_a_link_have_nothing_to_copy() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, _) =
        app.post_json("/api/v1/admin/outbox/test", json!({"to": "x@example.org"})).await;
    assert_eq!(status, Status::Ok);
    app.exec(
        "INSERT INTO email_outbox (to_address, template, subject, body_text, body_html, status,
                                   next_attempt_at, created_at)
         VALUES ('p@example.org', 'notice', 'x', 'x', 'x', 'sent', 0, 0)",
    )
    .await;
    let mail = outbox_id(&app, "notice").await;
    let (status, body) =
        app.post_json(&format!("/api/v1/admin/outbox/{mail}/link"), json!(null)).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(body["error"]["code"], "no_link");
    let (status, _) = app.post_json("/api/v1/admin/outbox/424242/link", json!(null)).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_outbox_page_lists_resends_and_shows_a_link_through_forms() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.as_admin().await;
    let emailed = send_set_password(&app, bo, "bo@example.org").await;
    let id = outbox_id(&app, "member_set_password").await;

    let html = app.client.get("/admin/outbox").dispatch().await.into_string().await.unwrap();
    assert!(html.contains("bo@example.org") && html.contains("member_set_password"));
    assert!(html.contains(&format!("/admin/outbox/{id}/link")));
    assert!(!unescape(&html).contains(&emailed), "the link is not on the list");
    let filtered =
        app.client.get("/admin/outbox?status=failed").dispatch().await.into_string().await.unwrap();
    assert!(!filtered.contains("bo@example.org"));

    let csrf = app.csrf_token("/admin/outbox").await;
    let shown = app.post_form(&format!("/admin/outbox/{id}/link"), &[("csrf_token", &csrf)]).await;
    assert_eq!(shown.status(), Status::Ok);
    let shown = unescape(&shown.into_string().await.unwrap());
    assert!(shown.contains(&emailed));
    assert!(shown.contains("bo@example.org was told by email"), "{shown}");

    app.emails().await;
    let done = app.post_form(&format!("/admin/outbox/{id}/resend"), &[("csrf_token", &csrf)]).await;
    assert_eq!(done.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'email_resent'").await, 1);
    let refused = app.post_form(&format!("/admin/outbox/{id}/resend"), &[]).await;
    assert_eq!(refused.status(), Status::Forbidden, "no CSRF token, no resend");
}

// ----- the test email -----

#[rocket::async_test]
async fn a_test_email_goes_out_at_once_and_is_audited() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) =
        app.post_json("/api/v1/admin/outbox/test", json!({"to": "check@example.org"})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["sent"], true);
    assert_eq!(body["mode"], "memory");
    let mail: Vec<_> =
        app.mailbox.messages().into_iter().filter(|m| m.to == "check@example.org").collect();
    assert_eq!(mail.len(), 1, "sent directly");
    assert_eq!(
        app.count("SELECT count(*) FROM email_outbox WHERE to_address = 'check@example.org'").await,
        0,
        "not through the outbox"
    );
    assert_eq!(mail[0].to, "check@example.org");
    assert!(mail[0].subject.starts_with("Test email"));
    assert!(mail[0].text.contains("sent by admin"));
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'email_test_sent'").await, 1);

    let (status, bad) =
        app.post_json("/api/v1/admin/outbox/test", json!({"to": "not an address"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(bad["error"]["fields"]["to"].is_string());
    let (status, _) =
        app.post_json("/api/v1/admin/outbox/test", json!({"to": "a@b.org", "cc": "x"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused");
}

#[rocket::async_test]
async fn the_test_email_form_reports_success_and_bad_addresses() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let csrf = app.csrf_token("/admin/outbox").await;
    let ok = app
        .post_form("/admin/outbox/test", &[("csrf_token", &csrf), ("to", "me@example.org")])
        .await;
    assert_eq!(ok.status(), Status::Ok);
    assert!(ok.into_string().await.unwrap().contains("kept in memory"));
    let bad = app.post_form("/admin/outbox/test", &[("csrf_token", &csrf), ("to", "me@")]).await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);
    let html = bad.into_string().await.unwrap();
    assert!(html.contains("field-error") && html.contains("me@"));
}

#[rocket::async_test]
async fn in_console_mode_the_test_email_says_it_was_printed() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let config = test_config(&dir.path().join("data"));
    let app = TestApp::start(dir, config, Transport::Console).await;
    app.as_admin().await;
    let (status, body) =
        app.post_json("/api/v1/admin/outbox/test", json!({"to": "me@example.org"})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["mode"], "console");
    assert_eq!(body["sent"], true);
    assert!(body["message"].as_str().unwrap().contains("printed"), "{body}");
}

/// How a fake mail server behaves.
#[derive(Clone, Copy)]
enum Fake {
    /// Accepts connections and never says a word.
    Silent,
    /// Plain SMTP without STARTTLS that rejects every login and takes any message.
    Speaks,
}

/// A fake mail server on loopback, for the rest of the test; returns its port.
fn fake_server(behaviour: Fake) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || serve(stream, behaviour));
        }
    });
    port
}

fn serve(mut stream: TcpStream, behaviour: Fake) {
    if let Fake::Silent = behaviour {
        std::thread::sleep(std::time::Duration::from_secs(5));
        return;
    }
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let _ = stream.write_all(b"220 fake.example ESMTP\r\n");
    let mut in_data = false;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_uppercase();
        let reply: &str = if in_data {
            if command != "." {
                continue;
            }
            in_data = false;
            "250 queued\r\n"
        } else if command.starts_with("EHLO") {
            "250-fake.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if command.starts_with("AUTH") {
            "535 5.7.8 Authentication credentials invalid\r\n"
        } else if command.starts_with("DATA") {
            in_data = true;
            "354 go ahead\r\n"
        } else if command.starts_with("QUIT") {
            let _ = stream.write_all(b"221 bye\r\n");
            return;
        } else {
            "250 ok\r\n"
        };
        let _ = stream.write_all(reply.as_bytes());
    }
}

/// An app whose SMTP settings point at `port` on loopback, and the test email's answer.
async fn test_email_via(port: u16, tls: SmtpTls, login: bool) -> Value {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir.path().join("data"));
    config.smtp_host = "127.0.0.1".into();
    config.smtp_port = port;
    config.smtp_tls = tls;
    config.smtp_timeout_secs = 1;
    if login {
        config.smtp_username = "club".into();
        config.smtp_password = "wrong password".into();
    }
    let transport = Transport::from_config(&config).unwrap();
    let app = TestApp::start(dir, config, transport).await;
    app.create_user("admin", &[Role::Admin]).await;
    // Signing in must not wait for an emailed code: mail may be the very thing that is broken.
    app.exec(
        "INSERT INTO settings (key, value, updated_at) VALUES ('two_factor_policy', 'off', 0)",
    )
    .await;
    app.login_as("admin").await;
    let response = app
        .client
        .post("/api/v1/admin/outbox/test")
        .header(ContentType::JSON)
        .body(json!({"to": "me@example.org"}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    body_json(response).await
}

fn problem(body: &Value) -> &str {
    assert_eq!(body["sent"], false, "{body}");
    assert!(body["diagnosis"]["advice"].as_str().is_some_and(|a| !a.is_empty()));
    body["diagnosis"]["problem"].as_str().unwrap()
}

#[rocket::async_test]
async fn a_refused_connection_is_diagnosed_as_a_blocked_or_wrong_port() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let body = test_email_via(port, SmtpTls::None, false).await;
    assert_eq!(problem(&body), "connection_refused", "{body}");
    assert!(body["diagnosis"]["title"].as_str().unwrap().contains(&port.to_string()));
}

#[rocket::async_test]
async fn a_server_that_never_answers_is_diagnosed_as_a_timeout() {
    let port = fake_server(Fake::Silent);
    let body = test_email_via(port, SmtpTls::None, false).await;
    assert_eq!(problem(&body), "timed_out", "{body}");
}

#[rocket::async_test]
async fn plain_smtp_where_implicit_tls_is_configured_is_a_tls_mismatch() {
    let port = fake_server(Fake::Speaks);
    let body = test_email_via(port, SmtpTls::Tls, false).await;
    assert_eq!(problem(&body), "tls_mismatch", "{body}");
}

#[rocket::async_test]
async fn starttls_against_a_server_that_does_not_offer_it_is_a_tls_mismatch() {
    let port = fake_server(Fake::Speaks);
    let body = test_email_via(port, SmtpTls::Starttls, false).await;
    assert_eq!(problem(&body), "tls_mismatch", "{body}");
}

#[rocket::async_test]
async fn a_rejected_login_is_diagnosed_as_an_authentication_problem() {
    let port = fake_server(Fake::Speaks);
    let body = test_email_via(port, SmtpTls::None, true).await;
    assert_eq!(problem(&body), "auth_rejected", "{body}");
    assert!(body["error"].as_str().unwrap().contains("535"), "{body}");
}

#[rocket::async_test]
async fn a_working_server_takes_the_test_email() {
    let port = fake_server(Fake::Speaks);
    let body = test_email_via(port, SmtpTls::None, false).await;
    assert_eq!(body["sent"], true, "{body}");
    assert_eq!(body["mode"], "smtp");
    assert!(body["diagnosis"].is_null());
}
