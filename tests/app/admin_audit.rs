//! The audit log screen: filters, paging, CSV export, retention, refusal to non-admins, and one
//! test per security event the issue names, showing that it lands in the log.

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// The newest entries of `kind`, as the API lists them (logged in as the admin).
async fn entries(app: &TestApp, kind: &str) -> Vec<Value> {
    let (status, body) = app.json(&format!("/api/v1/admin/audit?kind={kind}")).await;
    assert_eq!(status, Status::Ok, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn admin_sees(app: &TestApp, kind: &str) -> Vec<Value> {
    app.login_as("admin").await;
    entries(app, kind).await
}

async fn spawn_with_admin() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    app
}

#[rocket::async_test]
async fn the_log_filters_by_actor_target_and_kind_and_pages() {
    let app = spawn_with_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    app.api_login("bo", "wrong password").await;
    app.login_as("admin").await;
    app.send_json(
        Method::Put,
        &format!("/api/v1/admin/members/{bo}/organizer"),
        json!({"organizer": true}),
    )
    .await;

    let (status, all) = app.json("/api/v1/admin/audit").await;
    assert_eq!(status, Status::Ok, "{all}");
    assert!(all["total"].as_i64().unwrap() >= 4);
    assert!(all["kinds"].as_array().unwrap().contains(&json!("login_failed")));
    assert_eq!(all["retention_days"], 365);

    let (_, by_bo) = app.json("/api/v1/admin/audit?actor=BO").await;
    let items = by_bo["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["actor"]["username"] == "bo"), "{by_bo}");
    let (_, by_id) = app.json(&format!("/api/v1/admin/audit?actor={bo}")).await;
    assert_eq!(by_id["total"], by_bo["total"]);
    let (_, nobody) = app.json("/api/v1/admin/audit?actor=nobody").await;
    assert_eq!(nobody["total"], 0, "an unknown actor matches nothing, not everything");

    let (_, target) = app.json(&format!("/api/v1/admin/audit?target=user:{bo}")).await;
    assert_eq!(target["total"], 1);
    assert_eq!(target["items"][0]["kind"], "organizer_granted");
    assert_eq!(target["items"][0]["actor"]["username"], "admin");

    let failed = entries(&app, "login_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["target"], "bo");
    assert!(failed[0]["at"].as_str().unwrap().ends_with('Z'));

    let (status, bad) = app.json("/api/v1/admin/audit?kind=DROP%20TABLE&page=x").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        bad["error"]["fields"]["kind"].is_string() && bad["error"]["fields"]["page"].is_string()
    );

    app.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
         INSERT INTO audit_log (at, kind, target) SELECT i, 'bulk', 'n:' || i FROM n",
    )
    .await;
    let (_, first) = app.json("/api/v1/admin/audit?kind=bulk").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    assert_eq!(first["pages"], 2);
    assert_eq!(first["items"][0]["target"], "n:60", "newest first");
    let (_, second) = app.json("/api/v1/admin/audit?kind=bulk&page=2").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 10);
}

