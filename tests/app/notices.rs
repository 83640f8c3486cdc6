//! Notices through the JSON API: sending to all, a role or chosen members; each member's copy,
//! read state, deletion and reply thread; the admins' counts and answers; emails; real-time
//! events; and who may touch which id.

use std::time::Duration as StdDuration;

use chrono::Duration;
use clubroom::accounts::model::{Role, UserStatus};
use clubroom::realtime::{Cursor, Subscription};
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// The first column of the first row of a query built at run time.
async fn scalar<T: rusqlite::types::FromSql + Send + 'static>(app: &TestApp, sql: String) -> T {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

/// The people of most tests.
struct Club {
    admin: i64,
    kim: i64,
    bo: i64,
    /// A coach (and member).
    cy: i64,
}

/// An admin (logged in afterwards) and three active members, one of them a coach.
async fn club(app: &TestApp) -> Club {
    let admin = app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let cy = app.create_user("cy", &[Role::Coach, Role::Member]).await;
    Club { admin, kim, bo, cy }
}

async fn send(app: &TestApp, body: Value) -> (Status, Value) {
    app.post_json("/api/v1/admin/messages", body).await
}

/// Sends a notice as whoever is logged in and returns its id.
async fn send_ok(app: &TestApp, subject: &str, to: Value) -> i64 {
    let body = json!({"subject": subject, "body": format!("About {subject}."), "to": to});
    let (status, notice) = send(app, body).await;
    assert_eq!(status, Status::Created, "{notice}");
    notice["id"].as_i64().unwrap()
}

/// The id of `user`'s copy of `notice`.
async fn copy_id(app: &TestApp, notice: i64, user: i64) -> i64 {
    scalar(
        app,
        format!("SELECT id FROM notice_copies WHERE notice_id = {notice} AND user_id = {user}"),
    )
    .await
}

/// Who received `notice`, by user id.
async fn recipients(app: &TestApp, notice: i64) -> Vec<i64> {
    let ids: String = scalar(
        app,
        format!(
            "SELECT COALESCE(group_concat(user_id), '') FROM
               (SELECT user_id FROM notice_copies WHERE notice_id = {notice} ORDER BY user_id)"
        ),
    )
    .await;
    ids.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

async fn put(app: &TestApp, path: &str) -> (Status, Value) {
    app.send_json(Method::Put, path, json!({})).await
}

async fn delete(app: &TestApp, path: &str) -> (Status, Value) {
    app.send_json(Method::Delete, path, json!({})).await
}

async fn reply(app: &TestApp, copy: i64, body: &str) -> (Status, Value) {
    app.post_json(&format!("/api/v1/messages/{copy}/reply"), json!({"body": body})).await
}

async fn admin_reply(app: &TestApp, notice: i64, user: i64, body: &str) -> (Status, Value) {
    let path = format!("/api/v1/admin/messages/{notice}/recipients/{user}/reply");
    app.post_json(&path, json!({"body": body})).await
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect()
}

/// Every row that notices keep, to show that a refused request changed nothing.
async fn snapshot(app: &TestApp) -> String {
    scalar(
        app,
        "SELECT (SELECT COALESCE(group_concat(id || ':' || IFNULL(read_at, '-') || ':'
                                          || IFNULL(deleted_at, '-'), ','), '')
                   FROM (SELECT * FROM notice_copies ORDER BY id))
             || '|' || (SELECT count(*) FROM notice_replies)"
            .into(),
    )
    .await
}

// ----- sending -----

