//! Conversations through the JSON API: groups and their management, one-to-one chats and the
//! club setting for them, listing with unread counts, paged history, posting, read markers,
//! access (404 for what you may not know, 403 for what you may see but not do), real-time
//! recipients and `missed`.

use chrono::Duration;
use clubroom::accounts::model::{Role, UserStatus};
use clubroom::chat::service::missed;
use clubroom::clock::Clock;
use clubroom::realtime::{Cursor, Subscription};
use futures::FutureExt;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// The people of most tests: `admin` (logged in afterwards) and members kim, bo and sam.
struct Club {
    admin: i64,
    kim: i64,
    bo: i64,
    sam: i64,
}

async fn club(app: &TestApp) -> Club {
    let admin = app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let sam = app.create_user("sam", &[Role::Member]).await;
    Club { admin, kim, bo, sam }
}

/// Creates a group as whoever is logged in (an admin); returns its id.
async fn group(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    let body = json!({"name": name, "member_ids": members});
    let (status, view) = app.post_json("/api/v1/conversations", body).await;
    assert_eq!(status, Status::Created, "{view}");
    view["id"].as_i64().unwrap()
}

/// Posts `content` as whoever is logged in; returns the message view.
async fn say(app: &TestApp, conversation: i64, content: &str) -> Value {
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let (status, message) = app.post_json(&path, json!({"content": content})).await;
    assert_eq!(status, Status::Created, "{message}");
    message
}

/// Opens the one-to-one conversation with `other` as whoever is logged in.
async fn direct(app: &TestApp, other: i64) -> (Status, Value) {
    app.post_json("/api/v1/conversations/direct", json!({"member_id": other})).await
}

async fn delete(app: &TestApp, path: &str) -> (Status, Value) {
    app.send_json(Method::Delete, path, json!({})).await
}

async fn patch(app: &TestApp, path: &str, body: Value) -> (Status, Value) {
    app.send_json(Method::Patch, path, body).await
}

async fn set_direct_chat(app: &TestApp, on: bool) {
    let (status, settings) =
        app.send_json(Method::Put, "/api/v1/admin/settings", json!({"direct_chat": on})).await;
    assert_eq!(status, Status::Ok, "{settings}");
    assert_eq!(settings["direct_chat"], on);
}

fn subscribe(app: &TestApp, user: i64) -> Subscription {
    app.db().outlets().hub().subscribe(user)
}

/// The events waiting on a socket, parsed.
fn drain(socket: &mut Subscription) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(Ok(event)) = socket.next().now_or_never() {
        events.push(serde_json::from_str(event.payload()).unwrap());
    }
    events
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

fn message_ids(page: &Value) -> Vec<i64> {
    ids(&page["messages"])
}

async fn missed_for(app: &TestApp, user: i64, after: i64, limit: usize) -> Vec<(Cursor, Value)> {
    app.db()
        .read(move |tx| {
            Ok(missed(tx, user, after, limit)?
                .into_iter()
                .map(|e| (e.cursor, serde_json::from_str(e.payload()).unwrap()))
                .collect())
        })
        .await
        .unwrap()
}

async fn scalar(app: &TestApp, sql: String) -> i64 {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

/// Everything a stranger's attempts could change, as one comparable value.
async fn snapshot(app: &TestApp) -> (i64, i64, String) {
    let messages = app.count("SELECT count(*) FROM conversation_messages").await;
    let members = app.count("SELECT count(*) FROM conversation_members").await;
    let state: String = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT group_concat(c, ';') FROM (
                   SELECT conversation_id || ':' || user_id || ':' || role || ':' || last_read_id AS c
                     FROM conversation_members
                   UNION ALL
                   SELECT id || ':' || name || ':' || description || ':' || IFNULL(last_message_id, 0)
                     FROM conversations ORDER BY 1)",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    (messages, members, state)
}

// ----- groups -----

#[rocket::async_test]
async fn admins_create_groups_with_themselves_as_owner() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let mut kim_socket = subscribe(&app, c.kim);
    let body = json!({
        "name": "  Coaches  ",
        "description": "Planning the season",
        "member_ids": [c.kim, c.bo, c.kim, c.admin]
    });
    let (status, view) = app.post_json("/api/v1/conversations", body).await;
    assert_eq!(status, Status::Created, "{view}");
    assert_eq!(view["kind"], "group");
    assert_eq!(view["name"], "Coaches");
    assert_eq!(view["description"], "Planning the season");
    assert_eq!(view["my_role"], "owner");
    assert_eq!(view["can_manage"], true);
    let members = view["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{view}");
    assert_eq!(members[0]["id"], c.admin);
    assert_eq!(members[0]["role"], "owner");
    let roles: Vec<(i64, &str)> =
        members.iter().map(|m| (m["id"].as_i64().unwrap(), m["role"].as_str().unwrap())).collect();
    assert!(roles.contains(&(c.kim, "member")) && roles.contains(&(c.bo, "member")));
    assert_eq!(members.iter().find(|m| m["id"] == c.kim).unwrap()["name"], "kim");

    let id = view["id"].as_i64().unwrap();
    let events = drain(&mut kim_socket);
    assert_eq!(
        events,
        vec![json!({"type": "conversation", "conversation_id": id, "change": "added"})]
    );

    app.login_as("kim").await;
    let (status, seen) = app.json(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(seen["my_role"], "member");
    assert_eq!(seen["can_manage"], false);
    assert_eq!(seen["can_post"], true);
    assert!(!ids(&app.json("/api/v1/conversations").await.1).is_empty());
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'conversation_created'").await,
        1
    );
}

