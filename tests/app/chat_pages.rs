//! The conversation pages: the list, the chat room and every form on them (with CSRF, Post/
//! Redirect/Get), the admin setting for one-to-one chats, and the room's script.

use clubroom::accounts::model::Role;
use futures::FutureExt;
use rocket::http::{ContentType, Method, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::json;

use crate::support::*;

struct Club {
    kim: i64,
    bo: i64,
    sam: i64,
}

/// An admin (logged in afterwards) and members kim, bo and sam.
async fn club(app: &TestApp) -> Club {
    app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let sam = app.create_user("sam", &[Role::Member]).await;
    Club { kim, bo, sam }
}

async fn page(app: &TestApp, path: &str) -> (Status, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

fn location(response: &LocalResponse<'_>) -> String {
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

async fn group(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    let body = json!({"name": name, "member_ids": members});
    let (status, view) = app.post_json("/api/v1/conversations", body).await;
    assert_eq!(status, Status::Created, "{view}");
    view["id"].as_i64().unwrap()
}

async fn say(app: &TestApp, conversation: i64, content: &str) -> i64 {
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let (status, message) = app.post_json(&path, json!({"content": content})).await;
    assert_eq!(status, Status::Created, "{message}");
    message["id"].as_i64().unwrap()
}

async fn messages_in(app: &TestApp, conversation: i64) -> i64 {
    app.db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT count(*) FROM conversation_messages WHERE conversation_id = ?1",
                [conversation],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

async fn unread(app: &TestApp, conversation: i64) -> i64 {
    app.json(&format!("/api/v1/conversations/{conversation}")).await.1["unread"].as_i64().unwrap()
}

#[rocket::async_test]
async fn the_list_shows_last_messages_unread_counts_and_the_forms() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim, c.bo]).await;
    say(&app, team, "Ice time moved to 18:00").await;
    say(&app, team, "Bring <skates> & helmets").await;

    app.login_as("kim").await;
    let (status, html) = page(&app, "/conversations").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("href=\"/conversations/{team}\"")), "{html}");
    assert!(html.contains("Coaches"));
    assert!(html.contains("admin: Bring &lt;skates&gt; &amp; helmets"), "escaped preview");
    assert!(html.contains("2 unread"));
    assert!(html.contains("action=\"/conversations/direct\""), "the start-a-chat form");
    assert!(html.contains(&format!("<option value=\"{}\"", c.sam)));
    assert!(!html.contains(&format!("<option value=\"{}\"", c.kim)), "not with oneself");
    assert!(!html.contains("New group"), "members do not create groups");
    assert!(!html.contains("all=true"));
    assert_eq!(page(&app, "/conversations?all=true").await.0, Status::Forbidden);

    app.login_as("admin").await;
    let (_, html) = page(&app, "/conversations").await;
    assert!(html.contains("New group") && html.contains("name=\"member_ids\""));
    assert!(html.contains("href=\"/conversations?all=true\""));
}

#[rocket::async_test]
async fn admins_see_every_group_but_not_other_peoples_chats() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Parents", &[c.kim]).await;
    assert_eq!(
        app.post_json(&format!("/api/v1/conversations/{team}/leave"), json!({})).await.0,
        Status::Ok
    );
    app.login_as("kim").await;
    app.post_json("/api/v1/conversations/direct", json!({"member_id": c.bo})).await;

    app.login_as("admin").await;
    let (_, mine) = page(&app, "/conversations").await;
    assert!(!mine.contains("Parents"));
    let (status, all) = page(&app, "/conversations?all=true").await;
    assert_eq!(status, Status::Ok);
    assert!(all.contains("Parents") && all.contains("not a member"));
    assert!(!all.contains("one-to-one</span>"), "one-to-one chats stay private");
    // The room opens for moderation, without a post form.
    let (status, room) = page(&app, &format!("/conversations/{team}")).await;
    assert_eq!(status, Status::Ok);
    assert!(room.contains("you are not a member of it"));
    assert!(!room.contains("id=\"chat-form\""));
    assert!(room.contains("data-live=\"false\""));
}

