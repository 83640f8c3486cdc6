//! Club settings and backups in the admin panel, and `clubroom restore` with the real binary.

use std::path::Path;
use std::time::Duration;

use clubroom::accounts::model::Role;
use clubroom::backups::names::{file_name, parse_name};
use clubroom::backups::service as backups;
use clubroom::email::{Mailbox, Transport};
use rocket::http::{ContentType, Method, Status};
use serde_json::json;

use crate::cli::{clubroom, http_get, run, start_copied_binary, wait_healthy};
use crate::support::*;

/// Waits for the backup the scheduler makes when a new instance starts.
async fn first_backup(app: &TestApp) {
    for _ in 0..400 {
        if backups::last_backup_age(&app.ctx()).unwrap().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no backup was made at start-up");
}

fn backup_names(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("backups"))
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    names.retain(|n| parse_name(n).is_some());
    names.sort();
    names
}

/// Stops an app and waits until its database is released, as stopping the server would.
///
/// The pool opens connections on a thread of its own, so one may still be closing just after
/// the app is gone; the last one to close folds the WAL into the file and removes it.
async fn stop(app: TestApp) {
    let wal = app.data_dir().join("clubroom.db-wal");
    let TestApp { client, .. } = app;
    drop(client.terminate().await);
    for _ in 0..400 {
        if !wal.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the database was still open 10 s after the app stopped");
}

/// Backup names keep whole seconds and the test clock runs with the wall clock, so an age
/// read back may be a second or two more than the time the test moved on.
fn assert_about(age: &serde_json::Value, secs: i64) {
    let age = age.as_i64().unwrap_or_else(|| panic!("an age in seconds: {age}"));
    assert!((secs..=secs + 3).contains(&age), "{age} seconds, expected about {secs}");
}

// ----- settings -----

async fn put_settings(app: &TestApp, body: serde_json::Value) -> (Status, serde_json::Value) {
    app.send_json(Method::Put, "/api/v1/admin/settings", body).await
}

#[rocket::async_test]
async fn an_admin_changes_the_settings_through_the_api_and_each_change_is_audited() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, before) = app.json("/api/v1/admin/settings").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(before["club_timezone"], "UTC");
    assert_eq!(before["session_idle_minutes"], app.config.session_idle_minutes, "config default");
    assert_eq!(before["session_absolute_minutes"], app.config.session_absolute_minutes);
    assert_eq!(before["backup_interval_hours"], 24);
    assert_eq!(before["backup_keep"], 7);
    assert_eq!(before["contact_email"], "");

    let change = json!({
        "club_name": "Riverside Skating Club",
        "club_description": "Skating on the river since 1921.",
        "contact_email": "board@riverside.example.org",
        "club_timezone": "Europe/Paris",
        "registration_mode": "open",
        "two_factor_policy": "everyone",
        "guest_accounts": true,
        "member_review": false,
        "direct_chat": false,
        "session_idle_minutes": 60,
        "session_absolute_minutes": 600,
        "backup_interval_hours": 6,
        "backup_keep": 3
    });
    let (status, after) = put_settings(&app, change.clone()).await;
    assert_eq!(status, Status::Ok, "{after}");
    for (key, value) in change.as_object().unwrap() {
        assert_eq!(&after[key], value, "{key}");
    }
    assert_eq!(app.json("/api/v1/admin/settings").await.1, after, "stored");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed'").await,
        13
    );
    let detail: String = app
        .db()
        .conn()
        .unwrap()
        .query_row(
            "SELECT detail FROM audit_log WHERE kind = 'setting_changed' AND target = 'club_timezone'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail, json!({"before": "UTC", "after": "Europe/Paris"}));
    let (status, _) = put_settings(&app, change).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed'").await,
        13,
        "saving the same values records nothing"
    );
    let (status, cleared) =
        put_settings(&app, json!({"contact_email": "", "backup_keep": "5"})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(cleared["contact_email"], "", "an empty address clears it");
    assert_eq!(cleared["backup_keep"], 5, "numbers may come as text");
    assert_eq!(app.json("/api/v1/admin/backups").await.1["keep"], 5, "backups follow it");
}