#[rocket::async_test]
async fn only_admins_create_groups() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.login_as("kim").await;
    let (status, err) =
        app.post_json("/api/v1/conversations", json!({"name": "Mine", "member_ids": [c.bo]})).await;
    assert_eq!(status, Status::Forbidden, "{err}");
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 0);

    app.client.post("/api/v1/auth/logout").header(rocket::http::ContentType::JSON).dispatch().await;
    let (status, _) = app.post_json("/api/v1/conversations", json!({"name": "Mine"})).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(app.json("/api/v1/conversations").await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn guests_and_members_still_joining_are_kept_out() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    app.create_user("visitor", &[Role::Guest]).await;
    app.create_user_with_status("new", &[Role::Member], UserStatus::Onboarding).await;
    for (who, code) in [("visitor", "members_only"), ("new", "onboarding_incomplete")] {
        app.login_as(who).await;
        for path in
            ["/api/v1/conversations".to_string(), format!("/api/v1/conversations/{team}/messages")]
        {
            let (status, err) = app.json(&path).await;
            assert_eq!(
                (status, err["error"]["code"].as_str()),
                (Status::Forbidden, Some(code)),
                "{who} {path}"
            );
        }
        let (status, _) = direct(&app, c.kim).await;
        assert_eq!(status, Status::Forbidden, "{who}");
    }
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);
}

#[rocket::async_test]
async fn group_fields_are_checked_and_named() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let off = app.create_user_with_status("off", &[Role::Member], UserStatus::Disabled).await;
    let guest = app.create_user("visitor", &[Role::Guest]).await;
    let joining = app.create_user_with_status("new", &[Role::Member], UserStatus::Onboarding).await;
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"name": "Ok", "description": "d".repeat(1001)}), "description"),
        (json!({"name": "Ok", "member_ids": [c.kim, 99999]}), "member_ids"),
        (json!({"name": "Ok", "member_ids": ["kim"]}), "member_ids[0]"),
        (json!({"name": "Ok", "owner": c.kim}), "owner"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json("/api/v1/conversations", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let body = json!({"name": "Ok", "member_ids": [c.kim, off, guest, joining]});
    let (status, err) = app.post_json("/api/v1/conversations", body).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let message = err["error"]["fields"]["member_ids"].as_str().unwrap();
    let named: Vec<i64> = message
        .rsplit(':')
        .next()
        .unwrap()
        .trim_matches(|ch: char| ch == '.' || ch.is_whitespace())
        .split(", ")
        .map(|id| id.parse().unwrap())
        .collect();
    assert_eq!(named, vec![off, guest, joining], "{message}");
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 0);

    // The longest name and description are fine.
    let body = json!({"name": "n".repeat(100), "description": "d".repeat(1000)});
    assert_eq!(app.post_json("/api/v1/conversations", body).await.0, Status::Created);
}

