//! One single-use invitation, a hundred people registering with it at the same instant: exactly
//! one account is made, everyone else is told the invitation is used up (never a 5xx but the
//! deliberate "too many sign-ins at once, try again"), through the JSON API and through the join
//! form alike.
//!
//! The HTTP races run against the real binary, whose runtime has a worker thread per core and
//! serves every connection at once; Rocket's local client runs the app inside the test on one
//! async worker thread, which would make the race far tamer than a real one. Sign-ups wait for a
//! password-hashing slot, and a machine with few cores has only one, which lines the racers up
//! before they reach the database; so the registration service is also raced directly from many
//! threads, where nothing but the database stands between them.

use std::path::Path;
use std::sync::{Arc, Barrier};

use clubroom::accounts::model::ClientInfo;
use clubroom::accounts::service::{self, RegisterCommand};
use clubroom::ratelimit::Admitted;
use rusqlite::{Connection, OpenFlags};
use serde_json::json;

use crate::real_server::{prepare_data_dir, token, Binary, NoReply, Process, Reply, Request};
use crate::support::*;

const RACERS: usize = 100;

/// A server behind a (pretend) reverse proxy, so each racer comes from an address of its own as
/// they would in life, rather than all a hundred from one address and stopped by the
/// per-address sign-up limit. Password hashing as in production: the hash is what holds a
/// registration between checking the invitation and spending it.
fn server(dir: &Path) -> (Binary, Process, String) {
    let data = dir.join("data");
    prepare_data_dir(&data, &[]);
    let binary = Binary::new(&data, &[("IP_HEADER", "X-Real-IP")]);
    let server = binary.start_healthy();
    let admin = token(server.port, "admin");
    (binary, server, admin)
}

/// A fresh invitation for one person, as an admin makes it: its token.
fn single_use_invite(port: u16, admin: &str) -> String {
    let reply = Request::new("POST", "/api/v1/admin/invites")
        .bearer(admin)
        .json(&json!({"max_uses": 1}))
        .send(port)
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    let url = reply.json()["invite_url"].as_str().unwrap().to_string();
    url.rsplit('/').next().unwrap().to_string()
}

/// Racer `i`'s address, as the proxy reports it.
fn address(i: usize) -> String {
    format!("10.1.{}.{}", i / 200, i % 200 + 1)
}

/// Runs `racer(i)` on `RACERS` threads that all start at the same moment, once each has done
/// its `ready(i)` part; the answers in racer order.
fn race<P: Send + 'static>(
    ready: impl Fn(usize) -> P + Send + Sync + 'static,
    racer: impl Fn(usize, P) -> Result<Reply, NoReply> + Send + Sync + 'static,
) -> Vec<Reply> {
    let start = Arc::new(Barrier::new(RACERS));
    let (ready, racer) = (Arc::new(ready), Arc::new(racer));
    let threads: Vec<_> = (0..RACERS)
        .map(|i| {
            let (start, ready, racer) = (start.clone(), ready.clone(), racer.clone());
            std::thread::spawn(move || {
                let prepared = ready(i);
                start.wait();
                racer(i, prepared)
            })
        })
        .collect();
    threads
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.join().unwrap().unwrap_or_else(|e| panic!("racer {i}: no answer ({e:?})")))
        .collect()
}

/// The accounts the racers made, and how often the invitation was used.
fn accounts_and_uses(binary: &Binary) -> (Vec<String>, i64) {
    let db = Connection::open_with_flags(
        binary.data.join("clubroom.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut query =
        db.prepare("SELECT username FROM users WHERE username LIKE 'racer%' ORDER BY id").unwrap();
    let accounts = query.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let uses = db.query_row("SELECT sum(uses) FROM invites", [], |r| r.get(0)).unwrap();
    (accounts, uses)
}

/// The deliberate answer to a sign-up past the queue for password hashing: 503, try again. A
/// racer may get it when the machine is busy with other work (the hashes run at a lower
/// priority), before it reaches the invitation at all.
fn busy(reply: &Reply) -> bool {
    reply.status == 503 && reply.body.contains("Too many sign-ins at once.")
}

/// No 5xx but `busy`, one winner (its index), and everyone else refused with `refused(reply)`
/// true, or busy.
fn one_winner(replies: &[Reply], won: u16, refused: impl Fn(&Reply) -> bool) -> usize {
    let server_errors: Vec<String> = replies
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status >= 500 && !busy(r))
        .map(|(i, r)| format!("racer {i}: {} {}", r.status, r.body))
        .collect();
    assert!(server_errors.is_empty(), "server errors in the race:\n{server_errors:#?}");
    let winners: Vec<usize> = (0..replies.len()).filter(|&i| replies[i].status == won).collect();
    assert_eq!(winners.len(), 1, "exactly one registration succeeds: {winners:?}");
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| *i != winners[0]) {
        let clear = refused(reply) || busy(reply);
        assert!(clear, "racer {i} got an unclear answer: {} {}", reply.status, reply.body);
    }
    winners[0]
}

