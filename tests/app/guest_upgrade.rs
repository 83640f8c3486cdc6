//! An address registered in a gift exchange gets a guest account, and that guest never stands
//! in the way of a real account for the address: every way an address becomes an account turns
//! the guest into it, keeping its id and so its exchange entries.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::gifts::{create, gift_app, register_with, scalar, step};
use crate::support::*;

const KIM: &str = "kim@example.org";

/// As the admin: an open exchange in which kim@example.org registered as a guest, with gift
/// ideas. Returns (exchange id, the guest's user id).
async fn kim_the_guest(app: &TestApp) -> (i64, i64) {
    if app.count("SELECT count(*) FROM users WHERE username = 'admin'").await == 0 {
        app.create_user("admin", &[Role::Admin, Role::Member]).await;
    }
    app.login_as("admin").await;
    let (exchange, slug) = create(app, "Family").await;
    step(app, exchange, "open", json!({})).await;
    let body = json!({"name": "Kim", "email": "Kim@Example.org", "gift_ideas": "Green tea"});
    let (status, done) = register_with(app, &slug, body).await;
    assert_eq!(status, Status::Created, "{done}");
    let guest: i64 = scalar(app, format!("SELECT id FROM users WHERE email = '{KIM}'")).await;
    assert_eq!(roles_of(app, guest).await, "guest");
    (exchange, guest)
}

async fn roles_of(app: &TestApp, user_id: i64) -> String {
    scalar(
        app,
        format!(
            "SELECT group_concat(role, ',') FROM
               (SELECT role FROM user_roles WHERE user_id = {user_id} ORDER BY role)"
        ),
    )
    .await
}

/// The guest's exchange entry is still there, still theirs, with what they wrote.
async fn assert_entry_kept(app: &TestApp, exchange: i64, user_id: i64) {
    let (owner, ideas): (i64, String) = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT user_id, gift_ideas FROM exchange_participants
                  WHERE exchange_id = ?1 AND email = ?2 AND removed_at IS NULL",
                rusqlite::params![exchange, KIM],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!((owner, ideas.as_str()), (user_id, "Green tea"));
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'kim@example.org'").await, 1);
}

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

/// The token of the newest invitation emailed to `to`.
async fn emailed_invitation(app: &TestApp, to: &str) -> String {
    let text = app.last_email_text(to).await;
    let link = extract_link(&text, "http://127.0.0.1:8000/join/")
        .unwrap_or_else(|| panic!("no invitation in {text}"));
    link.rsplit('/').next().unwrap().to_string()
}

fn kims_registration(token: Option<&str>) -> Value {
    json!({"username": "kim", "email": KIM, "password": PASSWORD, "invite_token": token})
}

/// Kim signs in with the password of the new account and finds the exchange there.
async fn assert_kim_signs_in_to_the_exchange(app: &TestApp) {
    logout(app).await;
    app.login_as("kim").await;
    let (status, mine) = app.json("/api/v1/exchanges/mine").await;
    assert_eq!(status, Status::Ok, "{mine}");
    assert_eq!(mine[0]["name"], "Family");
    assert_eq!(mine[0]["me"]["gift_ideas"], "Green tea");
}

#[rocket::async_test]
async fn an_invitation_to_a_guests_address_turns_the_guest_into_the_invited_member() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    let body = json!({"email": KIM, "roles": ["member", "coach"]});
    let (status, created) = app.post_json("/api/v1/admin/invites", body).await;
    assert_eq!(status, Status::Created, "a guest does not hold the address: {created}");
    let token = emailed_invitation(&app, KIM).await;
    logout(&app).await;

    let (status, done) =
        app.post_json("/api/v1/auth/register", kims_registration(Some(&token))).await;
    assert_eq!(status, Status::Created, "{done}");
    assert_eq!(done["user_id"], guest, "the same account");
    assert_eq!(done["username"], "kim");
    let (_, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(session["roles"], json!(["coach", "member"]), "the invitation's, not guest");
    assert_eq!(session["status"], "onboarding");
    assert_eq!(roles_of(&app, guest).await, "coach,member");
    assert_entry_kept(&app, exchange, guest).await;
    assert_eq!(app.count("SELECT uses FROM invites").await, 1);
    assert_eq!(
        app.count("SELECT invite_id IS NOT NULL FROM users WHERE username = 'kim'").await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'guest_upgraded'").await, 1);
    assert_kim_signs_in_to_the_exchange(&app).await;
}

#[rocket::async_test]
async fn the_join_page_turns_the_guest_into_the_invited_member_too() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    app.post_json("/api/v1/admin/invites", json!({"email": KIM})).await;
    let token = emailed_invitation(&app, KIM).await;
    logout(&app).await;
    let path = format!("/join/{token}");
    let fields = [("username", "kim"), ("email", KIM), ("password", PASSWORD)];
    let joined = submit(&app, &path, &path, &fields).await;
    assert!(joined.redirects_to("/onboarding"), "{} {}", joined.status, joined.html);
    assert_eq!(roles_of(&app, guest).await, "member");
    assert_entry_kept(&app, exchange, guest).await;
}