#[rocket::async_test]
async fn a_notice_to_all_reaches_every_active_member_once_and_is_audited() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let disabled = app.create_user_with_status("dan", &[Role::Member], UserStatus::Disabled).await;
    let joining = app.create_user_with_status("ed", &[Role::Member], UserStatus::Onboarding).await;
    let guest = app.create_user("gus", &[Role::Guest]).await;

    let body = json!({"subject": "  Ice time moves  ", "body": "From Thursday\r\nat 18:00.\n", "to": "all"});
    let (status, notice) = send(&app, body).await;
    assert_eq!(status, Status::Created, "{notice}");
    assert_eq!(notice["subject"], "Ice time moves", "trimmed");
    assert_eq!(notice["body"], "From Thursday\nat 18:00.");
    assert_eq!(notice["audience"], "all");
    assert_eq!(notice["email"], true, "email is on unless turned off");
    assert_eq!(notice["sender"]["id"], c.admin);
    assert_eq!(notice["recipients"], 3);
    assert_eq!(notice["read"], 0);
    assert_eq!(notice["replies"], 0);
    let id = notice["id"].as_i64().unwrap();

    let got = recipients(&app, id).await;
    assert_eq!(got, [c.kim, c.bo, c.cy], "active members other than the sender");
    for nobody in [disabled, joining, guest, c.admin] {
        assert!(!got.contains(&nobody), "{nobody} is not sent a copy");
    }
    let audited: i64 = scalar(
        &app,
        format!(
            "SELECT count(*) FROM audit_log WHERE kind = 'notice_sent' AND target = 'notice:{id}'
                AND actor_user_id = {}",
            c.admin
        ),
    )
    .await;
    assert_eq!(audited, 1);

    app.login_as("kim").await;
    let (status, inbox) = app.json("/api/v1/messages").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["unread"], 1);
    let item = &inbox["items"][0];
    assert_eq!(item["id"], copy_id(&app, id, c.kim).await, "the member sees their own copy");
    assert_eq!(item["notice_id"], id);
    assert_eq!(item["subject"], "Ice time moves");
    assert_eq!(item["preview"], "From Thursday at 18:00.");
    assert_eq!(item["sender"], json!({"id": c.admin, "name": "admin"}));
    assert_eq!(item["unread"], true);
    assert_eq!(item["replies"], 0);
}

#[rocket::async_test]
async fn a_notice_to_a_role_reaches_its_active_holders_only() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.create_user_with_status("zed", &[Role::Coach], UserStatus::Disabled).await;
    let (status, notice) = send(
        &app,
        json!({"subject": "Coaches' meeting", "body": "Tuesday.", "to": {"role": "coach"}}),
    )
    .await;
    assert_eq!(status, Status::Created, "{notice}");
    assert_eq!(notice["audience"], "role:coach");
    assert_eq!(notice["recipients"], 1);
    assert_eq!(recipients(&app, notice["id"].as_i64().unwrap()).await, [c.cy]);

    // Another admin hears about admin notices; the sender does not get their own.
    let other = app.create_user("ola", &[Role::Admin]).await;
    let id = send_ok(&app, "Admins only", json!({"role": "admin"})).await;
    assert_eq!(recipients(&app, id).await, [other]);
}

#[rocket::async_test]
async fn a_notice_to_chosen_members_counts_each_once() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let body = json!({
        "subject": "Your kit", "body": "Ready to collect.",
        "to": {"member_ids": [c.kim, c.bo, c.kim, c.admin]}, "email": false
    });
    let (status, notice) = send(&app, body).await;
    assert_eq!(status, Status::Created, "{notice}");
    assert_eq!(notice["audience"], "members");
    assert_eq!(notice["recipients"], 3, "duplicates count once; a chosen sender is included");
    assert_eq!(notice["email"], false);
    let mut expected = vec![c.admin, c.kim, c.bo];
    expected.sort();
    assert_eq!(recipients(&app, notice["id"].as_i64().unwrap()).await, expected);
    assert!(!recipients(&app, notice["id"].as_i64().unwrap()).await.contains(&c.cy));
}

