//! The admin dashboard (figures, charts, tiles) and the organizer's rights in the admin area,
//! including an audit of every mounted admin route.

use chrono::{DateTime, Utc};
use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{extract_csrf, form_body, unescape, TestApp};

/// A Wednesday at noon: the current week starts Monday 15 July 2030.
const NOW: &str = "2030-07-17T12:00:00Z";

fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

/// Moves the app's clock to `NOW`.
fn pin_clock(app: &TestApp) {
    let target = DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc);
    app.advance(target - Utc::now());
}

/// Runs SQL statements in one transaction.
async fn sql(app: &TestApp, statements: String) {
    app.db().write(move |tx| Ok(tx.execute_batch(&statements)?)).await.unwrap();
}

async fn page(app: &TestApp, path: &str) -> (Status, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    (response.status(), response.into_string().await.unwrap_or_default())
}

fn tile<'a>(tiles: &'a Value, key: &str) -> &'a Value {
    tiles.as_array().unwrap().iter().find(|t| t["key"] == key).unwrap_or_else(|| panic!("{key}"))
}

fn values(chart: &Value) -> Vec<i64> {
    chart["points"].as_array().unwrap().iter().map(|p| p["value"].as_i64().unwrap()).collect()
}

fn chart<'a>(dash: &'a Value, key: &str) -> &'a Value {
    dash["charts"].as_array().unwrap().iter().find(|c| c["key"] == key).unwrap()
}

/// A club with something in every corner of the dashboard, the clock pinned to `NOW`.
/// Returns the admin's id.
async fn busy_club(app: &TestApp) -> i64 {
    pin_clock(app);
    let admin = app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    app.create_user_with_status("rev", &[Role::Member], UserStatus::PendingReview).await;
    app.create_user_with_status("pat", &[Role::Member], UserStatus::PendingReview).await;
    app.create_user_with_status("dis", &[Role::Member], UserStatus::Disabled).await;
    app.create_user("gus", &[Role::Guest]).await;
    let now = at(NOW);
    let (may, march_last_year) = (at("2030-05-10T09:00:00Z"), at("2029-03-01T00:00:00Z"));
    let (this_week, last_week) = (at("2030-07-15T08:00:00Z"), at("2030-07-14T23:00:00Z"));
    let eleven_weeks_ago = at("2030-04-29T00:00:00Z");
    let too_old = at("2030-04-28T23:59:59Z");
    sql(
        app,
        format!(
            "UPDATE users SET activated_at = {may} WHERE id = {kim};
             UPDATE users SET activated_at = {march_last_year} WHERE username = 'dis';
             INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format, created_at, updated_at) VALUES
               ({kim}, {this_week}, 45, 1, 'solo', {now}, {now}),
               ({kim}, {this_week}, 15, 1, 'solo', {now}, {now}),
               ({kim}, {last_week}, 30, 1, 'solo', {now}, {now}),
               ({kim}, {eleven_weeks_ago}, 20, 1, 'solo', {now}, {now}),
               ({kim}, {too_old}, 999, 1, 'solo', {now}, {now});
             INSERT INTO services (id, name, duration_minutes, created_at, updated_at)
               VALUES (1, 'Lesson', 60, {now}, {now});
             INSERT INTO bookings (user_id, service_id, requested_start, duration_minutes, status, created_at, updated_at) VALUES
               ({kim}, 1, {this_week}, 60, 'pending', {now}, {now}),
               ({kim}, 1, {this_week}, 60, 'confirmed', {now}, {now}),
               ({kim}, 1, {this_week}, 60, 'declined', {now}, {now}),
               ({kim}, 1, {last_week}, 60, 'completed', {now}, {now});
             INSERT INTO notices (id, sender_id, subject, body, audience, created_at)
               VALUES (1, {admin}, 'Hi', 'Hello', 'all', {now});
             INSERT INTO notice_copies (id, notice_id, user_id) VALUES (1, 1, {kim});
             INSERT INTO notice_replies (copy_id, author_id, from_admin, body, created_at, admin_read_at) VALUES
               (1, {kim}, 0, 'Thanks', {now}, NULL),
               (1, {kim}, 0, 'Seen', {now}, {now}),
               (1, {admin}, 1, 'Answer', {now}, NULL);
             INSERT INTO email_outbox (to_address, template, subject, body_text, body_html, status, next_attempt_at, created_at) VALUES
               ('a@example.org', 'invite', 's', 't', 'h', 'failed', {now}, {now}),
               ('b@example.org', 'invite', 's', 't', 'h', 'sent', {now}, {now});
             INSERT INTO exchanges (slug, name, registration_close_date, exchange_date, timezone, state, created_at, updated_at) VALUES
               ('aaaaaaaaaaaa', 'Winter', '2030-12-01', '2030-12-20', 'UTC', 'registration_open', {now}, {now}),
               ('bbbbbbbbbbbb', 'Spring', '2030-03-01', '2030-03-20', 'UTC', 'completed', {now}, {now});"
        ),
    )
    .await;
    let (status, _) = app
        .post_json(
            "/api/v1/admin/invites",
            json!({"email": "new@example.org", "roles": ["member"]}),
        )
        .await;
    assert_eq!(status, Status::Created);
    admin
}