#[rocket::async_test]
async fn bad_settings_are_refused_naming_each_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, err) = put_settings(
        &app,
        json!({
            "club_name": "",
            "club_description": "x".repeat(301),
            "contact_email": "not an address",
            "club_timezone": "Mars/Olympus_Mons",
            "session_idle_minutes": 2,
            "session_absolute_minutes": "soon",
            "backup_interval_hours": 1000,
            "backup_keep": 0,
            "registration_mode": "sometimes",
        }),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    let fields = err["error"]["fields"].as_object().unwrap();
    for field in [
        "club_name",
        "club_description",
        "contact_email",
        "club_timezone",
        "session_idle_minutes",
        "session_absolute_minutes",
        "backup_interval_hours",
        "backup_keep",
        "registration_mode",
    ] {
        assert!(fields.contains_key(field), "{field}: {err}");
    }
    let (status, err) =
        put_settings(&app, json!({"session_idle_minutes": 120, "session_absolute_minutes": 60}))
            .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["session_idle_minutes"].as_str().unwrap().contains("absolute"));
    let (status, err) = put_settings(&app, json!({"session_idle_minutes": 30000})).await;
    assert_eq!(status, Status::UnprocessableEntity, "longer than the absolute limit in force");
    assert!(err["error"]["fields"]["session_idle_minutes"].is_string());
    let (status, _) = put_settings(&app, json!({"smtp_password": "x"})).await;
    assert!(status.code == 422 || status.code == 400, "unknown fields are refused: {status}");
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed'").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM settings WHERE key LIKE 'session%' OR key LIKE 'backup%' OR key LIKE 'club%' OR key = 'contact_email'").await, 0);
}

#[rocket::async_test]
async fn the_settings_page_saves_the_form_shows_errors_in_place_and_links_the_other_screens() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let html = app.client.get("/admin/settings").dispatch().await.into_string().await.unwrap();
    for link in [
        "/admin/agreement",
        "/admin/activity-types",
        "/admin/services",
        "/admin/profile-fields",
        "/admin/backups",
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    assert!(html.contains("Europe/Paris"), "time zones are suggested");
    let token = app.csrf_token("/admin/settings").await;
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("club_name", "Riverside"),
        ("club_description", "Skating on the river."),
        ("contact_email", "board@example.org"),
        ("club_timezone", "Mars/Olympus_Mons"),
        ("registration_mode", "invite_only"),
        ("two_factor_policy", "admins"),
        ("member_review", "true"),
        ("direct_chat", "true"),
        ("session_idle_minutes", "lots"),
        ("session_absolute_minutes", "20160"),
        ("backup_interval_hours", "12"),
        ("backup_keep", "7"),
    ];
    let refused = app.post_form("/admin/settings", &fields).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("value=\"Mars&#x2F;Olympus_Mons\""), "the typed value is shown back");
    assert!(html.contains("value=\"lots\""));
    assert!(html.contains("Choose a time zone name"));
    assert!(html.contains("Enter a whole number"));
    assert_eq!(app.json("/api/v1/admin/settings").await.1["backup_interval_hours"], 24);

    fields[4] = ("club_timezone", "Europe/Paris");
    fields[9] = ("session_idle_minutes", "90");
    let saved = app.post_form("/admin/settings", &fields).await;
    assert_eq!(saved.status(), Status::SeeOther);
    let (_, now) = app.json("/api/v1/admin/settings").await;
    assert_eq!(now["club_timezone"], "Europe/Paris");
    assert_eq!(now["session_idle_minutes"], 90);
    assert_eq!(now["backup_interval_hours"], 12);
    assert_eq!(now["guest_accounts"], false, "an unticked box turns it off");
    assert_eq!(now["club_description"], "Skating on the river.");
}

#[rocket::async_test]
async fn members_see_the_description_and_contact_address_escaped_in_the_footer() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let body =
        json!({"club_description": "Ice <b>and</b> rollers", "contact_email": "board@example.org"});
    assert_eq!(put_settings(&app, body).await.0, Status::Ok);
    app.create_user("bob", &[Role::Member]).await;
    app.login_as("bob").await;
    let html = app.client.get("/home").dispatch().await.into_string().await.unwrap();
    assert!(html.contains("Ice &lt;b&gt;and&lt;&#x2F;b&gt; rollers"), "escaped: {html}");
    assert!(html.contains("mailto:board@example.org"));
}