#[rocket::async_test]
async fn bad_notices_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let disabled = app.create_user_with_status("dan", &[Role::Member], UserStatus::Disabled).await;
    let joining = app.create_user_with_status("ed", &[Role::Member], UserStatus::Onboarding).await;
    let guest = app.create_user("gus", &[Role::Guest]).await;
    let ok = |field: &str, value: Value| {
        let mut body = json!({"subject": "Hi", "body": "Text", "to": "all"});
        body[field] = value;
        body
    };
    let cases = [
        (ok("subject", json!("   ")), "subject"),
        (ok("subject", json!("s".repeat(201))), "subject"),
        (ok("subject", json!("two\nlines")), "subject"),
        (ok("subject", json!(5)), "subject"),
        (ok("body", json!("")), "body"),
        (ok("body", json!("b".repeat(20_001))), "body"),
        (ok("body", json!("bell \u{7}")), "body"),
        (json!({"subject": "Hi", "body": "Text"}), "to"),
        (ok("to", json!("everyone")), "to"),
        (ok("to", json!({"group": "juniors"})), "to"),
        (ok("to", json!({"role": "coach", "member_ids": [1]})), "to"),
        (ok("to", json!({"member_ids": "all"})), "to"),
        (ok("to", json!({"member_ids": []})), "to"),
        (ok("to", json!({"role": "guardian"})), "to"),
        (ok("to", json!({"role": "guest"})), "to.role"),
        (ok("to", json!({"role": "captain"})), "to.role"),
        (ok("to", json!({"member_ids": [c.kim, 99_999]})), "to.member_ids"),
        (ok("to", json!({"member_ids": [disabled]})), "to.member_ids"),
        (ok("to", json!({"member_ids": [joining, guest]})), "to.member_ids"),
        (ok("email", json!("yes")), "email"),
    ];
    for (body, field) in cases {
        let (status, err) = send(&app, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (_, err) = send(&app, ok("to", json!({"member_ids": [c.kim, 99_999, disabled]}))).await;
    let message = err["error"]["fields"]["to.member_ids"].as_str().unwrap();
    assert!(
        message.contains("99999") && message.contains(&disabled.to_string()),
        "the bad ids are named: {message}"
    );
    assert!(!message.contains(&format!(" {},", c.kim)), "a good id is not: {message}");
    let (_, err) = send(&app, ok("to", json!({"member_ids": []}))).await;
    assert!(err["error"]["fields"]["to"].as_str().unwrap().contains("No active member matches"));

    // Several bad fields at once are all named.
    let (_, err) = send(&app, json!({"subject": "", "body": "", "to": {"role": "x"}})).await;
    let fields = err["error"]["fields"].as_object().unwrap();
    assert!(fields.contains_key("subject") && fields.contains_key("body"), "{err}");
    assert!(fields.contains_key("to.role"), "{err}");

    let (status, err) =
        send(&app, json!({"subject": "Hi", "body": "T", "to": "all", "pin": 1})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["pin"].as_str().unwrap().contains("unknown field"), "{err}");
    let body = json!({"subject": "Hi", "body": "T", "to": "all", "sender_id": c.kim});
    assert_eq!(send(&app, body).await.0, Status::UnprocessableEntity, "no mass assignment");

    assert_eq!(app.count("SELECT count(*) FROM notices").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM notice_copies").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM email_outbox WHERE template = 'notice'").await, 0);
}

// ----- email -----

#[rocket::async_test]
async fn emails_go_to_members_who_want_them_only_when_asked_and_link_to_their_copy() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.login_as("bo").await;
    let (status, settings) = app
        .send_json(Method::Put, "/api/v1/messages/settings", json!({"email_notices": false}))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(settings, json!({"email_notices": false}));
    app.login_as("admin").await;

    let body =
        json!({"subject": "Gala <night>", "body": "Dress: <b>smart</b>\nDoors at 7.", "to": "all"});
    let (status, notice) = send(&app, body).await;
    assert_eq!(status, Status::Created, "{notice}");
    let id = notice["id"].as_i64().unwrap();
    let mail = app.emails_to("kim@example.org").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("Gala <night>"), "{}", mail[0].subject);
    let link = format!("http://127.0.0.1:8000/messages/{}", copy_id(&app, id, c.kim).await);
    assert!(mail[0].text.contains(&link), "{}", mail[0].text);
    assert!(mail[0].text.contains("Dress: <b>smart</b>\nDoors at 7."), "the text as written");
    assert!(unescape(&mail[0].html).contains(&link));
    assert!(mail[0].html.contains("&lt;b&gt;smart"), "escaped in HTML: {}", mail[0].html);
    assert_eq!(app.emails_to("cy@example.org").await.len(), 1);
    assert!(app.emails_to("bo@example.org").await.is_empty(), "Bo turned them off");
    let to_admin = app.emails_to("admin@example.org").await;
    assert!(to_admin.iter().all(|m| !m.subject.contains("Gala")), "the sender gets none");
    assert_eq!(recipients(&app, id).await.len(), 3, "Bo still gets the notice");

    let quiet = json!({"subject": "Quiet", "body": "No email.", "to": "all", "email": false});
    assert_eq!(send(&app, quiet).await.0, Status::Created);
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1, "no email when not asked");

    app.login_as("bo").await;
    let on = json!({"email_notices": true});
    assert_eq!(app.send_json(Method::Put, "/api/v1/messages/settings", on).await.0, Status::Ok);
    assert_eq!(app.json("/api/v1/messages/settings").await.1, json!({"email_notices": true}));
    app.login_as("admin").await;
    send_ok(&app, "Again", json!({"member_ids": [c.bo]})).await;
    assert_eq!(app.emails_to("bo@example.org").await.len(), 1);
}

