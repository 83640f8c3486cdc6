//! The WebSocket endpoint against a server on loopback: who may connect, what each socket
//! receives, resuming after a reconnect, heartbeats, ending access, and shutdown.

use std::time::Duration;

use clubroom::accounts::model::Role;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::live::*;
use crate::support::PASSWORD;

const MEMBER: &[Role] = &[Role::Member];
const ADMIN: &[Role] = &[Role::Admin, Role::Member];

/// Waits (up to two seconds) until the hub holds `n` sockets.
async fn wait_for_connections(server: &LiveServer, n: usize) {
    for _ in 0..200 {
        if server.hub.connections() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} open sockets, the hub holds {}", server.hub.connections());
}

/// A group named `name` created by `admin_token` with `members`: its id.
async fn group(server: &LiveServer, admin_token: &str, name: &str, members: &[i64]) -> i64 {
    let body = json!({"name": name, "member_ids": members});
    let (status, answer) =
        server.send("POST", "/api/v1/conversations", Some(admin_token), Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_i64().expect("conversation id")
}

/// Posts `content` into conversation `id` as the token's owner: the stored message.
async fn post(server: &LiveServer, token: &str, id: i64, content: &str) -> Value {
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, answer) =
        server.send("POST", &path, Some(token), Some(json!({"content": content}))).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

#[rocket::async_test]
async fn a_message_reaches_every_member_socket_and_no_one_else() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let bob = server.create_user("bob", MEMBER).await;
    let cy = server.create_user("cy", MEMBER).await;
    let dee = server.create_user("dee", MEMBER).await;
    let admin = server.token("admin").await;
    let team = group(&server, &admin, "Team", &[ann, bob, cy]).await;
    let with_dee = group(&server, &admin, "Admin and Dee", &[dee]).await;
    let mut bob_socket = server.socket(&server.token("bob").await, "").await;
    let mut cy_socket = server.socket(&server.token("cy").await, "").await;
    let mut dee_socket = server.socket(&server.token("dee").await, "").await;

    let sent = post(&server, &server.token("ann").await, team, "Practice moved to 7pm").await;

    for socket in [&mut bob_socket, &mut cy_socket] {
        let event = next_event(socket).await;
        assert_eq!(event["type"], "message");
        assert_eq!(event["conversation_id"], team);
        assert_eq!(event["message"]["id"], sent["id"]);
        assert_eq!(event["message"]["content"], "Practice moved to 7pm");
        assert_eq!(event["message"]["author"]["id"], ann);
    }
    // Dee is not in the team: the first thing her socket carries is the next message of her
    // own conversation, never the team's.
    post(&server, &admin, with_dee, "Welcome, Dee").await;
    let event = next_event(&mut dee_socket).await;
    assert_eq!(event["type"], "message");
    assert_eq!(event["conversation_id"], with_dee);
    assert_eq!(event["message"]["content"], "Welcome, Dee");
}

#[rocket::async_test]
async fn the_author_other_tabs_receive_their_own_message() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let admin = server.token("admin").await;
    let team = group(&server, &admin, "Team", &[ann]).await;
    let token = server.token("ann").await;
    let mut phone = server.socket(&token, "").await;
    let sent = post(&server, &token, team, "On my way").await;
    assert_eq!(next_event(&mut phone).await["message"]["id"], sent["id"]);
}

#[rocket::async_test]
async fn a_reconnecting_client_gets_what_it_missed_then_live_messages() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let bob = server.create_user("bob", MEMBER).await;
    let admin = server.token("admin").await;
    let team = group(&server, &admin, "Team", &[ann, bob]).await;
    let elsewhere = group(&server, &admin, "Without Bob", &[ann]).await;
    let ann_token = server.token("ann").await;
    let seen = post(&server, &ann_token, team, "one").await["id"].as_i64().unwrap();
    let two = post(&server, &ann_token, team, "two").await;
    post(&server, &ann_token, elsewhere, "not for Bob").await;
    let three = post(&server, &ann_token, team, "three").await;

    let bob_token = server.token("bob").await;
    let mut socket = bob_socket_after(&server, &bob_token, seen).await;
    assert_eq!(next_event(&mut socket).await["message"]["id"], two["id"]);
    assert_eq!(next_event(&mut socket).await["message"]["id"], three["id"]);
    let four = post(&server, &ann_token, team, "four").await;
    assert_eq!(next_event(&mut socket).await["message"]["id"], four["id"]);
}

