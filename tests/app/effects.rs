//! What a committed change makes happen happens without the handler asking: the email worker
//! sends mail a service queued at once, and live events reach the sockets.

use std::time::{Duration, Instant};

use clubroom::accounts::model::Role;
use futures::FutureExt;
use rocket::http::Status;
use serde_json::json;

use crate::support::TestApp;

/// Waits (up to `limit`) for the app's own email worker to have sent a message to `to`,
/// without delivering anything itself.
async fn sent_by_the_worker(app: &TestApp, to: &str, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if app.mailbox.messages().iter().any(|m| m.to == to) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[rocket::async_test]
async fn mail_a_service_queues_is_sent_at_once_by_the_worker() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    // The worker's own round comes every 10 s; only the wake-up after the commit sends sooner.
    let (status, body) =
        app.post_json("/api/v1/admin/invites", json!({"email": "kim@example.org"})).await;
    assert_eq!(status, Status::Created, "{body}");
    assert!(
        sent_by_the_worker(&app, "kim@example.org", Duration::from_secs(5)).await,
        "the invitation was not sent within 5 s of its commit"
    );
}

#[rocket::async_test]
async fn events_a_service_publishes_reach_the_sockets_after_the_commit() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    let hub = app.db().outlets().hub().clone();
    let mut socket = hub.subscribe(kim);

    let (status, body) = app
        .post_json("/api/v1/conversations", json!({"name": "Coaches", "member_ids": [kim]}))
        .await;
    assert_eq!(status, Status::Created, "{body}");
    let added = socket.next().now_or_never().expect("an event, already there").unwrap();
    assert!(added.payload().contains("\"added\""), "{}", added.payload());

    // A refused change stores nothing and so sends nothing.
    let id = body["id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = app.post_json(&path, json!({"content": "  "})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(socket.next().now_or_never().is_none(), "nothing sent for a refused message");

    // Disabling an account closes its sockets at once.
    let (status, _) =
        app.post_json(&format!("/api/v1/admin/members/{kim}/disable"), json!({})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(hub.connections(), 0);
    assert!(socket.next().await.is_err());
}