#[rocket::async_test]
async fn a_guests_sessions_end_when_the_account_becomes_a_member() {
    let app = gift_app().await;
    let (_, guest) = kim_the_guest(&app).await;
    let access = app.last_email_text(KIM).await;
    let access = extract_link(&access, "http://127.0.0.1:8000/exchange/access?token=").unwrap();
    app.post_json("/api/v1/admin/invites", json!({"email": KIM})).await;
    let token = emailed_invitation(&app, KIM).await;
    logout(&app).await;
    let page = access.trim_start_matches("http://127.0.0.1:8000").to_string();
    let csrf = app.csrf_token(&page).await;
    let access_token = page.split("token=").nth(1).unwrap();
    let signed_in =
        app.post_form("/exchange/access", &[("csrf_token", &csrf), ("token", access_token)]).await;
    assert_eq!(signed_in.status(), Status::SeeOther);
    assert_eq!(app.json("/api/v1/exchanges/mine").await.0, Status::Ok, "signed in as the guest");
    let sessions = format!("SELECT count(*) FROM sessions WHERE user_id = {guest}");
    assert_eq!(scalar::<i64>(&app, sessions.clone()).await, 1);

    let (status, done) =
        app.post_json("/api/v1/auth/register", kims_registration(Some(&token))).await;
    assert_eq!(status, Status::Created, "{done}");
    assert_eq!(done["user_id"], guest);
    assert_eq!(scalar::<i64>(&app, sessions).await, 1, "only the new one is left");
    let (_, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(session["username"], "kim");
}

async fn set_registration_mode(app: &TestApp, mode: &str) {
    app.login_as("admin").await;
    let body = json!({"registration_mode": mode});
    let (status, _) = app.send_json(Method::Put, "/api/v1/admin/settings", body).await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn open_registration_with_a_guests_address_emails_it_an_invitation_that_turns_the_guest_into_the_member(
) {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    set_registration_mode(&app, "open").await;
    logout(&app).await;
    let users = app.count("SELECT count(*) FROM users").await;

    // Anyone may type any address: the guest's account goes only to whoever reads its mail.
    let (status, answer) = app.post_json("/api/v1/auth/register", kims_registration(None)).await;
    assert_eq!(status, Status::Accepted, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains(KIM), "{answer}");
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized, "not signed in");
    assert_eq!(app.count("SELECT count(*) FROM users").await, users);
    assert_eq!(roles_of(&app, guest).await, "guest", "nothing changed yet");

    let token = emailed_invitation(&app, KIM).await;
    let (status, done) =
        app.post_json("/api/v1/auth/register", kims_registration(Some(&token))).await;
    assert_eq!(status, Status::Created, "{done}");
    assert_eq!(done["user_id"], guest);
    assert_eq!(roles_of(&app, guest).await, "member");
    assert_entry_kept(&app, exchange, guest).await;
    assert_kim_signs_in_to_the_exchange(&app).await;
}

#[rocket::async_test]
async fn the_open_join_page_says_where_to_finish_for_a_guests_address() {
    let app = gift_app().await;
    kim_the_guest(&app).await;
    set_registration_mode(&app, "open").await;
    logout(&app).await;
    let fields = [("username", "kim"), ("email", KIM), ("password", PASSWORD)];
    let answer = submit(&app, "/join", "/join", &fields).await;
    assert_eq!(answer.status, Status::SeeOther, "{}", answer.html);
    let shown = get(&app, answer.location.as_deref().unwrap()).await;
    assert!(shown.html.contains("kim@example.org"), "{}", shown.html);
    emailed_invitation(&app, KIM).await;
}

#[rocket::async_test]
async fn a_shareable_link_with_a_guests_address_emails_an_invitation_with_the_roles_chosen() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    let body = json!({"roles": ["member", "coach"], "max_uses": 5});
    let (status, link) = app.post_json("/api/v1/admin/invites", body).await;
    assert_eq!(status, Status::Created, "{link}");
    let shared = link["invite_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    logout(&app).await;

    let mut body = kims_registration(Some(&shared));
    body["roles"] = json!(["coach"]);
    let (status, answer) = app.post_json("/api/v1/auth/register", body).await;
    assert_eq!(status, Status::Accepted, "{answer}");
    assert_eq!(app.count("SELECT uses FROM invites WHERE email IS NULL").await, 0, "not spent");
    let token = emailed_invitation(&app, KIM).await;
    let (status, done) =
        app.post_json("/api/v1/auth/register", kims_registration(Some(&token))).await;
    assert_eq!(status, Status::Created, "{done}");
    assert_eq!(done["user_id"], guest);
    assert_eq!(roles_of(&app, guest).await, "coach");
    assert_entry_kept(&app, exchange, guest).await;
}

#[rocket::async_test]
async fn an_admin_adding_a_guests_address_turns_the_guest_into_a_member_to_claim() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    let body = json!({"email": KIM, "first_name": "Kim", "last_name": "Lee", "roles": ["member"]});
    let (status, created) = app.post_json("/api/v1/admin/members", body).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["user_id"], guest);
    assert_eq!(created["status"], "invited");
    assert_eq!(roles_of(&app, guest).await, "member");
    assert_entry_kept(&app, exchange, guest).await;

    logout(&app).await;
    app.post_json("/api/v1/auth/claim/request", json!({"email": KIM})).await;
    let code = app.last_code(KIM).await;
    let body = json!({"email": KIM, "code": code, "password": "a fresh and long passphrase"});
    let (status, claimed) = app.post_json("/api/v1/auth/claim/complete", body).await;
    assert_eq!(status, Status::Ok, "{claimed}");
    let (status, mine) = app.json("/api/v1/exchanges/mine").await;
    assert_eq!(status, Status::Ok, "{mine}");
    assert_eq!(mine[0]["me"]["gift_ideas"], "Green tea");
}

