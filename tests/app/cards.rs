//! The public member card: sharing by link, revoking, the contact preference, what the public
//! sees (and never sees), the stats and chart, and who may do what.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// Moves the test clock so that "now" is `rfc3339` (plus the few milliseconds the test takes).
fn set_now(app: &TestApp, rfc3339: &str) {
    let target = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&chrono::Utc);
    app.advance(target - app.ctx().now());
}

/// Runs SQL built at run time (the harness's `exec` takes only literals).
async fn sql(app: &TestApp, statement: String) {
    app.db().call(move |c| Ok(c.execute_batch(&statement)?)).await.unwrap();
}

async fn share(app: &TestApp) -> String {
    let (status, body) = app.post_json("/api/v1/card/share", json!({})).await;
    assert_eq!(status, Status::Ok, "{body}");
    body["share_token"].as_str().unwrap().to_string()
}

async fn revoke(app: &TestApp) -> (Status, Value) {
    app.send_json(Method::Delete, "/api/v1/card/share", json!({})).await
}

async fn page(app: &TestApp, path: &str) -> (Status, String, Option<String>) {
    let response = app.client.get(path.to_string()).dispatch().await;
    let status = response.status();
    let robots = response.headers().get_one("X-Robots-Tag").map(str::to_string);
    (status, response.into_string().await.unwrap_or_default(), robots)
}

async fn public_json(app: &TestApp, token: &str) -> (Status, Value) {
    app.json(&format!("/api/v1/cards/{token}")).await
}

async fn set_preference(app: &TestApp, body: Value) -> (Status, Value) {
    app.send_json(Method::Put, "/api/v1/card/contact-preference", body).await
}

async fn audit_count(app: &TestApp, kind: &'static str) -> i64 {
    app.db()
        .read(move |tx| {
            Ok(tx.query_row("SELECT count(*) FROM audit_log WHERE kind = ?1", [kind], |r| {
                r.get(0)
            })?)
        })
        .await
        .unwrap()
}

#[rocket::async_test]
async fn sharing_gives_the_same_token_until_revoked_and_a_new_one_after() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;

    let (status, card) = app.json("/api/v1/card").await;
    assert_eq!(status, Status::Ok, "{card}");
    assert_eq!(card["shared"], false);
    assert!(card["share_token"].is_null() && card["share_url"].is_null());

    let (status, first) = app.post_json("/api/v1/card/share", json!({})).await;
    assert_eq!(status, Status::Ok);
    let token = first["share_token"].as_str().unwrap().to_string();
    let uuid = uuid::Uuid::parse_str(&token).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(first["share_url"], format!("http://127.0.0.1:8000/cards/{token}"));
    let (_, again) = app.post_json("/api/v1/card/share", json!({})).await;
    assert_eq!(again, first, "sharing twice gives the same link");
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!((card["shared"].clone(), card["share_token"].clone()), (json!(true), json!(token)));
    assert_eq!(card["share_url"], first["share_url"]);
    assert_eq!(public_json(&app, &token).await.0, Status::Ok);
    assert_eq!(page(&app, &format!("/cards/{token}")).await.0, Status::Ok);

    let stored = token.clone();
    let plain: i64 = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT count(*) FROM card_shares WHERE instr(token_sealed, ?1) > 0
                    OR instr(CAST(token_hash AS TEXT), ?1) > 0",
                [&stored],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(plain, 0, "the token is stored only sealed and hashed");

    assert_eq!(revoke(&app).await, (Status::Ok, json!({"status": "ok"})));
    let (status, err) = public_json(&app, &token).await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(page(&app, &format!("/cards/{token}")).await.0, Status::NotFound);
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!(card["shared"], false);
    assert!(card["share_token"].is_null());
    assert_eq!(revoke(&app).await.0, Status::Ok, "revoking again is harmless");

    let fresh = share(&app).await;
    assert_ne!(fresh, token, "sharing again gives a new link");
    assert_eq!(public_json(&app, &fresh).await.0, Status::Ok);
    assert_eq!(public_json(&app, &token).await.0, Status::NotFound, "the old link stays dead");
    assert_eq!(audit_count(&app, "card_shared").await, 2);
    assert_eq!(audit_count(&app, "card_share_revoked").await, 1);
}

