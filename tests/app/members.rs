//! Members through the API: the onboarding lifecycle, the agreement, admin review and
//! activation, club profile fields, the member's own profile and the directory.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// A member who has just joined (status onboarding), signed in on `app`.
async fn joining(app: &TestApp, username: &str) -> i64 {
    let id = app.create_user_with_status(username, &[Role::Member], UserStatus::Onboarding).await;
    app.login_as(username).await;
    id
}

async fn set_review(app: &TestApp, on: bool) {
    let (status, body) =
        app.send_json(Method::Put, "/api/v1/admin/settings", json!({"member_review": on})).await;
    assert_eq!(status, Status::Ok, "{body}");
}

async fn publish(app: &TestApp, title: &str, body: &str) -> Value {
    let (status, view) = app
        .send_json(Method::Put, "/api/v1/admin/agreement", json!({"title": title, "body": body}))
        .await;
    assert_eq!(status, Status::Created, "{view}");
    view
}

async fn add_field(app: &TestApp, field: Value) -> Value {
    let (status, body) = app.post_json("/api/v1/admin/profile-fields", field).await;
    assert_eq!(status, Status::Created, "{body}");
    body
}

async fn put(app: &TestApp, path: &str, body: Value) -> (Status, Value) {
    app.send_json(Method::Put, path, body).await
}

async fn status_of(app: &TestApp, id: i64) -> String {
    let ctx = app.db();
    ctx.read(move |tx| {
        Ok(tx.query_row("SELECT status FROM users WHERE id = ?1", [id], |r| r.get(0))?)
    })
    .await
    .unwrap()
}

const NAMES: &str = r#"{"first_name": "Bo", "last_name": "Berg"}"#;

fn names() -> Value {
    serde_json::from_str(NAMES).unwrap()
}

#[rocket::async_test]
async fn a_new_member_is_kept_out_of_the_member_area_until_onboarding_is_done() {
    let app = TestApp::spawn().await;
    joining(&app, "bo").await;

    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["status"], "onboarding");
    assert_eq!(session["onboarding_complete"], false);

    for path in ["/api/v1/me", "/api/v1/directory"] {
        let (status, err) = app.json(path).await;
        assert_eq!(status, Status::Forbidden, "{path}");
        assert_eq!(err["error"]["code"], "onboarding_incomplete", "{path}");
    }
    let (status, err) = put(&app, "/api/v1/me", json!({"city": "Oslo"})).await;
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (Status::Forbidden, json!("onboarding_incomplete"))
    );

    let (status, view) = app.json("/api/v1/onboarding").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["status"], "onboarding");
    assert_eq!(view["missing"], json!(["profile", "review"]));
    assert_eq!(view["missing_fields"], json!(["first_name", "last_name"]));
    assert_eq!(view["profile"]["username"], "bo");
}

#[rocket::async_test]
async fn onboarding_requires_names_and_checks_every_field() {
    let app = TestApp::spawn().await;
    joining(&app, "bo").await;

    let (status, err) = put(&app, "/api/v1/onboarding", json!({"city": "Oslo"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let fields = &err["error"]["fields"];
    assert!(fields["first_name"].is_string() && fields["last_name"].is_string(), "{err}");

    let bad = json!({"first_name": "Bo", "last_name": "Berg", "timezone": "Mars/Olympus",
                     "coach_id": 999, "phone": "call me", "zip": "x".repeat(21)});
    let (status, err) = put(&app, "/api/v1/onboarding", bad).await;
    assert_eq!(status, Status::UnprocessableEntity);
    for field in ["timezone", "coach_id", "phone", "zip"] {
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, err) =
        put(&app, "/api/v1/onboarding", json!({"first_name": "Bo", "roles": ["admin"]})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["roles"].is_string(), "{err}");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE onboarding_completed_at IS NOT NULL").await,
        0
    );
}

#[rocket::async_test]
async fn with_review_on_a_completed_profile_waits_for_an_admin_who_activates_and_emails() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    let coach = app.create_user("cat", &[Role::Coach]).await;
    let bo = joining(&app, "bo").await;

    let profile = json!({"first_name": " Bo ", "last_name": "Berg", "city": "Oslo",
                         "timezone": "Europe/Oslo", "coach_id": coach, "venue": "Main rink"});
    let (status, view) = put(&app, "/api/v1/onboarding", profile).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["status"], "pending_review");
    assert_eq!(view["missing"], json!(["review"]));
    assert_eq!(view["profile"]["first_name"], "Bo");
    assert_eq!(view["profile"]["coach"], json!({"id": coach, "name": "cat"}));
    assert_eq!(view["profile"]["timezone"], "Europe/Oslo");

    let (status, err) = put(&app, "/api/v1/onboarding", names()).await;
    assert_eq!(status, Status::Conflict, "a second time is a conflict");
    assert_eq!(err["error"]["code"], "onboarding_complete");
    assert_eq!(app.json("/api/v1/me").await.0, Status::Forbidden, "still waiting");

    let (status, list) = admin.json("/api/v1/admin/members?status=pending_review").await;
    assert_eq!(status, Status::Ok);
    let names: Vec<&str> =
        list.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bo Berg"]);

    let (status, detail) = admin
        .post_json(&format!("/api/v1/admin/members/{bo}/activate"), json!({"note": "Welcome!"}))
        .await;
    assert_eq!(status, Status::Ok, "{detail}");
    assert_eq!(detail["profile"]["status"], "active");
    assert!(detail["profile"]["member_since"].is_string());
    let timeline: Vec<(Value, Value)> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["to"].clone(), e["actor_name"].clone()))
        .collect();
    assert_eq!(
        timeline,
        [(json!("pending_review"), json!("Bo Berg")), (json!("active"), json!("admin"))],
        "every transition with its actor"
    );
    assert_eq!(detail["timeline"][1]["note"], "Welcome!");
    let mail = app.last_email_text("bo@example.org").await;
    assert!(mail.contains("is now active") && mail.contains("/home"), "{mail}");

    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (session["status"].clone(), session["onboarding_complete"].clone()),
        (json!("active"), json!(true))
    );
    assert_eq!(app.json("/api/v1/me").await.0, Status::Ok);

    let (status, err) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/activate"), json!({})).await;
    assert_eq!(status, Status::Conflict, "already active: {err}");
}