/// Bob's socket resuming after message `seen`; checks the ready frame counts the replay.
async fn bob_socket_after(server: &LiveServer, token: &str, seen: i64) -> Socket {
    let auth = format!("Bearer {token}");
    let query = format!("?last_message_id={seen}");
    let mut socket = server.try_socket(&query, &[("Authorization", &auth)]).await.unwrap();
    let ready = next_event(&mut socket).await;
    assert_eq!(ready["type"], "ready");
    assert_eq!(ready["replayed"], 2, "{ready}");
    socket
}

#[rocket::async_test]
async fn a_removed_member_stops_receiving_at_once() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let bob = server.create_user("bob", MEMBER).await;
    let admin = server.token("admin").await;
    let team = group(&server, &admin, "Team", &[ann, bob]).await;
    let with_bob = group(&server, &admin, "Admin and Bob", &[bob]).await;
    let mut socket = server.socket(&server.token("bob").await, "").await;

    let path = format!("/api/v1/conversations/{team}/members/{bob}");
    let (status, answer) = server.send("DELETE", &path, Some(&admin), None).await;
    assert!(status == 200 || status == 204, "{status} {answer}");
    let removed = next_event(&mut socket).await;
    assert_eq!(removed["type"], "conversation");
    assert_eq!(removed["conversation_id"], team);
    assert_eq!(removed["change"], "removed");

    post(&server, &server.token("ann").await, team, "after Bob left").await;
    post(&server, &admin, with_bob, "still here?").await;
    let next = next_event(&mut socket).await;
    assert_eq!(next["message"]["content"], "still here?", "{next}");
}

#[rocket::async_test]
async fn a_new_notice_arrives_live_and_on_resume() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    server.create_user("ann", MEMBER).await;
    let admin = server.token("admin").await;
    let ann = server.token("ann").await;
    let mut socket = server.socket(&ann, "?last_notice_id=0").await;
    let notice = json!({"subject": "Ice time", "body": "Rink closed Sunday", "to": "all"});
    let (status, answer) =
        server.send("POST", "/api/v1/admin/messages", Some(&admin), Some(notice)).await;
    assert_eq!(status, 201, "{answer}");
    let event = next_event(&mut socket).await;
    assert_eq!(event["type"], "notice");
    assert_eq!(event["message"]["subject"], "Ice time");
    let copy_id = event["message"]["id"].as_i64().unwrap();
    drop(socket);

    let mut again = server.socket(&ann, "?last_notice_id=0").await;
    let replayed = next_event(&mut again).await;
    assert_eq!(replayed["message"]["id"], copy_id);
    let mut caught_up = server.socket(&ann, &format!("?last_notice_id={copy_id}")).await;
    send_frame(&mut caught_up, json!({"type": "ping"})).await;
    assert_eq!(next_event(&mut caught_up).await["type"], "pong");
}

#[rocket::async_test]
async fn opening_a_socket_needs_a_live_credential_of_an_active_member() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    assert_eq!(server.try_socket("", &[]).await.err(), Some(401));
    let forged = [("Authorization", "Bearer not-a-token")];
    assert_eq!(server.try_socket("", &forged).await.err(), Some(401));
    let token = server.token("ann").await;
    server
        .db
        .call(|c| {
            Ok(c.execute("UPDATE users SET status = 'onboarding' WHERE username = 'ann'", [])?)
        })
        .await
        .unwrap();
    let auth = format!("Bearer {token}");
    assert_eq!(server.try_socket("", &[("Authorization", &auth)]).await.err(), Some(403));
}

