//! The activity log: recording, listing, editing and exporting activities, who may see whose,
//! the coach's view, the admin's activity types, and the pages.

use chrono::{Duration, Utc};
use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// An RFC 3339 time `hours` before now.
fn hours_ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn activity(started_at: &str, minutes: i64, kind: &str) -> Value {
    json!({"started_at": started_at, "duration_minutes": minutes, "type": kind, "format": "solo"})
}

async fn set_timezone(app: &TestApp, user_id: i64, zone: &str) {
    let zone = zone.to_string();
    app.db()
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET timezone = ?1 WHERE id = ?2",
                rusqlite::params![zone, user_id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn set_coach(app: &TestApp, member_id: i64, coach_id: i64) {
    app.db()
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET coach_id = ?1 WHERE id = ?2",
                rusqlite::params![coach_id, member_id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn set_display_name(app: &TestApp, user_id: i64, name: &str) {
    let name = name.to_string();
    app.db()
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET display_name = ?1 WHERE id = ?2",
                rusqlite::params![name, user_id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Records `body` as the signed-in user and returns the new entry's id.
async fn record(app: &TestApp, body: Value) -> i64 {
    let (status, created) = app.post_json("/api/v1/activities", body).await;
    assert_eq!(status, Status::Created, "{created}");
    created["id"].as_i64().unwrap()
}

/// A GET that answers text, with its status and headers of interest.
async fn get_text(app: &TestApp, path: &str) -> (Status, String, Option<String>, Option<String>) {
    let response = app.client.get(path.to_string()).dispatch().await;
    let status = response.status();
    let content_type = response.headers().get_one("Content-Type").map(str::to_string);
    let disposition = response.headers().get_one("Content-Disposition").map(str::to_string);
    (status, response.into_string().await.unwrap_or_default(), content_type, disposition)
}

/// The records of a CSV body, header first.
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let at = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[at].clone()).collect()
}

async fn type_id(app: &TestApp, key: &str) -> i64 {
    let (_, types) = app.json("/api/v1/admin/activity-types").await;
    types.as_array().unwrap().iter().find(|t| t["key"] == key).unwrap()["id"].as_i64().unwrap()
}

fn location<'a>(response: &'a rocket::local::asynchronous::LocalResponse<'_>) -> &'a str {
    response.headers().get_one("Location").unwrap_or_default()
}

// ----- the API -----

#[rocket::async_test]
async fn a_member_records_reads_edits_and_deletes_their_own_activity() {
    let app = TestApp::spawn().await;
    let coach = app.create_user("cy", &[Role::Member, Role::Coach]).await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;

    let started = hours_ago(3);
    let (status, created) = app
        .post_json(
            "/api/v1/activities",
            json!({"started_at": started, "duration_minutes": 45, "type": "lesson",
                   "format": "coached", "venue": "Rink 2", "coach_id": coach, "notes": "Spins"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["member"]["id"], ann);
    assert_eq!(created["started_at"], started);
    assert_eq!(created["duration_minutes"], 45);
    assert_eq!(created["type"], "lesson");
    assert_eq!(created["type_label"], "Lesson");
    assert_eq!(created["format"], "coached");
    assert_eq!(created["venue"], "Rink 2");
    assert_eq!(created["coach"]["id"], coach);
    assert_eq!(created["notes"], "Spins");
    assert_eq!(created["recorded_by"]["id"], ann, "the recorder is kept");
    assert_eq!(created["can_edit"], true);
    let id = created["id"].as_i64().unwrap();

    let (status, got) = app.json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(got, created);

    let (status, list) = app.json("/api/v1/activities").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!((list["page"].clone(), list["per_page"].clone()), (json!(1), json!(20)));

    let (status, changed) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/activities/{id}"),
            json!({"started_at": started, "duration_minutes": 60, "type": "practice",
                   "format": "group", "venue": "Hall"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{changed}");
    assert_eq!(changed["duration_minutes"], 60);
    assert_eq!(changed["type"], "practice");
    assert_eq!(changed["format"], "group");
    assert!(changed["coach"].is_null(), "PUT replaces: no coach given, none kept");
    assert_eq!(changed["notes"], "");

    let (status, body) =
        app.send_json(Method::Delete, &format!("/api/v1/activities/{id}"), json!({})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["deleted"], true);
    assert_eq!(app.json(&format!("/api/v1/activities/{id}")).await.0, Status::NotFound);
    assert_eq!(app.json("/api/v1/activities").await.1["total"], 0);
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0);
}

#[rocket::async_test]
async fn the_list_is_newest_first_in_pages_with_totals() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;
    let mut ids = Vec::new();
    for hours in [50, 10, 30, 20, 40] {
        ids.push(record(&app, activity(&hours_ago(hours), hours, "practice")).await);
    }
    // Newest first: 10, 20, 30, 40, 50 hours ago.
    let (status, first) = app.json("/api/v1/activities?per_page=2").await;
    assert_eq!(status, Status::Ok);
    let minutes = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["duration_minutes"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(minutes(&first), [10, 20]);
    assert_eq!(first["total"], 5);
    assert_eq!(first["total_minutes"], 150);
    assert_eq!(first["pages"], 3);
    assert_eq!(minutes(&app.json("/api/v1/activities?per_page=2&page=2").await.1), [30, 40]);
    assert_eq!(minutes(&app.json("/api/v1/activities?per_page=2&page=3").await.1), [50]);
    assert!(minutes(&app.json("/api/v1/activities?per_page=2&page=9").await.1).is_empty());
    assert_eq!(
        app.json("/api/v1/activities?per_page=100").await.1["items"].as_array().unwrap().len(),
        5
    );

    for (query, field) in [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
    ] {
        let (status, err) = app.json(&format!("/api/v1/activities?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}");
        assert!(err["error"]["fields"][field].is_string(), "{query}: {err}");
    }
}

#[rocket::async_test]
async fn lists_filter_by_dates_in_the_members_time_zone_and_by_type() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    set_timezone(&app, ann, "America/New_York").await;
    app.login_as("ann").await;
    // 03:00 UTC on the 10th is still the evening of the 9th in New York.
    let evening_9th = record(&app, activity("2026-01-10T03:00:00Z", 30, "practice")).await;
    let morning_10th = record(&app, activity("2026-01-10T15:00:00Z", 40, "lesson")).await;
    let on_11th = record(&app, activity("2026-01-11T15:00:00Z", 50, "practice")).await;

    let ids = |list: &Value| -> Vec<i64> {
        list["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
    };
    let (status, day) = app.json("/api/v1/activities?from=2026-01-10&to=2026-01-10").await;
    assert_eq!(status, Status::Ok, "{day}");
    assert_eq!(ids(&day), [morning_10th], "both dates inclusive, read in New York time");
    assert_eq!(day["total_minutes"], 40);
    assert_eq!(ids(&app.json("/api/v1/activities?to=2026-01-09").await.1), [evening_9th]);
    assert_eq!(
        ids(&app.json("/api/v1/activities?from=2026-01-10").await.1),
        [on_11th, morning_10th]
    );
    assert_eq!(ids(&app.json("/api/v1/activities?type=practice").await.1), [on_11th, evening_9th]);
    assert_eq!(
        ids(&app
            .json("/api/v1/activities?from=2026-01-10T15:00:00Z&to=2026-01-11T15:00:00Z")
            .await
            .1),
        [on_11th, morning_10th],
        "RFC 3339 bounds are inclusive too"
    );
    assert_eq!(
        ids(&app.json("/api/v1/activities?from=2026-01-10T14:00:00-01:00&type=practice").await.1),
        [on_11th]
    );

    for (query, field) in [
        ("from=10/01/2026", "from"),
        ("to=yesterday", "to"),
        ("from=2026-01-11&to=2026-01-10", "to"),
        ("type=yoga", "type"),
    ] {
        let (status, err) = app.json(&format!("/api/v1/activities?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}");
        assert!(err["error"]["fields"][field].is_string(), "{query}: {err}");
    }
}

#[rocket::async_test]
async fn recording_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let plain = app.create_user("bo", &[Role::Member]).await;
    app.create_user("ann", &[Role::Member]).await;
    app.as_admin().await;
    let (status, _) = app
        .post_json("/api/v1/admin/activity-types", json!({"key": "walk", "label": "Walk"}))
        .await;
    assert_eq!(status, Status::Created);
    let walk = type_id(&app, "walk").await;
    let (status, _) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/admin/activity-types/{walk}"),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    app.login_as("ann").await;

    let good = activity(&hours_ago(1), 30, "practice");
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("format", json!("tandem")), "format"),
        (with("type", json!("yoga")), "type"),
        (with("type", json!("walk")), "type"),
        (with("type", json!("")), "type"),
        (with("duration_minutes", json!(0)), "duration_minutes"),
        (with("duration_minutes", json!(1441)), "duration_minutes"),
        (with("duration_minutes", json!("30")), "duration_minutes"),
        (with("started_at", json!((Utc::now() + Duration::hours(25)).to_rfc3339())), "started_at"),
        (with("started_at", json!("2026-01-10 18:30")), "started_at"),
        (with("started_at", json!("")), "started_at"),
        (with("coach_id", json!(plain)), "coach_id"),
        (with("coach_id", json!(999_999)), "coach_id"),
        (with("venue", json!("v".repeat(121))), "venue"),
        (with("notes", json!("n".repeat(2001))), "notes"),
        (with("surprise", json!(true)), "surprise"),
        (json!({"type": "practice", "format": "solo", "duration_minutes": 5}), "started_at"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json("/api/v1/activities", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field} is named: {err}");
    }
    let (status, err) = app.post_json("/api/v1/activities", json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    for field in ["started_at", "duration_minutes", "type", "format"] {
        assert!(err["error"]["fields"][field].is_string(), "{field} in {err}");
    }
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0, "nothing was stored");

    // The limits themselves are fine: a day ahead, a whole day long, 120 and 2000 characters.
    let edge = json!({"started_at": (Utc::now() + Duration::hours(23)).to_rfc3339(),
                      "duration_minutes": 1440, "type": "practice", "format": "group",
                      "venue": "v".repeat(120), "notes": "n".repeat(2000)});
    assert_eq!(app.post_json("/api/v1/activities", edge).await.0, Status::Created);
}

#[rocket::async_test]
async fn an_archived_type_stays_on_old_entries_and_can_be_kept_when_editing() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    app.as_admin().await;
    app.post_json("/api/v1/admin/activity-types", json!({"key": "walk", "label": "Walk"})).await;
    let walk = type_id(&app, "walk").await;
    app.login_as("ann").await;
    let started = hours_ago(2);
    let id = record(&app, activity(&started, 30, "walk")).await;

    app.login_as("admin").await;
    let (status, removal) = app
        .send_json(Method::Delete, &format!("/api/v1/admin/activity-types/{walk}"), json!({}))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (removal["deleted"].clone(), removal["archived"].clone()),
        (json!(false), json!(true))
    );
    assert!(removal["message"].as_str().unwrap().contains("archived"), "{removal}");

    app.login_as("ann").await;
    let keys: Vec<Value> = app
        .json("/api/v1/activity-types")
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].clone())
        .collect();
    assert_eq!(keys, [json!("practice"), json!("lesson"), json!("competition")]);
    let (_, old) = app.json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(old["type"], "walk", "old entries keep their type");
    assert_eq!(
        app.post_json("/api/v1/activities", activity(&started, 30, "walk")).await.0,
        Status::UnprocessableEntity
    );
    let (status, edited) = app
        .send_json(Method::Put, &format!("/api/v1/activities/{id}"), activity(&started, 35, "walk"))
        .await;
    assert_eq!(status, Status::Ok, "an entry keeps its archived type when edited: {edited}");
    assert_eq!(edited["duration_minutes"], 35);
}

#[rocket::async_test]
async fn admins_add_rename_reorder_archive_restore_and_delete_activity_types() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, types) = app.json("/api/v1/admin/activity-types").await;
    assert_eq!(status, Status::Ok);
    let keys: Vec<&str> =
        types.as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["practice", "lesson", "competition"], "three are seeded, in order");

    let (status, walk) = app
        .post_json("/api/v1/admin/activity-types", json!({"key": "dog-walk", "label": "Dog walk"}))
        .await;
    assert_eq!(status, Status::Created, "{walk}");
    assert_eq!(walk["position"], 4, "placed last");
    assert_eq!(walk["archived"], false);
    assert_eq!(walk["activity_count"], 0);
    let id = walk["id"].as_i64().unwrap();

    let (status, err) = app
        .post_json("/api/v1/admin/activity-types", json!({"key": "dog-walk", "label": "Again"}))
        .await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["key"].is_string(), "{err}");
    for (body, field) in [
        (json!({"key": "Dog Walk", "label": "x"}), "key"),
        (json!({"key": "", "label": "x"}), "key"),
        (json!({"key": "ok", "label": ""}), "label"),
        (json!({"key": "ok", "label": "l".repeat(61)}), "label"),
        (json!({"key": "ok", "label": "x", "position": -1}), "position"),
        (json!({"key": "ok", "label": "x", "archived": true}), "archived"),
    ] {
        let (status, err) = app.post_json("/api/v1/admin/activity-types", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }

    let path = format!("/api/v1/admin/activity-types/{id}");
    let (status, renamed) =
        app.send_json(Method::Put, &path, json!({"label": "Walk the dog", "position": 0})).await;
    assert_eq!(status, Status::Ok, "{renamed}");
    assert_eq!(
        (renamed["label"].clone(), renamed["key"].clone()),
        (json!("Walk the dog"), json!("dog-walk"))
    );
    let (_, types) = app.json("/api/v1/activity-types").await;
    assert_eq!(types[0]["key"], "dog-walk", "position 0 comes first");
    let (status, err) = app.send_json(Method::Put, &path, json!({"key": "walk"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "the key never changes: {err}");

    let (_, archived) = app.send_json(Method::Put, &path, json!({"archived": true})).await;
    assert_eq!(archived["archived"], true);
    assert!(archived["archived_at"].is_string());
    assert!(!app.json("/api/v1/activity-types").await.1.to_string().contains("dog-walk"));
    let (_, restored) = app.send_json(Method::Put, &path, json!({"archived": false})).await;
    assert_eq!(restored["archived"], false);
    assert!(app.json("/api/v1/activity-types").await.1.to_string().contains("dog-walk"));

    let (status, removal) = app.send_json(Method::Delete, &path, json!({})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (removal["deleted"].clone(), removal["archived"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(app.count("SELECT count(*) FROM activity_types WHERE key = 'dog-walk'").await, 0);
    assert_eq!(app.send_json(Method::Delete, &path, json!({})).await.0, Status::NotFound);
    assert_eq!(app.send_json(Method::Put, &path, json!({"label": "x"})).await.0, Status::NotFound);
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE kind LIKE 'activity_type_%'").await >= 5,
        "admin actions are audited"
    );
}

#[rocket::async_test]
async fn only_admins_manage_types_and_export_every_members_activities() {
    let app = TestApp::spawn().await;
    let body = json!({"key": "walk", "label": "Walk"});
    assert_eq!(
        app.post_json("/api/v1/admin/activity-types", body.clone()).await.0,
        Status::Unauthorized
    );
    app.create_user("cy", &[Role::Member, Role::Coach]).await;
    app.login_as("cy").await;
    let (status, err) = app.post_json("/api/v1/admin/activity-types", body).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "forbidden");
    assert_eq!(app.json("/api/v1/admin/activity-types").await.0, Status::Forbidden);
    assert_eq!(
        app.send_json(Method::Put, "/api/v1/admin/activity-types/1", json!({"label": "x"})).await.0,
        Status::Forbidden
    );
    assert_eq!(
        app.send_json(Method::Delete, "/api/v1/admin/activity-types/1", json!({})).await.0,
        Status::Forbidden
    );
    assert_eq!(get_text(&app, "/api/v1/admin/activities/export.csv").await.0, Status::Forbidden);
    assert_eq!(
        app.client.get("/admin/activity-types").dispatch().await.status(),
        Status::Forbidden
    );
    assert_eq!(app.count("SELECT count(*) FROM activity_types").await, 3, "nothing changed");
}

#[rocket::async_test]
async fn signed_out_visitors_get_401_from_the_api_and_the_login_page_from_pages() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/activities",
        "/api/v1/activities/1",
        "/api/v1/activities/export.csv",
        "/api/v1/activity-types",
        "/api/v1/coach/members",
    ] {
        assert_eq!(app.json(path).await.0, Status::Unauthorized, "{path}");
    }
    let (status, _) =
        app.post_json("/api/v1/activities", activity(&hours_ago(1), 5, "practice")).await;
    assert_eq!(status, Status::Unauthorized);
    for path in ["/activities", "/activities/new", "/activities/1/edit", "/coach"] {
        let response = app.client.get(path).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
}

#[rocket::async_test]
async fn a_member_still_joining_is_refused_and_sent_to_onboarding() {
    let app = TestApp::spawn().await;
    app.create_user_with_status("new", &[Role::Member], UserStatus::Onboarding).await;
    app.login_as("new").await;
    let (status, err) =
        app.post_json("/api/v1/activities", activity(&hours_ago(1), 5, "practice")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "onboarding_incomplete");
    assert_eq!(app.json("/api/v1/activities").await.1["error"]["code"], "onboarding_incomplete");
    let response = app.client.get("/activities").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/onboarding");
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0);
}

// ----- access -----

#[rocket::async_test]
async fn members_can_neither_see_nor_change_each_others_activities() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("ann").await;
    let started = hours_ago(5);
    let id = record(&app, activity(&started, 30, "practice")).await;

    app.login_as("bo").await;
    let (status, theirs) = app.json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(status, Status::NotFound);
    let (_, unknown) = app.json("/api/v1/activities/999999").await;
    assert_eq!(theirs, unknown, "another member's entry looks like no entry at all");
    let path = format!("/api/v1/activities/{id}");
    assert_eq!(
        app.send_json(Method::Put, &path, activity(&started, 99, "lesson")).await.0,
        Status::NotFound
    );
    assert_eq!(app.send_json(Method::Delete, &path, json!({})).await.0, Status::NotFound);
    assert_eq!(app.json(&format!("/api/v1/activities?member_id={ann}")).await.0, Status::NotFound);
    assert_eq!(
        get_text(&app, &format!("/api/v1/activities/export.csv?member_id={ann}")).await.0,
        Status::NotFound
    );
    assert_eq!(app.json("/api/v1/activities").await.1["total"], 0, "bo's own log is empty");
    assert!(!get_text(&app, "/api/v1/activities/export.csv").await.1.contains(&id.to_string()));
    let mut for_ann = activity(&started, 10, "practice");
    for_ann["member_id"] = json!(ann);
    let (status, err) = app.post_json("/api/v1/activities", for_ann).await;
    assert_eq!(status, Status::Forbidden, "{err}");
    assert_eq!(app.json("/api/v1/coach/members").await.0, Status::Forbidden);

    // The pages answer the same.
    assert_eq!(
        app.client.get(format!("/activities/{id}/edit")).dispatch().await.status(),
        Status::NotFound
    );
    assert_eq!(
        app.client.get(format!("/activities?member_id={ann}")).dispatch().await.status(),
        Status::NotFound
    );
    let token = app.csrf_token("/activities").await;
    let delete =
        app.post_form(&format!("/activities/{id}/delete"), &[("csrf_token", &token)]).await;
    assert_eq!(delete.status(), Status::NotFound);
    let edit = app
        .post_form(
            &format!("/activities/{id}/edit"),
            &[
                ("csrf_token", &token),
                ("started_local", "2026-01-10T10:00"),
                ("duration_minutes", "1"),
                ("type", "practice"),
                ("format", "solo"),
            ],
        )
        .await;
    assert_eq!(edit.status(), Status::NotFound);

    app.login_as("ann").await;
    let (status, mine) = app.json(&path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(mine["duration_minutes"], 30, "unchanged");
}

#[rocket::async_test]
async fn a_coach_sees_and_records_for_only_the_members_they_coach() {
    let app = TestApp::spawn().await;
    let coach = app.create_user("cy", &[Role::Member, Role::Coach]).await;
    let mia = app.create_user("mia", &[Role::Member]).await;
    let ned = app.create_user("ned", &[Role::Member]).await;
    set_coach(&app, mia, coach).await;
    set_display_name(&app, mia, "Mia Moss").await;
    app.login_as("mia").await;
    let mias_own = record(&app, activity(&hours_ago(30), 20, "practice")).await;
    app.login_as("ned").await;
    let neds = record(&app, activity(&hours_ago(30), 25, "practice")).await;

    app.login_as("cy").await;
    let (status, coached) = app.json("/api/v1/coach/members").await;
    assert_eq!(status, Status::Ok);
    let members = coached["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{coached}");
    assert_eq!(members[0]["id"], mia);
    assert_eq!(members[0]["name"], "Mia Moss");
    assert_eq!(
        (members[0]["activity_count"].clone(), members[0]["total_minutes"].clone()),
        (json!(1), json!(20))
    );

    let (status, list) = app.json(&format!("/api/v1/activities?member_id={mia}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(list["member"]["id"], mia);
    assert_eq!(list["items"][0]["id"], mias_own);
    assert_eq!(list["items"][0]["can_edit"], false, "the coach did not record it");
    assert_eq!(app.json(&format!("/api/v1/activities/{mias_own}")).await.0, Status::Ok);
    assert_eq!(app.json(&format!("/api/v1/activities?member_id={ned}")).await.0, Status::NotFound);
    assert_eq!(app.json(&format!("/api/v1/activities/{neds}")).await.0, Status::NotFound);

    // A coach changes only what they recorded.
    let path = format!("/api/v1/activities/{mias_own}");
    let (status, _) =
        app.send_json(Method::Put, &path, activity(&hours_ago(30), 99, "practice")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(app.send_json(Method::Delete, &path, json!({})).await.0, Status::Forbidden);

    let mut for_mia = activity(&hours_ago(2), 50, "lesson");
    for_mia["member_id"] = json!(mia);
    for_mia["coach_id"] = json!(coach);
    let (status, recorded) = app.post_json("/api/v1/activities", for_mia).await;
    assert_eq!(status, Status::Created, "{recorded}");
    assert_eq!(recorded["member"]["id"], mia);
    assert_eq!(recorded["recorded_by"]["id"], coach);
    let theirs = recorded["id"].as_i64().unwrap();
    let mut for_ned = activity(&hours_ago(2), 50, "lesson");
    for_ned["member_id"] = json!(ned);
    assert_eq!(app.post_json("/api/v1/activities", for_ned).await.0, Status::Forbidden);
    let (status, edited) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/activities/{theirs}"),
            activity(&hours_ago(2), 55, "lesson"),
        )
        .await;
    assert_eq!(status, Status::Ok, "{edited}");
    assert_eq!(edited["member"]["id"], mia, "the entry stays with the member");

    // The member sees what the coach recorded, and it is theirs to delete.
    app.login_as("mia").await;
    let (_, list) = app.json("/api/v1/activities").await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["recorded_by"]["id"], coach);
    assert_eq!(
        app.json("/api/v1/coach/members").await.0,
        Status::Forbidden,
        "members are no coaches"
    );
    let (status, _) =
        app.send_json(Method::Delete, &format!("/api/v1/activities/{theirs}"), json!({})).await;
    assert_eq!(status, Status::Ok);

    // A coach who is no longer the member's coach loses access.
    set_coach(&app, mia, ned).await;
    app.login_as("cy").await;
    assert_eq!(app.json(&format!("/api/v1/activities/{mias_own}")).await.0, Status::NotFound);
    assert_eq!(app.json("/api/v1/coach/members").await.1["members"], json!([]));
}

#[rocket::async_test]
async fn an_admin_records_reads_and_changes_any_members_activities() {
    let app = TestApp::spawn().await;
    let mia = app.create_user("mia", &[Role::Member]).await;
    app.login_as("mia").await;
    let mias = record(&app, activity(&hours_ago(4), 20, "practice")).await;
    app.as_admin().await;

    let mut for_mia = activity(&hours_ago(3), 40, "competition");
    for_mia["member_id"] = json!(mia);
    let (status, recorded) = app.post_json("/api/v1/activities", for_mia.clone()).await;
    assert_eq!(status, Status::Created, "{recorded}");
    assert_eq!(recorded["member"]["id"], mia);
    let (_, list) = app.json(&format!("/api/v1/activities?member_id={mia}")).await;
    assert_eq!(list["total"], 2);
    let (status, _) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/activities/{mias}"),
            activity(&hours_ago(4), 21, "practice"),
        )
        .await;
    assert_eq!(status, Status::Ok);
    for_mia["member_id"] = json!(999_999);
    let (status, err) = app.post_json("/api/v1/activities", for_mia).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["member_id"].is_string(), "{err}");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind IN ('activity_recorded', 'activity_changed')").await,
        2,
        "changes to a member's log by someone else are audited"
    );
    let (status, coached) = app.json("/api/v1/coach/members").await;
    assert_eq!(
        (status, coached),
        (Status::Ok, json!({"members": []})),
        "admins stand with coaches"
    );
}