#[rocket::async_test]
async fn session_limits_set_by_an_admin_apply_from_then_on() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let limits = json!({"session_idle_minutes": 30, "session_absolute_minutes": 60});
    assert_eq!(put_settings(&app, limits).await.0, Status::Ok);
    assert_eq!(
        app.json("/api/v1/auth/session").await.0,
        Status::Ok,
        "the admin's own session, opened for longer, still lives"
    );
    app.advance(chrono::Duration::minutes(61));
    assert_eq!(
        app.json("/api/v1/auth/session").await.0,
        Status::Unauthorized,
        "a shorter absolute limit shortens the sessions already open"
    );

    app.create_user("bob", &[Role::Member]).await;
    let login = app.api_login("bob", PASSWORD).await;
    let cookie = set_cookie(&login, "clubroom_session").unwrap().to_string();
    assert!(cookie.contains("Max-Age=3600"), "the cookie lives as long as the session: {cookie}");
    app.advance(chrono::Duration::minutes(29));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok);
    app.advance(chrono::Duration::minutes(29));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Ok, "use renews the idle limit");
    app.advance(chrono::Duration::minutes(3));
    assert_eq!(
        app.json("/api/v1/auth/session").await.0,
        Status::Unauthorized,
        "the absolute limit of 60 minutes is reached"
    );
    app.login_as("bob").await;
    app.advance(chrono::Duration::minutes(31));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized, "idle too long");
}

#[rocket::async_test]
async fn only_admins_read_or_change_settings() {
    let app = TestApp::spawn().await;
    let change = json!({"club_name": "Taken over"});
    assert_eq!(app.json("/api/v1/admin/settings").await.0, Status::Unauthorized);
    assert_eq!(put_settings(&app, change.clone()).await.0, Status::Unauthorized);
    let page = app.client.get("/admin/settings").dispatch().await;
    assert_eq!(page.status(), Status::SeeOther);
    app.create_user("mia", &[Role::Member]).await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    for user in ["mia", "olga"] {
        app.login_as(user).await;
        assert_eq!(app.json("/api/v1/admin/settings").await.0, Status::Forbidden, "{user}");
        assert_eq!(put_settings(&app, change.clone()).await.0, Status::Forbidden, "{user}");
        assert_eq!(app.client.get("/admin/settings").dispatch().await.status(), Status::Forbidden);
        let token = app.csrf_token("/home").await;
        let fields = [("csrf_token", token.as_str()), ("club_name", "Taken over")];
        assert_eq!(app.post_form("/admin/settings", &fields).await.status(), Status::Forbidden);
    }
    assert_eq!(app.count("SELECT count(*) FROM settings WHERE value = 'Taken over'").await, 0);
}

// ----- backups -----

#[rocket::async_test]
async fn a_new_instance_backs_up_at_once_then_when_the_interval_has_passed_keeping_the_newest() {
    let app = TestApp::spawn().await;
    first_backup(&app).await;
    let (conn, ctx) = (app.db().conn().unwrap(), app.ctx());
    assert_eq!(backups::run_scheduled(&conn, &ctx).unwrap(), None, "not due yet");
    app.advance(chrono::Duration::hours(23));
    assert_eq!(backups::run_scheduled(&conn, &ctx).unwrap(), None, "daily by default");
    app.advance(chrono::Duration::hours(1));
    let made = backups::run_scheduled(&conn, &ctx).unwrap().expect("due after a day");
    clubroom::db::backup::integrity_check(&app.data_dir().join("backups").join(&made)).unwrap();

    for _ in 0..7 {
        app.advance(chrono::Duration::hours(24));
        backups::run_scheduled(&conn, &ctx).unwrap().expect("due");
    }
    let names = backup_names(&app.data_dir());
    assert_eq!(names.len(), 7, "seven are kept by default: {names:?}");
    assert!(!names.contains(&made), "the oldest went first");
    let markers = std::fs::read_dir(app.data_dir().join("backups")).unwrap().count();
    assert_eq!(markers, 14, "each kept backup has its verification record, no more");

    clubroom::settings::set(&conn, "backup_interval_hours", "2", 0).unwrap();
    clubroom::settings::set(&conn, "backup_keep", "3", 0).unwrap();
    app.advance(chrono::Duration::hours(2));
    backups::run_scheduled(&conn, &ctx).unwrap().expect("due after the new interval");
    assert_eq!(backup_names(&app.data_dir()).len(), 3);
}