#[rocket::async_test]
async fn only_admins_read_the_log_and_nobody_can_change_an_entry() {
    let app = spawn_with_admin().await;
    let reads =
        ["/api/v1/admin/audit", "/api/v1/admin/audit/export.csv", "/api/v1/admin/audit/retention"];
    for path in reads {
        assert_eq!(app.json(path).await.0, Status::Unauthorized, "{path}");
    }
    let put =
        app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({"days": 30})).await;
    assert_eq!(put.0, Status::Unauthorized);
    let page = app.client.get("/admin/audit").dispatch().await;
    assert_eq!(page.status(), Status::SeeOther);

    for (name, roles) in [("cy", vec![Role::Member]), ("org", vec![Role::Member, Role::Organizer])]
    {
        app.create_user(name, &roles).await;
        app.login_as(name).await;
        for path in reads {
            assert_eq!(app.json(path).await.0, Status::Forbidden, "{name} {path}");
        }
        let put =
            app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({"days": 30})).await;
        assert_eq!(put.0, Status::Forbidden, "{name}");
        assert_eq!(app.client.get("/admin/audit").dispatch().await.status(), Status::Forbidden);
    }

    app.login_as("admin").await;
    let id = app.count("SELECT max(id) FROM audit_log").await;
    for method in [Method::Delete, Method::Put, Method::Patch, Method::Post] {
        let (status, _) =
            app.send_json(method, &format!("/api/v1/admin/audit/{id}"), json!({"kind": "x"})).await;
        assert_eq!(status, Status::NotFound, "{method}: no route edits or deletes an entry");
    }
    // The list exists, so deleting it is a 405 naming the one method it answers.
    let (status, _) = app.send_json(Method::Delete, "/api/v1/admin/audit", json!(null)).await;
    assert_eq!(status, Status::MethodNotAllowed);
    assert_eq!(
        app.count("SELECT max(id) FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)").await,
        id
    );
}

#[rocket::async_test]
async fn the_csv_export_follows_the_filter_and_keeps_formulas_inert() {
    let app = spawn_with_admin().await;
    app.api_login("=HYPERLINK(\"http://evil.example\",\"x\")", "guess").await;
    app.api_login("+cmd", "guess").await;
    app.login_as("admin").await;
    let response =
        app.client.get("/api/v1/admin/audit/export.csv?kind=login_failed").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::CSV));
    let disposition = response.headers().get_one("Content-Disposition").unwrap().to_string();
    assert!(disposition.contains("attachment; filename=\"audit-"), "{disposition}");
    let body = response.into_string().await.unwrap();
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("id,at_utc,actor_id,actor,kind,target,detail,ip"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "only the filtered kind: {body}");
    assert!(rows.iter().all(|r| r.contains(",login_failed,")));
    // Logins are recorded as typed, in lower case.
    assert!(body.contains("\"'=hyperlink(\"\"http://evil.example\"\",\"\"x\"\")\""), "{body}");
    assert!(body.contains(",'+cmd,"), "{body}");
    assert!(!body.contains(",\"=") && !body.contains(",=") && !body.contains(",+cmd"));
    assert_eq!(entries(&app, "audit_exported").await.len(), 1, "the export is itself audited");
}

#[rocket::async_test]
async fn the_retention_period_is_set_audited_and_old_entries_are_purged() {
    let app = spawn_with_admin().await;
    app.login_as("admin").await;
    let (status, r) = app.json("/api/v1/admin/audit/retention").await;
    assert_eq!((status, r), (Status::Ok, json!({"days": 365})));
    let (status, r) =
        app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({"days": 30})).await;
    assert_eq!((status, r), (Status::Ok, json!({"days": 30})));
    let changed = entries(&app, "setting_changed").await;
    assert_eq!(changed[0]["target"], "audit_retention_days");
    assert_eq!(changed[0]["detail"], json!({"before": 365, "after": 30}));
    assert_eq!(changed[0]["actor"]["username"], "admin");
    for bad in [
        json!({"days": 3}),
        json!({"days": 4000}),
        json!({"days": "ten"}),
        json!({"days": 30, "x": 1}),
    ] {
        let (status, err) =
            app.send_json(Method::Put, "/api/v1/admin/audit/retention", bad.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}: {err}");
    }
    let (_, err) =
        app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({"days": 3})).await;
    assert!(err["error"]["fields"]["days"].is_string(), "{err}");

    let now = app.ctx().now_unix();
    let (old, recent) = (now - 31 * 86_400, now - 29 * 86_400);
    app.db()
        .write(move |tx| {
            tx.execute("INSERT INTO audit_log (at, kind) VALUES (?1, 'ancient')", [old])?;
            tx.execute("INSERT INTO audit_log (at, kind) VALUES (?1, 'recent')", [recent])?;
            Ok(())
        })
        .await
        .unwrap();
    let ctx = app.ctx();
    let deleted = app
        .db()
        .call(move |conn| clubroom::admin::audit::service::purge(conn, &ctx))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'ancient'").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'recent'").await, 1);
    let purged = entries(&app, "audit_purged").await;
    assert_eq!(purged[0]["detail"], json!({"deleted": 1, "retention_days": 30}));
    assert!(purged[0]["actor"].is_null());
}

