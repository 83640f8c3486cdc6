//! Bookings: services, members' requests and cancellations, admins' decisions and completion,
//! and the private calendar feed.

use chrono::{Duration, TimeZone};
use clubroom::accounts::model::{Role, UserStatus};
use clubroom::clock::Clock;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::*;

const KIM: &str = "kim@example.org";

/// The app's now plus `hours`, as RFC 3339.
fn at(app: &TestApp, hours: i64) -> String {
    (app.clock.now() + Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The first column of the first row of a query built at run time.
async fn scalar<T: rusqlite::types::FromSql + Send + 'static>(app: &TestApp, sql: String) -> T {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

/// An admin (logged in afterwards), a member `kim`, and a 45-minute service; returns its id.
async fn club(app: &TestApp) -> i64 {
    app.as_admin().await;
    app.create_user("kim", &[Role::Member]).await;
    let (status, body) = app
        .post_json(
            "/api/v1/admin/services",
            json!({"name": "Private lesson", "duration_minutes": 45, "notes": "Bring skates."}),
        )
        .await;
    assert_eq!(status, Status::Created, "{body}");
    body["id"].as_i64().unwrap()
}

/// Books `service` at `start` as whoever is logged in; returns the booking id.
async fn book(app: &TestApp, service: i64, start: &str, notes: &str) -> i64 {
    let body = json!({"service_id": service, "requested_start": start, "notes": notes});
    let (status, booking) = app.post_json("/api/v1/bookings", body).await;
    assert_eq!(status, Status::Created, "{booking}");
    booking["id"].as_i64().unwrap()
}

async fn decide(app: &TestApp, id: i64, what: &str, message: &str) -> (Status, Value) {
    app.post_json(&format!("/api/v1/admin/bookings/{id}/{what}"), json!({"message": message})).await
}

async fn delete(app: &TestApp, path: &str) -> (Status, Value) {
    app.send_json(Method::Delete, path, json!({})).await
}

/// A GET without a session: what a phone calendar does.
async fn fetch(app: &TestApp, path: &str) -> (Status, Option<String>, Option<String>, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    let status = response.status();
    let ct = response.headers().get_one("Content-Type").map(str::to_string);
    let cache = response.headers().get_one("Cache-Control").map(str::to_string);
    (status, ct, cache, response.into_string().await.unwrap_or_default())
}

fn path_of(url: &str) -> String {
    url.trim_start_matches("http://127.0.0.1:8000").to_string()
}

fn location(response: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

// ----- services -----

#[rocket::async_test]
async fn admins_create_edit_archive_and_delete_services() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    let (status, spare) = app
        .post_json("/api/v1/admin/services", json!({"name": "Sharpening", "duration_minutes": 15}))
        .await;
    assert_eq!(status, Status::Created);
    let spare = spare["id"].as_i64().unwrap();

    let (status, edited) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/admin/services/{lesson}"),
            json!({"name": "Private lesson", "duration_minutes": 60, "notes": ""}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{edited}");
    assert_eq!(edited["duration_minutes"], 60);
    assert_eq!(edited["notes"], "");

    // A service nobody booked is deleted outright.
    let (status, removed) = delete(&app, &format!("/api/v1/admin/services/{spare}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(removed["result"], "deleted");
    assert_eq!(app.count("SELECT count(*) FROM services").await, 1);

    // A booked one is archived instead, and members can no longer see or book it.
    app.login_as("kim").await;
    book(&app, lesson, &at(&app, 24), "").await;
    app.login_as("admin").await;
    let (status, removed) = delete(&app, &format!("/api/v1/admin/services/{lesson}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(removed["result"], "archived", "{removed}");
    let (_, all) = app.json("/api/v1/admin/services").await;
    assert_eq!(all[0]["archived"], true);
    assert_eq!(all[0]["bookings"], 1);
    app.login_as("kim").await;
    assert_eq!(app.json("/api/v1/services").await.1, json!([]));

    // Restoring makes it bookable again.
    app.login_as("admin").await;
    let body = json!({"name": "Private lesson", "duration_minutes": 60, "archived": false});
    let path = format!("/api/v1/admin/services/{lesson}");
    assert_eq!(app.send_json(Method::Put, &path, body).await.0, Status::Ok);
    app.login_as("kim").await;
    let (_, services) = app.json("/api/v1/services").await;
    assert_eq!(services.as_array().unwrap().len(), 1);
    assert_eq!(services[0]["name"], "Private lesson");
    assert!(services[0].get("bookings").is_none(), "members do not see the counts");

    let kinds: i64 = scalar(
        &app,
        "SELECT count(*) FROM audit_log WHERE kind IN ('service_created', 'service_updated',
             'service_deleted', 'service_archived')"
            .into(),
    )
    .await;
    assert!(kinds >= 5, "service changes are audited ({kinds})");
}

#[rocket::async_test]
async fn service_fields_are_checked_and_named() {
    let app = TestApp::spawn().await;
    club(&app).await;
    let cases = [
        (json!({"name": "", "duration_minutes": 30}), "name"),
        (json!({"name": "x".repeat(81), "duration_minutes": 30}), "name"),
        (json!({"name": "Walk", "duration_minutes": 4}), "duration_minutes"),
        (json!({"name": "Walk", "duration_minutes": 1441}), "duration_minutes"),
        (json!({"name": "Walk"}), "duration_minutes"),
        (json!({"name": "Walk", "duration_minutes": 30, "notes": "n".repeat(1001)}), "notes"),
        (json!({"name": "Walk", "duration_minutes": "long"}), "duration_minutes"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json("/api/v1/admin/services", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let body = json!({"name": "Walk", "duration_minutes": 30, "price": 5});
    let (status, err) = app.post_json("/api/v1/admin/services", body).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["message"].as_str().unwrap().contains("unknown field `price`"), "{err}");
    let (status, err) = app
        .post_json(
            "/api/v1/admin/services",
            json!({"name": "private LESSON", "duration_minutes": 30}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "names of bookable services are unique");
    assert!(err["error"]["fields"]["name"].is_string());
    let (status, _) = app
        .send_json(
            Method::Put,
            "/api/v1/admin/services/999",
            json!({"name": "X", "duration_minutes": 30}),
        )
        .await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(app.count("SELECT count(*) FROM services").await, 1);
}

#[rocket::async_test]
async fn admins_manage_services_through_the_page() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let home = app.client.get("/admin").dispatch().await.into_string().await.unwrap();
    assert!(home.contains("href=\"/admin/services\""), "linked from the admin home");

    let token = app.csrf_token("/admin/services").await;
    let response = app
        .post_form(
            "/admin/services",
            &[("csrf_token", &token), ("name", "Walk"), ("duration_minutes", "60"), ("notes", "")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let id: i64 = scalar(&app, "SELECT id FROM services WHERE name = 'Walk'".into()).await;

    let bad = [("csrf_token", token.as_str()), ("name", "Walk"), ("duration_minutes", "2")];
    let response = app.post_form(&format!("/admin/services/{id}"), &bad).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("from 5 to 1440"), "the form shows what is wrong");
    assert!(html.contains("Edit Walk"), "the edit form is shown again");

    let edit = app.client.get(format!("/admin/services/{id}/edit")).dispatch().await;
    assert_eq!(edit.status(), Status::Ok);
    let good = [
        ("csrf_token", token.as_str()),
        ("name", "Long walk"),
        ("duration_minutes", "90"),
        ("notes", "Boots; water"),
    ];
    let response = app.post_form(&format!("/admin/services/{id}"), &good).await;
    assert_eq!(response.status(), Status::SeeOther);
    let name: String = scalar(&app, format!("SELECT name FROM services WHERE id = {id}")).await;
    assert_eq!(name, "Long walk");

    let archive = [("csrf_token", token.as_str())];
    let response = app.post_form(&format!("/admin/services/{id}/archive"), &archive).await;
    assert_eq!(response.status(), Status::SeeOther);
    let archived: Option<i64> =
        scalar(&app, format!("SELECT archived_at FROM services WHERE id = {id}")).await;
    assert!(archived.is_some());
    let response = app.post_form(&format!("/admin/services/{id}/restore"), &archive).await;
    assert_eq!(response.status(), Status::SeeOther);
    let response = app.post_form(&format!("/admin/services/{id}/delete"), &archive).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM services").await, 0);
}

// ----- members' bookings -----

#[rocket::async_test]
async fn a_member_requests_a_booking_and_finds_it_in_their_list() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let start = at(&app, 48);
    let (status, booking) = app
        .post_json(
            "/api/v1/bookings",
            json!({"service_id": lesson, "requested_start": start, "notes": "Left turns"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{booking}");
    assert_eq!(booking["status"], "pending");
    assert_eq!(booking["service_name"], "Private lesson");
    assert_eq!(booking["requested_start"], start);
    assert_eq!(booking["duration_minutes"], 45, "the service's length");
    assert_eq!(booking["can_cancel"], true);
    let id = booking["id"].as_i64().unwrap();

    let later = book(&app, lesson, &at(&app, 72), "").await;
    let (status, list) = app.json("/api/v1/bookings").await;
    assert_eq!(status, Status::Ok);
    let ids: Vec<i64> =
        list.as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [later, id], "latest requested start first");
    let (status, one) = app.json(&format!("/api/v1/bookings/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(one["notes"], "Left turns");
    assert_eq!(app.json("/api/v1/bookings?status=confirmed").await.1, json!([]));
    assert_eq!(app.json("/api/v1/bookings?status=pending").await.1.as_array().unwrap().len(), 2);
    assert_eq!(app.json("/api/v1/bookings?status=maybe").await.0, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_member_books_through_the_page_in_their_own_time_zone() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.exec("UPDATE users SET timezone = 'America/New_York' WHERE username = 'kim'").await;
    app.login_as("kim").await;
    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("Private lesson (45 min)"), "the service can be chosen");
    assert!(page.contains("type=\"datetime-local\""));
    assert!(unescape(&page).contains("Your time zone: America/New_York"));

    let ny = chrono_tz::America::New_York;
    let local = (app.clock.now() + Duration::days(3)).with_timezone(&ny);
    let local = local.date_naive().and_hms_opt(18, 30, 0).unwrap();
    let expected = ny.from_local_datetime(&local).unwrap().timestamp();
    let value = local.format("%Y-%m-%dT%H:%M").to_string();
    let token = app.csrf_token("/bookings").await;
    let service = lesson.to_string();
    let fields = [
        ("csrf_token", token.as_str()),
        ("service_id", service.as_str()),
        ("requested_start", value.as_str()),
        ("notes", "<b>first time</b>"),
    ];
    let response = app.post_form("/bookings", &fields).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/bookings");
    let start: i64 = scalar(&app, "SELECT requested_start FROM bookings".into()).await;
    assert_eq!(start, expected, "18:30 in New York, stored as UTC");

    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("18:30"), "shown in the member's zone");
    assert!(page.contains("&lt;b&gt;first time&lt;&#x2F;b&gt;"), "notes are escaped");
    assert!(page.contains("Cancel this booking"));

    // A time in the past comes back with the form and the field named.
    let past = (app.clock.now() - Duration::days(1)).with_timezone(&ny);
    let past = past.format("%Y-%m-%dT%H:%M").to_string();
    let fields = [
        ("csrf_token", token.as_str()),
        ("service_id", service.as_str()),
        ("requested_start", past.as_str()),
    ];
    let response = app.post_form("/bookings", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Choose a time in the future."));
    assert!(html.contains(&format!("value=\"{past}\"")), "the typed time is kept");
    assert_eq!(app.count("SELECT count(*) FROM bookings").await, 1);

    // Without the CSRF token nothing happens.
    let response = app.post_form("/bookings", &fields[1..]).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM bookings").await, 1);
}

#[rocket::async_test]
async fn booking_requests_name_the_field_that_is_wrong() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    let (_, old) = app
        .post_json("/api/v1/admin/services", json!({"name": "Old clinic", "duration_minutes": 60}))
        .await;
    let old = old["id"].as_i64().unwrap();
    delete(&app, &format!("/api/v1/admin/services/{old}")).await;
    app.login_as("kim").await;
    let future = at(&app, 24);
    let cases = [
        (json!({"service_id": lesson, "requested_start": at(&app, -1)}), "requested_start"),
        (json!({"service_id": lesson, "requested_start": "tomorrow at six"}), "requested_start"),
        (json!({"service_id": lesson, "requested_start": "2026-03-01T18:30"}), "requested_start"),
        (json!({"service_id": lesson}), "requested_start"),
        (json!({"service_id": lesson, "requested_start": at(&app, 24 * 800)}), "requested_start"),
        (json!({"service_id": 9999, "requested_start": future}), "service_id"),
        (json!({"service_id": old, "requested_start": future}), "service_id"),
        (json!({"requested_start": future}), "service_id"),
        (
            json!({"service_id": lesson, "requested_start": future, "notes": "n".repeat(1001)}),
            "notes",
        ),
        (json!({"service_id": "one", "requested_start": future}), "service_id"),
    ];
    for (body, field) in cases {
        let (status, err) = app.post_json("/api/v1/bookings", body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let body = json!({"service_id": lesson, "requested_start": future, "status": "confirmed"});
    let (status, err) = app.post_json("/api/v1/bookings", body).await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused: {err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("unknown field"), "{err}");
    assert_eq!(app.count("SELECT count(*) FROM bookings").await, 0);
}

#[rocket::async_test]
async fn pending_and_future_confirmed_bookings_can_be_cancelled_but_no_others() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let pending = book(&app, lesson, &at(&app, 24), "").await;
    let confirmed = book(&app, lesson, &at(&app, 48), "").await;
    let started = book(&app, lesson, &at(&app, 2), "").await;
    let declined = book(&app, lesson, &at(&app, 72), "").await;
    app.login_as("admin").await;
    for id in [confirmed, started] {
        assert_eq!(decide(&app, id, "confirm", "").await.0, Status::Ok);
    }
    assert_eq!(decide(&app, declined, "decline", "").await.0, Status::Ok);
    app.login_as("kim").await;
    app.advance(Duration::hours(3));

    let cancel = |id: i64| format!("/api/v1/bookings/{id}/cancel");
    let (status, body) = app.post_json(&cancel(pending), json!({})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["can_cancel"], false);
    let (status, body) = app.post_json(&cancel(confirmed), json!({})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["status"], "cancelled");

    let (status, err) = app.post_json(&cancel(started), json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["message"].as_str().unwrap().contains("already started"), "{err}");
    let (status, err) = app.post_json(&cancel(declined), json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["message"].as_str().unwrap().contains("declined"), "{err}");
    let (status, err) = app.post_json(&cancel(pending), json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["message"].as_str().unwrap().contains("already cancelled"), "{err}");
    let status: String =
        scalar(&app, format!("SELECT status FROM bookings WHERE id = {started}")).await;
    assert_eq!(status, "confirmed");
}

#[rocket::async_test]
async fn a_member_cancels_through_the_page() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let id = book(&app, lesson, &at(&app, 24), "").await;
    let token = app.csrf_token("/bookings").await;
    let response =
        app.post_form(&format!("/bookings/{id}/cancel"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    let again = app.post_form(&format!("/bookings/{id}/cancel"), &[("csrf_token", &token)]).await;
    assert_eq!(again.status(), Status::Conflict, "the page says why");
    assert!(again.into_string().await.unwrap().contains("already cancelled"));
    let status: String = scalar(&app, format!("SELECT status FROM bookings WHERE id = {id}")).await;
    assert_eq!(status, "cancelled");
}

// ----- admins' decisions -----

#[rocket::async_test]
async fn confirming_and_declining_email_the_member_with_the_message() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let first = book(&app, lesson, &at(&app, 24), "").await;
    let second = book(&app, lesson, &at(&app, 48), "").await;
    app.login_as("admin").await;

    let (status, body) = decide(&app, first, "confirm", "See you at rink 2.").await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["status"], "confirmed");
    assert_eq!(body["admin_message"], "See you at rink 2.");
    let mail = app.emails_to(KIM).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.starts_with("Confirmed: Private lesson"), "{}", mail[0].subject);
    assert!(mail[0].text.contains("See you at rink 2."));
    assert!(mail[0].text.contains("http://127.0.0.1:8000/bookings"));
    assert!(mail[0].html.contains("See you at rink 2."));

    let (status, body) = decide(&app, second, "decline", "The coach is away that week.").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["status"], "declined");
    let mail = app.emails_to(KIM).await;
    assert_eq!(mail.len(), 2);
    assert!(mail[1].subject.starts_with("Not possible"), "{}", mail[1].subject);
    assert!(mail[1].text.contains("The coach is away that week."));

    // Only pending bookings can be decided, and nobody is emailed for a refused decision.
    let (status, err) = decide(&app, first, "decline", "").await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["message"].as_str().unwrap().contains("confirmed"), "{err}");
    assert_eq!(decide(&app, second, "confirm", "").await.0, Status::Conflict);
    assert_eq!(decide(&app, 999, "confirm", "").await.0, Status::NotFound);
    let (status, err) = app
        .post_json(&format!("/api/v1/admin/bookings/{second}/confirm"), json!({"note": "x"}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(app.emails_to(KIM).await.len(), 2);

    let audited = app
        .count(
            "SELECT count(*) FROM audit_log WHERE kind IN ('booking_confirmed', 'booking_declined')
                AND actor_user_id = (SELECT id FROM users WHERE username = 'admin')",
        )
        .await;
    assert_eq!(audited, 2, "decisions are audited");
    app.login_as("kim").await;
    let (_, mine) = app.json(&format!("/api/v1/bookings/{second}")).await;
    assert_eq!(mine["admin_message"], "The coach is away that week.");
}

#[rocket::async_test]
async fn admins_decide_through_the_page_and_long_messages_are_refused() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let first = book(&app, lesson, &at(&app, 24), "Beginner").await;
    let second = book(&app, lesson, &at(&app, 48), "").await;
    app.login_as("admin").await;
    let page = app.client.get("/admin/bookings").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("Beginner") && page.contains("kim"), "the list names the member");

    let token = app.csrf_token("/admin/bookings").await;
    let long = "m".repeat(1001);
    let response = app
        .post_form(
            &format!("/admin/bookings/{first}/confirm"),
            &[("csrf_token", &token), ("message", &long)],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("at most 1000"));
    let response = app
        .post_form(
            &format!("/admin/bookings/{first}/confirm"),
            &[("csrf_token", &token), ("message", "Rink 2")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let response = app
        .post_form(
            &format!("/admin/bookings/{second}/decline"),
            &[("csrf_token", &token), ("message", "Full")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let statuses: String = scalar(
        &app,
        "SELECT group_concat(status || ':' || admin_message, ',') FROM bookings ORDER BY id".into(),
    )
    .await;
    assert_eq!(statuses, "confirmed:Rink 2,declined:Full");
    let mail = app.emails_to(KIM).await;
    assert_eq!(mail.len(), 2);
    assert!(mail[0].text.contains("Rink 2") && mail[1].text.contains("Full"));
}

#[rocket::async_test]
async fn the_admin_list_filters_by_status_and_date() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.create_user("bo", &[Role::Member]).await;
    app.exec("UPDATE users SET display_name = 'Bo Berg' WHERE username = 'bo'").await;
    app.login_as("kim").await;
    let soon = book(&app, lesson, &at(&app, 24), "").await;
    let later = book(&app, lesson, &at(&app, 24 * 10), "").await;
    app.login_as("bo").await;
    let bos = book(&app, lesson, &at(&app, 24 * 20), "").await;
    app.login_as("admin").await;
    decide(&app, soon, "confirm", "").await;

    let ids = |v: &Value| -> Vec<i64> {
        v.as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect()
    };
    let (status, all) = app.json("/api/v1/admin/bookings").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ids(&all), [bos, later, soon]);
    assert_eq!(all[0]["member"]["name"], "Bo Berg");
    assert_eq!(all[2]["member"]["username"], "kim");
    assert_eq!(ids(&app.json("/api/v1/admin/bookings?status=pending").await.1), [bos, later]);
    assert_eq!(ids(&app.json("/api/v1/admin/bookings?status=confirmed").await.1), [soon]);

    let day = |days: i64| (app.clock.now() + Duration::days(days)).format("%Y-%m-%d").to_string();
    let (_, range) =
        app.json(&format!("/api/v1/admin/bookings?from={}&to={}", day(5), day(15))).await;
    assert_eq!(ids(&range), [later]);
    let (_, to_day) = app.json(&format!("/api/v1/admin/bookings?to={}", day(10))).await;
    assert_eq!(ids(&to_day), [later, soon], "the end date is included");

    for (query, field) in
        [("status=maybe", "status"), ("from=soon", "from"), ("from=2026-02-10&to=2026-02-01", "to")]
    {
        let (status, err) = app.json(&format!("/api/v1/admin/bookings?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}");
        assert!(err["error"]["fields"][field].is_string(), "{query}: {err}");
    }

    let page = app
        .client
        .get("/admin/bookings?status=confirmed")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(page.contains(&format!("id=\"booking-{soon}\"")));
    assert!(!page.contains(&format!("id=\"booking-{later}\"")));
    let bad = app.client.get("/admin/bookings?from=soon").dispatch().await;
    assert_eq!(bad.status(), Status::UnprocessableEntity, "the page names the bad filter");
}

#[rocket::async_test]
async fn completing_a_booking_records_an_activity_once_it_has_started() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let start = at(&app, 2);
    let id = book(&app, lesson, &start, "").await;
    let other = book(&app, lesson, &at(&app, 1), "").await;
    app.login_as("admin").await;
    let complete = |id: i64| format!("/api/v1/admin/bookings/{id}/complete");

    let (status, err) = app.post_json(&complete(id), json!({})).await;
    assert_eq!(status, Status::Conflict, "pending: {err}");
    decide(&app, id, "confirm", "").await;
    decide(&app, other, "confirm", "").await;
    let (status, err) = app.post_json(&complete(id), json!({})).await;
    assert_eq!(status, Status::Conflict, "not started yet: {err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("not started"));
    assert_eq!(app.count("SELECT count(*) FROM activities").await, 0);

    app.advance(Duration::hours(3));
    for (body, field) in
        [(json!({"type": "skydiving"}), "type"), (json!({"format": "alone"}), "format")]
    {
        let (status, err) = app.post_json(&complete(id), body).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(err["error"]["fields"][field].is_string(), "{err}");
    }
    let (status, done) = app.post_json(&complete(id), json!({})).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["status"], "completed");
    let activity = done["activity_id"].as_i64().unwrap();

    let row: String = scalar(
        &app,
        format!(
            "SELECT a.user_id || '|' || a.started_at || '|' || a.duration_minutes || '|' || t.key
                    || '|' || a.format || '|' || a.notes || '|' || a.recorded_by
               FROM activities a JOIN activity_types t ON t.id = a.type_id WHERE a.id = {activity}"
        ),
    )
    .await;
    let kim: i64 = scalar(&app, "SELECT id FROM users WHERE username = 'kim'".into()).await;
    let admin: i64 = scalar(&app, "SELECT id FROM users WHERE username = 'admin'".into()).await;
    let started = chrono::DateTime::parse_from_rfc3339(&start).unwrap().timestamp();
    assert_eq!(row, format!("{kim}|{started}|45|practice|coached|Private lesson|{admin}"));
    let linked: i64 =
        scalar(&app, format!("SELECT activity_id FROM bookings WHERE id = {id}")).await;
    assert_eq!(linked, activity);
    assert_eq!(app.post_json(&complete(id), json!({})).await.0, Status::Conflict, "only once");
    let audited: i64 = scalar(
        &app,
        format!("SELECT count(*) FROM audit_log WHERE kind = 'booking_completed' AND target = 'booking:{id}'"),
    )
    .await;
    assert_eq!(audited, 1);

    // A chosen type and format, through the page.
    let token = app.csrf_token("/admin/bookings").await;
    let response = app
        .post_form(
            &format!("/admin/bookings/{other}/complete"),
            &[("csrf_token", &token), ("type", "lesson"), ("format", "solo")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let row: String = scalar(
        &app,
        format!(
            "SELECT t.key || '|' || a.format FROM bookings b JOIN activities a ON a.id = b.activity_id
               JOIN activity_types t ON t.id = a.type_id WHERE b.id = {other}"
        ),
    )
    .await;
    assert_eq!(row, "lesson|solo");
}

#[rocket::async_test]
async fn completing_uses_the_first_active_activity_type_and_never_a_retired_one() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.exec("UPDATE activity_types SET archived_at = 1 WHERE key = 'practice'").await;
    app.login_as("kim").await;
    let a = book(&app, lesson, &at(&app, 1), "").await;
    app.login_as("admin").await;
    decide(&app, a, "confirm", "").await;
    app.advance(Duration::hours(2));
    let path = format!("/api/v1/admin/bookings/{a}/complete");
    let (status, err) = app.post_json(&path, json!({"type": "practice"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "a retired type: {err}");
    assert_eq!(app.post_json(&path, json!({})).await.0, Status::Ok);
    let key: String = scalar(
        &app,
        format!(
            "SELECT t.key FROM bookings b JOIN activities a ON a.id = b.activity_id
               JOIN activity_types t ON t.id = a.type_id WHERE b.id = {a}"
        ),
    )
    .await;
    assert_eq!(key, "lesson");
}

// ----- the calendar feed -----

#[rocket::async_test]
async fn the_calendar_feed_holds_confirmed_bookings_as_icalendar() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let tricky = "Bring: skates; gloves, helmet\nand \\ water";
    let confirmed = book(&app, lesson, &at(&app, 24), tricky).await;
    let long = "A very long note that goes on and on about edges, turns and spins for the coach";
    let second = book(&app, lesson, &at(&app, 48), long).await;
    let pending = book(&app, lesson, &at(&app, 72), "").await;
    let declined = book(&app, lesson, &at(&app, 96), "").await;
    app.login_as("admin").await;
    decide(&app, confirmed, "confirm", "Rink 2").await;
    decide(&app, second, "confirm", "").await;
    decide(&app, declined, "decline", "").await;
    app.login_as("kim").await;

    assert_eq!(
        app.json("/api/v1/calendar-feed").await.1,
        json!({"url": null, "created_at": null, "last_used_at": null})
    );
    let (status, feed) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    assert_eq!(status, Status::Created);
    let url = feed["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:8000/calendar/") && url.ends_with(".ics"), "{url}");
    let (status, again) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    assert_eq!(status, Status::Ok, "the existing address is returned");
    assert_eq!(again["url"], url.as_str());
    assert_eq!(app.json("/api/v1/calendar-feed").await.1["url"], url.as_str());

    app.client.get("/").dispatch().await;
    let logout = app.post_json("/api/v1/auth/logout", json!({})).await.0;
    assert_eq!(logout, Status::Ok);
    let (status, ct, cache, body) = fetch(&app, &path_of(&url)).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(ct.as_deref(), Some("text/calendar; charset=utf-8"));
    assert_eq!(cache.as_deref(), Some("no-store"));

    assert!(body.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"), "{body}");
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    assert!(!body.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    assert!(body.split("\r\n").all(|line| line.len() <= 75), "lines are folded: {body}");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 2, "confirmed ones only: {body}");
    assert!(body.contains(&format!("UID:booking-{confirmed}@127.0.0.1\r\n")));
    assert!(body.contains(&format!("UID:booking-{second}@127.0.0.1\r\n")));
    assert!(
        !body.contains(&format!("booking-{pending}@"))
            && !body.contains(&format!("booking-{declined}@"))
    );
    assert!(body.contains("SUMMARY:Private lesson\r\n"));
    assert!(body.contains("DTSTAMP:"));
    let unfolded = body.replace("\r\n ", "");
    assert!(
        unfolded.contains("DESCRIPTION:Bring: skates\\; gloves\\, helmet\\nand \\\\ water\\n\\nFrom the club: Rink 2\r\n"),
        "{unfolded}"
    );
    assert!(
        unfolded.contains(&format!("DESCRIPTION:{}\r\n", long.replace(',', "\\,"))),
        "{unfolded}"
    );
    assert!(body.contains("\r\n "), "the long description was folded");
    let stamp = line_value(&unfolded, "DTSTART:");
    assert_eq!(stamp.len(), 16, "YYYYMMDDTHHMMSSZ: {stamp}");
    assert!(stamp.ends_with('Z') && stamp.chars().nth(8) == Some('T'));

    let used: Option<i64> = scalar(&app, "SELECT last_used_at FROM calendar_feeds".into()).await;
    assert!(used.is_some(), "the read is recorded");
}

/// The value after the first `prefix` line start.
fn line_value(body: &str, prefix: &str) -> String {
    let start = body.find(&format!("\r\n{prefix}")).unwrap() + 2 + prefix.len();
    body[start..].split("\r\n").next().unwrap().to_string()
}

#[rocket::async_test]
async fn a_revoked_feed_answers_404_and_a_new_one_has_a_new_address() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    book(&app, lesson, &at(&app, 24), "").await;
    let (_, feed) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    let old = path_of(feed["url"].as_str().unwrap());
    assert_eq!(fetch(&app, &old).await.0, Status::Ok);

    let (status, gone) = delete(&app, "/api/v1/calendar-feed").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(gone["url"], Value::Null);
    assert_eq!(fetch(&app, &old).await.0, Status::NotFound);
    assert_eq!(app.json("/api/v1/calendar-feed").await.1["url"], Value::Null);
    assert_eq!(delete(&app, "/api/v1/calendar-feed").await.0, Status::Ok, "twice is harmless");

    let (status, fresh) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    assert_eq!(status, Status::Created);
    let new = path_of(fresh["url"].as_str().unwrap());
    assert_ne!(new, old);
    assert_eq!(fetch(&app, &new).await.0, Status::Ok);
    assert_eq!(fetch(&app, &old).await.0, Status::NotFound);
    assert_eq!(fetch(&app, "/calendar/made-up-token.ics").await.0, Status::NotFound);
    assert_eq!(fetch(&app, &new.replace(".ics", ".txt")).await.0, Status::NotFound);

    let sealed: String = scalar(&app, "SELECT token_sealed FROM calendar_feeds".into()).await;
    let token = new.trim_start_matches("/calendar/").trim_end_matches(".ics");
    assert!(!sealed.contains(token), "the token is stored sealed");
}

#[rocket::async_test]
async fn a_disabled_members_feed_answers_404() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.login_as("kim").await;
    let (_, feed) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    let path = path_of(feed["url"].as_str().unwrap());
    assert_eq!(fetch(&app, &path).await.0, Status::Ok);
    app.exec("UPDATE users SET status = 'disabled' WHERE username = 'kim'").await;
    assert_eq!(fetch(&app, &path).await.0, Status::NotFound);
}

#[rocket::async_test]
async fn members_manage_their_feed_through_the_page() {
    let app = TestApp::spawn().await;
    club(&app).await;
    app.login_as("kim").await;
    let token = app.csrf_token("/bookings").await;
    let response = app.post_form("/bookings/calendar-feed", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    let url = extract_link(&unescape(&page), "http://127.0.0.1:8000/calendar/")
        .expect("the address is shown");
    assert!(page.contains("data-copy=\"#feed-url\""), "with a copy button");
    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("No calendar has read it yet."));
    assert_eq!(fetch(&app, &path_of(&url)).await.0, Status::Ok);
    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("Last read by a calendar"));

    let response = app.post_form("/bookings/calendar-feed/revoke", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(fetch(&app, &path_of(&url)).await.0, Status::NotFound);
    assert_eq!(app.count("SELECT count(*) FROM calendar_feeds").await, 0);
}

// ----- who may do what -----

#[rocket::async_test]
async fn signed_out_visitors_get_401_from_the_api_and_the_login_page_from_pages() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/bookings",
        "/api/v1/bookings/1",
        "/api/v1/services",
        "/api/v1/calendar-feed",
        "/api/v1/admin/bookings",
        "/api/v1/admin/services",
    ] {
        assert_eq!(app.json(path).await.0, Status::Unauthorized, "{path}");
    }
    let (status, _) = app.post_json("/api/v1/bookings", json!({"service_id": 1})).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(app.post_json("/api/v1/calendar-feed", json!({})).await.0, Status::Unauthorized);
    for path in ["/bookings", "/admin/bookings", "/admin/services"] {
        let response = app.client.get(path).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
}

#[rocket::async_test]
async fn members_who_are_not_yet_active_and_guests_cannot_book() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.create_user_with_status("newbie", &[Role::Member], UserStatus::Onboarding).await;
    app.login_as("newbie").await;
    let body = json!({"service_id": lesson, "requested_start": at(&app, 24)});
    let (status, err) = app.post_json("/api/v1/bookings", body.clone()).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "onboarding_incomplete");
    assert_eq!(app.json("/api/v1/bookings").await.0, Status::Forbidden);
    assert_eq!(app.post_json("/api/v1/calendar-feed", json!({})).await.0, Status::Forbidden);
    let response = app.client.get("/bookings").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), "/onboarding");

    app.create_user("visitor", &[Role::Guest]).await;
    app.login_as("visitor").await;
    let (status, err) = app.post_json("/api/v1/bookings", body).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(err["error"]["code"], "members_only");
    assert_eq!(app.count("SELECT count(*) FROM bookings").await, 0);
}

#[rocket::async_test]
async fn members_get_403_on_every_admin_route() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    let id = book(&app, lesson, &at(&app, 24), "").await;
    for path in ["/api/v1/admin/bookings", "/api/v1/admin/services"] {
        assert_eq!(app.json(path).await.0, Status::Forbidden, "{path}");
    }
    let posts = [
        ("/api/v1/admin/services".to_string(), json!({"name": "X", "duration_minutes": 30})),
        (format!("/api/v1/admin/bookings/{id}/confirm"), json!({})),
        (format!("/api/v1/admin/bookings/{id}/decline"), json!({})),
        (format!("/api/v1/admin/bookings/{id}/complete"), json!({})),
    ];
    for (path, body) in posts {
        assert_eq!(app.post_json(&path, body).await.0, Status::Forbidden, "{path}");
    }
    let put = app
        .send_json(
            Method::Put,
            &format!("/api/v1/admin/services/{lesson}"),
            json!({"name": "X", "duration_minutes": 30}),
        )
        .await;
    assert_eq!(put.0, Status::Forbidden);
    assert_eq!(
        delete(&app, &format!("/api/v1/admin/services/{lesson}")).await.0,
        Status::Forbidden
    );
    for path in ["/admin/bookings", "/admin/services"] {
        assert_eq!(app.client.get(path).dispatch().await.status(), Status::Forbidden, "{path}");
    }
    let token = app.csrf_token("/bookings").await;
    let response =
        app.post_form(&format!("/admin/bookings/{id}/confirm"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::Forbidden);
    let status: String = scalar(&app, format!("SELECT status FROM bookings WHERE id = {id}")).await;
    assert_eq!(status, "pending");
    assert_eq!(app.count("SELECT count(*) FROM services").await, 1);
}

#[rocket::async_test]
async fn a_member_can_neither_see_nor_cancel_another_members_booking() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("kim").await;
    let kims = book(&app, lesson, &at(&app, 24), "Private note").await;
    app.login_as("admin").await;
    decide(&app, kims, "confirm", "").await;

    app.login_as("bo").await;
    let (status, err) = app.json(&format!("/api/v1/bookings/{kims}")).await;
    assert_eq!(status, Status::NotFound);
    let (missing_status, missing) = app.json("/api/v1/bookings/99999").await;
    assert_eq!(missing_status, Status::NotFound);
    assert_eq!(err, missing, "someone else's booking looks like a missing one");
    let (status, _) = app.post_json(&format!("/api/v1/bookings/{kims}/cancel"), json!({})).await;
    assert_eq!(status, Status::NotFound);
    let token = app.csrf_token("/bookings").await;
    let response =
        app.post_form(&format!("/bookings/{kims}/cancel"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(app.json("/api/v1/bookings").await.1, json!([]));
    let page = app.client.get("/bookings").dispatch().await.into_string().await.unwrap();
    assert!(!page.contains("Private note"));

    let (_, feed) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    let (_, _, _, body) = fetch(&app, &path_of(feed["url"].as_str().unwrap())).await;
    assert!(!body.contains("BEGIN:VEVENT"), "Bo's feed has none of Kim's bookings");

    let status: String =
        scalar(&app, format!("SELECT status FROM bookings WHERE id = {kims}")).await;
    assert_eq!(status, "confirmed");
}

#[rocket::async_test]
async fn a_feed_that_can_no_longer_be_opened_counts_as_none_and_is_replaced() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    app.login_as("kim").await;
    book(&app, lesson, &at(&app, 24), "").await;
    let (_, feed) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    let old = path_of(feed["url"].as_str().unwrap());
    // What a replaced secret key leaves behind: a sealed token that does not open.
    app.exec("UPDATE calendar_feeds SET token_sealed = 'sealed:v1:AAAA', token_hash = x'00'").await;

    let (status, none) = app.json("/api/v1/calendar-feed").await;
    assert_eq!(status, Status::Ok, "{none}");
    assert_eq!(none["url"], Value::Null);
    let page = app.client.get("/bookings").dispatch().await;
    assert_eq!(page.status(), Status::Ok, "the bookings page shows no feed rather than failing");
    assert_eq!(fetch(&app, &old).await.0, Status::NotFound);

    let (status, fresh) = app.post_json("/api/v1/calendar-feed", json!({})).await;
    assert_eq!(status, Status::Created);
    let new = path_of(fresh["url"].as_str().unwrap());
    assert_ne!(new, old);
    assert_eq!(fetch(&app, &new).await.0, Status::Ok);
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM calendar_feeds".into()).await, 1);
}

#[rocket::async_test]
async fn notes_and_messages_with_control_characters_are_refused_on_the_api_and_the_form() {
    let app = TestApp::spawn().await;
    let lesson = club(&app).await;
    let escape = "Bring skates\u{1b}[2J\u{7}";
    let service = json!({"name": "Walk", "duration_minutes": 30, "notes": escape});
    let (status, err) = app.post_json("/api/v1/admin/services", service).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["fields"]["notes"].is_string(), "{err}");
    app.login_as("kim").await;
    let id = book(&app, lesson, &at(&app, 24), "line one\nline two\tindented").await;

    let body = json!({"service_id": lesson, "requested_start": at(&app, 48), "notes": escape});
    let (status, err) = app.post_json("/api/v1/bookings", body).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["fields"]["notes"].is_string(), "{err}");

    let token = app.csrf_token("/bookings").await;
    let service = lesson.to_string();
    let start = (app.clock.now() + Duration::days(3)).format("%Y-%m-%dT%H:%M").to_string();
    let fields = [
        ("csrf_token", token.as_str()),
        ("service_id", service.as_str()),
        ("requested_start", start.as_str()),
        ("notes", escape),
    ];
    let response = app.post_form("/bookings", &fields).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("control characters"), "the form says what is wrong");
    assert_eq!(app.count("SELECT count(*) FROM bookings").await, 1);

    app.login_as("admin").await;
    let (status, err) = decide(&app, id, "confirm", escape).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["fields"]["message"].is_string(), "{err}");
}