#[rocket::async_test]
async fn a_malformed_token_is_a_bad_request_and_an_unknown_one_is_not_found() {
    let app = TestApp::spawn().await;
    for bad in ["not-a-uuid", "0f8fad5b-d9cb-469f-a165-7086772895", "%3Cscript%3E"] {
        let (status, err) = public_json(&app, bad).await;
        assert_eq!(status, Status::BadRequest, "{bad}");
        assert_eq!(err["error"]["code"], "malformed_token");
        let (status, html, _) = page(&app, &format!("/cards/{bad}")).await;
        assert_eq!(status, Status::BadRequest, "{bad}");
        assert!(html.contains("This card link is malformed"), "an error page: {html}");
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(public_json(&app, &unknown).await.0, Status::NotFound);
    let (status, html, _) = page(&app, &format!("/cards/{unknown}")).await;
    assert_eq!(status, Status::NotFound);
    assert!(html.contains("no longer shared"));
}

/// Kim, with everything a card can show, her coach Ann, some club questions, a phone number
/// and a contact preference. Returns Kim's id.
async fn seed_kim(app: &TestApp) -> i64 {
    let ann = app.create_user("ann", &[Role::Coach, Role::Member]).await;
    let kim = app.create_user("kim", &[Role::Member, Role::Guardian, Role::Guest]).await;
    sql(
        app,
        format!(
            "UPDATE users SET first_name = 'Ann', last_name = 'Berg' WHERE id = {ann};
             UPDATE users SET first_name = 'Kim', last_name = 'Lee', display_name = 'Kimmy',
                    city = 'Springfield', state = 'IL', phone = '+1 555 0100',
                    emergency_contact_phone = '+1 555 0199', address = '12 Elm Street',
                    coach_id = {ann}, contact_preference = 'text',
                    activated_at = strftime('%s', '2025-03-14T12:00:00') WHERE id = {kim};
             INSERT INTO settings (key, value, updated_at) VALUES ('club_name', 'Riverside Skaters', 0);
             INSERT INTO profile_fields (id, key, label, kind, visibility, position, created_at, updated_at) VALUES
                (1, 'discipline', 'Discipline', 'text', 'public', 2, 0, 0),
                (2, 'competes', 'Competes', 'yes_no', 'public', 1, 0, 0),
                (3, 'shoe', 'Shoe size', 'number', 'members', 3, 0, 0),
                (4, 'medical', 'Medical notes', 'long_text', 'private', 4, 0, 0),
                (5, 'club_years', 'Years in the club', 'number', 'public', 5, 0, 0);
             INSERT INTO profile_values (user_id, field_id, value) VALUES
                ({kim}, 1, 'Ice dance'), ({kim}, 2, 'yes'), ({kim}, 3, '39'),
                ({kim}, 4, 'Asthma'), ({kim}, 5, '  ');"
        ),
    )
    .await;
    kim
}

#[rocket::async_test]
async fn the_public_card_shows_the_card_and_never_the_email_or_phone() {
    let app = TestApp::spawn().await;
    seed_kim(&app).await;
    app.login_as("kim").await;
    let token = share(&app).await;
    let (_, mut own) = app.json("/api/v1/card").await;
    assert_eq!(app.post_json("/api/v1/auth/logout", json!({})).await.0, Status::Ok);
    assert_eq!(app.json("/api/v1/card").await.0, Status::Unauthorized, "a visitor now");

    let response = app.client.get(format!("/api/v1/cards/{token}")).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("X-Robots-Tag"), Some("noindex"));
    let text = response.into_string().await.unwrap();
    let card: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(card["name"], "Kim Lee");
    assert_eq!((card["city"].as_str(), card["state"].as_str()), (Some("Springfield"), Some("IL")));
    assert_eq!(card["club_name"], "Riverside Skaters");
    assert_eq!(card["roles"], json!(["member", "guardian"]), "guest access is not a title");
    assert_eq!(card["member_since"], "2025-03-14");
    assert_eq!(card["coach"], "Ann Berg");
    assert_eq!(
        card["fields"],
        json!([{"label": "Competes", "value": "Yes"}, {"label": "Discipline", "value": "Ice dance"}]),
        "only answered public questions, in the club's order"
    );
    assert_eq!(card["contact_preference"], "text");
    assert_eq!(card["contact_label"], "Prefers text messages");
    for key in ["share_token", "share_url", "shared", "email", "phone"] {
        assert!(card.get(key).is_none(), "the public card has no {key}");
    }
    for secret in ["kim@example.org", "example.org", "555", "Elm Street", "Asthma", "39", "Kimmy"] {
        assert!(!text.contains(secret), "the public JSON leaks {secret}: {text}");
    }
    for key in ["share_token", "share_url", "shared"] {
        own.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(card, own, "the public card is the member's card minus its link");

    let (status, html, robots) = page(&app, &format!("/cards/{token}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(robots.as_deref(), Some("noindex"));
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(html.contains(r#"<meta name="viewport""#), "made for phones too");
    for shown in
        ["Kim Lee", "Springfield, IL", "Riverside Skaters", "Ann Berg", "Prefers text messages"]
    {
        assert!(html.contains(shown), "the page shows {shown}");
    }
    assert!(html.contains("Competes</dt><dd>Yes") && html.contains("Ice dance"));
    assert!(html.contains("14 March 2025"), "member since");
    for secret in ["kim@example.org", "example.org", "555", "Elm Street", "Asthma", "Shoe size"] {
        assert!(!html.contains(secret), "the public page leaks {secret}");
    }
    assert!(!html.contains("csrf_token"), "the public page has no forms");
}

#[rocket::async_test]
async fn the_contact_preference_takes_four_values_or_null_and_refuses_anything_else() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let token = share(&app).await;
    for (value, label) in [
        ("email", "Prefers email"),
        ("text", "Prefers text messages"),
        ("phone", "Prefers a phone call"),
        ("social", "Prefers social media"),
    ] {
        let (status, body) = set_preference(&app, json!({"contact_preference": value})).await;
        assert_eq!(status, Status::Ok, "{value}: {body}");
        assert_eq!(body, json!({"contact_preference": value, "contact_label": label}));
        let (_, card) = public_json(&app, &token).await;
        assert_eq!(card["contact_label"], label);
    }
    let (status, body) = set_preference(&app, json!({"contact_preference": null})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({"contact_preference": null, "contact_label": null}));
    assert!(public_json(&app, &token).await.1["contact_label"].is_null());
    assert_eq!(app.count("SELECT count(*) FROM users WHERE contact_preference IS NULL").await, 1);

    set_preference(&app, json!({"contact_preference": "email"})).await;
    for bad in [
        json!({"contact_preference": "fax"}),
        json!({"contact_preference": ""}),
        json!({"contact_preference": 5}),
        json!({"contact_preference": ["email"]}),
        json!({}),
    ] {
        let (status, err) = set_preference(&app, bad.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}");
        assert!(err["error"]["fields"]["contact_preference"].is_string(), "{bad}: {err}");
    }
    let (status, _) =
        set_preference(&app, json!({"contact_preference": "email", "email": "x@y.z"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused");
    assert_eq!(
        public_json(&app, &token).await.1["contact_label"],
        "Prefers email",
        "nothing changed"
    );
}

#[rocket::async_test]
async fn the_contact_preference_form_saves_and_shows_errors_on_the_page() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let csrf = app.csrf_token("/card").await;
    let response = app
        .post_form(
            "/card/contact-preference",
            &[("csrf_token", &csrf), ("contact_preference", "phone")],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/card"));
    assert_eq!(app.json("/api/v1/card").await.1["contact_preference"], "phone");
    let (_, html, _) = page(&app, "/card").await;
    assert!(html.contains(r#"<option value="phone" selected>"#), "the form shows the choice");

    let response = app
        .post_form("/card/contact-preference", &[("csrf_token", &csrf), ("contact_preference", "")])
        .await;
    assert_eq!(response.status(), Status::SeeOther, "the empty choice means none");
    assert!(app.json("/api/v1/card").await.1["contact_preference"].is_null());

    let response = app
        .post_form(
            "/card/contact-preference",
            &[("csrf_token", &csrf), ("contact_preference", "carrier pigeon")],
        )
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("field-invalid") && html.contains("Choose email, text, phone or social"));

    let response =
        app.post_form("/card/contact-preference", &[("contact_preference", "email")]).await;
    assert_eq!(response.status(), Status::Forbidden, "no CSRF token, no change");
    assert!(app.json("/api/v1/card").await.1["contact_preference"].is_null());
}

#[rocket::async_test]
async fn markup_a_member_typed_is_escaped_on_the_public_page() {
    let app = TestApp::spawn().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    sql(
        &app,
        format!(
            "UPDATE users SET first_name = '<script>alert(1)</script>', last_name = '\"Lee''s\"',
                    city = '<b>Springfield</b>' WHERE id = {kim};
             INSERT INTO profile_fields (id, key, label, kind, visibility, created_at, updated_at)
                VALUES (1, 'motto', '<i>Motto</i>', 'text', 'public', 0, 0);
             INSERT INTO profile_values (user_id, field_id, value)
                VALUES ({kim}, 1, '<img src=x onerror=alert(2)>');"
        ),
    )
    .await;
    app.login_as("kim").await;
    let token = share(&app).await;
    let (_, card) = public_json(&app, &token).await;
    assert_eq!(card["name"], "<script>alert(1)</script> \"Lee's\"", "JSON carries the data as is");

    let (status, html, _) = page(&app, &format!("/cards/{token}")).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("<script"), "no script element at all on the public page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{html}");
    for raw in ["<b>Springfield", "<i>Motto", "<img src=x"] {
        assert!(!html.contains(raw), "{raw} is escaped");
    }
    assert!(html.contains("&lt;b&gt;Springfield") && html.contains("&lt;img src=x"));
    let (_, own, _) = page(&app, "/card").await;
    assert!(!own.contains("<script>alert") && own.contains("&lt;script&gt;alert(1)"));
}

#[rocket::async_test]
async fn stats_count_the_seeded_activities_in_the_member_time_zone() {
    let app = TestApp::spawn().await;
    set_now(&app, "2026-11-21T12:00:00Z");
    let kim = app.create_user("kim", &[Role::Member]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    // In Los Angeles the window starts on 1 August at 00:00 PDT, 07:00 UTC.
    sql(
        &app,
        format!(
            "UPDATE users SET timezone = 'America/Los_Angeles' WHERE id = {kim};
             INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format, created_at, updated_at) VALUES
               ({kim}, strftime('%s', '2026-03-02T18:00:00'), 60, 1, 'coached', 0, 0),
               ({kim}, strftime('%s', '2026-08-01T06:59:59'), 30, 1, 'solo', 0, 0),
               ({kim}, strftime('%s', '2026-08-01T07:00:00'), 45, 2, 'group', 0, 0),
               ({kim}, strftime('%s', '2026-08-04T17:00:00'), 90, 2, 'coached', 0, 0),
               ({kim}, strftime('%s', '2026-11-23T10:00:00'), 60, 1, 'solo', 0, 0),
               ({bo}, strftime('%s', '2026-09-01T10:00:00'), 500, 1, 'solo', 0, 0);"
        ),
    )
    .await;
    app.login_as("kim").await;
    let (status, card) = app.json("/api/v1/card").await;
    assert_eq!(status, Status::Ok, "{card}");

    // Lifetime: four sessions before now (the planned one on 23 November is not counted),
    // 225 minutes, since 2 March (10:00 in Los Angeles), 37.7 weeks ago.
    let lifetime = &card["lifetime"];
    assert_eq!(lifetime["active_since"], "2026-03-02");
    assert_eq!(lifetime["total_sessions"], 4);
    assert_eq!(lifetime["total_hours"], 3.8);
    assert_eq!(lifetime["average_minutes"], 56);
    assert_eq!(lifetime["sessions_per_week"], 0.1);
    assert_eq!(lifetime["share"], json!({"coached": 50, "group": 25, "solo": 25}));

    // Recent: from 1 August 07:00 UTC; the session one second earlier is left out.
    let recent = &card["recent"];
    assert_eq!(recent["since"], "2026-08-01");
    assert_eq!(recent["total_sessions"], 2);
    assert_eq!(recent["total_hours"], 2.3, "135 minutes");
    assert_eq!(recent["average_minutes"], 68, "67.5 rounds up");
    assert_eq!(recent["sessions_per_week"], 0.1, "2 sessions in 16 weeks");
    assert_eq!(recent["share"], json!({"coached": 50, "group": 50, "solo": 0}));

    let weeks = card["weekly_minutes"].as_array().unwrap();
    assert_eq!(weeks.len(), 17, "27 July to 16 November");
    assert_eq!(weeks[0], json!({"week_start": "2026-07-27", "minutes": 45}));
    assert_eq!(weeks[1], json!({"week_start": "2026-08-03", "minutes": 90}));
    assert_eq!(weeks[16], json!({"week_start": "2026-11-16", "minutes": 0}));
    assert_eq!(weeks.iter().map(|w| w["minutes"].as_i64().unwrap()).sum::<i64>(), 135);

    // In UTC the window starts seven hours earlier and takes in the 06:59:59 session.
    sql(&app, format!("UPDATE users SET timezone = '' WHERE id = {kim}")).await;
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!(card["recent"]["total_sessions"], 3);
    assert_eq!(card["recent"]["share"], json!({"coached": 34, "group": 33, "solo": 33}));
    assert_eq!(card["weekly_minutes"][0]["minutes"], 75);
    assert_eq!(card["lifetime"]["total_sessions"], 4);

    // Two weeks later, in December, the window starts on 1 September: August drops out.
    app.advance(chrono::Duration::days(14));
    app.login_as("kim").await;
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!(card["recent"]["since"], "2026-09-01");
    assert_eq!(card["recent"]["total_sessions"], 1, "only the session of 23 November");
    assert_eq!(card["lifetime"]["total_sessions"], 5);
}

#[rocket::async_test]
async fn a_member_without_activities_gets_zeros() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let (_, card) = app.json("/api/v1/card").await;
    assert!(card["lifetime"]["active_since"].is_null());
    for period in ["lifetime", "recent"] {
        let p = &card[period];
        assert_eq!(p["total_sessions"], 0);
        assert_eq!(p["total_hours"], 0.0);
        assert_eq!(p["sessions_per_week"], 0.0);
        assert_eq!(p["average_minutes"], 0);
        assert_eq!(p["share"], json!({"coached": 0, "group": 0, "solo": 0}));
    }
    assert!(card["weekly_minutes"].as_array().unwrap().iter().all(|w| w["minutes"] == 0));
    let (status, html, _) = page(&app, "/card").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("No activity recorded yet.") && html.contains("no activity recorded"));
}

#[rocket::async_test]
async fn the_chart_is_a_server_drawn_svg_without_script_or_inline_style() {
    let app = TestApp::spawn().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    sql(
        &app,
        format!(
            "INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format, created_at, updated_at)
             VALUES ({kim}, strftime('%s', 'now', '-3 days'), 75, 1, 'solo', 0, 0);"
        ),
    )
    .await;
    app.login_as("kim").await;
    let token = share(&app).await;
    for path in [format!("/cards/{token}"), "/card".to_string()] {
        let (status, html, _) = page(&app, &path).await;
        assert_eq!(status, Status::Ok, "{path}");
        let start = html.find("<svg").unwrap_or_else(|| panic!("{path} has the chart"));
        let svg = &html[start..html[start..].find("</svg>").unwrap() + start];
        assert!(svg.contains(r#"role="img""#) && svg.contains(r#"aria-label="Minutes per week"#));
        assert!(svg.contains("<title>") && svg.contains(">Minutes</text>"));
        assert!(svg.contains("75 minutes in"), "the summary names the total: {svg}");
        assert_eq!(svg.matches("<rect").count(), 1, "one week with minutes");
        assert!(!html.contains("style=\""), "{path}: no inline style");
        assert!(html.contains("Minutes per week as a table"), "a table for screen readers");
    }
    let (_, html, _) = page(&app, &format!("/cards/{token}")).await;
    assert!(!html.contains("<script"), "the public page runs no script");
}

#[rocket::async_test]
async fn visitors_without_a_session_get_401_from_the_api_and_the_login_page_from_the_pages() {
    let app = TestApp::spawn().await;
    assert_eq!(app.json("/api/v1/card").await.0, Status::Unauthorized);
    assert_eq!(app.post_json("/api/v1/card/share", json!({})).await.0, Status::Unauthorized);
    assert_eq!(revoke(&app).await.0, Status::Unauthorized);
    let (status, err) = set_preference(&app, json!({"contact_preference": "email"})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (Status::Unauthorized, Some("unauthenticated"))
    );

    let response = app.client.get("/card").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/login?next=/card"));
    let csrf = app.csrf_token("/login").await;
    for path in ["/card/share", "/card/share/revoke", "/card/contact-preference"] {
        let response = app.post_form(path, &[("csrf_token", &csrf)]).await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert_eq!(response.headers().get_one("Location"), Some("/login"), "{path}");
    }
    assert_eq!(app.count("SELECT count(*) FROM card_shares").await, 0);
}

#[rocket::async_test]
async fn members_still_joining_and_guests_have_no_card() {
    let app = TestApp::spawn().await;
    app.create_user_with_status("pat", &[Role::Member], UserStatus::Onboarding).await;
    app.login_as("pat").await;
    let (status, err) = app.json("/api/v1/card").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (Status::Forbidden, Some("onboarding_incomplete"))
    );
    assert_eq!(app.post_json("/api/v1/card/share", json!({})).await.0, Status::Forbidden);
    let response = app.client.get("/card").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/onboarding"));

    app.create_user("gus", &[Role::Guest]).await;
    app.login_as("gus").await;
    let (status, err) = app.post_json("/api/v1/card/share", json!({})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (Status::Forbidden, Some("members_only")));
    assert_eq!(app.client.get("/card").dispatch().await.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM card_shares").await, 0);
}

#[rocket::async_test]
async fn a_member_can_only_share_revoke_and_change_their_own_card() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.create_user("lee", &[Role::Member, Role::Admin]).await;
    app.login_as("kim").await;
    let kims = share(&app).await;
    set_preference(&app, json!({"contact_preference": "email"})).await;

    app.login_as("lee").await;
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!((card["name"].as_str(), card["shared"].as_bool()), (Some("lee"), Some(false)));
    let lees = share(&app).await;
    assert_ne!(lees, kims);
    set_preference(&app, json!({"contact_preference": "phone"})).await;
    assert_eq!(revoke(&app).await.0, Status::Ok);
    let csrf = app.csrf_token("/card").await;
    let response = app.post_form("/card/share/revoke", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::SeeOther);

    let (status, kim) = public_json(&app, &kims).await;
    assert_eq!(status, Status::Ok, "Lee's revoke left Kim's link working");
    assert_eq!(
        (kim["name"].as_str(), kim["contact_label"].as_str()),
        (Some("kim"), Some("Prefers email"))
    );
    assert_eq!(public_json(&app, &lees).await.0, Status::NotFound);

    app.login_as("kim").await;
    let (_, card) = app.json("/api/v1/card").await;
    assert_eq!(card["share_token"], json!(kims));
    assert_eq!(card["contact_preference"], "email");
}

#[rocket::async_test]
async fn a_disabled_members_card_is_not_found_until_they_are_active_again() {
    let app = TestApp::spawn().await;
    let kim = app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let token = share(&app).await;
    for status in ["disabled", "pending_review"] {
        sql(&app, format!("UPDATE users SET status = '{status}' WHERE id = {kim}")).await;
        let (code, err) = public_json(&app, &token).await;
        assert_eq!(code, Status::NotFound, "{status}");
        assert_eq!(err["error"]["message"], "This card does not exist or is no longer shared.");
        assert_eq!(page(&app, &format!("/cards/{token}")).await.0, Status::NotFound);
    }
    sql(&app, format!("UPDATE users SET status = 'active' WHERE id = {kim}")).await;
    assert_eq!(public_json(&app, &token).await.0, Status::Ok);
}

#[rocket::async_test]
async fn a_member_shares_and_stops_sharing_through_the_card_page() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let (_, home, _) = page(&app, "/home").await;
    assert!(home.contains(r#"href="/card""#), "the member home links to the card");

    let (status, html, _) = page(&app, "/card").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Share my card") && html.contains("Your card is private"));
    let csrf = extract_csrf(&html).unwrap();

    let response = app.post_form("/card/share", &[]).await;
    assert_eq!(response.status(), Status::Forbidden, "no CSRF token");
    assert_eq!(app.count("SELECT count(*) FROM card_shares").await, 0);

    let response = app.post_form("/card/share", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some("/card"));
    let (_, html, _) = page(&app, "/card").await;
    let token = app.json("/api/v1/card").await.1["share_token"].as_str().unwrap().to_string();
    let url = format!("http://127.0.0.1:8000/cards/{token}");
    assert!(unescape(&html).contains(&format!(r#"value="{url}""#)), "the link to copy");
    assert!(html.contains(r##"data-copy="#share-url""##) && html.contains("Stop sharing"));
    assert!(html.contains("Your card is shared"), "the flash message");
    let response = app.post_form("/card/share", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(app.json("/api/v1/card").await.1["share_token"], json!(token), "same link");

    let response = app.post_form("/card/share/revoke", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(public_json(&app, &token).await.0, Status::NotFound);
    let (_, html, _) = page(&app, "/card").await;
    assert!(html.contains("no longer shared") && html.contains("Share my card"));
}

#[rocket::async_test]
async fn a_share_that_can_no_longer_be_opened_is_replaced_by_the_next_share() {
    let app = TestApp::spawn().await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let token = share(&app).await;
    // What a replaced secret key leaves behind: a sealed token that does not open.
    app.exec("UPDATE card_shares SET token_sealed = 'sealed:v1:AAAA', token_hash = x'00'").await;
    let (status, card) = app.json("/api/v1/card").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(card["shared"], false);
    assert_eq!(public_json(&app, &token).await.0, Status::NotFound);
    let fresh = share(&app).await;
    assert_ne!(fresh, token);
    assert_eq!(public_json(&app, &fresh).await.0, Status::Ok);
    assert_eq!(app.count("SELECT count(*) FROM card_shares").await, 1);
}