#[rocket::async_test]
async fn owners_and_admins_rename_add_and_remove() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    // An owner who is not an admin: a former admin keeps the groups they created.
    let lead = app.create_user("lead", &[Role::Admin, Role::Member]).await;
    app.login_as("lead").await;
    let id = group(&app, "Coaches", &[c.kim]).await;
    app.exec("DELETE FROM user_roles WHERE role = 'admin' AND user_id IN (SELECT id FROM users WHERE username = 'lead')").await;
    app.login_as("lead").await;
    let path = format!("/api/v1/conversations/{id}");

    let mut kim_socket = subscribe(&app, c.kim);
    let mut bo_socket = subscribe(&app, c.bo);
    let (status, view) =
        patch(&app, &path, json!({"name": "Coaching team", "description": "Season"})).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(
        (view["name"].as_str(), view["description"].as_str()),
        (Some("Coaching team"), Some("Season"))
    );
    let renamed = json!({"type": "conversation", "conversation_id": id, "change": "renamed"});
    assert_eq!(drain(&mut kim_socket), vec![renamed]);

    // Only the description: the name stays.
    let (_, view) = patch(&app, &path, json!({"description": ""})).await;
    assert_eq!(
        (view["name"].as_str(), view["description"].as_str()),
        (Some("Coaching team"), Some(""))
    );
    drain(&mut kim_socket);

    let (status, view) =
        app.post_json(&format!("{path}/members"), json!({"member_ids": [c.bo, c.kim]})).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["members"].as_array().unwrap().len(), 3);
    assert_eq!(
        drain(&mut bo_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "added"})]
    );
    assert_eq!(
        drain(&mut kim_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "members"})]
    );

    let (status, view) = delete(&app, &format!("{path}/members/{}", c.kim)).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert!(!ids(&view["members"]).contains(&c.kim));
    assert_eq!(
        drain(&mut kim_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "removed"})]
    );
    assert_eq!(
        drain(&mut bo_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "members"})]
    );
    // Someone not in the group, and the owner themselves.
    assert_eq!(delete(&app, &format!("{path}/members/{}", c.sam)).await.0, Status::NotFound);
    assert_eq!(delete(&app, &format!("{path}/members/{lead}")).await.0, Status::Conflict);

    // Admins manage groups they are not in.
    app.login_as("admin").await;
    let (status, view) = patch(&app, &path, json!({"name": "Coaches"})).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["my_role"], Value::Null);
    assert_eq!(view["can_manage"], true);
    let (status, _) =
        app.post_json(&format!("{path}/members"), json!({"member_ids": [c.sam]})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(delete(&app, &format!("{path}/members/{}", c.bo)).await.0, Status::Ok);
    let (_, view) = app.json(&path).await;
    let mut now: Vec<i64> = ids(&view["members"]);
    now.sort();
    assert_eq!(now, vec![c.sam, lead]);

    // Bad input is named.
    let (status, err) = patch(&app, &path, json!({"name": ""})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["name"].is_string());
    let (status, err) = patch(&app, &path, json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    let (status, err) = app.post_json(&format!("{path}/members"), json!({"member_ids": []})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["member_ids"].is_string());
    let (status, err) =
        app.post_json(&format!("{path}/members"), json!({"member_ids": [424242]})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["member_ids"].as_str().unwrap().contains("424242"));
}

#[rocket::async_test]
async fn plain_members_may_look_but_not_manage() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let id = group(&app, "Coaches", &[c.kim, c.bo]).await;
    app.login_as("kim").await;
    let before = snapshot(&app).await;
    let path = format!("/api/v1/conversations/{id}");
    assert_eq!(app.json(&path).await.0, Status::Ok);
    assert_eq!(patch(&app, &path, json!({"name": "Mine"})).await.0, Status::Forbidden);
    let add = app.post_json(&format!("{path}/members"), json!({"member_ids": [c.sam]})).await;
    assert_eq!(add.0, Status::Forbidden);
    assert_eq!(delete(&app, &format!("{path}/members/{}", c.bo)).await.0, Status::Forbidden);
    assert_eq!(snapshot(&app).await, before);
}

#[rocket::async_test]
async fn members_leave_and_an_ownerless_group_stays_with_the_admins() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.create_user("second", &[Role::Admin, Role::Member]).await;
    let id = group(&app, "Coaches", &[c.kim, c.bo]).await;
    let path = format!("/api/v1/conversations/{id}");

    app.login_as("kim").await;
    let mut bo_socket = subscribe(&app, c.bo);
    let (status, left) = app.post_json(&format!("{path}/leave"), json!({})).await;
    assert_eq!(status, Status::Ok, "{left}");
    assert_eq!(left["left"], true);
    assert_eq!(
        drain(&mut bo_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "members"})]
    );
    assert_eq!(app.json(&path).await.0, Status::NotFound);
    assert!(!ids(&app.json("/api/v1/conversations").await.1).contains(&id));
    assert_eq!(app.post_json(&format!("{path}/leave"), json!({})).await.0, Status::NotFound);

    // The only owner leaves: the group stays, and admins manage it.
    app.login_as("admin").await;
    assert_eq!(app.post_json(&format!("{path}/leave"), json!({})).await.0, Status::Ok);
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);
    app.login_as("bo").await;
    say(&app, id, "Still here").await;
    app.login_as("second").await;
    let (status, view) = app.json(&path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["members"].as_array().unwrap().len(), 1);
    let add = app.post_json(&format!("{path}/members"), json!({"member_ids": [c.kim]})).await;
    assert_eq!(add.0, Status::Ok);
    // An admin who is not in the group cannot leave it.
    assert_eq!(app.post_json(&format!("{path}/leave"), json!({})).await.0, Status::Forbidden);
}