#[rocket::async_test]
async fn the_email_setting_must_be_said() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.login_as("kim").await;
    for (body, field) in [
        (json!({}), "email_notices"),
        (json!({"email_notices": "no"}), "email_notices"),
        (json!({"email_notices": false, "email": "x"}), "email"),
    ] {
        let (status, err) = app.send_json(Method::Put, "/api/v1/messages/settings", body).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(err["error"]["fields"][field].is_string(), "{err}");
    }
    assert_eq!(app.json("/api/v1/messages/settings").await.1["email_notices"], true);
}

// ----- the member's inbox -----

#[rocket::async_test]
async fn the_inbox_lists_newest_first_with_counts_and_pages() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let mut notices = Vec::new();
    for subject in ["One", "Two", "Three"] {
        notices.push(send_ok(&app, subject, json!({"member_ids": [c.kim]})).await);
        app.advance(Duration::minutes(5));
    }
    send_ok(&app, "Not for Kim", json!({"member_ids": [c.bo]})).await;
    let mut copies = Vec::new();
    for n in &notices {
        copies.push(copy_id(&app, *n, c.kim).await);
    }
    app.login_as("kim").await;
    let (_, inbox) = app.json("/api/v1/messages").await;
    assert_eq!(ids(&inbox), [copies[2], copies[1], copies[0]]);
    assert_eq!((inbox["total"].as_i64(), inbox["unread"].as_i64()), (Some(3), Some(3)));
    assert_eq!(inbox["pages"], 1);

    let (status, item) = put(&app, &format!("/api/v1/messages/{}/read", copies[1])).await;
    assert_eq!(status, Status::Ok, "{item}");
    assert_eq!(item["unread"], false);
    let (_, inbox) = app.json("/api/v1/messages?page=2&per_page=2").await;
    assert_eq!(ids(&inbox), [copies[0]]);
    assert_eq!(inbox["page"], 2);
    assert_eq!(inbox["pages"], 2);
    assert_eq!(inbox["total"], 3);
    assert_eq!(inbox["unread"], 2);
    for bad in ["page=0", "page=x", "per_page=101", "per_page=0"] {
        let (status, err) = app.json(&format!("/api/v1/messages?{bad}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}");
        let field = bad.split('=').next().unwrap();
        assert!(err["error"]["fields"][field].is_string(), "{err}");
    }
}

#[rocket::async_test]
async fn reading_is_idempotent_and_keeps_the_first_time() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let n = send_ok(&app, "Dinner", json!("all")).await;
    let copy = copy_id(&app, n, c.kim).await;
    app.login_as("kim").await;
    let (status, detail) = app.json(&format!("/api/v1/messages/{copy}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(detail["body"], "About Dinner.");
    assert_eq!(detail["unread"], true, "reading through the API is its own request");
    let (_, first) = put(&app, &format!("/api/v1/messages/{copy}/read")).await;
    app.advance(Duration::hours(1));
    let (status, again) = put(&app, &format!("/api/v1/messages/{copy}/read")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(first["read_at"], again["read_at"]);
    assert!(first["read_at"].is_string());
    assert_eq!(app.json("/api/v1/messages").await.1["unread"], 0);
}

#[rocket::async_test]
async fn a_deleted_notice_leaves_the_member_but_stays_for_the_admin() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let n = send_ok(&app, "Dinner", json!("all")).await;
    let copy = copy_id(&app, n, c.kim).await;
    app.login_as("kim").await;
    reply(&app, copy, "Count me in").await;
    let (status, body) = delete(&app, &format!("/api/v1/messages/{copy}")).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body, json!({"id": copy, "deleted": true}));
    let (_, inbox) = app.json("/api/v1/messages").await;
    assert_eq!((inbox["total"].as_i64(), inbox["items"].as_array().unwrap().len()), (Some(0), 0));
    assert_eq!(app.json(&format!("/api/v1/messages/{copy}")).await.0, Status::NotFound);
    assert_eq!(put(&app, &format!("/api/v1/messages/{copy}/read")).await.0, Status::NotFound);
    assert_eq!(reply(&app, copy, "Hello?").await.0, Status::NotFound);
    assert_eq!(delete(&app, &format!("/api/v1/messages/{copy}")).await.0, Status::NotFound);

    app.login_as("admin").await;
    let (_, detail) = app.json(&format!("/api/v1/admin/messages/{n}")).await;
    let kim = detail["recipients"].as_array().unwrap().iter().find(|r| r["user_id"] == c.kim);
    let kim = kim.expect("still listed for the admin");
    assert_eq!(kim["deleted"], true);
    assert!(kim["deleted_at"].is_string());
    assert_eq!(kim["thread"][0]["body"], "Count me in", "the thread is kept");
    assert_eq!(detail["notice"]["deleted"], 1);
    let (status, err) = admin_reply(&app, n, c.kim, "Great").await;
    assert_eq!(status, Status::Conflict, "nobody would read it");
    assert!(err["error"]["message"].as_str().unwrap().contains("deleted"), "{err}");
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 1);
}