#[rocket::async_test]
async fn the_room_shows_history_and_members_and_marks_it_read() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim, c.bo]).await;
    let last = say(&app, team, "<b>Season</b> starts\nMonday").await;
    app.login_as("kim").await;
    assert_eq!(unread(&app, team).await, 1);

    let (status, html) = page(&app, &format!("/conversations/{team}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("&lt;b&gt;Season&lt;&#x2F;b&gt; starts\nMonday"), "escaped, lines kept");
    assert!(!html.contains("<b>Season"));
    assert!(html.contains(&format!("id=\"message-{last}\"")));
    assert!(html.contains("<span class=\"tag\">owner</span>"));
    assert!(html.contains("bo") && html.contains("kim"));
    assert!(html.contains("id=\"chat-form\"") && html.contains("name=\"csrf_token\""));
    assert!(html.contains("<script src=\"/assets/js/chat.js"));
    assert!(html.contains(&format!("data-conversation-id=\"{team}\"")));
    assert!(html.contains(&format!("data-last-id=\"{last}\"")));
    assert!(html.contains("data-live=\"true\""));
    assert!(html.contains("Leave this group"));
    assert!(!html.contains("/rename\""), "plain members get no manage forms");
    assert!(!html.contains("Older messages"));
    assert_eq!(unread(&app, team).await, 0, "viewing marks it read");
}

#[rocket::async_test]
async fn the_post_form_adds_a_message_and_comes_back_to_the_room() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim, c.bo]).await;
    app.login_as("kim").await;
    let room = format!("/conversations/{team}");
    let token = app.csrf_token(&room).await;
    let mut bo_socket = app.db().outlets().hub().subscribe(c.bo);

    let fields = [("csrf_token", token.as_str()), ("content", "See you at 6")];
    let response = app.post_form(&format!("{room}/messages"), &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), room);
    assert_eq!(messages_in(&app, team).await, 1);
    let event = bo_socket.next().now_or_never().expect("an event").unwrap();
    assert!(event.payload().contains("See you at 6"));
    let (_, html) = page(&app, &room).await;
    assert!(html.contains("See you at 6"));

    // An empty or too long message shows the room again with the error and keeps the text.
    let fields = [("csrf_token", token.as_str()), ("content", "   ")];
    let response = app.post_form(&format!("{room}/messages"), &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Write a message first."));
    let long = "z".repeat(4001);
    let fields = [("csrf_token", token.as_str()), ("content", long.as_str())];
    let response = app.post_form(&format!("{room}/messages"), &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains(&long), "the text is not lost");
    assert_eq!(messages_in(&app, team).await, 1);
}

#[rocket::async_test]
async fn posting_too_fast_from_the_room_says_how_long_to_wait_and_keeps_the_text() {
    let app = TestApp::spawn_with(|c| c.chat_messages_per_minute = 1).await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim]).await;
    app.login_as("kim").await;
    let room = format!("/conversations/{team}");
    let token = app.csrf_token(&room).await;

    let fields = [("csrf_token", token.as_str()), ("content", "See you at 6")];
    let response = app.post_form(&format!("{room}/messages"), &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let fields = [("csrf_token", token.as_str()), ("content", "And bring skates")];
    let response = app.post_form(&format!("{room}/messages"), &fields).await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("You are sending messages very fast. Wait "), "{html}");
    assert!(html.contains("And bring skates"), "the text is not lost");
    assert_eq!(messages_in(&app, team).await, 1);
}

#[rocket::async_test]
async fn the_older_link_pages_back_through_the_history() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim]).await;
    let mut ids = Vec::new();
    for n in 1..=53 {
        ids.push(say(&app, team, &format!("Note number {n}.")).await);
    }
    let (_, html) = page(&app, &format!("/conversations/{team}")).await;
    assert!(html.contains("Note number 53.") && html.contains("Note number 4."));
    assert!(!html.contains("Note number 3."));
    let older = format!("/conversations/{team}?before={}", ids[3]);
    assert!(html.contains(&format!("href=\"{older}\"")), "Older messages link");

    let (status, html) = page(&app, &older).await;
    assert_eq!(status, Status::Ok);
    for n in 1..=3 {
        assert!(html.contains(&format!("Note number {n}.")));
    }
    assert!(!html.contains("Note number 4."));
    assert!(!html.contains("Older messages"));
    assert!(html.contains("Newest messages"));
    assert!(html.contains("data-live=\"false\""), "no live updates on an old page");
    assert_eq!(
        page(&app, &format!("/conversations/{team}?before=x")).await.0,
        Status::UnprocessableEntity
    );
}

