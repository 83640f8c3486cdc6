//! Notices through the pages: the inbox, a notice's thread with its reply and delete forms,
//! the email setting, and the admins' compose form, sent list and per-notice page.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::Status;
use serde_json::json;

use crate::support::*;

async fn scalar<T: rusqlite::types::FromSql + Send + 'static>(app: &TestApp, sql: String) -> T {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

fn location(response: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

async fn page(app: &TestApp, path: &str) -> (Status, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    (response.status(), response.into_string().await.unwrap_or_default())
}

/// An admin (logged in afterwards), members kim and bo; returns their ids.
async fn club(app: &TestApp) -> (i64, i64) {
    app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    (kim, bo)
}

/// Sends through the API as the logged-in admin; returns the notice id.
async fn send(app: &TestApp, subject: &str, body: &str) -> i64 {
    let (status, notice) = app
        .post_json(
            "/api/v1/admin/messages",
            json!({"subject": subject, "body": body, "to": "all", "email": false}),
        )
        .await;
    assert_eq!(status, Status::Created, "{notice}");
    notice["id"].as_i64().unwrap()
}

async fn copy_id(app: &TestApp, notice: i64, user: i64) -> i64 {
    scalar(
        app,
        format!("SELECT id FROM notice_copies WHERE notice_id = {notice} AND user_id = {user}"),
    )
    .await
}

// ----- the member's pages -----

#[rocket::async_test]
async fn the_inbox_lists_notices_with_an_unread_marker_in_words() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.login_as("kim").await;
    let (status, html) = page(&app, "/messages").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("No notices yet."), "the empty state");
    assert!(html.contains("Email me when a notice arrives"));

    app.login_as("admin").await;
    app.exec("UPDATE users SET first_name = 'Ann', last_name = 'Lee' WHERE username = 'admin'")
        .await;
    let first = send(&app, "Read me <first>", "Old news").await;
    send(&app, "Ice time moves", "From Thursday.").await;
    let kim: i64 = scalar(&app, "SELECT id FROM users WHERE username = 'kim'".into()).await;
    let first_copy = copy_id(&app, first, kim).await;
    app.login_as("kim").await;
    app.post_json(&format!("/api/v1/messages/{first_copy}/reply"), json!({"body": "ok"})).await;

    let (_, html) = page(&app, "/messages").await;
    assert!(html.contains("Ice time moves") && html.contains("From Ann Lee"));
    assert!(html.contains("Read me &lt;first&gt;"), "subjects are escaped");
    let newest = html.find("Ice time moves").unwrap();
    assert!(newest < html.find("Read me").unwrap(), "newest first");
    assert_eq!(html.matches(">Unread<").count(), 1, "the replied-to one counts as read");
    assert!(html.contains("1 unread of 2."));
    assert!(html.contains("1 reply"));
    assert!(html.contains(&format!("href=\"/messages/{first_copy}\"")));
}

#[rocket::async_test]
async fn the_thread_page_shows_the_notice_escaped_and_marks_it_read() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let n = send(&app, "Dinner", "Line one\n<script>alert(1)</script>\nLine three").await;
    let copy = copy_id(&app, n, kim).await;
    app.login_as("kim").await;
    let (status, html) = page(&app, &format!("/messages/{copy}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("<div class=\"notice-body\">Line one\n&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("No replies yet."));
    assert!(html.contains(&format!("action=\"/messages/{copy}/reply\"")));
    assert!(html.contains(&format!("action=\"/messages/{copy}/delete\"")));
    assert!(html.contains("cannot undo"), "the delete button says what it does");
    let read: Option<i64> =
        scalar(&app, format!("SELECT read_at FROM notice_copies WHERE id = {copy}")).await;
    assert!(read.is_some(), "opening it marked it read");
}

#[rocket::async_test]
async fn a_member_replies_through_the_form_and_sees_the_thread() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let n = send(&app, "Dinner", "Friday").await;
    let copy = copy_id(&app, n, kim).await;
    app.login_as("kim").await;
    let token = app.csrf_token(&format!("/messages/{copy}")).await;
    let path = format!("/messages/{copy}/reply");
    let response = app
        .post_form(&path, &[("csrf_token", &token), ("body", "Can I <b>bring</b> a friend?")])
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert!(location(&response).starts_with(&format!("/messages/{copy}#reply-")));

    let response = app.post_form(&path, &[("csrf_token", &token), ("body", "  ")]).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Write your reply."), "the form says what is wrong");
    let long = "x".repeat(5001);
    let response = app.post_form(&path, &[("csrf_token", &token), ("body", &long)]).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains(&long), "the text is kept");

    let (_, html) = page(&app, &format!("/messages/{copy}")).await;
    assert!(html.contains("<strong>You</strong>"));
    assert!(html.contains("Can I &lt;b&gt;bring&lt;&#x2F;b&gt; a friend?"));
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 1);

    app.login_as("admin").await;
    let (_, html) = page(&app, &format!("/admin/messages/{n}")).await;
    assert!(html.contains("Can I &lt;b&gt;bring"), "the admins see it");
    assert!(html.contains(">New<"), "marked new the first time");
}