#[rocket::async_test]
async fn the_scheduler_purges_old_entries_when_the_server_starts() {
    let first = spawn_with_admin().await;
    let old = first.ctx().now_unix() - 400 * 86_400;
    first
        .db()
        .write(move |tx| {
            tx.execute("INSERT INTO audit_log (at, kind) VALUES (?1, 'ancient')", [old])?;
            Ok(())
        })
        .await
        .unwrap();
    let app = first.restart().await;
    for _ in 0..200 {
        if app.count("SELECT count(*) FROM audit_log WHERE kind = 'ancient'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'ancient'").await, 0);
    let scheduler =
        app.client.rocket().state::<std::sync::Arc<clubroom::jobs::Scheduler>>().unwrap();
    let job = scheduler.statuses().into_iter().find(|s| s.name == "audit_retention").unwrap();
    assert_eq!(job.every_secs, 24 * 3600);
    assert!(job.last_error.is_none());
}

#[rocket::async_test]
async fn the_audit_page_filters_and_saves_the_retention_through_forms() {
    let app = spawn_with_admin().await;
    app.api_login("mallory<script>", "guess").await;
    app.login_as("admin").await;
    let html = app
        .client
        .get("/admin/audit?kind=login_failed")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(html.contains("login_failed"));
    assert!(html.contains("mallory&lt;script&gt;"), "what people typed is escaped");
    assert!(unescape(&html).contains("/api/v1/admin/audit/export.csv?kind=login_failed"));
    let bad = app.client.get("/admin/audit?page=0").dispatch().await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);

    let csrf = app.csrf_token("/admin/audit").await;
    let saved =
        app.post_form("/admin/audit/retention", &[("csrf_token", &csrf), ("days", "90")]).await;
    assert_eq!(saved.status(), Status::SeeOther);
    assert_eq!(app.json("/api/v1/admin/audit/retention").await.1, json!({"days": 90}));
    let refused =
        app.post_form("/admin/audit/retention", &[("csrf_token", &csrf), ("days", "abc")]).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("field-error") && html.contains("abc"));
    let no_csrf = app.post_form("/admin/audit/retention", &[("days", "8")]).await;
    assert_eq!(no_csrf.status(), Status::Forbidden);
    assert_eq!(app.json("/api/v1/admin/audit/retention").await.1, json!({"days": 90}));
}

// ----- every security event the issue names lands in the log -----

#[rocket::async_test]
async fn a_successful_login_is_recorded() {
    let app = spawn_with_admin().await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    let logins = admin_sees(&app, "login_succeeded").await;
    assert!(logins.iter().any(|e| e["actor"]["username"] == "bo"), "{logins:?}");
}

#[rocket::async_test]
async fn a_failed_login_is_recorded_with_what_was_typed() {
    let app = spawn_with_admin().await;
    app.create_user("bo", &[Role::Member]).await;
    assert_eq!(app.api_login("bo", "not it").await.status(), Status::Unauthorized);
    let failed = admin_sees(&app, "login_failed").await;
    assert_eq!(failed[0]["target"], "bo");
    assert_eq!(failed[0]["detail"]["known_account"], true);
}

#[rocket::async_test]
async fn a_password_change_is_recorded() {
    let app = spawn_with_admin().await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    let body =
        json!({"current_password": PASSWORD, "new_password": "another long passphrase here"});
    let (status, out) = app.post_json("/api/v1/auth/password/change", body).await;
    assert_eq!(status, Status::Ok, "{out}");
    let changed = admin_sees(&app, "password_changed").await;
    assert_eq!(changed[0]["actor"]["username"], "bo");
}