#[rocket::async_test]
async fn an_admin_backs_up_now_lists_and_downloads_through_the_api() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    first_backup(&app).await;
    app.advance(chrono::Duration::minutes(5));
    let (status, made) = app.post_json("/api/v1/admin/backups", json!({})).await;
    assert_eq!(status, Status::Created, "{made}");
    assert_eq!(made["verified"], true);
    let name = made["name"].as_str().unwrap().to_string();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'backup_created' AND target LIKE 'backup:clubroom-%'").await,
        1
    );
    // A backup whose file name is taken (one per second) is refused, never written over. The
    // test clock runs with the wall clock, so the names of the next seconds are all taken.
    let dir = app.data_dir().join("backups");
    let now = app.ctx().now();
    let taken: Vec<_> = (0..30)
        .map(|s| dir.join(file_name(now + chrono::Duration::seconds(s))))
        .filter(|path| !path.exists())
        .collect();
    for path in &taken {
        std::fs::write(path, b"kept").unwrap();
    }
    let (status, again) = app.post_json("/api/v1/admin/backups", json!({})).await;
    assert_eq!(status, Status::Conflict, "name taken: {again}");
    for path in &taken {
        assert_eq!(std::fs::read(path).unwrap(), b"kept");
        std::fs::remove_file(path).unwrap();
    }

    let (status, list) = app.json("/api/v1/admin/backups").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(list["backups"].as_array().unwrap().len(), 2);
    assert_eq!(list["backups"][0]["name"], name.as_str(), "newest first");
    assert_eq!(list["interval_hours"], 24);
    assert_eq!(list["keep"], 7);
    assert_about(&list["last_backup_age_secs"], 0);

    let response = app.client.get(format!("/api/v1/admin/backups/{name}")).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::new("application", "vnd.sqlite3")));
    let disposition = response.headers().get_one("Content-Disposition").unwrap().to_string();
    assert!(disposition.contains(&name), "{disposition}");
    let bytes = response.into_bytes().await.unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(bytes, std::fs::read(app.data_dir().join("backups").join(&name)).unwrap());
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'backup_downloaded'").await,
        1,
        "taking a copy of everyone's data is recorded"
    );
}

#[rocket::async_test]
async fn a_download_only_serves_backup_files() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    first_backup(&app).await;
    std::fs::write(app.data_dir().join("backups/notes.db"), b"not a backup").unwrap();
    for path in [
        "/admin/backups/clubroom.db",
        "/admin/backups/..%2Fclubroom.db",
        "/admin/backups/..%2Fsecret.key",
        "/admin/backups/notes.db",
        "/admin/backups/clubroom-20200101-000000.db",
        "/admin/backups/clubroom-20200101-000000.db.verified",
    ] {
        for prefix in ["", "/api/v1"] {
            let response = app.client.get(format!("{prefix}{path}")).dispatch().await;
            assert_eq!(response.status(), Status::NotFound, "{prefix}{path}");
        }
    }
    let traversal = app.client.get("/admin/backups/../clubroom.db").dispatch().await;
    assert_ne!(traversal.status(), Status::Ok);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'backup_downloaded'").await,
        0
    );
}

#[rocket::async_test]
async fn the_backups_page_lists_them_and_backs_up_with_a_form() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    first_backup(&app).await;
    let page = app.client.get("/admin/backups").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    let first = backup_names(&app.data_dir()).remove(0);
    assert!(html.contains(&format!("/admin/backups/{first}")), "a download link");
    assert!(html.contains("verified"));
    assert!(html.contains("Back up now"));

    app.advance(chrono::Duration::minutes(1));
    let without = app.post_form("/admin/backups", &[]).await;
    assert_eq!(without.status(), Status::Forbidden, "no CSRF token, no backup");
    assert_eq!(backup_names(&app.data_dir()).len(), 1);
    let token = app.csrf_token("/admin/backups").await;
    let done = app.post_form("/admin/backups", &[("csrf_token", &token)]).await;
    assert_eq!(done.status(), Status::SeeOther);
    assert_eq!(done.headers().get_one("Location"), Some("/admin/backups"));
    assert_eq!(backup_names(&app.data_dir()).len(), 2);
    let html = app.client.get("/admin/backups").dispatch().await.into_string().await.unwrap();
    assert!(html.contains("written and verified"), "the flash says it worked");
    // A backup already under the name the next one would take, whichever second it lands in.
    use clubroom::clock::Clock;
    let now = app.clock.now();
    for secs in 0..10 {
        let taken = file_name(now + chrono::Duration::seconds(secs));
        std::fs::write(app.data_dir().join("backups").join(taken), b"").unwrap();
    }
    let again = app.post_form("/admin/backups", &[("csrf_token", &token)]).await;
    assert_eq!(again.status(), Status::Conflict, "the form shows why");
    assert!(again.into_string().await.unwrap().contains("this very second"));
}