#[rocket::async_test]
async fn deleting_through_the_form_removes_the_notice_from_the_inbox() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let n = send(&app, "Old party", "It was fun").await;
    let copy = copy_id(&app, n, kim).await;
    app.login_as("kim").await;
    let token = app.csrf_token(&format!("/messages/{copy}")).await;
    let response =
        app.post_form(&format!("/messages/{copy}/delete"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/messages");
    let (_, html) = page(&app, "/messages").await;
    assert!(!html.contains("Old party"));
    assert!(html.contains("No notices yet."));
    assert_eq!(page(&app, &format!("/messages/{copy}")).await.0, Status::NotFound);

    app.login_as("admin").await;
    let (_, html) = page(&app, &format!("/admin/messages/{n}")).await;
    assert!(html.contains("deleted by member"));
}

#[rocket::async_test]
async fn the_email_setting_is_a_checkbox_on_the_inbox() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.login_as("kim").await;
    let token = app.csrf_token("/messages").await;
    let response = app.post_form("/messages/settings", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther, "an unticked box means off");
    let on: i64 =
        scalar(&app, "SELECT notice_emails FROM users WHERE username = 'kim'".into()).await;
    assert_eq!(on, 0);
    let (_, html) = page(&app, "/messages").await;
    assert!(html.contains("value=\"true\">"), "the box is shown unticked");
    let fields = [("csrf_token", token.as_str()), ("email_notices", "true")];
    assert_eq!(app.post_form("/messages/settings", &fields).await.status(), Status::SeeOther);
    let on: i64 =
        scalar(&app, "SELECT notice_emails FROM users WHERE username = 'kim'".into()).await;
    assert_eq!(on, 1);
    let (_, html) = page(&app, "/messages").await;
    assert!(html.contains("value=\"true\" checked"));
}

#[rocket::async_test]
async fn another_members_notice_answers_404_on_every_page_and_form() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let n = send(&app, "Private", "For each of you").await;
    let kims = copy_id(&app, n, kim).await;
    app.login_as("bo").await;
    let token = app.csrf_token("/messages").await;
    assert_eq!(page(&app, &format!("/messages/{kims}")).await.0, Status::NotFound);
    let response = app
        .post_form(&format!("/messages/{kims}/reply"), &[("csrf_token", &token), ("body", "hi")])
        .await;
    assert_eq!(response.status(), Status::NotFound);
    let response =
        app.post_form(&format!("/messages/{kims}/delete"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::NotFound);
    let state: String = scalar(
        &app,
        format!(
            "SELECT IFNULL(read_at, 'unread') || '/' || IFNULL(deleted_at, 'kept') FROM notice_copies WHERE id = {kims}"
        ),
    )
    .await;
    assert_eq!(state, "unread/kept");
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 0);
}

#[rocket::async_test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let n = send(&app, "Dinner", "Friday").await;
    let copy = copy_id(&app, n, kim).await;
    let _ = app.csrf_token("/admin/messages").await;
    let compose = [("subject", "Forged"), ("body", "x"), ("audience", "all")];
    assert_eq!(app.post_form("/admin/messages", &compose).await.status(), Status::Forbidden);
    let path = format!("/admin/messages/{n}/recipients/{kim}/reply");
    let forged = [("csrf_token", "forged"), ("body", "x")];
    assert_eq!(app.post_form(&path, &forged).await.status(), Status::Forbidden);
    app.login_as("kim").await;
    let _ = app.csrf_token("/messages").await;
    let reply = app.post_form(&format!("/messages/{copy}/reply"), &[("body", "x")]).await;
    assert_eq!(reply.status(), Status::Forbidden);
    let delete = app.post_form(&format!("/messages/{copy}/delete"), &[]).await;
    assert_eq!(delete.status(), Status::Forbidden);
    let settings = app.post_form("/messages/settings", &[]).await;
    assert_eq!(settings.status(), Status::Forbidden);

    assert_eq!(app.count("SELECT count(*) FROM notices").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM notice_replies").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM notice_copies WHERE deleted_at IS NOT NULL").await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM users WHERE notice_emails = 0").await, 0);
}