// ----- one-to-one -----

#[rocket::async_test]
async fn a_pair_has_one_one_to_one_conversation() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.login_as("kim").await;
    let mut bo_socket = subscribe(&app, c.bo);
    let (status, first) = direct(&app, c.bo).await;
    assert_eq!(status, Status::Created, "{first}");
    assert_eq!(first["kind"], "direct");
    assert_eq!(first["name"], "bo", "named after the other person");
    let id = first["id"].as_i64().unwrap();
    assert_eq!(
        drain(&mut bo_socket),
        vec![json!({"type": "conversation", "conversation_id": id, "change": "added"})]
    );

    let (status, again) = direct(&app, c.bo).await;
    assert_eq!((status, again["id"].as_i64()), (Status::Ok, Some(id)));
    app.login_as("bo").await;
    let (status, theirs) = direct(&app, c.kim).await;
    assert_eq!((status, theirs["id"].as_i64()), (Status::Ok, Some(id)));
    assert_eq!(theirs["name"], "kim");
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);
    let key: String = app
        .db()
        .read(|tx| Ok(tx.query_row("SELECT direct_key FROM conversations", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(key, format!("{}:{}", c.kim.min(c.bo), c.kim.max(c.bo)));
}

#[rocket::async_test]
async fn one_to_one_needs_another_active_member() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let off = app.create_user_with_status("off", &[Role::Member], UserStatus::Disabled).await;
    let guest = app.create_user("visitor", &[Role::Guest]).await;
    app.login_as("kim").await;
    for (body, why) in [
        (json!({"member_id": c.kim}), "yourself"),
        (json!({"member_id": off}), "disabled"),
        (json!({"member_id": guest}), "guest"),
        (json!({"member_id": 99999}), "unknown"),
        (json!({}), "missing"),
        (json!({"member_id": "bo"}), "not a number"),
    ] {
        let (status, err) = app.post_json("/api/v1/conversations/direct", body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{why}: {err}");
        assert!(err["error"]["fields"]["member_id"].is_string(), "{why}: {err}");
    }
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 0);
}

#[rocket::async_test]
async fn one_to_one_conversations_cannot_be_renamed_changed_or_left() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.login_as("kim").await;
    let id = direct(&app, c.bo).await.1["id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{id}");
    let before = snapshot(&app).await;
    let attempts = [
        patch(&app, &path, json!({"name": "Us"})).await,
        app.post_json(&format!("{path}/members"), json!({"member_ids": [c.sam]})).await,
        delete(&app, &format!("{path}/members/{}", c.bo)).await,
        app.post_json(&format!("{path}/leave"), json!({})).await,
    ];
    for (status, err) in attempts {
        assert_eq!(status, Status::Conflict, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("One-to-one"), "{err}");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[rocket::async_test]
async fn the_direct_chat_setting_stops_new_chats_and_posts_but_not_reading() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    assert_eq!(app.json("/api/v1/admin/settings").await.1["direct_chat"], true, "on by default");
    let team = group(&app, "Team", &[c.kim]).await;
    app.login_as("kim").await;
    let id = direct(&app, c.bo).await.1["id"].as_i64().unwrap();
    say(&app, id, "Before").await;

    app.login_as("admin").await;
    set_direct_chat(&app, false).await;
    assert_eq!(app.json("/api/v1/admin/settings").await.1["direct_chat"], false);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed' AND target = 'direct_chat'").await,
        1
    );
    app.login_as("kim").await;
    let (status, err) = direct(&app, c.sam).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "direct_chat_disabled");
    let (status, err) = direct(&app, c.bo).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (Status::Forbidden, Some("direct_chat_disabled"))
    );
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, err) = app.post_json(&path, json!({"content": "After"})).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "direct_chat_disabled");
    let (status, page) = app.json(&path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(app.json(&format!("/api/v1/conversations/{id}")).await.1["can_post"], false);
    say(&app, team, "Groups still work").await;
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 2);

    app.login_as("admin").await;
    set_direct_chat(&app, true).await;
    app.login_as("kim").await;
    say(&app, id, "After").await;
    assert_eq!(direct(&app, c.sam).await.0, Status::Created);
}

// ----- the list, history, posting, reading -----