#[test]
fn a_hundred_api_registrations_racing_for_one_single_use_invite_make_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let (binary, server, admin) = server(dir.path());
    let invite = single_use_invite(server.port, &admin);
    let port = server.port;

    let replies = race(
        |_| (),
        move |i, ()| {
            let body = json!({"username": format!("racer{i}"),
                              "email": format!("racer{i}@example.org"),
                              "password": PASSWORD, "invite_token": invite});
            Request::new("POST", "/api/v1/auth/register")
                .header("X-Real-IP", address(i))
                .json(&body)
                .send(port)
        },
    );
    let winner = one_winner(&replies, 201, |r| {
        r.status == 403 && r.json()["error"]["code"] == "invite_invalid"
    });

    let (accounts, uses) = accounts_and_uses(&binary);
    assert_eq!(accounts, [format!("racer{winner}")]);
    assert_eq!(uses, 1);
    // The winner's session is real.
    let cookie = replies[winner].cookie("clubroom_session").expect("a session cookie");
    let session = Request::new("GET", "/api/v1/auth/session")
        .header("Cookie", format!("clubroom_session={cookie}"))
        .send(port)
        .unwrap();
    assert_eq!(session.json()["username"], format!("racer{winner}"), "{}", session.body);
}

#[test]
fn a_hundred_join_forms_racing_for_one_single_use_invite_make_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let (binary, server, admin) = server(dir.path());
    let invite = single_use_invite(server.port, &admin);
    let (port, path) = (server.port, format!("/join/{invite}"));

    // Each racer opens the form first (its CSRF cookie and token), then all submit at once.
    let form_path = path.clone();
    let replies = race(
        move |i| {
            let page = Request::new("GET", &form_path).html().send(port).unwrap();
            assert_eq!(page.status, 200, "racer {i} opens the form: {}", page.body);
            let cookie = page.cookie("clubroom_csrf").expect("a CSRF cookie");
            (cookie, extract_csrf(&page.body).expect("a CSRF token"))
        },
        move |i, (cookie, csrf): (String, String)| {
            let (username, email) = (format!("racer{i}"), format!("racer{i}@example.org"));
            Request::new("POST", &path)
                .html()
                .header("X-Real-IP", address(i))
                .header("Cookie", format!("clubroom_csrf={cookie}"))
                .form(&[
                    ("csrf_token", &csrf),
                    ("username", &username),
                    ("email", &email),
                    ("password", PASSWORD),
                ])
                .send(port)
        },
    );
    let winner = one_winner(&replies, 303, |r| {
        r.status == 403 && r.body.contains("This invite has expired or has already been used.")
    });
    assert_eq!(replies[winner].header("Location").as_deref(), Some("/onboarding"));
    assert!(replies[winner].cookie("clubroom_session").is_some());

    let (accounts, uses) = accounts_and_uses(&binary);
    assert_eq!(accounts, [format!("racer{winner}")]);
    assert_eq!(uses, 1);
}

#[rocket::async_test]
async fn the_registration_service_raced_from_many_threads_spends_a_single_use_invite_once() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) = app.post_json("/api/v1/admin/invites", json!({"max_uses": 1})).await;
    assert_eq!(status, rocket::http::Status::Created, "{body}");
    let invite = body["invite_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let (db, ctx) = (app.db(), app.ctx());

    let start = Arc::new(Barrier::new(RACERS));
    let results: Vec<_> = (0..RACERS)
        .map(|i| {
            let (db, ctx, invite, start) = (db.clone(), ctx.clone(), invite.clone(), start.clone());
            std::thread::spawn(move || {
                let cmd = RegisterCommand {
                    username: format!("racer{i}"),
                    email: format!("racer{i}@example.org"),
                    password: PASSWORD.to_string(),
                    invite_token: Some(invite),
                    roles: None,
                    phone: String::new(),
                    client: ClientInfo { ip: Some(format!("10.0.0.{i}")), user_agent: None },
                };
                let cmd = Admitted::admit(&ctx.limits, cmd).expect("each racer has an allowance");
                start.wait();
                let mut conn = db.conn().expect("a pooled connection");
                service::register(&mut conn, &ctx, cmd).map(|done| match done {
                    service::Registration::Registered(done) => done.user_id,
                    service::Registration::InvitationSent { .. } => unreachable!("no guests"),
                })
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();

    let made: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    assert_eq!(made.len(), 1, "exactly one registration succeeds");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.code(), "invite_invalid", "{err:?}");
    }
    assert_eq!(app.count("SELECT count(*) FROM users WHERE username LIKE 'racer%'").await, 1);
    assert_eq!(app.count("SELECT uses FROM invites").await, 1);
}
