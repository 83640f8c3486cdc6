//! `GET /health`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clubroom::jobs::Scheduler;
use clubroom::web::health::DATABASE_FRESH;
use rocket::http::Status;

use crate::support::*;

#[rocket::async_test]
async fn health_reports_database_scheduler_and_mail() {
    let app = TestApp::spawn().await;
    let (status, body) = app.json("/health").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["scheduler"], "running");
    assert_eq!(body["mail"], "memory");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
}

#[rocket::async_test]
async fn health_reports_console_mail_when_smtp_is_not_configured() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let config = test_config(&dir.path().join("data"));
    let transport = clubroom::email::Transport::from_config(&config).unwrap();
    let app = TestApp::start(dir, config, transport).await;
    assert_eq!(app.json("/health").await.1["mail"], "console");
}

#[rocket::async_test]
async fn health_is_503_naming_the_database_when_it_cannot_be_queried() {
    let app = TestApp::spawn_with(|c| {
        c.db_pool_size = 2;
        c.db_timeout_secs = 1;
    })
    .await;
    let pool = app.db().pool().clone();
    let held: Vec<_> = (0..2).map(|_| pool.get().unwrap()).collect();
    let (status, body) = app.json("/health").await;
    drop(held);
    assert_eq!(status, Status::ServiceUnavailable);
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"], "unavailable");
    assert_eq!(body["failing"], serde_json::json!(["database"]));
    assert_eq!(app.json("/health").await.0, Status::Ok, "recovers when the database does");
}

#[rocket::async_test]
async fn health_is_503_naming_the_scheduler_when_it_has_stopped() {
    let app = TestApp::spawn().await;
    app.client.rocket().state::<Arc<Scheduler>>().unwrap().shutdown().await;
    let (status, body) = app.json("/health").await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert_eq!(body["scheduler"], "stopped");
    assert_eq!(body["failing"], serde_json::json!(["scheduler"]));
}

#[rocket::async_test]
async fn health_notices_a_database_that_stops_answering_within_the_documented_delay() {
    let app = TestApp::spawn_with(|c| {
        c.db_pool_size = 2;
        c.db_timeout_secs = 1;
    })
    .await;
    assert_eq!(app.json("/health").await.0, Status::Ok);
    let pool = app.db().pool().clone();
    let held: Vec<_> = (0..2).map(|_| pool.get().unwrap()).collect();
    let stopped = Instant::now();
    loop {
        let asked = stopped.elapsed();
        let (status, body) = app.json("/health").await;
        if status == Status::ServiceUnavailable {
            assert_eq!(body["database"], "unavailable");
            break;
        }
        assert!(asked < DATABASE_FRESH, "an earlier success stood in for {asked:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The last ping waited up to db_timeout_secs for a connection.
    let allowed = DATABASE_FRESH + Duration::from_secs(1) + Duration::from_millis(500);
    assert!(stopped.elapsed() < allowed, "noticed after {:?}", stopped.elapsed());
    drop(held);
    assert_eq!(app.json("/health").await.0, Status::Ok, "a failure is never reused");
}

#[rocket::async_test]
async fn health_reports_a_backup_made_through_the_api_at_once() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    for _ in 0..400 {
        if app.json("/health").await.1["last_backup_age_secs"].is_i64() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.advance(chrono::Duration::minutes(90));
    let age = app.json("/health").await.1["last_backup_age_secs"].as_i64().expect("an age");
    assert!((90 * 60..=90 * 60 + 3).contains(&age), "{age}");
    let (status, made) = app.post_json("/api/v1/admin/backups", serde_json::json!({})).await;
    assert_eq!(status, Status::Created, "{made}");
    let age = app.json("/health").await.1["last_backup_age_secs"].as_i64().expect("an age");
    assert!((0..=3).contains(&age), "{age}");
}