#[rocket::async_test]
async fn the_list_shows_the_last_message_and_unread_counts() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim, c.bo]).await;
    app.login_as("bo").await;
    say(&app, team, "First").await;
    app.advance(Duration::minutes(1));
    let second = say(&app, team, "Second\nline").await;
    app.login_as("kim").await;
    app.advance(Duration::minutes(1));
    let chat = direct(&app, c.sam).await.1["id"].as_i64().unwrap();

    let (status, list) = app.json("/api/v1/conversations").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ids(&list), vec![chat, team], "most recent activity first");
    let t = &list[1];
    assert_eq!(t["kind"], "group");
    assert_eq!(t["name"], "Team");
    assert_eq!(t["unread"], 2);
    assert_eq!(t["is_member"], true);
    assert_eq!(t["last_message"]["id"], second["id"]);
    assert_eq!(t["last_message"]["author"], json!({"id": c.bo, "name": "bo"}));
    assert_eq!(t["last_message"]["preview"], "Second line");
    assert_eq!(t["last_message"]["sent_at"], second["sent_at"]);
    assert_eq!(list[0]["name"], "sam");
    assert_eq!(list[0]["last_message"], Value::Null);
    assert_eq!(list[0]["unread"], 0);

    // The team talks again: it moves to the top; one's own messages are never unread.
    app.advance(Duration::minutes(1));
    say(&app, team, "Mine").await;
    let (_, list) = app.json("/api/v1/conversations").await;
    assert_eq!(ids(&list), vec![team, chat]);
    assert_eq!(list[0]["unread"], 0, "posting reads up to one's own message");

    app.login_as("bo").await;
    let (_, list) = app.json("/api/v1/conversations").await;
    assert_eq!(list[0]["unread"], 1);
    // Reading the newest page marks everything read.
    assert_eq!(app.json(&format!("/api/v1/conversations/{team}/messages")).await.0, Status::Ok);
    let (_, list) = app.json("/api/v1/conversations").await;
    assert_eq!(list[0]["unread"], 0);
}

#[rocket::async_test]
async fn the_read_marker_moves_forward_only() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    let first = say(&app, team, "One").await["id"].as_i64().unwrap();
    let second = say(&app, team, "Two").await["id"].as_i64().unwrap();
    say(&app, team, "Three").await;
    app.login_as("kim").await;
    let path = format!("/api/v1/conversations/{team}/read");

    let (status, read) = app.send_json(Method::Put, &path, json!({"message_id": second})).await;
    assert_eq!(status, Status::Ok, "{read}");
    assert_eq!(read, json!({"conversation_id": team, "last_read_id": second, "unread": 1}));
    let (_, read) = app.send_json(Method::Put, &path, json!({"message_id": first})).await;
    assert_eq!(read["last_read_id"], second, "never backwards");
    assert_eq!(app.json(&format!("/api/v1/conversations/{team}")).await.1["unread"], 1);

    // Only messages of this conversation.
    let other = {
        app.login_as("admin").await;
        let other = group(&app, "Other", &[]).await;
        say(&app, other, "Elsewhere").await["id"].as_i64().unwrap()
    };
    app.login_as("kim").await;
    for body in [json!({"message_id": other}), json!({"message_id": 99999}), json!({})] {
        let (status, err) = app.send_json(Method::Put, &path, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"]["message_id"].is_string());
    }
}