#[rocket::async_test]
async fn a_page_of_another_site_cannot_open_a_socket_with_the_member_cookie() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let cookie = server.session_cookie("ann").await;
    let evil = [("Cookie", cookie.as_str()), ("Origin", "https://evil.example")];
    assert_eq!(server.try_socket("", &evil).await.err(), Some(403));

    let own = format!("http://{}", server.host);
    let same = [("Cookie", cookie.as_str()), ("Origin", own.as_str())];
    let mut socket = server.try_socket("", &same).await.expect("same-origin socket opens");
    assert_eq!(next_event(&mut socket).await["type"], "ready");
}

#[rocket::async_test]
async fn bad_resume_ids_and_plain_requests_are_refused_clearly() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let token = server.token("ann").await;
    let auth = format!("Bearer {token}");
    let bad = server.try_socket("?last_message_id=abc", &[("Authorization", &auth)]).await;
    assert_eq!(bad.err(), Some(422));
    let (status, body) = server.send("GET", "/api/v1/ws", Some(&token), None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "websocket_required");
}

#[rocket::async_test]
async fn disabling_a_member_closes_their_sockets_at_once() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let token = server.token("ann").await;
    let mut laptop = server.socket(&token, "").await;
    let mut phone = server.socket(&token, "").await;
    let admin = server.token("admin").await;
    let path = format!("/api/v1/admin/members/{ann}/disable");
    let (status, answer) = server.send("POST", &path, Some(&admin), Some(json!({}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(close_code(&mut laptop).await, 1008);
    assert_eq!(close_code(&mut phone).await, 1008);
    wait_for_connections(&server, 0).await;
}

/// The close code of a socket that must be closed at once, not at its next heartbeat (25 s).
async fn closed_at_once(socket: &mut Socket) -> u16 {
    let started = std::time::Instant::now();
    let code = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map_or(1005, |f| u16::from(f.code))
                }
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame");
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(500), "closed only after {waited:?}");
    code
}

/// Proves a socket is still open and served: a ping is answered.
async fn still_open(socket: &mut Socket) {
    send_frame(socket, json!({"type": "ping"})).await;
    assert_eq!(next_event(socket).await["type"], "pong");
}

/// The id of the session or token family `list` ("sessions" or "tokens") of the devices list
/// that is not the current one.
async fn other_device(server: &LiveServer, token: &str, list: &str) -> String {
    let (status, devices) = server.send("GET", "/api/v1/auth/sessions", Some(token), None).await;
    assert_eq!(status, 200, "{devices}");
    let other = devices[list].as_array().unwrap().iter().find(|d| d["current"] == false);
    other.expect("another device")["id"].as_str().unwrap().to_string()
}

#[rocket::async_test]
async fn signing_out_everywhere_closes_every_socket_at_once() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let token = server.token("ann").await;
    let mut app = server.socket(&token, "").await;
    let mut browser = server.cookie_socket(&server.session_cookie("ann").await).await;
    let (status, answer) = server
        .send("POST", "/api/v1/auth/sessions/revoke-all", Some(&token), Some(json!({})))
        .await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut app).await, 1008);
    assert_eq!(closed_at_once(&mut browser).await, 1008);
}

#[rocket::async_test]
async fn logging_out_closes_the_sockets_of_that_session_at_once_and_no_other() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let (laptop, phone) = (server.session_cookie("ann").await, server.session_cookie("ann").await);
    let mut laptop_socket = server.cookie_socket(&laptop).await;
    let mut phone_socket = server.cookie_socket(&phone).await;
    let (status, answer) = server
        .send_with("POST", "/api/v1/auth/logout", &[("Cookie", &laptop)], Some(json!({})))
        .await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut laptop_socket).await, 1008);
    still_open(&mut phone_socket).await;
}

#[rocket::async_test]
async fn logging_out_an_app_closes_the_sockets_of_its_tokens_at_once_and_no_other() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let (app, other_app) = (server.token("ann").await, server.token("ann").await);
    let mut app_socket = server.socket(&app, "").await;
    let mut other_socket = server.socket(&other_app, "").await;
    let (status, answer) = server.send("POST", "/api/v1/auth/logout", Some(&app), None).await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut app_socket).await, 1008);
    still_open(&mut other_socket).await;
}