#[rocket::async_test]
async fn without_review_and_agreement_completion_activates_directly() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    set_review(&admin, false).await;
    let bo = joining(&app, "bo").await;

    let (status, view) = put(&app, "/api/v1/onboarding", names()).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["status"], "active");
    assert_eq!(view["onboarding_complete"], true);
    assert_eq!(view["missing"], json!([]));
    assert_eq!(status_of(&app, bo).await, "active");
    assert!(app.last_email_text("bo@example.org").await.contains("is now active"));
    assert_eq!(app.json("/api/v1/me").await.0, Status::Ok);
}

#[rocket::async_test]
async fn the_agreement_is_signed_with_version_time_and_ip_before_activation() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    publish(&admin, "Club rules", "Be kind.\nClean up.").await;
    let bo = joining(&app, "bo").await;

    let (_, view) = put(&app, "/api/v1/onboarding", names()).await;
    assert_eq!(view["status"], "pending_contract");
    assert_eq!(view["missing"], json!(["agreement", "review"]));
    assert_eq!(view["agreement"]["version"], 1);
    assert_eq!(view["agreement"]["needs_signature"], true);

    let (status, err) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/activate"), json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "activation_blocked");
    assert!(err["error"]["fields"]["agreement"].is_string(), "names what is missing: {err}");
    assert!(err["error"]["fields"].get("profile").is_none(), "{err}");

    let (status, err) = app
        .post_json("/api/v1/onboarding/agreement", json!({"full_name": "Bo Berg", "accept": false}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["accept"].is_string());
    let (status, err) = app
        .post_json("/api/v1/onboarding/agreement", json!({"full_name": " ", "accept": true}))
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["full_name"].is_string());
    let (status, err) = app
        .post_json(
            "/api/v1/onboarding/agreement",
            json!({"full_name": "Bo Berg", "accept": true, "version": 7}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (Status::Conflict, json!("agreement_changed"))
    );

    let (status, view) = app
        .post_json(
            "/api/v1/onboarding/agreement",
            json!({"full_name": "Bo Berg", "accept": true, "version": 1}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["status"], "pending_review");
    assert_eq!(view["agreement"]["signed_version"], 1);
    let (status, err) = app
        .post_json("/api/v1/onboarding/agreement", json!({"full_name": "Bo Berg", "accept": true}))
        .await;
    assert_eq!((status, err["error"]["code"].clone()), (Status::Conflict, json!("already_signed")));

    let (_, detail) = admin.json(&format!("/api/v1/admin/members/{bo}")).await;
    assert_eq!(detail["signatures"][0]["version"], 1);
    assert_eq!(detail["signatures"][0]["full_name"], "Bo Berg");
    assert!(detail["signatures"][0]["signed_at"].is_string());
    assert!(detail["signatures"][0].get("ip").is_some());
    assert_eq!(detail["can_activate"], true);
    let steps: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["pending_contract", "pending_review"]);
    let (status, _) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/activate"), json!({})).await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn a_new_agreement_version_is_shown_to_members_who_signed_an_older_one() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    set_review(&admin, false).await;
    publish(&admin, "Rules", "Version one.").await;
    joining(&app, "bo").await;
    put(&app, "/api/v1/onboarding", names()).await;
    let (_, view) = app
        .post_json("/api/v1/onboarding/agreement", json!({"full_name": "Bo Berg", "accept": true}))
        .await;
    assert_eq!(view["status"], "active");

    let admin_view = publish(&admin, "Rules", "Version two.").await;
    assert_eq!(admin_view["current"]["version"], 2);
    assert_eq!(admin_view["versions"][1]["signatures"], 1);

    let (_, view) = app.json("/api/v1/onboarding").await;
    assert_eq!(view["status"], "active", "members are not thrown out");
    assert_eq!(view["agreement_pending"], true);
    assert_eq!(view["agreement"]["version"], 2);
    assert_eq!(view["agreement"]["signed_version"], 1);
    let home = app.client.get("/home").dispatch().await.into_string().await.unwrap();
    assert!(home.contains("The club agreement has changed"), "the home page says so");

    let (status, view) = app
        .post_json(
            "/api/v1/onboarding/agreement",
            json!({"full_name": "Bo Berg", "accept": true, "version": 2}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["agreement_pending"], false);
    assert_eq!(app.count("SELECT count(*) FROM agreement_signatures").await, 2);
}

#[rocket::async_test]
async fn retiring_the_agreement_lets_waiting_members_move_on() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    set_review(&admin, false).await;
    publish(&admin, "Rules", "Text.").await;
    let bo = joining(&app, "bo").await;
    put(&app, "/api/v1/onboarding", names()).await;
    assert_eq!(status_of(&app, bo).await, "pending_contract");

    let (status, view) =
        admin.send_json(Method::Delete, "/api/v1/admin/agreement", json!({})).await;
    assert_eq!(status, Status::Ok, "{view}");
    assert!(view["current"].is_null());
    assert_eq!(status_of(&app, bo).await, "active");
    let (status, _) = admin.send_json(Method::Delete, "/api/v1/admin/agreement", json!({})).await;
    assert_eq!(status, Status::Conflict, "nothing left to retire");
    let (status, err) = app
        .post_json("/api/v1/onboarding/agreement", json!({"full_name": "Bo", "accept": true}))
        .await;
    assert_eq!((status, err["error"]["code"].clone()), (Status::Conflict, json!("no_agreement")));
}