#[rocket::async_test]
async fn the_dashboard_api_counts_what_waits_and_links_each_figure_to_its_list() {
    let app = TestApp::spawn().await;
    busy_club(&app).await;

    let (status, dash) = app.json("/api/v1/admin/dashboard").await;
    assert_eq!(status, Status::Ok, "{dash}");
    assert_eq!(dash["scope"], "admin");
    assert_eq!(dash["generated_at"], NOW);

    let members = &dash["members_by_status"];
    assert_eq!(tile(members, "active")["count"], 3, "admin, kim and olga; the guest is no member");
    assert_eq!(tile(members, "pending_review")["count"], 2);
    assert_eq!(tile(members, "disabled")["count"], 1);
    assert_eq!(tile(members, "invited")["count"], 0, "every status is listed");
    assert_eq!(tile(members, "active")["href"], "/admin/members?status=active");

    let waiting = &dash["waiting"];
    let expect = [
        ("pending_invites", 1, "/admin/invites"),
        ("pending_reviews", 2, "/admin/members?status=pending_review"),
        ("pending_bookings", 1, "/admin/bookings?status=pending"),
        ("unread_replies", 1, "/admin/messages"),
        ("outbox_failures", 1, "/admin/outbox?status=failed"),
    ];
    for (key, count, href) in expect {
        assert_eq!(tile(waiting, key)["count"], count, "{key}");
        assert_eq!(tile(waiting, key)["href"], href, "{key}");
    }

    let exchanges = &dash["exchanges_by_state"];
    assert_eq!(tile(exchanges, "registration_open")["count"], 1);
    assert_eq!(tile(exchanges, "completed")["count"], 1);
    assert_eq!(tile(exchanges, "draft")["count"], 0);
    assert_eq!(tile(exchanges, "draft")["href"], "/admin/exchanges");

    let minutes = values(chart(&dash, "activity_minutes"));
    assert_eq!(minutes.len(), 12);
    assert_eq!(minutes[11], 60, "this week, from Monday");
    assert_eq!(minutes[10], 30, "Sunday belongs to the week before");
    assert_eq!(minutes[0], 20, "the oldest of twelve weeks");
    assert_eq!(minutes.iter().sum::<i64>(), 110, "nothing older than twelve weeks");
    assert_eq!(chart(&dash, "activity_minutes")["points"][11]["long_label"], "Week of 15 Jul 2030");

    let bookings = values(chart(&dash, "bookings"));
    assert_eq!((bookings[11], bookings[10]), (2, 1), "declined bookings do not count");

    let joins = chart(&dash, "new_members");
    let months = values(joins);
    assert_eq!(months.len(), 12);
    assert_eq!(joins["points"][0]["long_label"], "August 2029");
    assert_eq!(joins["points"][11]["long_label"], "July 2030");
    assert_eq!(months[11], 2, "admin and olga, created active this month");
    assert_eq!(months[9], 1, "kim, activated in May");
    assert_eq!(months.iter().sum::<i64>(), 3, "pending, guest and older members left out");
    assert!(joins.get("svg").is_none(), "the JSON carries numbers, not drawings");

    assert_eq!(dash["system"]["mail_mode"], "memory");
    assert!(dash["system"]["jobs"].as_array().unwrap().iter().any(|j| j["name"] == "email_outbox"));

    // A backup made now shows as the newest, less than a minute old.
    let (status, _) = app.post_json("/api/v1/admin/backups", json!({})).await;
    assert!(status == Status::Created || status == Status::Conflict, "{status}");
    let (_, dash) = app.json("/api/v1/admin/dashboard").await;
    let age = dash["system"]["last_backup_age_secs"].as_i64().expect("an age");
    assert!((0..=3).contains(&age), "{age}");
    assert_eq!(dash["system"]["last_backup_age"], "less than a minute");
}