#[rocket::async_test]
async fn ending_one_session_or_app_from_the_account_closes_only_its_sockets() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let here = server.token("ann").await;
    let mut here_socket = server.socket(&here, "").await;
    let mut browser_socket = server.cookie_socket(&server.session_cookie("ann").await).await;
    let mut app_socket = server.socket(&server.token("ann").await, "").await;

    let session = other_device(&server, &here, "sessions").await;
    let path = format!("/api/v1/auth/sessions/{session}");
    let (status, answer) = server.send("DELETE", &path, Some(&here), None).await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut browser_socket).await, 1008);
    still_open(&mut app_socket).await;

    let family = other_device(&server, &here, "tokens").await;
    let path = format!("/api/v1/auth/tokens/{family}");
    let (status, answer) = server.send("DELETE", &path, Some(&here), None).await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut app_socket).await, 1008);
    still_open(&mut here_socket).await;
}

#[rocket::async_test]
async fn changing_the_password_closes_the_other_sign_ins_sockets_and_keeps_this_one() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let here = server.token("ann").await;
    let mut here_socket = server.socket(&here, "").await;
    let mut other_socket = server.cookie_socket(&server.session_cookie("ann").await).await;
    let change = json!({"current_password": PASSWORD, "new_password": "a new kettle on the hob"});
    let (status, answer) =
        server.send("POST", "/api/v1/auth/password/change", Some(&here), Some(change)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(closed_at_once(&mut other_socket).await, 1008);
    still_open(&mut here_socket).await;
}

/// The newest email queued for `to`, opened; waits for it up to two seconds (some are queued
/// after the answer).
async fn email_text(server: &LiveServer, to: &str) -> String {
    for _ in 0..200 {
        let (to, ctx) = (to.to_string(), server.ctx.clone());
        let text = server
            .db
            .read(move |tx| {
                let sealed: Option<String> = tx
                    .query_row(
                        "SELECT body_text FROM email_outbox WHERE to_address = ?1
                          ORDER BY id DESC LIMIT 1",
                        [&to],
                        |r| r.get(0),
                    )
                    .ok();
                sealed.map(|s| clubroom::email::seal::Sealer::new(&ctx.secret).open(&s)).transpose()
            })
            .await
            .unwrap();
        if let Some(text) = text {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no email to {to}");
}

/// The token at the end of the first link in `text` that contains `path`.
fn link_token(text: &str, path: &str) -> String {
    let link = text.split_whitespace().find(|w| w.contains(path)).expect("a link");
    link.rsplit('/').next().unwrap().to_string()
}

#[rocket::async_test]
async fn resetting_the_password_closes_every_socket_of_the_account_at_once() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let mut app_socket = server.socket(&server.token("ann").await, "").await;
    let mut browser_socket = server.cookie_socket(&server.session_cookie("ann").await).await;
    let forgot = json!({"email": "ann@example.org"});
    let (status, answer) =
        server.send("POST", "/api/v1/auth/password/forgot", None, Some(forgot)).await;
    assert!(status < 300, "{status} {answer}");
    let token = link_token(&email_text(&server, "ann@example.org").await, "/reset/");
    let reset = json!({"token": token, "new_password": "a new kettle on the hob"});
    let (status, answer) =
        server.send("POST", "/api/v1/auth/password/reset", None, Some(reset)).await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut app_socket).await, 1008);
    assert_eq!(closed_at_once(&mut browser_socket).await, 1008);
}

#[rocket::async_test]
async fn setting_a_password_from_an_admins_link_closes_every_socket_of_the_account_at_once() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let mut socket = server.socket(&server.token("ann").await, "").await;
    let admin = server.token("admin").await;
    let path = format!("/api/v1/admin/members/{ann}/access");
    let kind = json!({"kind": "set_password"});
    let (status, answer) = server.send("POST", &path, Some(&admin), Some(kind)).await;
    assert!(status < 300, "{status} {answer}");
    let token = link_token(&email_text(&server, "ann@example.org").await, "/set-password/");

    let path = format!("/set-password/{token}");
    let (_, head, page) = server
        .raw(&format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.host))
        .await;
    let csrf_cookie = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.trim().split(';').next())
        .find(|pair| pair.starts_with("clubroom_csrf="))
        .expect("a CSRF cookie")
        .to_string();
    let csrf = crate::support::extract_csrf(&page).expect("a CSRF token");
    let password = "a new kettle on the hob";
    let body = crate::support::form_body(&[
        ("csrf_token", &csrf),
        ("password", password),
        ("password_confirm", password),
    ]);
    let (status, _, _) = server
        .raw(&format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {csrf_cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            server.host,
            body.len()
        ))
        .await;
    assert_eq!(status, 303, "the password is set");
    assert_eq!(closed_at_once(&mut socket).await, 1008);
}