#[rocket::async_test]
async fn activation_names_a_missing_profile() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    let bo = app.create_user_with_status("bo", &[Role::Member], UserStatus::Onboarding).await;
    let (status, err) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/activate"), json!({})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["profile"].is_string(), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("profile"));
    let (status, _) = admin.post_json("/api/v1/admin/members/9999/activate", json!({})).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn disabling_ends_every_session_and_enabling_restores_the_previous_status() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    let admin_id = admin.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    assert_eq!(app.json("/api/v1/me").await.0, Status::Ok);

    let (status, detail) = admin
        .post_json(&format!("/api/v1/admin/members/{bo}/disable"), json!({"note": "Left the club"}))
        .await;
    assert_eq!(status, Status::Ok, "{detail}");
    assert_eq!(detail["profile"]["status"], "disabled");
    assert_eq!(app.json("/api/v1/me").await.0, Status::Unauthorized, "the session ended");
    let refused = body_json(app.api_login("bo", PASSWORD).await).await;
    assert_eq!(refused["error"]["code"], "account_disabled");

    let (status, _) =
        admin.post_json(&format!("/api/v1/admin/members/{admin_id}/disable"), json!({})).await;
    assert_eq!(status, Status::Conflict, "nobody disables themselves");
    let (status, _) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/disable"), json!({})).await;
    assert_eq!(status, Status::Conflict, "already disabled");

    let (status, detail) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/enable"), json!({})).await;
    assert_eq!(status, Status::Ok, "{detail}");
    assert_eq!(detail["profile"]["status"], "active");
    app.login_as("bo").await;
    assert_eq!(app.json("/api/v1/me").await.0, Status::Ok);
    let (status, _) =
        admin.post_json(&format!("/api/v1/admin/members/{bo}/enable"), json!({})).await;
    assert_eq!(status, Status::Conflict, "not disabled");
}

#[rocket::async_test]
async fn only_admins_see_and_change_member_records() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    assert_eq!(app.json("/api/v1/admin/members").await.0, Status::Unauthorized);
    app.create_user("bo", &[Role::Member, Role::Coach]).await;
    app.login_as("bo").await;
    assert_eq!(app.json("/api/v1/admin/members").await.0, Status::Forbidden);
    assert_eq!(app.json(&format!("/api/v1/admin/members/{ann}")).await.0, Status::Forbidden);
    for action in ["activate", "disable", "enable"] {
        let (status, _) =
            app.post_json(&format!("/api/v1/admin/members/{ann}/{action}"), json!({})).await;
        assert_eq!(status, Status::Forbidden, "{action}");
    }
    assert_eq!(app.json("/api/v1/admin/profile-fields").await.0, Status::Forbidden);
    assert_eq!(
        app.post_json("/api/v1/admin/profile-fields", json!({"key": "x", "label": "X"})).await.0,
        Status::Forbidden
    );
    assert_eq!(
        put(&app, "/api/v1/admin/agreement", json!({"title": "T", "body": "B"})).await.0,
        Status::Forbidden
    );
    assert_eq!(status_of(&app, ann).await, "active");
    assert_eq!(app.count("SELECT count(*) FROM agreements").await, 0);
}