// ----- threads -----

#[rocket::async_test]
async fn replies_form_a_thread_seen_by_the_member_and_the_admins_only() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let n = send_ok(&app, "Dinner", json!("all")).await;
    let (kims, bos) = (copy_id(&app, n, c.kim).await, copy_id(&app, n, c.bo).await);
    app.login_as("kim").await;
    let (status, first) = reply(&app, kims, "  Can I bring a friend?  ").await;
    assert_eq!(status, Status::Created, "{first}");
    assert_eq!(first["body"], "Can I bring a friend?");
    assert_eq!(first["message_id"], kims);
    assert_eq!(first["from_admin"], false);
    assert_eq!(first["author"]["id"], c.kim);
    assert!(first.get("new").is_none(), "members do not see the admins' read state");
    let (_, item) = app.json("/api/v1/messages").await;
    assert_eq!(item["items"][0]["unread"], false, "replying counts as reading");
    assert_eq!(item["items"][0]["replies"], 1);

    app.login_as("bo").await;
    let (_, bo_detail) = app.json(&format!("/api/v1/messages/{bos}")).await;
    assert_eq!(bo_detail["thread"], json!([]), "Bo does not see Kim's thread");

    app.login_as("admin").await;
    assert_eq!(app.json("/api/v1/admin/messages").await.1["unread_replies"], 1);
    let (status, detail) = app.json(&format!("/api/v1/admin/messages/{n}")).await;
    assert_eq!(status, Status::Ok);
    let kim = detail["recipients"].as_array().unwrap().iter().find(|r| r["user_id"] == c.kim);
    let kim = kim.unwrap();
    assert_eq!(kim["message_id"], kims);
    assert_eq!(kim["read"], true);
    assert_eq!(kim["thread"][0]["body"], "Can I bring a friend?");
    assert_eq!(kim["thread"][0]["new"], true, "unread by the admins until now");
    assert_eq!(detail["notice"]["unread_replies"], 1);
    let (_, again) = app.json(&format!("/api/v1/admin/messages/{n}")).await;
    let kim = again["recipients"].as_array().unwrap().iter().find(|r| r["user_id"] == c.kim);
    assert_eq!(kim.unwrap()["thread"][0]["new"], false, "viewing marked it read");
    assert_eq!(app.json("/api/v1/admin/messages").await.1["unread_replies"], 0);
    let unread: i64 =
        app.db().read(|tx| clubroom::notices::service::unread_replies(tx)).await.unwrap();
    assert_eq!(unread, 0);

    let (status, answer) = admin_reply(&app, n, c.kim, "Of course.").await;
    assert_eq!(status, Status::Created, "{answer}");
    assert_eq!(answer["from_admin"], true);
    assert_eq!(answer["author"]["id"], c.admin);
    app.login_as("kim").await;
    let (_, detail) = app.json(&format!("/api/v1/messages/{kims}")).await;
    let thread: Vec<&str> =
        detail["thread"].as_array().unwrap().iter().map(|r| r["body"].as_str().unwrap()).collect();
    assert_eq!(thread, ["Can I bring a friend?", "Of course."]);
    assert_eq!(detail["thread"][1]["author"]["name"], "admin");
    assert_eq!(detail["unread"], true, "an admin's answer marks it unread again");
    assert_eq!(app.json("/api/v1/messages").await.1["unread"], 1);
    let audited: i64 =
        scalar(&app, "SELECT count(*) FROM audit_log WHERE kind = 'notice_replied'".into()).await;
    assert_eq!(audited, 1);
}