#[rocket::async_test]
async fn owners_rename_add_and_remove_through_the_forms() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim]).await;
    let room = format!("/conversations/{team}");
    let (_, html) = page(&app, &room).await;
    assert!(html.contains(&format!("action=\"{room}/rename\"")));
    assert!(html.contains(&format!("action=\"{room}/members\"")));
    assert!(html.contains(&format!("action=\"{room}/members/{}/remove\"", c.kim)));
    let token = app.csrf_token(&room).await;

    let fields =
        [("csrf_token", token.as_str()), ("name", "Coaching team"), ("description", "Season 2026")];
    let response = app.post_form(&format!("{room}/rename"), &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), room);
    let (_, view) = app.json(&format!("/api/v1/conversations/{team}")).await;
    assert_eq!(
        (view["name"].as_str(), view["description"].as_str()),
        (Some("Coaching team"), Some("Season 2026"))
    );

    let fields = [("csrf_token", token.as_str()), ("name", ""), ("description", "")];
    let response = app.post_form(&format!("{room}/rename"), &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Give the group a name."));

    let (bo, sam) = (c.bo.to_string(), c.sam.to_string());
    let fields =
        [("csrf_token", token.as_str()), ("member_ids", bo.as_str()), ("member_ids", sam.as_str())];
    let response = app.post_form(&format!("{room}/members"), &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, view) = app.json(&format!("/api/v1/conversations/{team}")).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 4);

    let response =
        app.post_form(&format!("{room}/members"), &[("csrf_token", token.as_str())]).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);

    let response =
        app.post_form(&format!("{room}/members/{}/remove", c.kim), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, view) = app.json(&format!("/api/v1/conversations/{team}")).await;
    assert!(!view["members"].as_array().unwrap().iter().any(|m| m["id"] == c.kim));
    app.login_as("kim").await;
    assert_eq!(page(&app, &room).await.0, Status::NotFound, "removed: the room is gone for kim");
}

#[rocket::async_test]
async fn members_leave_with_the_leave_button() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim, c.bo]).await;
    app.login_as("kim").await;
    let room = format!("/conversations/{team}");
    let token = app.csrf_token(&room).await;
    let response = app.post_form(&format!("{room}/leave"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/conversations");
    let (_, html) = page(&app, "/conversations").await;
    assert!(html.contains("You left the group."));
    assert!(!html.contains("Coaches"));
    assert_eq!(page(&app, &room).await.0, Status::NotFound);
}

#[rocket::async_test]
async fn plain_members_cannot_use_the_manage_forms() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim, c.bo]).await;
    app.login_as("kim").await;
    let room = format!("/conversations/{team}");
    let token = app.csrf_token(&room).await;
    let fields = [("csrf_token", token.as_str()), ("name", "Mine")];
    assert_eq!(app.post_form(&format!("{room}/rename"), &fields).await.status(), Status::Forbidden);
    let sam = c.sam.to_string();
    let fields = [("csrf_token", token.as_str()), ("member_ids", sam.as_str())];
    assert_eq!(
        app.post_form(&format!("{room}/members"), &fields).await.status(),
        Status::Forbidden
    );
    let remove = format!("{room}/members/{}/remove", c.bo);
    assert_eq!(app.post_form(&remove, &[("csrf_token", &token)]).await.status(), Status::Forbidden);
    let (_, view) = app.json(&format!("/api/v1/conversations/{team}")).await;
    assert_eq!(view["name"], "Coaches");
    assert_eq!(view["members"].as_array().unwrap().len(), 3);

    // Someone outside the group cannot even find it.
    app.login_as("sam").await;
    assert_eq!(page(&app, &room).await.0, Status::NotFound);
    let token = app.csrf_token("/conversations").await;
    let fields = [("csrf_token", token.as_str()), ("content", "Let me in")];
    assert_eq!(
        app.post_form(&format!("{room}/messages"), &fields).await.status(),
        Status::NotFound
    );
    assert_eq!(
        app.post_form(&format!("{room}/leave"), &[("csrf_token", &token)]).await.status(),
        Status::NotFound
    );
    assert_eq!(messages_in(&app, team).await, 0);
}