#[rocket::async_test]
async fn the_admin_member_list_filters_by_status_and_search() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    app.create_user("bo", &[Role::Member]).await;
    app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;
    let usernames = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["username"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = app.json("/api/v1/admin/members").await;
    assert_eq!(usernames(&all), ["admin", "bo", "cy"]);
    let (_, joining) = app.json("/api/v1/admin/members?status=onboarding").await;
    assert_eq!(usernames(&joining), ["cy"]);
    let (_, found) = app.json("/api/v1/admin/members?q=BO%40example").await;
    assert_eq!(usernames(&found), ["bo"]);
    let (_, none) = app.json("/api/v1/admin/members?q=%25").await;
    assert_eq!(usernames(&none), Vec::<String>::new(), "% is matched literally");
    let (status, err) = app.json("/api/v1/admin/members?status=sleeping").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["status"].is_string());
}

#[rocket::async_test]
async fn admins_define_club_fields_with_types_and_checks() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let dog = add_field(
        &app,
        json!({"key": "dog_name", "label": "Dog's name", "required": true, "visibility": "public"}),
    )
    .await;
    assert_eq!(dog["kind"], "text");
    let size = add_field(&app, json!({"key": "size", "label": "Size", "kind": "choice", "choices": ["Small", " Large ", "Small", ""]})).await;
    assert_eq!(size["choices"], json!(["Small", "Large"]));

    let (status, err) = app
        .post_json("/api/v1/admin/profile-fields", json!({"key": "dog_name", "label": "Again"}))
        .await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["key"].is_string());
    let (status, err) = app
        .post_json(
            "/api/v1/admin/profile-fields",
            json!({"key": "Bad Key", "label": "", "kind": "colour", "visibility": "world"}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    for field in ["key", "label", "kind", "visibility"] {
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (status, err) = app
        .post_json(
            "/api/v1/admin/profile-fields",
            json!({"key": "level", "label": "Level", "kind": "choice"}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["choices"].is_string());

    let id = dog["id"].as_i64().unwrap();
    let (status, changed) = put(
        &app,
        &format!("/api/v1/admin/profile-fields/{id}"),
        json!({"label": "Your dog's name", "position": 9}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{changed}");
    assert_eq!(changed["label"], "Your dog's name");
    let (_, list) = app.json("/api/v1/admin/profile-fields").await;
    let keys: Vec<&str> =
        list.as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["size", "dog_name"], "ordered by position");
    assert_eq!(
        put(&app, "/api/v1/admin/profile-fields/999", json!({"label": "X"})).await.0,
        Status::NotFound
    );
}

#[rocket::async_test]
async fn club_field_answers_are_validated_by_type_and_required_ones_enforced() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    set_review(&admin, false).await;
    add_field(&admin, json!({"key": "dog_name", "label": "Dog's name", "required": true})).await;
    add_field(&admin, json!({"key": "weight", "label": "Weight", "kind": "number"})).await;
    add_field(&admin, json!({"key": "born", "label": "Born", "kind": "date"})).await;
    add_field(&admin, json!({"key": "vaccinated", "label": "Vaccinated", "kind": "yes_no"})).await;
    let size = add_field(
        &admin,
        json!({"key": "size", "label": "Size", "kind": "choice", "choices": ["Small", "Large"]}),
    )
    .await;
    joining(&app, "bo").await;

    let bad = json!({"first_name": "Bo", "last_name": "Berg", "fields": {
        "weight": "heavy", "born": "2020-02-30", "vaccinated": "maybe", "size": "Huge", "colour": "red"}});
    let (status, err) = put(&app, "/api/v1/onboarding", bad).await;
    assert_eq!(status, Status::UnprocessableEntity);
    for key in ["dog_name", "weight", "born", "vaccinated", "size", "colour"] {
        assert!(err["error"]["fields"][format!("fields.{key}")].is_string(), "{key}: {err}");
    }

    let good = json!({"first_name": "Bo", "last_name": "Berg", "fields": {
        "dog_name": "Rex", "weight": 12.0, "born": "2020-02-29", "vaccinated": true, "size": "Large"}});
    let (status, view) = put(&app, "/api/v1/onboarding", good).await;
    assert_eq!(status, Status::Ok, "{view}");
    let answers: Vec<(Value, Value)> = view["profile"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["key"].clone(), f["value"].clone()))
        .collect();
    assert_eq!(
        answers,
        [
            (json!("dog_name"), json!("Rex")),
            (json!("weight"), json!("12")),
            (json!("born"), json!("2020-02-29")),
            (json!("vaccinated"), json!("yes")),
            (json!("size"), json!("Large")),
        ]
    );

    let (status, err) = put(&app, "/api/v1/me", json!({"fields": {"dog_name": null}})).await;
    assert_eq!(status, Status::UnprocessableEntity, "a required answer cannot be cleared");
    assert!(err["error"]["fields"]["fields.dog_name"].is_string());
    let (status, me) = put(&app, "/api/v1/me", json!({"fields": {"weight": null}})).await;
    assert_eq!(status, Status::Ok);
    assert!(me["fields"][1]["value"].is_null(), "an optional answer can");

    let (status, err) = put(
        &admin,
        &format!("/api/v1/admin/profile-fields/{}", size["id"]),
        json!({"kind": "text"}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "answered fields keep their type: {err}");
    let (status, _) = admin
        .send_json(
            Method::Delete,
            &format!("/api/v1/admin/profile-fields/{}", size["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, Status::NoContent);
    assert_eq!(
        app.count("SELECT count(*) FROM profile_values").await,
        3,
        "its answers went with it"
    );
}

#[rocket::async_test]
async fn members_update_their_own_contact_details_but_never_their_roles_or_status() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;

    let update = json!({"phone": "+47 555 1234", "address": "Street 1\nOslo", "timezone": "America/New_York",
                        "emergency_contact_name": "Al Berg", "emergency_contact_phone": "123 456",
                        "show_email": true});
    let (status, me) = put(&app, "/api/v1/me", update).await;
    assert_eq!(status, Status::Ok, "{me}");
    assert_eq!(me["phone"], "+47 555 1234");
    assert_eq!(me["address"], "Street 1\nOslo");
    assert_eq!(me["timezone"], "America/New_York");
    assert_eq!(me["emergency_contact"], json!({"name": "Al Berg", "phone": "123 456"}));
    assert_eq!(me["show_email"], true);
    let (_, again) = app.json("/api/v1/me").await;
    assert_eq!(again, me, "saved");

    for attack in [
        json!({"roles": ["admin"]}),
        json!({"status": "active"}),
        json!({"email": "new@example.org"}),
        json!({"id": 1, "phone": "1"}),
        json!({"user_id": 1}),
    ] {
        let key = attack.as_object().unwrap().keys().next().unwrap().clone();
        let (status, err) = put(&app, "/api/v1/me", attack).await;
        assert_eq!(status, Status::UnprocessableEntity, "{key}");
        assert!(err["error"]["fields"][&key].is_string(), "{key}: {err}");
    }
    let (_, me) = app.json("/api/v1/me").await;
    assert_eq!(me["roles"], json!(["member"]));
    assert_eq!(me["email"], "bo@example.org");
    assert_eq!(me["phone"], "+47 555 1234");
    assert_eq!(status_of(&app, bo).await, "active");

    let (status, err) =
        put(&app, "/api/v1/me", json!({"timezone": "Nowhere/Land", "show_phone": "perhaps"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        err["error"]["fields"]["timezone"].is_string()
            && err["error"]["fields"]["show_phone"].is_string()
    );
}

#[rocket::async_test]
async fn one_member_cannot_change_another_members_profile() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("ann").await;
    put(&app, "/api/v1/me", json!({"phone": "111", "city": "Bergen"})).await;
    app.login_as("bo").await;
    let (status, _) = put(&app, "/api/v1/me", json!({"phone": "222", "city": "Oslo"})).await;
    assert_eq!(status, Status::Ok);
    let (status, _) = put(&app, "/api/v1/me", json!({"id": ann, "phone": "333"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(app.json(&format!("/api/v1/me/{ann}")).await.0, Status::NotFound);
    assert_eq!(app.json(&format!("/api/v1/admin/members/{ann}")).await.0, Status::Forbidden);
    let ann_phone = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT phone || '/' || city FROM users WHERE id = ?1",
                [ann],
                |r| r.get::<_, String>(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(ann_phone, "111/Bergen");
}

#[rocket::async_test]
async fn the_directory_shows_active_members_and_only_what_they_share() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    add_field(&admin, json!({"key": "level", "label": "Level", "visibility": "members"})).await;
    add_field(&admin, json!({"key": "vet", "label": "Vet", "visibility": "private"})).await;
    app.create_user("ann", &[Role::Member]).await;
    app.create_user("bo", &[Role::Member, Role::Coach]).await;
    app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;
    app.create_user_with_status("di", &[Role::Member], UserStatus::Disabled).await;
    app.create_user("guest-x", &[Role::Guest]).await;

    app.login_as("ann").await;
    put(
        &app,
        "/api/v1/me",
        json!({"first_name": "Ann", "last_name": "Ash", "phone": "111", "show_email": true,
                                   "fields": {"level": "Gold", "vet": "Dr. Secret"}}),
    )
    .await;
    app.login_as("bo").await;
    put(&app, "/api/v1/me", json!({"phone": "222", "show_phone": true})).await;

    let (status, page) = app.json("/api/v1/directory").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (&page["page"], &page["per_page"], &page["total"], &page["pages"], &page["q"]),
        (&json!(1), &json!(50), &json!(3), &json!(1), &json!(""))
    );
    let list = &page["items"];
    let text = list.to_string();
    let usernames: Vec<&str> =
        list.as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect();
    assert_eq!(usernames, ["admin", "ann", "bo"]);
    let ann = &list[1];
    assert_eq!(ann["name"], "Ann Ash");
    assert_eq!(ann["email"], "ann@example.org", "ann chose to show her email");
    assert!(ann["phone"].is_null(), "but not her phone");
    assert_eq!(ann["fields"], json!([{"key": "level", "label": "Level", "value": "Gold"}]));
    assert!(!text.contains("Dr. Secret"), "private answers stay private");
    assert!(!text.contains("111"));
    assert_eq!(list[2]["phone"], "222");
    assert!(list[2]["email"].is_null());
    assert!(!text.contains("admin@example.org"));

    let (_, found) = app.json("/api/v1/directory?q=ash").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["username"], "ann");
    assert_eq!((&found["total"], &found["q"]), (&json!(1), &json!("ash")));
    let (status, _) = app.json(&format!("/api/v1/directory?q={}", "x".repeat(101))).await;
    assert_eq!(status, Status::UnprocessableEntity);
}

/// Adds `n` active members `m001`... named "ada 01", "Bea 02", "cy 03" and so on (with 120,
/// every name twice, so that the order needs its tie-break), and the people the directory
/// leaves out: disabled, still joining, and guests.
pub(crate) async fn add_members(app: &TestApp, n: i64) {
    app.db()
        .write(move |tx| {
            let add = |username: String, first: &str, last: String, status: &str, role: &str| {
                tx.execute(
                    "INSERT INTO users (username, email, first_name, last_name, status,
                                        created_at, updated_at)
                     VALUES (?1, ?1 || '@example.org', ?2, ?3, ?4, 0, 0)",
                    rusqlite::params![username, first, last, status],
                )?;
                tx.execute(
                    "INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)",
                    rusqlite::params![tx.last_insert_rowid(), role],
                )?;
                Ok::<_, clubroom::error::AppError>(())
            };
            for i in 1..=n {
                let first = ["ada", "Bea", "cy"][(i % 3) as usize];
                add(format!("m{i:03}"), first, format!("{:02}", i % 20), "active", "member")?;
            }
            for (i, status, role) in [
                (1, "disabled", "member"),
                (2, "onboarding", "member"),
                (3, "pending_review", "member"),
                (4, "active", "guest"),
            ] {
                add(format!("out{i}"), "Bea", "Left-Out".into(), status, role)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// The usernames and names of a directory answer, in order.
fn listed(page: &Value) -> Vec<(String, String)> {
    let items = page["items"].as_array().unwrap_or_else(|| panic!("no items: {page}"));
    items
        .iter()
        .map(|m| (m["username"].as_str().unwrap().into(), m["name"].as_str().unwrap().into()))
        .collect()
}

#[rocket::async_test]
async fn the_directory_pages_fifty_members_at_a_time_without_repeating_or_skipping_one() {
    let app = TestApp::spawn().await;
    add_members(&app, 119).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    let mut seen = Vec::new();
    for (page, expected) in [(1, 50), (2, 50), (3, 20)] {
        let (status, body) = app.json(&format!("/api/v1/directory?page={page}")).await;
        assert_eq!(status, Status::Ok, "{body}");
        assert_eq!(
            (&body["page"], &body["per_page"], &body["total"], &body["pages"]),
            (&json!(page), &json!(50), &json!(120), &json!(3)),
            "page {page}"
        );
        let members = listed(&body);
        assert_eq!(members.len(), expected, "page {page}");
        seen.extend(members);
    }
    let first = listed(&app.json("/api/v1/directory").await.1);
    assert_eq!(first[..], seen[..50], "no page number is page 1");

    // By name without regard to case, then by id (the usernames were given in id order).
    let mut sorted = seen.clone();
    sorted.sort_by_key(|(username, name)| (name.to_lowercase(), username.clone()));
    assert_eq!(seen, sorted);
    let pair = |u: &str, n: &str| (u.to_string(), n.to_string());
    assert_eq!(seen[..3], [pair("m060", "ada 00"), pair("m021", "ada 01"), pair("m081", "ada 01")]);
    assert_eq!(seen[119], pair("viewer", "viewer"));
    let mut usernames: Vec<&str> = seen.iter().map(|(u, _)| u.as_str()).collect();
    usernames.sort();
    usernames.dedup();
    assert_eq!(usernames.len(), 120, "every member exactly once");
    assert!(!usernames.iter().any(|u| u.starts_with("out")), "only active members");

    let (_, past) = app.json("/api/v1/directory?page=4").await;
    assert!(listed(&past).is_empty(), "a page past the end is empty");
    assert_eq!((&past["total"], &past["pages"]), (&json!(120), &json!(3)));

    let (_, big) = app.json("/api/v1/directory?per_page=100").await;
    assert_eq!((listed(&big).len(), &big["pages"]), (100, &json!(2)));
    let (_, rest) = app.json("/api/v1/directory?per_page=100&page=2").await;
    assert_eq!(listed(&rest)[..], seen[100..]);
    let (_, blank) = app.json("/api/v1/directory?page=&per_page=%20").await;
    assert_eq!((&blank["page"], &blank["per_page"]), (&json!(1), &json!(50)), "blank: defaults");
}

/// The order of the whole directory is kept between views; every change to who is listed, or
/// under which name, shows on the very next one.
#[rocket::async_test]
async fn the_kept_directory_order_follows_every_change_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    add_members(&app, 60).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;
    let usernames =
        |page: &Value| -> Vec<String> { listed(page).into_iter().map(|m| m.0).collect() };
    let order = app.ctx().directory_order.clone();

    let (_, first) = app.json("/api/v1/directory?per_page=20&page=2").await;
    let reads = order.reads();
    let (_, again) = app.json("/api/v1/directory?per_page=20&page=2").await;
    assert_eq!(again, first);
    assert_eq!(get(&app, "/directory?page=2").await.status, Status::Ok);
    assert_eq!(order.reads(), reads, "the order was kept for the next views, JSON or HTML");
    assert_eq!(first["total"], json!(62));

    // A new name moves the member at once.
    let me = json!({"first_name": "Aaron", "last_name": "Aa"});
    assert_eq!(put(&app, "/api/v1/me", me).await.0, Status::Ok);
    let (_, top) = app.json("/api/v1/directory?per_page=1").await;
    assert_eq!(listed(&top), [("viewer".to_string(), "Aaron Aa".to_string())]);

    // Roles (through their trigger) and status, changed by an admin's own requests.
    let id = |name: &'static str| {
        let db = app.db();
        async move {
            db.read(move |tx| {
                Ok(tx.query_row("SELECT id FROM users WHERE username = ?1", [name], |r| r.get(0))?)
            })
            .await
            .unwrap()
        }
    };
    let (m001, m002): (i64, i64) = (id("m001").await, id("m002").await);
    let path = format!("/api/v1/admin/members/{m001}/roles");
    let (status, body) = admin.send_json(Method::Put, &path, json!({"roles": ["guest"]})).await;
    assert_eq!(status, Status::Ok, "{body}");
    let path = format!("/api/v1/admin/members/{m002}/disable");
    assert_eq!(admin.post_json(&path, json!({})).await.0, Status::Ok);
    app.create_user("newcomer", &[Role::Member]).await;

    let (_, all) = app.json("/api/v1/directory?per_page=100").await;
    let now = usernames(&all);
    assert_eq!(all["total"], json!(61), "{all}");
    assert!(!now.contains(&"m001".to_string()) && !now.contains(&"m002".to_string()), "{now:?}");
    assert!(now.contains(&"newcomer".to_string()), "{now:?}");
    assert_eq!(now[0], "viewer");

    // A change written by any request through the pool counts, even without a handler's help.
    app.exec("UPDATE users SET first_name = 'Zed' WHERE username = 'viewer'").await;
    let (_, all) = app.json("/api/v1/directory?per_page=100").await;
    assert_eq!(usernames(&all).last().map(String::as_str), Some("viewer"), "{all}");
}

#[rocket::async_test]
async fn a_search_of_the_directory_is_paged_over_its_matches_only() {
    let app = TestApp::spawn().await;
    add_members(&app, 120).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    let mut seen = Vec::new();
    for (page, expected) in [(1, 15), (2, 15), (3, 10)] {
        let path = format!("/api/v1/directory?q=%20BEA%20&per_page=15&page={page}");
        let (status, body) = app.json(&path).await;
        assert_eq!(status, Status::Ok, "{body}");
        assert_eq!(
            (&body["q"], &body["total"], &body["pages"], &body["per_page"]),
            (&json!("BEA"), &json!(40), &json!(3), &json!(15)),
            "the search as understood, and what it matches on every page"
        );
        let members = listed(&body);
        assert_eq!(members.len(), expected, "page {page}");
        seen.extend(members);
    }
    assert!(seen.iter().all(|(_, name)| name.starts_with("Bea ")), "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by_key(|(username, name)| (name.to_lowercase(), username.clone()));
    assert_eq!(seen, sorted);
    sorted.dedup();
    assert_eq!(sorted.len(), 40, "no member on two pages");

    let (_, one) = app.json("/api/v1/directory?q=m007").await;
    assert_eq!(listed(&one), [("m007".to_string(), "Bea 07".to_string())], "by username too");
    let (_, none) = app.json("/api/v1/directory?q=nobody&page=2").await;
    assert_eq!((listed(&none).len(), &none["total"], &none["pages"]), (0, &json!(0), &json!(1)));
}

#[rocket::async_test]
async fn bad_paging_of_the_directory_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;
    for (query, fields) in [
        ("page=0", &["page"][..]),
        ("page=-2", &["page"]),
        ("page=two", &["page"]),
        ("page=1.5", &["page"]),
        ("page=99999999999999999999", &["page"]),
        ("per_page=0", &["per_page"]),
        ("per_page=101", &["per_page"]),
        ("per_page=ten", &["per_page"]),
        ("page=0&per_page=500", &["page", "per_page"]),
    ] {
        let (status, body) = app.json(&format!("/api/v1/directory?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}: {body}");
        let named: Vec<&String> = body["error"]["fields"].as_object().unwrap().keys().collect();
        assert_eq!(named, fields, "{query}");
    }
    let long = format!("/api/v1/directory?q={}&per_page=x", "x".repeat(101));
    let (status, body) = app.json(&long).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let named: Vec<&String> = body["error"]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(named, ["per_page", "q"], "every bad field at once");
    assert_eq!(app.json("/api/v1/directory?per_page=100").await.0, Status::Ok, "100 is allowed");
}

#[rocket::async_test]
async fn paging_opens_the_directory_to_no_one_new() {
    let app = TestApp::spawn().await;
    add_members(&app, 60).await;
    assert_eq!(app.json("/api/v1/directory?page=2").await.0, Status::Unauthorized);
    for (who, status) in [("out2", UserStatus::Onboarding), ("out3", UserStatus::PendingReview)] {
        app.create_user_with_status(&format!("{who}x"), &[Role::Member], status).await;
        app.login_as(&format!("{who}x")).await;
        let (status, err) = app.json("/api/v1/directory?page=2&per_page=100").await;
        assert_eq!(status, Status::Forbidden, "{who}");
        assert_eq!(err["error"]["code"], "onboarding_incomplete", "{who}");
    }
    app.create_user("guest-x", &[Role::Guest]).await;
    app.login_as("guest-x").await;
    assert_eq!(app.json("/api/v1/directory?page=2").await.0, Status::Forbidden);
}

#[rocket::async_test]
async fn members_on_a_later_page_show_only_the_answers_they_share() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    add_field(&admin, json!({"key": "level", "label": "Level", "visibility": "members"})).await;
    add_field(&admin, json!({"key": "club", "label": "Club", "visibility": "public"})).await;
    add_field(&admin, json!({"key": "vet", "label": "Vet", "visibility": "private"})).await;
    add_members(&app, 120).await;
    app.exec(
        "INSERT INTO profile_values (user_id, field_id, value)
         SELECT u.id, f.id, f.key || ' of ' || u.username FROM users u, profile_fields f
         WHERE u.username LIKE 'm%' AND (f.key <> 'club' OR u.username = 'm120')",
    )
    .await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    // 120 members, the viewer and the admin: m120 ("ada 00") is on page 1, the cy ones last.
    let (_, last) = app.json("/api/v1/directory?page=3").await;
    let items = last["items"].as_array().unwrap();
    assert_eq!(items.len(), 22);
    let text = last.to_string();
    assert!(!text.contains("vet of"), "private answers stay private: {text}");
    for m in items.iter().filter(|m| m["username"].as_str().unwrap().starts_with('m')) {
        let username = m["username"].as_str().unwrap();
        let level =
            json!({"key": "level", "label": "Level", "value": format!("level of {username}")});
        assert_eq!(m["fields"], json!([level]), "{username}: its own answer, once");
    }
    let (_, first) = app.json("/api/v1/directory").await;
    let m120 = first["items"].as_array().unwrap().iter().find(|m| m["username"] == "m120");
    assert_eq!(
        m120.unwrap()["fields"],
        json!([
            {"key": "level", "label": "Level", "value": "level of m120"},
            {"key": "club", "label": "Club", "value": "club of m120"}
        ]),
        "public answers are shared with members too, in the club's field order"
    );
    assert!(!first.to_string().contains("vet of"));
}

#[rocket::async_test]
async fn guests_and_visitors_are_kept_out_of_the_member_area() {
    let app = TestApp::spawn().await;
    assert_eq!(app.json("/api/v1/me").await.0, Status::Unauthorized);
    assert_eq!(app.json("/api/v1/directory").await.0, Status::Unauthorized);
    assert_eq!(app.json("/api/v1/onboarding").await.0, Status::Unauthorized);
    app.create_user("guest-x", &[Role::Guest]).await;
    app.login_as("guest-x").await;
    let (status, err) = app.json("/api/v1/me").await;
    assert_eq!((status, err["error"]["code"].clone()), (Status::Forbidden, json!("members_only")));
    let (status, _) = put(&app, "/api/v1/onboarding", names()).await;
    assert_eq!(status, Status::Forbidden);
}

#[rocket::async_test]
async fn a_claimed_account_moves_from_invited_to_onboarding() {
    let app = TestApp::spawn().await;
    let admin = app.restart().await;
    admin.as_admin().await;
    let body = json!({"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee"});
    let (status, created) = admin.post_json("/api/v1/admin/members", body).await;
    assert_eq!(status, Status::Created, "{created}");
    let kim = created["user_id"].as_i64().unwrap();
    assert_eq!(status_of(&app, kim).await, "invited");

    app.post_json("/api/v1/auth/claim/request", json!({"email": "kim@example.org"})).await;
    let code = app.last_code("kim@example.org").await;
    let body =
        json!({"email": "kim@example.org", "code": code, "password": "a brand new password"});
    let (status, _) = app.post_json("/api/v1/auth/claim/complete", body).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(status_of(&app, kim).await, "onboarding");
    let (_, view) = app.json("/api/v1/onboarding").await;
    assert_eq!(view["profile"]["first_name"], "Kim", "what the admin entered is kept");
    let (_, detail) = admin.json(&format!("/api/v1/admin/members/{kim}")).await;
    let steps: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["invited", "onboarding"]);
}

#[rocket::async_test]
async fn an_invited_member_lists_each_missing_step_once() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let id = app.create_user_with_status("ivy", &[Role::Member], UserStatus::Invited).await;
    let (status, view) = app.json(&format!("/api/v1/admin/members/{id}")).await;
    assert_eq!(status, Status::Ok);
    let missing = view["missing"].as_array().expect("the steps still to do").clone();
    assert_eq!(missing.first(), Some(&json!("profile")), "{view}");
    let mut unique = missing.clone();
    unique.dedup();
    assert_eq!(missing, unique, "no step twice: {view}");
}