#[rocket::async_test]
async fn the_admin_list_counts_recipients_reads_and_replies_newest_first() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let old = send_ok(&app, "Old", json!("all")).await;
    app.advance(Duration::minutes(1));
    let new = send_ok(&app, "New", json!({"member_ids": [c.kim, c.bo]})).await;
    let kims = copy_id(&app, old, c.kim).await;
    let bos = copy_id(&app, old, c.bo).await;
    app.login_as("kim").await;
    put(&app, &format!("/api/v1/messages/{kims}/read")).await;
    reply(&app, kims, "Thanks").await;
    reply(&app, kims, "And one more thing").await;
    app.login_as("bo").await;
    put(&app, &format!("/api/v1/messages/{bos}/read")).await;
    delete(&app, &format!("/api/v1/messages/{bos}")).await;

    app.login_as("admin").await;
    let (status, list) = app.json("/api/v1/admin/messages").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ids(&list), [new, old]);
    let o = &list["items"][1];
    assert_eq!(
        (o["recipients"].as_i64(), o["read"].as_i64(), o["deleted"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!((o["replies"].as_i64(), o["unread_replies"].as_i64()), (Some(2), Some(2)));
    assert_eq!(list["unread_replies"], 2);
    assert_eq!(list["items"][0]["recipients"], 2);
    assert_eq!(list["items"][0]["read"], 0);
    let (_, second) = app.json("/api/v1/admin/messages?per_page=1&page=2").await;
    assert_eq!(ids(&second), [old]);
    assert_eq!(second["total"], 2);
    assert_eq!(app.json("/api/v1/admin/messages?page=-1").await.0, Status::UnprocessableEntity);
    assert_eq!(app.json("/api/v1/admin/messages/999").await.0, Status::NotFound);
}

#[rocket::async_test]
async fn replies_are_checked_and_an_admin_answers_only_recipients() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let n = send_ok(&app, "Kit", json!({"member_ids": [c.kim]})).await;
    let copy = copy_id(&app, n, c.kim).await;
    for body in [json!({"body": " "}), json!({"body": "r".repeat(5001)}), json!({})] {
        let path = format!("/api/v1/admin/messages/{n}/recipients/{}/reply", c.kim);
        let (status, err) = app.post_json(&path, body).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(err["error"]["fields"]["body"].is_string(), "{err}");
    }
    assert_eq!(admin_reply(&app, n, c.bo, "Hi").await.0, Status::NotFound, "Bo got no copy");
    assert_eq!(admin_reply(&app, 999, c.kim, "Hi").await.0, Status::NotFound);
    app.login_as("kim").await;
    for body in [json!({"body": ""}), json!({"body": "r".repeat(5001)}), json!({"text": "x"})] {
        let (status, err) =
            app.post_json(&format!("/api/v1/messages/{copy}/reply"), body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(!err["error"]["fields"].as_object().unwrap().is_empty(), "{err}");
    }
    let (status, _) = reply(&app, copy, &"r".repeat(5000)).await;
    assert_eq!(status, Status::Created, "5000 characters are fine");
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 1);
}

// ----- who may do what -----

#[rocket::async_test]
async fn signed_out_visitors_get_401() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/messages",
        "/api/v1/messages/1",
        "/api/v1/messages/settings",
        "/api/v1/admin/messages",
        "/api/v1/admin/messages/1",
    ] {
        assert_eq!(app.json(path).await.0, Status::Unauthorized, "{path}");
    }
    let posts = [
        ("/api/v1/admin/messages", json!({"subject": "a", "body": "b", "to": "all"})),
        ("/api/v1/messages/1/reply", json!({"body": "b"})),
        ("/api/v1/admin/messages/1/recipients/1/reply", json!({"body": "b"})),
    ];
    for (path, body) in posts {
        assert_eq!(app.post_json(path, body).await.0, Status::Unauthorized, "{path}");
    }
    assert_eq!(put(&app, "/api/v1/messages/1/read").await.0, Status::Unauthorized);
    assert_eq!(delete(&app, "/api/v1/messages/1").await.0, Status::Unauthorized);
    let off = json!({"email_notices": false});
    let status = app.send_json(Method::Put, "/api/v1/messages/settings", off).await.0;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn members_get_403_on_every_admin_route() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let n = send_ok(&app, "Dinner", json!("all")).await;
    app.login_as("cy").await;
    let (status, err) =
        send(&app, json!({"subject": "Mine", "body": "Coach's own notice", "to": "all"})).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "forbidden");
    assert_eq!(app.json("/api/v1/admin/messages").await.0, Status::Forbidden);
    assert_eq!(app.json(&format!("/api/v1/admin/messages/{n}")).await.0, Status::Forbidden);
    assert_eq!(admin_reply(&app, n, c.kim, "Hi").await.0, Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM notices").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 0);
}