#[rocket::async_test]
async fn only_admins_see_take_or_download_backups() {
    let app = TestApp::spawn().await;
    first_backup(&app).await;
    let name = backup_names(&app.data_dir()).remove(0);
    let download = format!("/api/v1/admin/backups/{name}");
    assert_eq!(app.json("/api/v1/admin/backups").await.0, Status::Unauthorized);
    assert_eq!(app.post_json("/api/v1/admin/backups", json!({})).await.0, Status::Unauthorized);
    assert_eq!(app.client.get(download.clone()).dispatch().await.status(), Status::Unauthorized);
    let page = app.client.get("/admin/backups").dispatch().await;
    assert_eq!(page.status(), Status::SeeOther);
    assert!(page.headers().get_one("Location").unwrap().starts_with("/login"));

    app.create_user("mia", &[Role::Member]).await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    for user in ["mia", "olga"] {
        app.login_as(user).await;
        assert_eq!(app.json("/api/v1/admin/backups").await.0, Status::Forbidden, "{user}");
        let (status, _) = app.post_json("/api/v1/admin/backups", json!({})).await;
        assert_eq!(status, Status::Forbidden, "{user}");
        assert_eq!(app.client.get(download.clone()).dispatch().await.status(), Status::Forbidden);
        let page_download = format!("/admin/backups/{name}");
        assert_eq!(app.client.get(page_download).dispatch().await.status(), Status::Forbidden);
        assert_eq!(app.client.get("/admin/backups").dispatch().await.status(), Status::Forbidden);
        let token = app.csrf_token("/home").await;
        let posted = app.post_form("/admin/backups", &[("csrf_token", &token)]).await;
        assert_eq!(posted.status(), Status::Forbidden, "{user}");
    }
    assert_eq!(backup_names(&app.data_dir()).len(), 1, "nobody made one");
}

#[rocket::async_test]
async fn health_reports_how_old_the_last_backup_is() {
    let app = TestApp::spawn().await;
    first_backup(&app).await;
    app.advance(chrono::Duration::minutes(90));
    let (status, health) = app.json("/health").await;
    assert_eq!(status, Status::Ok);
    assert_about(&health["last_backup_age_secs"], 90 * 60);
    let age = backups::last_backup_age(&app.ctx()).unwrap().expect("a backup");
    assert_about(&json!(age), 90 * 60);
    // Removed by hand, not through Clubroom: /health notices within its recheck window.
    std::fs::remove_dir_all(app.data_dir().join("backups")).unwrap();
    let removed = std::time::Instant::now();
    loop {
        let asked = removed.elapsed();
        let (_, health) = app.json("/health").await;
        if health["last_backup_age_secs"].is_null() {
            break;
        }
        assert!(asked < clubroom::backups::newest::RECHECK, "still reported after {asked:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ----- restore, with the real binary -----

fn only_name_starting(dir: &Path, prefix: &str) -> Option<std::path::PathBuf> {
    let found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert!(found.len() <= 1, "{found:?}");
    found.into_iter().next()
}

fn users_in(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT username FROM users ORDER BY username").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[rocket::async_test]
async fn a_backup_restored_with_the_binary_brings_the_data_back_and_keeps_the_replaced_file() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    let (dir, config, data) = (app.dir.clone(), app.config.clone(), app.data_dir());
    stop(app).await;
    let backup = dir.path().join("ann-only.db");
    let (ok, _, err) = run(clubroom(&data).arg("backup").arg(&backup));
    assert!(ok, "{err}");

    let app =
        TestApp::start(dir.clone(), config.clone(), Transport::Memory(Mailbox::default())).await;
    app.create_user("bob", &[Role::Member]).await;
    stop(app).await;
    // Journal files of an earlier database must never be replayed into the restored one.
    std::fs::write(data.join("clubroom.db-wal"), b"stale").unwrap();
    std::fs::write(data.join("clubroom.db-shm"), b"stale").unwrap();

    let (ok, out, err) = run(clubroom(&data).arg("restore").arg(&backup));
    assert!(ok, "{err}");
    assert!(out.contains("integrity check ok") && out.contains("kept at"), "{out}");
    assert!(!data.join("clubroom.db-wal").exists() && !data.join("clubroom.db-shm").exists());
    assert!(!data.join("clubroom.db.restoring").exists());
    let aside = only_name_starting(&data, "clubroom.db.before-restore-").expect("kept aside");
    assert!(out.contains(&aside.display().to_string()), "{out}");
    assert_eq!(users_in(&aside), ["ann", "bob"], "the replaced data is not lost");
    assert_eq!(users_in(&data.join("clubroom.db")), ["ann"]);

    let app = TestApp::start(dir.clone(), config, Transport::Memory(Mailbox::default())).await;
    app.login_as("ann").await;
    assert_eq!(app.api_login("bob", PASSWORD).await.status(), Status::Unauthorized);
}

#[test]
fn restore_refuses_while_the_server_runs_and_works_once_it_has_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_copied_binary(dir.path());
    wait_healthy(server.port);
    let data = dir.path().join("data");
    let backup = dir.path().join("copy.db");
    let (ok, _, err) = run(clubroom(&data).arg("backup").arg(&backup));
    assert!(ok, "{err}");

    let (ok, _, err) = run(clubroom(&data).arg("restore").arg(&backup));
    assert!(!ok, "refused while serving");
    assert!(
        err.contains(&format!("pid {}", server.child.id())) && err.contains("stop it"),
        "{err}"
    );
    assert!(only_name_starting(&data, "clubroom.db.before-restore-").is_none());
    assert!(!data.join("clubroom.db.restoring").exists());
    let (status, _, health) = http_get(server.port, "/health").unwrap();
    assert_eq!(status, 200, "the server was left alone");
    let health: serde_json::Value = serde_json::from_slice(&health).unwrap();
    assert!(health["last_backup_age_secs"].is_i64(), "{health}");

    drop(server);
    let (ok, out, err) = run(clubroom(&data).arg("restore").arg(&backup));
    assert!(ok, "a stopped (even killed) server leaves no lock behind: {err}");
    assert!(out.contains("kept at"), "{out}");
}

#[test]
fn restore_refuses_a_file_that_is_not_a_sound_clubroom_backup_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run(clubroom(&data).arg("migrate")).0);
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "this is not a database".repeat(100)).unwrap();
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    for (path, why) in [
        (dir.path().join("missing.db"), "no backup at"),
        (text, "not a usable backup"),
        (other, "not a Clubroom database"),
    ] {
        let (ok, _, err) = run(clubroom(&data).arg("restore").arg(&path));
        assert!(!ok, "{}", path.display());
        assert!(err.contains(why), "{err}");
    }
    let names: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.contains("restor")), "{names:?}");
}