#[rocket::async_test]
async fn the_dashboard_page_shows_tiles_charts_and_their_numbers() {
    let app = TestApp::spawn().await;
    busy_club(&app).await;

    let (status, html) = page(&app, "/admin").await;
    assert_eq!(status, Status::Ok);
    let html = unescape(&html);
    for href in [
        "/admin/members?status=pending_review",
        "/admin/bookings?status=pending",
        "/admin/outbox?status=failed",
        "/admin/messages",
        "/admin/invites",
        "/admin/exchanges",
        "/admin/settings",
        "/admin/activity-types",
    ] {
        assert!(html.contains(&format!("href=\"{href}\"")), "links to {href}");
    }
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    assert!(html.contains(r#"aria-label="Activity minutes per week: 110 minutes in all.""#));
    assert!(html.contains("<title>New members per month: 3 members in all.</title>"));
    assert!(html.contains("<th scope=\"row\">Week of 15 Jul 2030</th><td>60</td>"), "as a table");
    assert!(html.contains("aria-current=\"page\""), "the nav marks the dashboard");
    assert!(html.contains("Background jobs") && html.contains("email outbox"));
}

#[rocket::async_test]
async fn an_empty_club_gets_empty_charts_not_errors() {
    let app = TestApp::spawn().await;
    pin_clock(&app);
    app.as_admin().await;
    let (status, dash) = app.json("/api/v1/admin/dashboard").await;
    assert_eq!(status, Status::Ok);
    assert!(values(chart(&dash, "bookings")).iter().all(|v| *v == 0));
    let (_, html) = page(&app, "/admin").await;
    assert_eq!(html.matches("Nothing to show yet").count(), 2, "bookings and activities");
    assert_eq!(html.matches("<rect").count(), 1, "one bar: the admin, who joined this month");
}

#[rocket::async_test]
async fn organizers_see_only_their_part_of_the_dashboard() {
    let app = TestApp::spawn().await;
    busy_club(&app).await;
    app.login_as("olga").await;

    let (status, dash) = app.json("/api/v1/admin/dashboard").await;
    assert_eq!(status, Status::Ok, "{dash}");
    assert_eq!(dash["scope"], "organizer");
    for hidden in ["members_by_status", "waiting", "system"] {
        assert!(dash[hidden].is_null(), "{hidden} is not for organizers");
    }
    assert_eq!(tile(&dash["exchanges_by_state"], "registration_open")["count"], 1);
    let keys: Vec<&str> =
        dash["charts"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["activity_minutes"]);

    let (status, html) = page(&app, "/admin").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Organizer dashboard"));
    assert!(
        html.contains("href=\"/admin/exchanges\"")
            && html.contains("href=\"/admin/activity-types\"")
    );
    for admin_only in ["/admin/members", "/admin/invites", "/admin/settings", "/admin/messages"] {
        assert!(!html.contains(&format!("href=\"{admin_only}")), "no link to {admin_only}");
    }
    assert!(!html.contains("Background jobs") && !html.contains("Sending mode"));
    assert!(html.contains("href=\"/admin\">Organize</a>"), "the top bar leads organizers here");
}

#[rocket::async_test]
async fn strangers_and_members_cannot_see_the_dashboard() {
    let app = TestApp::spawn().await;
    let (status, body) = app.json("/api/v1/admin/dashboard").await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, _) = page(&app, "/admin").await;
    assert_eq!(status, Status::SeeOther);

    busy_club(&app).await;
    app.login_as("kim").await;
    let (status, body) = app.json("/api/v1/admin/dashboard").await;
    assert_eq!(status, Status::Forbidden);
    assert!(body.get("members_by_status").is_none());
    let (status, html) = page(&app, "/admin").await;
    assert_eq!(status, Status::Forbidden);
    assert!(!html.contains("Members by status"));

    // An organizer whose account is disabled has no organizer right left.
    app.login_as("olga").await;
    assert_eq!(app.json("/api/v1/admin/dashboard").await.0, Status::Ok);
    sql(&app, "UPDATE users SET status = 'disabled' WHERE username = 'olga'".into()).await;
    let (status, _) = app.json("/api/v1/admin/dashboard").await;
    assert!(matches!(status.code, 401 | 403), "{status}");
}

#[rocket::async_test]
async fn an_organizer_manages_activity_types_through_the_api_and_the_page() {
    let app = TestApp::spawn().await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    app.login_as("olga").await;

    let (status, created) = app
        .post_json("/api/v1/admin/activity-types", json!({"key": "yoga", "label": "Yoga"}))
        .await;
    assert_eq!(status, Status::Created, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = app
        .send_json(Method::Put, &format!("/api/v1/admin/activity-types/{id}"), json!({"label": ""}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body["error"]["fields"]["label"].is_string(), "{body}");

    let (status, html) = page(&app, "/admin/activity-types").await;
    assert_eq!(status, Status::Ok);
    let token = extract_csrf(&html).unwrap();
    let response = app
        .post_form(
            "/admin/activity-types",
            &[("csrf_token", &token), ("key", "swim"), ("label", "Swimming"), ("position", "")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM activity_types WHERE key = 'swim'").await, 1);
    let audited =
        app.count("SELECT count(*) FROM audit_log WHERE target LIKE 'activity_type:%'").await;
    assert_eq!(audited, 2, "an organizer's changes are audited like an admin's");

    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let (status, _) =
        app.post_json("/api/v1/admin/activity-types", json!({"key": "run", "label": "Run"})).await;
    assert_eq!(status, Status::Forbidden);
}

// ----- the audit of every admin route -----

/// What organizers may use in the admin area: the dashboard (their part of it), gift exchanges
/// and activity types. Everything else under /admin and /api/v1/admin is for admins only; a
/// new route lands on the refused side until it is added here on purpose.
const ORGANIZER_ROUTES: &[&str] = &[
    "GET /admin",
    "GET /api/v1/admin/dashboard",
    "GET /admin/activity-types",
    "POST /admin/activity-types",
    "POST /admin/activity-types/<id>",
    "POST /admin/activity-types/<id>/archive",
    "POST /admin/activity-types/<id>/restore",
    "POST /admin/activity-types/<id>/delete",
    "GET /api/v1/admin/activity-types",
    "POST /api/v1/admin/activity-types",
    "PUT /api/v1/admin/activity-types/<id>",
    "DELETE /api/v1/admin/activity-types/<id>",
    "GET /admin/exchanges",
    "POST /admin/exchanges",
    "GET /admin/exchanges/notifications",
    "POST /admin/exchanges/notifications",
    "GET /admin/exchanges/<id>",
    "POST /admin/exchanges/<id>",
    "GET /admin/exchanges/<id>/schedule",
    "POST /admin/exchanges/<id>/schedule",
    "POST /admin/exchanges/<id>/open",
    "POST /admin/exchanges/<id>/close",
    "POST /admin/exchanges/<id>/reopen",
    "POST /admin/exchanges/<id>/complete",
    "POST /admin/exchanges/<id>/match",
    "POST /admin/exchanges/<id>/rematch",
    "POST /admin/exchanges/<id>/delete",
    "POST /admin/exchanges/<id>/participants/<pid>/remove",
    "POST /admin/exchanges/<id>/exclusions",
    "POST /admin/exchanges/<id>/exclusions/<xid>/delete",
];

struct AdminRoute {
    method: Method,
    /// The mounted path with its parameters, e.g. `/admin/members/<id>`.
    pattern: String,
    /// The same with every parameter filled with an existing id.
    path: String,
}

impl AdminRoute {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.pattern)
    }

    fn is_api(&self) -> bool {
        self.pattern.starts_with("/api/")
    }
}

/// Every mounted route under /admin or /api/v1/admin, whoever mounted it.
fn admin_routes(app: &TestApp, id: i64) -> Vec<AdminRoute> {
    let mut routes: Vec<AdminRoute> = app
        .client
        .rocket()
        .routes()
        .filter_map(|route| {
            let pattern = route.uri.path().to_string();
            let ours = pattern == "/admin"
                || pattern.starts_with("/admin/")
                || pattern.starts_with("/api/v1/admin");
            ours.then(|| {
                let path = pattern
                    .split('/')
                    .map(|seg| if seg.starts_with('<') { id.to_string() } else { seg.to_string() })
                    .collect::<Vec<_>>()
                    .join("/");
                AdminRoute { method: route.method, pattern, path }
            })
        })
        .collect();
    routes.sort_by_key(AdminRoute::name);
    routes.dedup_by_key(|r| r.name());
    routes
}

/// Sends the request as the current client: JSON for the API, a form with a valid CSRF token
/// for pages, so a refusal can only come from who is asking.
async fn call(app: &TestApp, route: &AdminRoute, csrf: &str) -> (Status, Option<String>) {
    let mut request = app.client.req(route.method, route.path.clone());
    if route.method != Method::Get {
        request = if route.is_api() {
            request.header(ContentType::JSON).body("{}")
        } else {
            request.header(ContentType::Form).body(form_body(&[("csrf_token", csrf)]))
        };
    } else if route.is_api() {
        request = request.header(rocket::http::Accept::JSON);
    }
    let response = request.dispatch().await;
    let location = response.headers().get_one("Location").map(str::to_string);
    (response.status(), location)
}

async fn csrf_for(app: &TestApp, page: &str) -> String {
    let (_, html) = self::page(app, page).await;
    extract_csrf(&html).unwrap_or_else(|| panic!("no csrf token on {page}"))
}

/// Rows with id 1 for the records admin routes address, so that the routes run against
/// something real. The member `tess` (id 1) is the target of member routes.
async fn records_with_id_one(app: &TestApp) -> i64 {
    let tess = app.create_user("tess", &[Role::Member]).await;
    let now = at(NOW);
    sql(
        app,
        format!(
            "INSERT INTO services (id, name, duration_minutes, created_at, updated_at)
               VALUES ({tess}, 'Lesson', 60, {now}, {now});
             INSERT INTO bookings (id, user_id, service_id, requested_start, duration_minutes, status, created_at, updated_at)
               VALUES ({tess}, {tess}, {tess}, {now}, 60, 'pending', {now}, {now});
             INSERT INTO notices (id, subject, body, audience, created_at) VALUES ({tess}, 'Hi', 'Hello', 'all', {now});
             INSERT INTO notice_copies (id, notice_id, user_id) VALUES ({tess}, {tess}, {tess});
             INSERT INTO exchanges (id, slug, name, registration_close_date, exchange_date, timezone, created_at, updated_at)
               VALUES ({tess}, 'cccccccccccc', 'Winter', '2030-12-01', '2030-12-20', 'UTC', {now}, {now});
             INSERT INTO invites (id, token_hash, email, roles, expires_at, lifetime_days, created_at, updated_at)
               VALUES ({tess}, x'00', 'x@example.org', 'member', {now} + 86400, 7, {now}, {now});
             INSERT INTO profile_fields (id, key, label, kind, position, created_at, updated_at)
               VALUES ({tess}, 'shoe', 'Shoe size', 'text', 0, {now}, {now});
             INSERT INTO email_outbox (id, to_address, template, subject, body_text, body_html,
                                       status, next_attempt_at, created_at)
               VALUES ({tess}, 'x@example.org', 'notice', 'x', 'x', 'x', 'sent', {now}, {now});"
        ),
    )
    .await;
    tess
}

#[rocket::async_test]
async fn every_admin_route_refuses_strangers_members_and_organizers_outside_their_rights() {
    let app = TestApp::spawn().await;
    pin_clock(&app);
    let id = records_with_id_one(&app).await;
    assert_eq!(id, 1, "the target records share one id");
    app.create_user("kim", &[Role::Member]).await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;
    let routes = admin_routes(&app, id);
    assert!(routes.len() > 60, "the whole admin area is found: {}", routes.len());
    let names: Vec<String> = routes.iter().map(AdminRoute::name).collect();
    for allowed in ORGANIZER_ROUTES {
        assert!(names.iter().any(|n| n == allowed), "{allowed} is mounted (the list is current)");
    }

    // Nobody signed in: 401 from the API, the login page for pages.
    let csrf = csrf_for(&app, "/login").await;
    for route in &routes {
        let (status, location) = call(&app, route, &csrf).await;
        if route.is_api() {
            assert_eq!(status, Status::Unauthorized, "{} anonymous", route.name());
        } else {
            assert_eq!(status, Status::SeeOther, "{} anonymous", route.name());
            let location = location.unwrap_or_default();
            assert!(location.starts_with("/login"), "{} sends to {location}", route.name());
        }
    }

    app.login_as("kim").await;
    let csrf = csrf_for(&app, "/account").await;
    for route in &routes {
        let (status, _) = call(&app, route, &csrf).await;
        assert_eq!(status, Status::Forbidden, "{} as a member", route.name());
    }

    app.login_as("olga").await;
    let csrf = csrf_for(&app, "/account").await;
    for route in &routes {
        let (status, _) = call(&app, route, &csrf).await;
        if ORGANIZER_ROUTES.contains(&route.name().as_str()) {
            assert!(
                ![Status::Unauthorized, Status::Forbidden, Status::InternalServerError]
                    .contains(&status),
                "{} as an organizer: {status}",
                route.name()
            );
        } else {
            assert_eq!(status, Status::Forbidden, "{} as an organizer", route.name());
        }
    }

    app.login_as("admin").await;
    let csrf = csrf_for(&app, "/account").await;
    for route in &routes {
        let (status, _) = call(&app, route, &csrf).await;
        assert!(
            ![Status::Unauthorized, Status::Forbidden, Status::InternalServerError]
                .contains(&status),
            "{} as an admin: {status}",
            route.name()
        );
    }
}