#[rocket::async_test]
async fn members_still_joining_and_guests_have_no_notices() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.create_user_with_status("newbie", &[Role::Member], UserStatus::Onboarding).await;
    app.login_as("newbie").await;
    let (status, err) = app.json("/api/v1/messages").await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "onboarding_incomplete");
    let (status, err) = reply(&app, 1, "hi").await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "onboarding_incomplete");
    assert_eq!(app.json("/api/v1/messages/settings").await.0, Status::Forbidden);

    app.create_user("gus", &[Role::Guest]).await;
    app.login_as("gus").await;
    let (status, err) = app.json("/api/v1/messages").await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "members_only");
}

/// Kim's live copy, Kim's deleted copy, Bo's own copy and a nonexistent id, with Bo logged in.
async fn attack_setup(app: &TestApp) -> (i64, i64, i64, i64) {
    let c = club(app).await;
    let n = send_ok(app, "Private", json!({"member_ids": [c.kim, c.bo]})).await;
    let gone = send_ok(app, "Deleted", json!({"member_ids": [c.kim]})).await;
    let (kims, kims_deleted) = (copy_id(app, n, c.kim).await, copy_id(app, gone, c.kim).await);
    let bos = copy_id(app, n, c.bo).await;
    app.login_as("kim").await;
    reply(app, kims, "Only for the admins").await;
    delete(app, &format!("/api/v1/messages/{kims_deleted}")).await;
    app.login_as("bo").await;
    (kims, kims_deleted, bos, 999_999)
}

#[rocket::async_test]
async fn a_member_cannot_read_another_members_notice_by_guessing_its_id() {
    let app = TestApp::spawn().await;
    let (kims, kims_deleted, _, missing) = attack_setup(&app).await;
    let before = snapshot(&app).await;
    let (_, nothing) = app.json(&format!("/api/v1/messages/{missing}")).await;
    for id in [kims, kims_deleted] {
        let (status, err) = app.json(&format!("/api/v1/messages/{id}")).await;
        assert_eq!(status, Status::NotFound, "{id}");
        assert_eq!(err, nothing, "looks like a missing id");
        let (status, err) = put(&app, &format!("/api/v1/messages/{id}/read")).await;
        assert_eq!(status, Status::NotFound);
        assert_eq!(err, nothing);
    }
    assert_eq!(put(&app, &format!("/api/v1/messages/{missing}/read")).await.0, Status::NotFound);
    let (_, inbox) = app.json("/api/v1/messages").await;
    assert!(!ids(&inbox).contains(&kims));
    assert_eq!(snapshot(&app).await, before, "Kim's copies are still unread");
}

#[rocket::async_test]
async fn a_member_cannot_delete_another_members_notice_by_guessing_its_id() {
    let app = TestApp::spawn().await;
    let (kims, kims_deleted, bos, missing) = attack_setup(&app).await;
    let before = snapshot(&app).await;
    for id in [kims, kims_deleted, missing] {
        let (status, _) = delete(&app, &format!("/api/v1/messages/{id}")).await;
        assert_eq!(status, Status::NotFound, "{id}");
    }
    assert_eq!(snapshot(&app).await, before, "nothing was deleted");
    app.login_as("kim").await;
    assert_eq!(app.json(&format!("/api/v1/messages/{kims}")).await.0, Status::Ok);
    app.login_as("bo").await;
    assert_eq!(delete(&app, &format!("/api/v1/messages/{bos}")).await.0, Status::Ok, "own one");
}

#[rocket::async_test]
async fn a_member_cannot_reply_in_another_members_thread_by_guessing_its_id() {
    let app = TestApp::spawn().await;
    let (kims, kims_deleted, bos, missing) = attack_setup(&app).await;
    let before = snapshot(&app).await;
    for id in [kims, kims_deleted, missing] {
        let (status, _) = reply(&app, id, "Sneaking in").await;
        assert_eq!(status, Status::NotFound, "{id}");
        // A bad body does not reveal that the id exists either.
        assert_eq!(reply(&app, id, "").await.0, Status::NotFound, "{id}");
    }
    assert_eq!(snapshot(&app).await, before, "no reply was added");
    let sneaked: i64 =
        scalar(&app, "SELECT count(*) FROM notice_replies WHERE body = 'Sneaking in'".into()).await;
    assert_eq!(sneaked, 0);
    assert_eq!(reply(&app, bos, "My own thread").await.0, Status::Created);
}

// ----- real time -----

async fn next_payload(sub: &mut Subscription) -> (Cursor, Value) {
    let event = tokio::time::timeout(StdDuration::from_secs(2), sub.next())
        .await
        .expect("an event in time")
        .expect("still subscribed");
    (event.cursor, serde_json::from_str(event.payload()).unwrap())
}