#[rocket::async_test]
async fn visitors_go_to_login_joiners_to_onboarding_and_members_are_kept_out_of_admin_pages() {
    let app = TestApp::spawn().await;
    for path in ["/messages", "/messages/1", "/admin/messages", "/admin/messages/1"] {
        let response = app.client.get(path).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
    club(&app).await;
    app.create_user_with_status("newbie", &[Role::Member], UserStatus::Onboarding).await;
    app.login_as("newbie").await;
    let response = app.client.get("/messages").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/onboarding");

    app.login_as("kim").await;
    for path in ["/admin/messages", "/admin/messages/1"] {
        assert_eq!(page(&app, path).await.0, Status::Forbidden, "{path}");
    }
    let token = app.csrf_token("/messages").await;
    let fields =
        [("csrf_token", token.as_str()), ("subject", "x"), ("body", "y"), ("audience", "all")];
    assert_eq!(app.post_form("/admin/messages", &fields).await.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM notices").await, 0);
}

// ----- the admins' pages -----

#[rocket::async_test]
async fn the_compose_form_shows_its_errors_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let (kim, _) = club(&app).await;
    let (status, html) = page(&app, "/admin").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("href=\"/admin/messages\""), "linked from the admin home");

    let token = app.csrf_token("/admin/messages").await;
    let (_, html) = page(&app, "/admin/messages").await;
    assert!(html.contains("No notices sent yet."));
    assert!(html.contains(&format!("name=\"member_ids\" value=\"{kim}\"")), "members to tick");
    let long = "s".repeat(201);
    let fields = [
        ("csrf_token", token.as_str()),
        ("subject", long.as_str()),
        ("body", "Keep <this> text"),
        ("audience", "members"),
        ("email", "true"),
    ];
    let response = app.post_form("/admin/messages", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Use at most 200 characters."), "the subject's error");
    assert!(html.contains("No active member matches"), "nobody was ticked");
    assert!(html.contains("Keep &lt;this&gt; text"), "the body is kept");
    assert!(html.contains("value=\"members\" checked"), "the audience is kept");

    let fields = [
        ("csrf_token", token.as_str()),
        ("subject", "Hi"),
        ("body", "Text"),
        ("audience", "role"),
        ("role", "captain"),
    ];
    let response = app.post_form("/admin/messages", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response
        .into_string()
        .await
        .unwrap()
        .contains("Choose admin, coach, member or guardian."));
    assert_eq!(app.count("SELECT count(*) FROM notices").await, 0);
}

#[rocket::async_test]
async fn an_admin_sends_from_the_form_and_follows_reads_and_replies() {
    let app = TestApp::spawn().await;
    let (kim, bo) = club(&app).await;
    let token = app.csrf_token("/admin/messages").await;
    let (kim_id, bo_id) = (kim.to_string(), bo.to_string());
    let fields = [
        ("csrf_token", token.as_str()),
        ("subject", "Ice time moves"),
        ("body", "From Thursday\nat 18:00."),
        ("audience", "members"),
        ("member_ids", kim_id.as_str()),
        ("member_ids", bo_id.as_str()),
        ("email", "true"),
    ];
    let response = app.post_form("/admin/messages", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/admin/messages");
    let n: i64 = scalar(&app, "SELECT id FROM notices".into()).await;
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1, "the box was ticked");
    let (_, html) = page(&app, "/admin/messages").await;
    assert!(html.contains("Your notice was sent to 2 members."));
    assert!(html.contains("0 of 2 read"));

    app.login_as("kim").await;
    let copy = copy_id(&app, n, kim).await;
    let kim_token = app.csrf_token(&format!("/messages/{copy}")).await;
    let fields = [("csrf_token", kim_token.as_str()), ("body", "Which rink?")];
    app.post_form(&format!("/messages/{copy}/reply"), &fields).await;

    app.login_as("admin").await;
    let (_, html) = page(&app, "/admin/messages").await;
    assert!(html.contains("1 of 2 read"), "{html}");
    assert!(html.contains("1 unread reply"));
    let (status, html) = page(&app, &format!("/admin/messages/{n}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("1 of 2 read"));
    assert!(html.contains("Which rink?"));
    assert!(html.contains("Not read"), "Bo has not read it");
    assert!(html.contains("<div class=\"notice-body\">From Thursday\nat 18:00.</div>"));
    let (_, html) = page(&app, "/admin/messages").await;
    assert!(html.contains("No unread replies"), "viewing the notice read the reply");

    let token = app.csrf_token("/admin/messages").await;
    let path = format!("/admin/messages/{n}/recipients/{kim}/reply");
    let response = app.post_form(&path, &[("csrf_token", &token), ("body", "")]).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Write your reply."));
    let response = app.post_form(&path, &[("csrf_token", &token), ("body", "Rink 2")]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), format!("/admin/messages/{n}#member-{kim}"));
    let read: Option<i64> =
        scalar(&app, format!("SELECT read_at FROM notice_copies WHERE id = {copy}")).await;
    assert_eq!(read, None, "the answer marks it unread for Kim");

    app.login_as("kim").await;
    let (_, html) = page(&app, "/messages").await;
    assert!(html.contains(">Unread<"));
    let (_, html) = page(&app, &format!("/messages/{copy}")).await;
    assert!(html.contains("<strong>admin</strong>"), "the admin's name on their answer");
    assert!(html.contains("Rink 2"));

    // Once Bo deletes the notice, a reply to Bo is refused on the page with the reason.
    app.login_as("bo").await;
    let bos = copy_id(&app, n, bo).await;
    app.send_json(rocket::http::Method::Delete, &format!("/api/v1/messages/{bos}"), json!({}))
        .await;
    app.login_as("admin").await;
    let token = app.csrf_token("/admin/messages").await;
    let path = format!("/admin/messages/{n}/recipients/{bo}/reply");
    let response = app.post_form(&path, &[("csrf_token", &token), ("body", "Hello?")]).await;
    assert_eq!(response.status(), Status::Conflict);
    assert!(response.into_string().await.unwrap().contains("deleted this notice"));
}