#[rocket::async_test]
async fn history_pages_back_with_before_and_limit() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    let mut sent = Vec::new();
    for n in 1..=5 {
        sent.push(say(&app, team, &format!("Message {n}")).await["id"].as_i64().unwrap());
    }
    let path = format!("/api/v1/conversations/{team}/messages");

    let (status, page) = app.json(&format!("{path}?limit=2")).await;
    assert_eq!(status, Status::Ok, "{page}");
    assert_eq!(message_ids(&page), vec![sent[3], sent[4]], "the newest, oldest first");
    assert_eq!(page["has_more"], true);
    assert_eq!(page["next_before"], sent[3]);
    assert_eq!(page["messages"][1]["content"], "Message 5");

    let (_, page) = app.json(&format!("{path}?limit=2&before={}", sent[3])).await;
    assert_eq!(message_ids(&page), vec![sent[1], sent[2]]);
    assert_eq!(
        (page["has_more"].as_bool(), page["next_before"].as_i64()),
        (Some(true), Some(sent[1]))
    );
    let (_, page) = app.json(&format!("{path}?limit=2&before={}", sent[1])).await;
    assert_eq!(message_ids(&page), vec![sent[0]]);
    assert_eq!(
        (page["has_more"].as_bool(), page["next_before"].clone()),
        (Some(false), Value::Null)
    );

    // Exactly the whole history fits: nothing more.
    let (_, page) = app.json(&format!("{path}?limit=5")).await;
    assert_eq!(message_ids(&page), sent);
    assert_eq!(page["has_more"], false);
    let (_, page) = app.json(&format!("{path}?limit=4")).await;
    assert_eq!(page["has_more"], true);
    // The default page holds 50.
    let (_, page) = app.json(&path).await;
    assert_eq!(message_ids(&page), sent);
    let (_, page) = app.json(&format!("{path}?before={}", sent[0])).await;
    assert_eq!(
        (page["messages"].as_array().unwrap().len(), page["has_more"].as_bool()),
        (0, Some(false))
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("before=abc", "before"),
        ("before=-3", "before"),
    ] {
        let (status, err) = app.json(&format!("{path}?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}");
        assert!(err["error"]["fields"][field].is_string(), "{query}: {err}");
    }
    assert_eq!(app.json(&format!("{path}?limit=200")).await.0, Status::Ok);

    // Reading an older page does not mark the newest read.
    app.login_as("kim").await;
    app.json(&format!("{path}?limit=2&before={}", sent[3])).await;
    assert_eq!(app.json(&format!("/api/v1/conversations/{team}")).await.1["unread"], 5);
    app.json(&format!("{path}?limit=1")).await;
    assert_eq!(app.json(&format!("/api/v1/conversations/{team}")).await.1["unread"], 0);
}

/// Each member has `chat_messages_per_minute` messages a minute, across conversations and
/// sessions; past it a post is refused with 429 and how long to wait, and nothing is stored.
#[rocket::async_test]
async fn a_member_posting_too_fast_is_told_to_wait_and_nobody_else_is() {
    let app = TestApp::spawn_with(|c| c.chat_messages_per_minute = 3).await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim, c.bo]).await;
    let other = group(&app, "Other", &[c.kim]).await;
    app.login_as("kim").await;
    let path = format!("/api/v1/conversations/{team}/messages");

    // A message refused for what it says costs none of the allowance.
    let (status, _) = app.post_json(&path, json!({"content": "  "})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    say(&app, team, "One").await;
    say(&app, other, "Two").await;
    app.login_as("kim").await;
    say(&app, team, "Three").await;

    let response = app
        .client
        .post(path.clone())
        .header(rocket::http::ContentType::JSON)
        .body(json!({"content": "Four"}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let retry: u64 =
        response.headers().get_one("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&format!("Wait {retry} s")));

    app.login_as("bo").await;
    say(&app, team, "Bo is not held back").await;
    app.login_as("kim").await;
    app.advance(Duration::seconds(60));
    say(&app, team, "Four, a minute later").await;
    let (_, history) = app.json(&path).await;
    let said: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["One", "Three", "Bo is not held back", "Four, a minute later"]);
}

#[rocket::async_test]
async fn posting_keeps_the_server_time_and_the_client_time() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim, c.bo]).await;
    app.login_as("kim").await;
    app.advance(Duration::hours(3));
    let mut bo_socket = subscribe(&app, c.bo);
    let mut kim_socket = subscribe(&app, c.kim);
    let path = format!("/api/v1/conversations/{team}/messages");
    let body = json!({"content": "  On my way!\r\nSee you  ", "client_sent_at": "2026-03-01T18:29:58+01:00"});
    let (status, message) = app.post_json(&path, body).await;
    assert_eq!(status, Status::Created, "{message}");
    let now = app.clock.now();
    assert_eq!(message["sent_at"], now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    assert_eq!(message["client_sent_at"], "2026-03-01T18:29:58+01:00");
    assert_eq!(message["content"], "On my way!\nSee you");
    assert_eq!(message["conversation_id"], team);
    assert_eq!(message["author"], json!({"id": c.kim, "name": "kim"}));
    let id = message["id"].as_i64().unwrap();
    let stored =
        scalar(&app, format!("SELECT sent_at FROM conversation_messages WHERE id = {id}")).await;
    assert_eq!(stored, now.timestamp());
    assert_eq!(
        scalar(&app, format!("SELECT last_message_id FROM conversations WHERE id = {team}")).await,
        id
    );
    let read = format!("SELECT last_read_id FROM conversation_members WHERE user_id = {}", c.kim);
    assert_eq!(scalar(&app, read).await, id);

    // Every member gets the same view, the author too (for their other tabs).
    let expected = json!({"type": "message", "conversation_id": team, "message": message});
    assert_eq!(drain(&mut bo_socket), vec![expected.clone()]);
    assert_eq!(drain(&mut kim_socket), vec![expected]);

    // Without a client time it is null; the history shows the same view.
    let plain = say(&app, team, "No clock").await;
    assert_eq!(plain["client_sent_at"], Value::Null);
    let (_, page) = app.json(&path).await;
    assert_eq!(page["messages"][0], message);
}