#[rocket::async_test]
async fn the_club_time_zone_is_the_default_for_new_gift_exchanges() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, _) = put_settings(&app, json!({"club_timezone": "Pacific/Auckland"})).await;
    assert_eq!(status, Status::Ok);

    let page = app.client.get("/admin/exchanges").dispatch().await.into_string().await.unwrap();
    assert!(
        unescape(&page).contains("value=\"Pacific/Auckland\""),
        "the form starts in the club zone"
    );

    let body = json!({
        "name": "Summer swap",
        "registration_close_date": crate::gifts::day(&app, 10),
        "exchange_date": crate::gifts::day(&app, 20),
    });
    let (status, e) = app.post_json("/api/v1/exchanges", body.clone()).await;
    assert_eq!(status, Status::Created, "{e}");
    assert_eq!(e["timezone"], "Pacific/Auckland", "no zone given: the club's");
    let mut oslo = body;
    oslo["timezone"] = json!("Europe/Oslo");
    let (status, e) = app.post_json("/api/v1/exchanges", oslo).await;
    assert_eq!((status, &e["timezone"]), (Status::Created, &json!("Europe/Oslo")));
}

#[rocket::async_test]
async fn restoring_twice_in_one_second_keeps_both_replaced_databases() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    let (dir, config, data) = (app.dir.clone(), app.config.clone(), app.data_dir());
    stop(app).await;
    let backup = dir.path().join("ann.db");
    let (ok, _, err) = run(clubroom(&data).arg("backup").arg(&backup));
    assert!(ok, "{err}");
    let now = chrono::Utc::now();
    let first = clubroom::backups::restore::restore(&config, &backup, now).unwrap();
    let second = clubroom::backups::restore::restore(&config, &backup, now).unwrap();
    let (first, second) = (first.kept_aside.unwrap(), second.kept_aside.unwrap());
    assert_ne!(first, second, "the second copy must not replace the first");
    assert_eq!(users_in(&first), ["ann"]);
    assert_eq!(users_in(&second), ["ann"]);
}