#[rocket::async_test]
async fn an_import_counts_a_guests_address_as_new_and_turns_the_guest_into_the_member() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    let csv = format!("email,first_name,last_name\n{KIM},Kim,Lee\n");
    let (status, preview) =
        app.post_json("/api/v1/admin/members/import?dry_run=true", json!({"csv": csv})).await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["counts"], json!({"new": 1, "exists": 0, "invalid": 0}));
    let id = preview["id"].as_str().unwrap();
    let commit = format!("/api/v1/admin/members/import/{id}/commit");
    let (status, result) = app.post_json(&commit, json!({})).await;
    assert_eq!(status, Status::Ok, "{result}");
    assert_eq!(result["created"][0]["id"], guest);
    assert_eq!(roles_of(&app, guest).await, "member");
    assert_entry_kept(&app, exchange, guest).await;
}

#[rocket::async_test]
async fn the_admin_create_command_turns_the_guest_into_the_admin() {
    let app = gift_app().await;
    let (exchange, guest) = kim_the_guest(&app).await;
    let data = app.data_dir();
    let (ok, out, err) = crate::cli::run(crate::cli::clubroom(&data).args([
        "admin",
        "create",
        "--username",
        "kim",
        "--email",
        KIM,
    ]));
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("user id {guest}")), "{out}");
    assert_eq!(roles_of(&app, guest).await, "admin,member");
    assert_entry_kept(&app, exchange, guest).await;
}

#[rocket::async_test]
async fn a_real_account_still_holds_its_address() {
    let app = gift_app().await;
    let (_, guest) = kim_the_guest(&app).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let (status, _) =
        app.post_json("/api/v1/admin/invites", json!({"email": "bo@example.org"})).await;
    assert_eq!(status, Status::Conflict, "bo's address is bo's");
    let body = json!({"email": "bo@example.org", "first_name": "Bo", "last_name": "Berg"});
    let (status, _) = app.post_json("/api/v1/admin/members", body).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(roles_of(&app, bo).await, "member");

    // A guest the club disabled stays as the club left it.
    let (status, _) =
        app.post_json(&format!("/api/v1/admin/members/{guest}/disable"), json!({})).await;
    assert!(status.code < 300, "{status}");
    let (status, _) = app.post_json("/api/v1/admin/invites", json!({"email": KIM})).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(roles_of(&app, guest).await, "guest");
}
