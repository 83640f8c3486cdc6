//! First run: data directory, secret key, the one-time setup link and the first admin.

use chrono::Duration;
use rocket::http::Status;

use crate::support::*;

#[rocket::async_test]
async fn fresh_start_creates_database_secret_key_and_a_hashed_setup_token() {
    let app = TestApp::spawn().await;

    let data = app.data_dir();
    assert!(data.join("clubroom.db").is_file());
    let key = data.join("secret.key");
    assert!(key.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);

    let path = app.setup_path().expect("a setup link while no admin exists");
    let token = path.strip_prefix("/setup/").unwrap().to_string();
    assert!(token.len() >= 43, "at least 256 bits");
    let stored: Vec<u8> = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT token_hash FROM one_time_tokens WHERE purpose = 'setup'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, clubroom::crypto::token_hash(&token));
    assert_ne!(stored, token.as_bytes());
}

#[rocket::async_test]
async fn the_secret_key_survives_a_restart() {
    let app = TestApp::spawn().await;
    let before = std::fs::read_to_string(app.data_dir().join("secret.key")).unwrap();
    let again = app.restart().await;
    let after = std::fs::read_to_string(again.data_dir().join("secret.key")).unwrap();
    assert_eq!(before, after);
}

#[rocket::async_test]
async fn setup_link_creates_the_first_admin_and_logs_them_in() {
    let app = TestApp::spawn().await;
    let path = app.setup_path().unwrap();

    let page = app.client.get(&path).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    for field in ["club_name", "username", "email", "password"] {
        assert!(html.contains(&format!("name=\"{field}\"")), "form has {field}");
    }

    let token = extract_csrf(&html).unwrap();
    let response = app
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("club_name", "Riverside Skating Club"),
                ("username", "Ann"),
                ("email", "Ann@Example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/admin"));

    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["username"], "ann");
    assert_eq!(session["email"], "ann@example.org");
    assert_eq!(session["roles"], serde_json::json!(["admin", "member"]));

    let admin = app.client.get("/admin").dispatch().await;
    assert_eq!(admin.status(), Status::Ok);
    let landing_name = app.client.get("/home").dispatch().await.into_string().await.unwrap();
    assert!(landing_name.contains("Riverside Skating Club"), "club name is shown on pages");

    let welcome = app.emails().await;
    assert_eq!(welcome.len(), 1);
    assert_eq!(welcome[0].to, "ann@example.org");
    assert!(welcome[0].subject.contains("Riverside Skating Club"));
    assert!(welcome[0].text.contains("http://127.0.0.1:8000/admin"));
}

#[rocket::async_test]
async fn setup_link_works_only_once() {
    let app = TestApp::spawn().await;
    let path = app.setup_path().unwrap();
    assert_eq!(app.submit_setup(&path, "Riverside Skating Club").await, Status::SeeOther);

    let other = TestApp::restart(&app).await;
    assert_eq!(other.client.get(&path).dispatch().await.status(), Status::Gone);
    let fields = [
        ("club_name", "Hijack"),
        ("username", "mallory"),
        ("email", "m@example.org"),
        ("password", PASSWORD),
    ];
    let token = other.csrf_token("/login").await;
    let mut with_token = vec![("csrf_token", token.as_str())];
    with_token.extend_from_slice(&fields);
    assert_eq!(other.post_form(&path, &with_token).await.status(), Status::Gone);
    assert_eq!(other.count("SELECT count(*) FROM users").await, 1);
}

#[rocket::async_test]
async fn setup_link_expires_after_its_lifetime() {
    let app = TestApp::spawn().await;
    let path = app.setup_path().unwrap();
    app.advance(Duration::hours(24) + Duration::minutes(1));
    let response = app.client.get(&path).dispatch().await;
    assert_eq!(response.status(), Status::Gone);
    assert!(response.into_string().await.unwrap().contains("expired"));
    assert_eq!(app.submit_setup(&path, "Riverside Skating Club").await, Status::Gone);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
}

#[rocket::async_test]
async fn a_restart_replaces_the_setup_link_and_none_is_issued_once_an_admin_exists() {
    let app = TestApp::spawn().await;
    let first = app.setup_path().unwrap();
    let again = app.restart().await;
    let second = again.setup_path().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        again.client.get(&first).dispatch().await.status(),
        Status::Gone,
        "old link revoked"
    );
    assert_eq!(again.submit_setup(&second, "Riverside Skating Club").await, Status::SeeOther);

    let third = again.restart().await;
    assert!(third.setup_path().is_none(), "no setup link once an admin exists");
}

#[rocket::async_test]
async fn setup_form_shows_field_errors_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let path = app.setup_path().unwrap();
    let token = app.csrf_token(&path).await;
    let response = app
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("club_name", "Riverside"),
                ("username", "a"),
                ("email", "not-an-email"),
                ("password", "too short"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Use 3 to 32 characters."));
    assert!(html.contains("Enter a valid email address"));
    assert!(html.contains("Use at least 12 characters."));
    assert!(html.contains("value=\"Riverside\""), "typed values are kept");
    assert!(!html.contains("too short"), "the password is never echoed");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert!(app.setup_path().is_some());
    assert_eq!(app.client.get(&path).dispatch().await.status(), Status::Ok, "link still valid");
}

#[rocket::async_test]
async fn concurrent_setup_submissions_create_exactly_one_admin() {
    let app = TestApp::spawn().await;
    let path = app.setup_path().unwrap();
    let token = app.csrf_token("/login").await;
    let submit = |name: &'static str| {
        let body = form_body(&[
            ("csrf_token", &token),
            ("club_name", "Race Club"),
            ("username", name),
            ("email", &format!("{name}@example.org")),
            ("password", PASSWORD),
        ]);
        app.client.post(path.clone()).header(rocket::http::ContentType::Form).body(body).dispatch()
    };
    let (a, b, c) = tokio::join!(submit("ann"), submit("bob"), submit("cid"));
    let mut statuses = vec![a.status(), b.status(), c.status()];
    statuses.sort_by_key(|s| s.code);
    assert_eq!(statuses, vec![Status::SeeOther, Status::Gone, Status::Gone]);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}