// ----- CSV -----

#[rocket::async_test]
async fn the_csv_export_holds_ones_own_activities_with_local_times_and_inert_formulas() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    set_timezone(&app, ann, "Europe/Oslo").await;
    app.login_as("ann").await;
    let mut risky = activity("2026-01-10T17:30:00Z", 45, "practice");
    risky["notes"] = json!("=HYPERLINK(\"http://evil.example\",\"click\")");
    risky["venue"] = json!("+47 rink, hall \"B\"");
    record(&app, risky).await;
    let mut plain = activity("2026-01-12T08:00:00Z", 30, "lesson");
    plain["notes"] = json!("line one\nline two");
    record(&app, plain).await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    let mut bos = activity("2026-01-11T08:00:00Z", 15, "practice");
    bos["notes"] = json!("bo was here");
    record(&app, bos).await;

    app.login_as("ann").await;
    let (status, body, content_type, disposition) =
        get_text(&app, "/api/v1/activities/export.csv").await;
    assert_eq!(status, Status::Ok);
    assert!(content_type.unwrap().starts_with("text/csv"));
    let disposition = disposition.unwrap();
    assert!(disposition.starts_with("attachment; filename=\"activities-ann-"), "{disposition}");
    assert!(disposition.ends_with(".csv\""), "{disposition}");
    assert!(!body.contains("bo was here"), "only one's own");

    let rows = csv_rows(&body);
    assert_eq!(
        rows[0][..5],
        ["id", "started_at_utc", "started_local", "time_zone", "duration_minutes"]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(column(&rows, "started_at_utc"), ["2026-01-12T08:00:00Z", "2026-01-10T17:30:00Z"]);
    assert_eq!(column(&rows, "started_local"), ["2026-01-12 09:00", "2026-01-10 18:30"]);
    assert_eq!(column(&rows, "time_zone"), ["Europe/Oslo", "Europe/Oslo"]);
    assert_eq!(column(&rows, "type"), ["lesson", "practice"]);
    assert_eq!(column(&rows, "notes")[0], "line one\nline two", "quoted, not broken");
    assert_eq!(column(&rows, "notes")[1], "'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(column(&rows, "venue")[1], "'+47 rink, hall \"B\"");

    let (_, filtered, _, _) =
        get_text(&app, "/api/v1/activities/export.csv?type=lesson&from=2026-01-11").await;
    assert_eq!(csv_rows(&filtered).len(), 2);
    let (status, _, _, _) = get_text(&app, "/api/v1/activities/export.csv?from=nope").await;
    assert_eq!(status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn the_admin_export_names_each_member_and_filters() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    set_display_name(&app, bo, "@bo -the- great").await;
    set_timezone(&app, bo, "Asia/Tokyo").await;
    app.login_as("ann").await;
    record(&app, activity("2026-01-10T10:00:00Z", 10, "practice")).await;
    app.login_as("bo").await;
    record(&app, activity("2026-01-10T15:00:00Z", 20, "lesson")).await;
    app.as_admin().await;

    let (status, body, content_type, disposition) =
        get_text(&app, "/api/v1/admin/activities/export.csv").await;
    assert_eq!(status, Status::Ok);
    assert!(content_type.unwrap().starts_with("text/csv"));
    assert!(disposition.unwrap().starts_with("attachment; filename=\"activities-all-"));
    let rows = csv_rows(&body);
    assert_eq!(rows[0][..4], ["id", "member_id", "username", "member_name"]);
    assert_eq!(column(&rows, "username"), ["bo", "ann"]);
    assert_eq!(column(&rows, "member_id"), [bo.to_string(), ann.to_string()]);
    assert_eq!(column(&rows, "member_name"), ["'@bo -the- great", "ann"]);
    assert_eq!(column(&rows, "started_local"), ["2026-01-11 00:00", "2026-01-10 10:00"]);
    assert_eq!(column(&rows, "time_zone"), ["Asia/Tokyo", "UTC"]);

    let (_, one, _, _) =
        get_text(&app, &format!("/api/v1/admin/activities/export.csv?member_id={ann}")).await;
    assert_eq!(column(&csv_rows(&one), "username"), ["ann"]);
    let (_, lessons, _, _) =
        get_text(&app, "/api/v1/admin/activities/export.csv?type=lesson").await;
    assert_eq!(column(&csv_rows(&lessons), "username"), ["bo"]);
    // Bo's entry falls on the 11th in Tokyo, where the member filter reads dates.
    let (_, day, _, _) = get_text(
        &app,
        &format!(
            "/api/v1/admin/activities/export.csv?member_id={bo}&from=2026-01-11&to=2026-01-11"
        ),
    )
    .await;
    assert_eq!(column(&csv_rows(&day), "username"), ["bo"]);
    let (status, _, _, _) =
        get_text(&app, "/api/v1/admin/activities/export.csv?member_id=999999").await;
    assert_eq!(status, Status::UnprocessableEntity);
}

// ----- pages -----

#[rocket::async_test]
async fn a_member_records_edits_and_deletes_an_activity_through_the_pages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    let coach = app.create_user("cy", &[Role::Member, Role::Coach]).await;
    set_display_name(&app, coach, "Coach Cy").await;
    set_timezone(&app, ann, "Europe/Oslo").await;
    app.login_as("ann").await;

    let (status, form, _, _) = get_text(&app, "/activities/new").await;
    assert_eq!(status, Status::Ok);
    assert!(form.contains("type=\"datetime-local\""));
    assert!(form.contains("Coach Cy"), "coaches to choose from");
    assert!(unescape(&form).contains("Europe/Oslo"), "the zone the time is read in");
    assert!(!form.contains("name=\"member_id\""), "members record only for themselves");
    let token = extract_csrf(&form).unwrap();
    let coach_id = coach.to_string();
    let response = app
        .post_form(
            "/activities",
            &[
                ("csrf_token", &token),
                ("started_local", "2026-01-10T18:30"),
                ("duration_minutes", "45"),
                ("type", "lesson"),
                ("format", "coached"),
                ("venue", "Rink <2>"),
                ("coach_id", &coach_id),
                ("notes", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/activities");
    let (_, list) = app.json("/api/v1/activities").await;
    let entry = &list["items"][0];
    assert_eq!(entry["started_at"], "2026-01-10T17:30:00Z", "read in the member's zone");
    assert_eq!(entry["coach"]["id"], coach);
    let id = entry["id"].as_i64().unwrap();

    let (_, page, _, _) = get_text(&app, "/activities").await;
    assert!(page.contains("Activity recorded."), "the flash");
    assert!(page.contains("2026-01-10 18:30"));
    assert!(page.contains("45 minutes"), "the total of the range");
    assert!(page.contains("Lesson") && page.contains("Coach Cy"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "notes are escaped");
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("Rink &lt;2&gt;"));
    assert!(unescape(&page).contains("/api/v1/activities/export.csv"), "the export link");

    let (status, edit, _, _) = get_text(&app, &format!("/activities/{id}/edit")).await;
    assert_eq!(status, Status::Ok);
    assert!(edit.contains("value=\"2026-01-10T18:30\""), "the local time to edit");
    assert!(edit.contains("value=\"45\""));
    let token = extract_csrf(&edit).unwrap();
    let response = app
        .post_form(
            &format!("/activities/{id}/edit"),
            &[
                ("csrf_token", &token),
                ("started_local", "2026-01-11T07:15"),
                ("duration_minutes", "50"),
                ("type", "practice"),
                ("format", "solo"),
                ("venue", ""),
                ("coach_id", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, changed) = app.json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(changed["started_at"], "2026-01-11T06:15:00Z");
    assert_eq!(changed["duration_minutes"], 50);
    assert!(changed["coach"].is_null());

    let token = app.csrf_token("/activities").await;
    let response =
        app.post_form(&format!("/activities/{id}/delete"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/activities");
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0);
    assert!(get_text(&app, "/activities").await.1.contains("Activity deleted."));
}

#[rocket::async_test]
async fn a_form_with_mistakes_comes_back_with_the_errors_and_without_csrf_nothing_happens() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;
    let token = app.csrf_token("/activities/new").await;
    let fields = [
        ("started_local", "2026-01-10T18:30"),
        ("duration_minutes", "0"),
        ("type", ""),
        ("format", "solo"),
        ("venue", "Hall <b>"),
        ("notes", "kept"),
    ];
    let mut with_token = vec![("csrf_token", token.as_str())];
    with_token.extend_from_slice(&fields);
    let response = app.post_form("/activities", &with_token).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Enter the duration in whole minutes"), "duration error shown");
    assert!(html.contains("Choose the type of activity."), "type error shown");
    assert!(html.contains("value=\"Hall &lt;b&gt;\""), "what was typed is kept, escaped");
    assert!(html.contains(">kept</textarea>"));

    let future = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT%H:%M").to_string();
    let mut ahead = vec![("csrf_token", token.as_str()), ("started_local", future.as_str())];
    ahead.extend_from_slice(&[
        ("duration_minutes", "30"),
        ("type", "practice"),
        ("format", "solo"),
    ]);
    let response = app.post_form("/activities", &ahead).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("more than a day in the future"));

    let response = app.post_form("/activities", &fields).await;
    assert_eq!(response.status(), Status::Forbidden, "no CSRF token");
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0);
}

#[rocket::async_test]
async fn the_list_page_shows_times_in_the_members_time_zone_and_pages_through() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    set_timezone(&app, ann, "Asia/Tokyo").await;
    app.login_as("ann").await;
    record(&app, activity("2026-01-10T15:00:00Z", 30, "practice")).await;
    let (_, page, _, _) = get_text(&app, "/activities").await;
    assert!(page.contains("2026-01-11 00:00"), "15:00 UTC is midnight in Tokyo");
    assert!(unescape(&page).contains("Asia/Tokyo"));
    set_timezone(&app, ann, "").await;
    let (_, page, _, _) = get_text(&app, "/activities").await;
    assert!(page.contains("2026-01-10 15:00") && page.contains("UTC"), "no zone: UTC");

    for hours in 1..=3 {
        record(&app, activity(&hours_ago(hours), 10, "lesson")).await;
    }
    let (_, first, _, _) = get_text(&app, "/activities?per_page=2").await;
    assert!(first.contains("Page 1 of 2"));
    assert!(unescape(&first).contains("/activities?per_page=2&page=2"), "a link to older entries");
    let (_, lessons, _, _) = get_text(&app, "/activities?type=lesson&per_page=2&page=2").await;
    assert!(lessons.contains("Page 2 of 2") && lessons.contains("30 minutes"), "filters are kept");
    assert!(unescape(&lessons).contains("/activities?type=lesson&per_page=2&page=1"));

    let response = app.client.get("/activities?from=someday&type=yoga").dispatch().await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Use a date (YYYY-MM-DD)") && html.contains("There is no activity type"));
}

#[rocket::async_test]
async fn a_coach_records_for_a_member_through_the_pages_and_sees_them_on_the_coach_page() {
    let app = TestApp::spawn().await;
    let coach = app.create_user("cy", &[Role::Member, Role::Coach]).await;
    let mia = app.create_user("mia", &[Role::Member]).await;
    let ned = app.create_user("ned", &[Role::Member]).await;
    set_coach(&app, mia, coach).await;
    set_display_name(&app, mia, "Mia <Moss>").await;
    set_display_name(&app, ned, "Ned Nobody").await;
    set_timezone(&app, mia, "America/New_York").await;
    app.login_as("cy").await;

    let (status, page, _, _) = get_text(&app, "/coach").await;
    assert_eq!(status, Status::Ok);
    assert!(unescape(&page).contains(&format!("/activities?member_id={mia}")));
    assert!(page.contains("Mia &lt;Moss&gt;"));
    assert!(!page.contains("Ned Nobody"), "only the members they coach");

    let (status, form, _, _) = get_text(&app, &format!("/activities/new?member_id={mia}")).await;
    assert_eq!(status, Status::Ok);
    assert!(form.contains("name=\"member_id\""), "coaches choose whom it is for");
    assert!(form.contains(&format!("value=\"{mia}\" selected")));
    assert!(!form.contains("Ned Nobody"));
    assert!(unescape(&form).contains("America/New_York"), "the time is read in the member's zone");
    assert_eq!(
        app.client.get(format!("/activities/new?member_id={ned}")).dispatch().await.status(),
        Status::Forbidden
    );

    let token = extract_csrf(&form).unwrap();
    let mia_id = mia.to_string();
    let response = app
        .post_form(
            "/activities",
            &[
                ("csrf_token", &token),
                ("member_id", &mia_id),
                ("started_local", "2026-01-10T18:30"),
                ("duration_minutes", "60"),
                ("type", "lesson"),
                ("format", "coached"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), format!("/activities?member_id={mia}"));
    let (_, list) = app.json(&format!("/api/v1/activities?member_id={mia}")).await;
    assert_eq!(list["items"][0]["started_at"], "2026-01-10T23:30:00Z");
    let (_, page, _, _) = get_text(&app, &format!("/activities?member_id={mia}")).await;
    assert!(page.contains("Activities of Mia &lt;Moss&gt;"));
    assert!(page.contains("2026-01-10 18:30") && unescape(&page).contains("America/New_York"));

    let ned_id = ned.to_string();
    let response = app
        .post_form(
            "/activities",
            &[
                ("csrf_token", &token),
                ("member_id", &ned_id),
                ("started_local", "2026-01-10T18:30"),
                ("duration_minutes", "60"),
                ("type", "lesson"),
                ("format", "coached"),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 1);

    app.login_as("mia").await;
    assert_eq!(app.client.get("/coach").dispatch().await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn an_admin_manages_activity_types_through_the_page() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (_, home, _, _) = get_text(&app, "/admin").await;
    assert!(home.contains("href=\"/admin/activity-types\""), "linked from the admin home");
    let (status, page, _, _) = get_text(&app, "/admin/activity-types").await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("Practice") && page.contains("Competition"));
    let token = extract_csrf(&page).unwrap();

    let response = app
        .post_form(
            "/admin/activity-types",
            &[("csrf_token", &token), ("key", "walk"), ("label", "Walk <dog>"), ("position", "")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, page, _, _) = get_text(&app, "/admin/activity-types").await;
    assert!(page.contains("Walk &lt;dog&gt;"), "added, escaped");
    let walk = type_id(&app, "walk").await;

    let response = app
        .post_form(
            "/admin/activity-types",
            &[("csrf_token", &token), ("key", "Bad Key"), ("label", "x")],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Use lowercase letters and digits") && html.contains("value=\"Bad Key\"")
    );
    let response = app
        .post_form(
            "/admin/activity-types",
            &[("csrf_token", &token), ("key", "walk"), ("label", "Again")],
        )
        .await;
    assert_eq!(response.status(), Status::Conflict);

    let response = app
        .post_form(
            &format!("/admin/activity-types/{walk}"),
            &[("csrf_token", &token), ("label", "Dog walk"), ("position", "0")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let response = app
        .post_form(
            &format!("/admin/activity-types/{walk}"),
            &[("csrf_token", &token), ("label", ""), ("position", "0")],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let (_, types) = app.json("/api/v1/activity-types").await;
    assert_eq!(
        (types[0]["key"].clone(), types[0]["label"].clone()),
        (json!("walk"), json!("Dog walk"))
    );

    let archive = app
        .post_form(&format!("/admin/activity-types/{walk}/archive"), &[("csrf_token", &token)])
        .await;
    assert_eq!(archive.status(), Status::SeeOther);
    assert!(!app.json("/api/v1/activity-types").await.1.to_string().contains("\"walk\""));
    let restore = app
        .post_form(&format!("/admin/activity-types/{walk}/restore"), &[("csrf_token", &token)])
        .await;
    assert_eq!(restore.status(), Status::SeeOther);
    assert!(app.json("/api/v1/activity-types").await.1.to_string().contains("\"walk\""));

    record(&app, activity(&hours_ago(1), 30, "walk")).await;
    let delete = app
        .post_form(&format!("/admin/activity-types/{walk}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(delete.status(), Status::SeeOther);
    let (_, page, _, _) = get_text(&app, "/admin/activity-types").await;
    assert!(page.contains("archived instead"), "the flash says it was archived: {page}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM activity_types WHERE key = 'walk' AND archived_at IS NOT NULL"
        )
        .await,
        1
    );

    let practice = type_id(&app, "competition").await;
    let delete = app
        .post_form(&format!("/admin/activity-types/{practice}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(delete.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM activity_types WHERE key = 'competition'").await, 0);
    let without = app.post_form(&format!("/admin/activity-types/{walk}/restore"), &[]).await;
    assert_eq!(without.status(), Status::Forbidden, "no CSRF token");
}

#[rocket::async_test]
async fn scripts_record_activities_with_an_api_token() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    let body = json!({"login": "ann", "password": PASSWORD}).to_string();
    let response =
        app.client.post("/api/v1/auth/token").header(ContentType::JSON).body(body).dispatch().await;
    let token = body_json(response).await["access_token"].as_str().unwrap().to_string();
    let response = app
        .client
        .post("/api/v1/activities")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(activity(&hours_ago(1), 30, "practice").to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created);
}

#[rocket::async_test]
async fn the_edit_form_keeps_a_coach_who_has_left_so_saving_loses_nothing() {
    let app = TestApp::spawn().await;
    let coach = app.create_user("cy", &[Role::Member, Role::Coach]).await;
    set_display_name(&app, coach, "Coach Cy").await;
    app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;
    let mut body = activity(&hours_ago(3), 30, "lesson");
    body["coach_id"] = json!(coach);
    let id = record(&app, body).await;
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'cy'").await;

    assert!(!get_text(&app, "/activities/new").await.1.contains("Coach Cy"), "no longer offered");
    let (_, edit, _, _) = get_text(&app, &format!("/activities/{id}/edit")).await;
    assert!(edit.contains(&format!("value=\"{coach}\" selected")), "still the entry's coach");
    let token = extract_csrf(&edit).unwrap();
    let coach_id = coach.to_string();
    let response = app
        .post_form(
            &format!("/activities/{id}/edit"),
            &[
                ("csrf_token", &token),
                ("started_local", "2026-01-10T10:00"),
                ("duration_minutes", "31"),
                ("type", "lesson"),
                ("format", "coached"),
                ("coach_id", &coach_id),
            ],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(app.json(&format!("/api/v1/activities/{id}")).await.1["coach"]["id"], coach);
}

#[rocket::async_test]
async fn activity_notes_with_control_characters_are_refused_on_the_api_and_the_form() {
    let app = TestApp::spawn().await;
    app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;
    let escape = "Spins\u{1b}]0;owned\u{7}";
    let mut body = activity(&hours_ago(1), 30, "practice");
    body["notes"] = json!(escape);
    let (status, err) = app.post_json("/api/v1/activities", body.clone()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["fields"]["notes"].is_string(), "{err}");
    body["notes"] = json!("line one\nline two\tindented");
    let (status, created) = app.post_json("/api/v1/activities", body).await;
    assert_eq!(status, Status::Created, "line breaks and tabs are fine: {created}");

    let token = app.csrf_token("/activities/new").await;
    let started = (Utc::now() - Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let fields = [
        ("csrf_token", token.as_str()),
        ("started_local", started.as_str()),
        ("duration_minutes", "30"),
        ("type", "practice"),
        ("format", "solo"),
        ("notes", escape),
    ];
    let response = app.post_form("/activities", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("control characters"), "the form says what is wrong");
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 1);
}