#[rocket::async_test]
async fn bad_messages_are_refused_and_named() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    app.login_as("kim").await;
    let path = format!("/api/v1/conversations/{team}/messages");
    let cases = [
        (json!({"content": ""}), "content"),
        (json!({"content": " \n\t "}), "content"),
        (json!({}), "content"),
        (json!({"content": "x".repeat(4001)}), "content"),
        (json!({"content": "bell\u{7}"}), "content"),
        (json!({"content": 5}), "content"),
        (json!({"content": "Hi", "client_sent_at": "yesterday"}), "client_sent_at"),
        (json!({"content": "Hi", "client_sent_at": "2026-03-01 18:30"}), "client_sent_at"),
        (json!({"content": "Hi", "author_id": c.bo}), "author_id"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json(&path, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    assert_eq!(app.count("SELECT count(*) FROM conversation_messages").await, 0);
    let longest = say(&app, team, &format!("  {}  ", "y".repeat(4000))).await;
    assert_eq!(longest["content"].as_str().unwrap().len(), 4000);
}

// ----- access -----

#[rocket::async_test]
async fn admins_moderate_groups_they_are_not_in_but_do_not_post() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    app.create_user("second", &[Role::Admin, Role::Member]).await;
    let team = group(&app, "Team", &[c.kim]).await;
    app.login_as("kim").await;
    say(&app, team, "Hello").await;

    app.login_as("second").await;
    let before = snapshot(&app).await;
    let path = format!("/api/v1/conversations/{team}");
    let (status, view) = app.json(&path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (view["is_member"].as_bool(), view["can_post"].as_bool()),
        (Some(false), Some(false))
    );
    let (status, page) = app.json(&format!("{path}/messages")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(page["messages"][0]["content"], "Hello");
    let (status, _) = app.post_json(&format!("{path}/messages"), json!({"content": "Hi"})).await;
    assert_eq!(status, Status::Forbidden);
    let message = page["messages"][0]["id"].clone();
    let (status, _) =
        app.send_json(Method::Put, &format!("{path}/read"), json!({"message_id": message})).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(snapshot(&app).await, before, "reading as a moderator marks nothing");

    // Their own list shows the group only when they ask for every group.
    assert!(!ids(&app.json("/api/v1/conversations").await.1).contains(&team));
    let (_, all) = app.json("/api/v1/conversations?all=true").await;
    assert_eq!(ids(&all), vec![team]);
    assert_eq!(all[0]["is_member"], false);
    assert_eq!(all[0]["unread"], 0);
}

#[rocket::async_test]
async fn one_to_one_conversations_stay_private_even_from_admins() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    app.login_as("kim").await;
    let chat = direct(&app, c.bo).await.1["id"].as_i64().unwrap();
    say(&app, chat, "Just us").await;

    app.login_as("admin").await;
    let (status, all) = app.json("/api/v1/conversations?all=true").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ids(&all), vec![team]);
    let path = format!("/api/v1/conversations/{chat}");
    assert_eq!(app.json(&path).await.0, Status::NotFound);
    assert_eq!(app.json(&format!("{path}/messages")).await.0, Status::NotFound);
    assert_eq!(missed_for(&app, c.admin, 0, 100).await.len(), 0);

    // Members cannot ask for every group.
    app.login_as("kim").await;
    assert_eq!(app.json("/api/v1/conversations?all=true").await.0, Status::Forbidden);
}

#[rocket::async_test]
async fn strangers_guessing_ids_get_404_everywhere_and_change_nothing() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    say(&app, team, "Secret plans").await;
    app.login_as("kim").await;
    let chat = direct(&app, c.bo).await.1["id"].as_i64().unwrap();
    let message = say(&app, chat, "Between us").await["id"].clone();

    app.login_as("sam").await;
    let before = snapshot(&app).await;
    for id in [team, chat, 99999] {
        let path = format!("/api/v1/conversations/{id}");
        let attempts = [
            app.json(&path).await,
            app.json(&format!("{path}/messages")).await,
            app.json(&format!("{path}/messages?limit=1&before=999")).await,
            app.post_json(&format!("{path}/messages"), json!({"content": "Hi"})).await,
            app.send_json(Method::Put, &format!("{path}/read"), json!({"message_id": message}))
                .await,
            patch(&app, &path, json!({"name": "Mine"})).await,
            app.post_json(&format!("{path}/members"), json!({"member_ids": [c.sam]})).await,
            delete(&app, &format!("{path}/members/{}", c.kim)).await,
            app.post_json(&format!("{path}/leave"), json!({})).await,
        ];
        for (n, (status, body)) in attempts.into_iter().enumerate() {
            assert_eq!(status, Status::NotFound, "conversation {id}, attempt {n}: {body}");
            assert!(!body.to_string().contains("Secret") && !body.to_string().contains("Between"));
        }
    }
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.json("/api/v1/conversations").await.1, json!([]));
    assert!(missed_for(&app, c.sam, 0, 100).await.is_empty());
}