#[rocket::async_test]
async fn admins_create_groups_and_members_start_chats_with_the_forms() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let token = app.csrf_token("/conversations").await;
    let (kim, bo) = (c.kim.to_string(), c.bo.to_string());
    let fields = [
        ("csrf_token", token.as_str()),
        ("name", "Juniors"),
        ("description", "Under 12"),
        ("member_ids", kim.as_str()),
        ("member_ids", bo.as_str()),
    ];
    let response = app.post_form("/conversations", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let room = location(&response);
    let (status, html) = page(&app, &room).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Juniors")
            && html.contains("Under 12")
            && html.contains("The group was created.")
    );

    // Errors come back on the form, with what was typed.
    let fields = [
        ("csrf_token", token.as_str()),
        ("name", ""),
        ("description", "Kept"),
        ("member_ids", "99999"),
    ];
    let response = app.post_form("/conversations", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Give the group a name.")
            && html.contains("99999")
            && html.contains(">Kept<")
    );
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);

    app.login_as("kim").await;
    let token = app.csrf_token("/conversations").await;
    let fields = [("csrf_token", token.as_str()), ("name", "Mine")];
    assert_eq!(app.post_form("/conversations", &fields).await.status(), Status::Forbidden);

    let sam = c.sam.to_string();
    let fields = [("csrf_token", token.as_str()), ("member_id", sam.as_str())];
    let response = app.post_form("/conversations/direct", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    let chat = location(&response);
    assert!(chat.starts_with("/conversations/"));
    let again = app.post_form("/conversations/direct", &fields).await;
    assert_eq!(location(&again), chat, "the same conversation again");
    let (_, html) = page(&app, &chat).await;
    assert!(html.contains("<h1>sam</h1>"));
    assert!(!html.contains("Leave this group"));

    let fields = [("csrf_token", token.as_str()), ("member_id", "")];
    let response = app.post_form("/conversations/direct", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Choose who to chat with."));
}

#[rocket::async_test]
async fn the_direct_chat_setting_is_on_the_admin_settings_page() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.login_as("kim").await;
    let (_, chat) = app.post_json("/api/v1/conversations/direct", json!({"member_id": c.bo})).await;
    let chat = chat["id"].as_i64().unwrap();

    app.login_as("admin").await;
    let (_, html) = page(&app, "/admin/settings").await;
    assert!(html.contains("name=\"direct_chat\" value=\"true\" checked"));
    let token = app.csrf_token("/admin/settings").await;
    // An unticked checkbox is absent from the form: the setting goes off.
    let response = app.post_form("/admin/settings", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(app.json("/api/v1/admin/settings").await.1["direct_chat"], false);
    let (_, html) = page(&app, "/admin/settings").await;
    assert!(html.contains("name=\"direct_chat\" value=\"true\">"));

    app.login_as("kim").await;
    let (_, list) = page(&app, "/conversations").await;
    assert!(!list.contains("action=\"/conversations/direct\""), "the start form is hidden");
    let (_, room) = page(&app, &format!("/conversations/{chat}")).await;
    assert!(!room.contains("id=\"chat-form\"") && room.contains("turned one-to-one chats off"));

    app.login_as("admin").await;
    let token = app.csrf_token("/admin/settings").await;
    let fields = [("csrf_token", token.as_str()), ("direct_chat", "true")];
    assert_eq!(app.post_form("/admin/settings", &fields).await.status(), Status::SeeOther);
    assert_eq!(app.json("/api/v1/admin/settings").await.1["direct_chat"], true);
}

#[rocket::async_test]
async fn form_posts_without_a_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim]).await;
    let room = format!("/conversations/{team}");
    let before = app.count("SELECT count(*) FROM conversation_members").await;
    let attempts = [
        (format!("{room}/messages"), vec![("content", "Hi")]),
        (format!("{room}/messages"), vec![("csrf_token", "forged"), ("content", "Hi")]),
        (format!("{room}/rename"), vec![("name", "Taken over")]),
        (format!("{room}/members/{}/remove", c.kim), vec![]),
        (format!("{room}/leave"), vec![]),
        ("/conversations".to_string(), vec![("name", "Spam")]),
    ];
    for (path, fields) in attempts {
        let response = app.post_form(&path, &fields).await;
        assert_eq!(response.status(), Status::Forbidden, "{path}");
    }
    assert_eq!(messages_in(&app, team).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM conversation_members").await, before);
    assert_eq!(app.json(&format!("/api/v1/conversations/{team}")).await.1["name"], "Coaches");
}

#[rocket::async_test]
async fn logged_out_visitors_are_sent_to_the_login_page() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Coaches", &[c.kim]).await;
    let token = app.csrf_token("/conversations").await;
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
    for path in ["/conversations".to_string(), format!("/conversations/{team}")] {
        let response = app.client.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
    let fields = [("csrf_token", token.as_str()), ("content", "Hi")];
    let response = app.post_form(&format!("/conversations/{team}/messages"), &fields).await;
    assert!(
        response.status() == Status::SeeOther || response.status() == Status::Forbidden,
        "{}",
        response.status()
    );
    assert_eq!(messages_in(&app, team).await, 0);
    let (status, _) = app.send_json(Method::Get, "/api/v1/conversations", json!({})).await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn the_chat_script_is_served_as_javascript() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/assets/js/chat.js").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let content_type = response.content_type().map(|ct| ct.to_string()).unwrap_or_default();
    assert!(content_type.contains("javascript"), "{content_type}");
    let body = response.into_string().await.unwrap();
    assert!(body.contains("new WebSocket(") && body.contains("/api/v1/ws?last_message_id="));
    assert!(!body.contains("innerHTML"), "message text is only ever set as text");
}