#[rocket::async_test]
async fn a_revoked_session_is_recorded() {
    let app = spawn_with_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    app.login_as("bo").await;
    let first = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row("SELECT min(id) FROM sessions WHERE user_id = ?1", [bo], |r| {
                r.get::<_, i64>(0)
            })?)
        })
        .await
        .unwrap();
    let (status, body) =
        app.send_json(Method::Delete, &format!("/api/v1/auth/sessions/{first}"), json!(null)).await;
    assert!(status.code < 300, "{status}: {body}");
    let revoked = admin_sees(&app, "session_revoked").await;
    assert_eq!(revoked[0]["actor"]["username"], "bo");
}

#[rocket::async_test]
async fn a_role_change_is_recorded() {
    let app = spawn_with_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("admin").await;
    let path = format!("/api/v1/admin/members/{bo}/organizer");
    assert_eq!(app.send_json(Method::Put, &path, json!({"organizer": true})).await.0, Status::Ok);
    assert_eq!(app.send_json(Method::Put, &path, json!({"organizer": false})).await.0, Status::Ok);
    assert_eq!(entries(&app, "organizer_granted").await[0]["target"], format!("user:{bo}"));
    assert_eq!(entries(&app, "organizer_revoked").await[0]["target"], format!("user:{bo}"));
}

#[rocket::async_test]
async fn an_invitation_created_used_and_revoked_is_recorded() {
    let app = spawn_with_admin().await;
    app.login_as("admin").await;
    let (_, used) =
        app.post_json("/api/v1/admin/invites", json!({"email": "kim@example.org"})).await;
    let (_, other) =
        app.post_json("/api/v1/admin/invites", json!({"email": "lee@example.org"})).await;
    let other_id = other["invite_id"].as_i64().unwrap();
    app.post_json(&format!("/api/v1/admin/invites/{other_id}/revoke"), json!(null)).await;
    let token = used["invite_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    app.post_json("/api/v1/auth/logout", json!(null)).await;
    let body = json!({"username": "kim", "email": "kim@example.org", "password": PASSWORD, "invite_token": token});
    let (status, created) = app.post_json("/api/v1/auth/register", body).await;
    assert!(status.code < 300, "{created}");

    let used_id = used["invite_id"].as_i64().unwrap();
    assert_eq!(admin_sees(&app, "invite_created").await.len(), 2);
    let used_entry = &entries(&app, "invite_used").await[0];
    assert_eq!(used_entry["target"], format!("invite:{used_id}"));
    assert_eq!(used_entry["actor"]["username"], "kim");
    assert_eq!(entries(&app, "invite_revoked").await[0]["target"], format!("invite:{other_id}"));
}

#[rocket::async_test]
async fn exchange_transitions_are_recorded() {
    let app = spawn_with_admin().await;
    app.login_as("admin").await;
    let (id, _) = crate::gifts::create(&app, "Winter swap").await;
    crate::gifts::step(&app, id, "open", json!({})).await;
    crate::gifts::step(&app, id, "close", json!({})).await;
    for kind in ["exchange_created", "exchange_opened", "exchange_closed"] {
        let found = entries(&app, kind).await;
        assert_eq!(found[0]["target"], format!("exchange:{id}"), "{kind}");
    }
}

#[rocket::async_test]
async fn a_settings_change_is_recorded_with_before_and_after() {
    let app = spawn_with_admin().await;
    app.login_as("admin").await;
    let (status, _) = app
        .send_json(Method::Put, "/api/v1/admin/settings", json!({"club_name": "River Club"}))
        .await;
    assert_eq!(status, Status::Ok);
    let changed = entries(&app, "setting_changed").await;
    assert_eq!(changed[0]["target"], "club_name");
    assert_eq!(changed[0]["detail"], json!({"before": "Clubroom", "after": "River Club"}));
}