// ----- real time -----

#[rocket::async_test]
async fn removed_members_lose_the_history_and_receive_nothing_more() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim, c.bo]).await;
    let early = say(&app, team, "Before").await["id"].as_i64().unwrap();
    let mut kim_socket = subscribe(&app, c.kim);
    assert_eq!(
        delete(&app, &format!("/api/v1/conversations/{team}/members/{}", c.kim)).await.0,
        Status::Ok
    );
    assert_eq!(
        drain(&mut kim_socket),
        vec![json!({"type": "conversation", "conversation_id": team, "change": "removed"})]
    );

    let mut bo_socket = subscribe(&app, c.bo);
    let later = say(&app, team, "After").await;
    assert!(drain(&mut kim_socket).is_empty(), "nothing after removal");
    assert_eq!(drain(&mut bo_socket).len(), 1);

    app.login_as("kim").await;
    let path = format!("/api/v1/conversations/{team}");
    assert_eq!(app.json(&format!("{path}/messages")).await.0, Status::NotFound);
    assert_eq!(app.json(&path).await.0, Status::NotFound);
    assert!(missed_for(&app, c.kim, 0, 100).await.is_empty(), "not even what came before");
    let bo_missed = missed_for(&app, c.bo, 0, 100).await;
    let got: Vec<i64> =
        bo_missed.iter().map(|(_, e)| e["message"]["id"].as_i64().unwrap()).collect();
    assert_eq!(got, vec![early, later["id"].as_i64().unwrap()]);
}

#[rocket::async_test]
async fn disabled_members_receive_nothing() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim, c.bo]).await;
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'bo'").await;
    let mut bo_socket = subscribe(&app, c.bo);
    let mut kim_socket = subscribe(&app, c.kim);
    say(&app, team, "Hello").await;
    patch(&app, &format!("/api/v1/conversations/{team}"), json!({"name": "Renamed"})).await;
    assert!(drain(&mut bo_socket).is_empty());
    let kinds: Vec<String> =
        drain(&mut kim_socket).iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, vec!["message", "conversation"]);
    let (_, view) = app.json(&format!("/api/v1/conversations/{team}")).await;
    let bo = view["members"].as_array().unwrap().iter().find(|m| m["id"] == c.bo).unwrap().clone();
    assert_eq!(bo["active"], false, "still listed, marked inactive");
}

#[rocket::async_test]
async fn missed_replays_current_conversations_oldest_first() {
    let app = TestApp::spawn().await;
    let c = club(&app).await;
    let team = group(&app, "Team", &[c.kim]).await;
    let others = group(&app, "Others", &[c.bo]).await;
    let a = say(&app, team, "a").await;
    say(&app, others, "not for kim").await;
    app.login_as("kim").await;
    let chat = direct(&app, c.sam).await.1["id"].as_i64().unwrap();
    let b = say(&app, chat, "b").await;
    app.login_as("admin").await;
    let cc = say(&app, team, "c").await;

    let all = missed_for(&app, c.kim, 0, 100).await;
    let got: Vec<i64> = all.iter().map(|(_, e)| e["message"]["id"].as_i64().unwrap()).collect();
    let want: Vec<i64> = [&a, &b, &cc].iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, want);
    // The same event as the live one: type, conversation, the history's message view, cursor.
    assert_eq!(all[0].1, json!({"type": "message", "conversation_id": team, "message": a}));
    assert_eq!(all[1].1["conversation_id"], chat);
    assert_eq!(all[0].0, Cursor::Message(want[0]));

    let after_a = missed_for(&app, c.kim, want[0], 100).await;
    assert_eq!(after_a.len(), 2);
    assert_eq!(after_a[0].0, Cursor::Message(want[1]));
    let limited = missed_for(&app, c.kim, 0, 1).await;
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].0, Cursor::Message(want[0]));
    assert!(missed_for(&app, c.kim, want[2], 100).await.is_empty());
}