#[rocket::async_test]
async fn a_reused_refresh_token_closes_the_sockets_of_its_login_at_once() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let login = json!({"login": "ann", "password": PASSWORD});
    let (_, pair) = server.send("POST", "/api/v1/auth/token", None, Some(login)).await;
    let refresh = json!({"refresh_token": pair["refresh_token"]});
    let (status, renewed) =
        server.send("POST", "/api/v1/auth/refresh", None, Some(refresh.clone())).await;
    assert_eq!(status, 200, "{renewed}");
    let mut socket = server.socket(renewed["access_token"].as_str().unwrap(), "").await;
    let mut other_login = server.socket(&server.token("ann").await, "").await;

    let (status, _) = server.send("POST", "/api/v1/auth/refresh", None, Some(refresh)).await;
    assert_eq!(status, 401, "a copied refresh token ends its whole login");
    assert_eq!(closed_at_once(&mut socket).await, 1008);
    still_open(&mut other_login).await;
}

#[rocket::async_test]
async fn signing_in_again_in_the_same_browser_closes_the_replaced_sessions_sockets() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let old = server.session_cookie("ann").await;
    let mut old_socket = server.cookie_socket(&old).await;
    let mut other = server.cookie_socket(&server.session_cookie("ann").await).await;
    server.session_cookie_replacing("ann", Some(&old)).await;
    assert_eq!(closed_at_once(&mut old_socket).await, 1008);
    still_open(&mut other).await;
}

#[rocket::async_test]
async fn an_admin_ending_a_members_sessions_closes_their_sockets_at_once() {
    let server = LiveServer::start().await;
    server.create_user("admin", ADMIN).await;
    let ann = server.create_user("ann", MEMBER).await;
    let admin = server.token("admin").await;
    let mut app_socket = server.socket(&server.token("ann").await, "").await;
    let mut browser_socket = server.cookie_socket(&server.session_cookie("ann").await).await;
    let mut admin_socket = server.socket(&admin, "").await;
    let path = format!("/api/v1/admin/members/{ann}/sessions");
    let (status, answer) = server.send("DELETE", &path, Some(&admin), None).await;
    assert!(status < 300, "{status} {answer}");
    assert_eq!(closed_at_once(&mut app_socket).await, 1008);
    assert_eq!(closed_at_once(&mut browser_socket).await, 1008);
    still_open(&mut admin_socket).await;
}

#[rocket::async_test]
async fn a_closed_socket_is_cleaned_up() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let token = server.token("ann").await;
    let mut socket = server.socket(&token, "").await;
    let _other = server.socket(&token, "").await;
    wait_for_connections(&server, 2).await;
    socket.send(Message::Close(None)).await.unwrap();
    drop(socket);
    wait_for_connections(&server, 1).await;
}

#[rocket::async_test]
async fn shutting_down_tells_open_sockets_the_server_is_going_away() {
    let server = LiveServer::start().await;
    server.create_user("ann", MEMBER).await;
    let token = server.token("ann").await;
    let mut first = server.socket(&token, "").await;
    let mut second = server.socket(&token, "").await;
    let host = server.host.clone();
    let stopping = tokio::spawn(server.stop());
    assert_eq!(close_code(&mut first).await, 1001);
    assert_eq!(close_code(&mut second).await, 1001);
    stopping.await.expect("the server stopped");
    assert!(tokio::net::TcpStream::connect(&host).await.is_err(), "nothing listens any more");
}