async fn nothing_waiting(sub: &mut Subscription) -> bool {
    tokio::time::timeout(StdDuration::from_millis(50), sub.next()).await.is_err()
}

#[rocket::async_test]
async fn notices_and_replies_are_published_to_the_people_concerned() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let other_admin = app.create_user("ola", &[Role::Admin, Role::Member]).await;
    let hub = app.db().outlets().hub().clone();
    let (mut kim, mut bo, mut admin, mut ola) = (
        hub.subscribe(c.kim),
        hub.subscribe(c.bo),
        hub.subscribe(c.admin),
        hub.subscribe(other_admin),
    );

    let n = send_ok(&app, "Live", json!({"member_ids": [c.kim]})).await;
    let copy = copy_id(&app, n, c.kim).await;
    let (cursor, event) = next_payload(&mut kim).await;
    assert_eq!(cursor, Cursor::Notice(copy));
    assert_eq!(event["type"], "notice");
    assert_eq!(event["message"]["id"], copy);
    assert_eq!(event["message"]["subject"], "Live");
    assert_eq!(event["message"]["unread"], true);
    assert!(nothing_waiting(&mut bo).await, "only recipients hear of it");

    app.login_as("kim").await;
    let (_, sent) = reply(&app, copy, "Got it").await;
    for admin_sub in [&mut admin, &mut ola] {
        let (cursor, event) = next_payload(admin_sub).await;
        assert_eq!(cursor, Cursor::None);
        assert_eq!(event["type"], "notice_reply");
        assert_eq!(event["message_id"], copy);
        assert_eq!(event["notice_id"], n);
        assert_eq!(event["reply"]["id"], sent["id"]);
        assert_eq!(event["reply"]["body"], "Got it");
    }
    assert!(nothing_waiting(&mut bo).await);

    app.login_as("admin").await;
    let (_, answer) = admin_reply(&app, n, c.kim, "Good").await;
    let (_, event) = next_payload(&mut kim).await;
    assert_eq!(event["type"], "notice_reply");
    assert_eq!(event["reply"]["id"], answer["id"]);
    assert_eq!(event["reply"]["from_admin"], true);
    assert!(nothing_waiting(&mut ola).await, "the member hears the admin's answer, not the admins");

    // A disabled member is told nothing.
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'kim'").await;
    assert_eq!(admin_reply(&app, n, c.kim, "Still there?").await.0, Status::Created);
    assert!(nothing_waiting(&mut kim).await);
}

#[rocket::async_test]
async fn missed_gives_a_users_kept_notices_after_an_id_oldest_first() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let mut kims = Vec::new();
    for subject in ["A", "B", "C", "D"] {
        let n = send_ok(&app, subject, json!({"member_ids": [c.kim, c.bo]})).await;
        kims.push(copy_id(&app, n, c.kim).await);
    }
    app.login_as("kim").await;
    delete(&app, &format!("/api/v1/messages/{}", kims[2])).await;

    let missed = |after: i64, limit: usize| {
        let db = app.db();
        let kim = c.kim;
        async move {
            db.read(move |tx| clubroom::notices::service::missed(tx, kim, after, limit))
                .await
                .unwrap()
        }
    };
    let events = missed(kims[0], 10).await;
    let cursors: Vec<Cursor> = events.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors, [Cursor::Notice(kims[1]), Cursor::Notice(kims[3])], "not the deleted one");
    let payload: Value = serde_json::from_str(events[0].payload()).unwrap();
    assert_eq!(payload["type"], "notice");
    assert_eq!(payload["message"]["id"], kims[1]);
    assert_eq!(payload["message"]["subject"], "B");
    assert_eq!(payload["message"]["preview"], "About B.");

    let cursors: Vec<Cursor> = missed(0, 2).await.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors, [Cursor::Notice(kims[0]), Cursor::Notice(kims[1])], "oldest first");
    assert!(missed(kims[3], 10).await.is_empty());
    let bos: Vec<Cursor> = {
        let db = app.db();
        let bo = c.bo;
        db.read(move |tx| clubroom::notices::service::missed(tx, bo, 0, 10))
            .await
            .unwrap()
            .iter()
            .map(|e| e.cursor)
            .collect()
    };
    assert_eq!(bos.len(), 4, "Bo's own copies");
    assert!(bos.iter().all(|c| !kims.iter().any(|k| *c == Cursor::Notice(*k))), "none of Kim's");
}
