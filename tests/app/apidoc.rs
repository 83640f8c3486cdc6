//! The OpenAPI document describes exactly the API the application mounts, is structurally
//! sound, and is served (with its readable page) to anyone.

use std::collections::BTreeSet;

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Method, Status, StatusClass};
use serde_json::{json, Value};

use crate::support::TestApp;

/// `GET /api/v1/x/{id}` for every route mounted under /api, whoever mounted it.
fn mounted(app: &TestApp) -> BTreeSet<String> {
    app.client
        .rocket()
        .routes()
        .filter(|route| {
            let path = route.uri.path().to_string();
            path == "/api" || path.starts_with("/api/")
        })
        .map(|route| {
            let path: Vec<String> = route
                .uri
                .path()
                .split('/')
                .map(|seg| match seg.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                    Some(name) => format!("{{{}}}", name.trim_end_matches("..")),
                    None => seg.to_string(),
                })
                .collect();
            format!("{} {}", route.method, path.join("/"))
        })
        .collect()
}

fn documented(doc: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    ops
}

/// The paths (`/paths/~1api~1v1~1x/get`) where two documents differ, at most `most` of them.
fn differences(left: &Value, right: &Value, at: &str, most: usize, out: &mut Vec<String>) {
    if out.len() >= most || left == right {
        return;
    }
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for key in keys {
                let step = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                let (a, b) =
                    (l.get(key).unwrap_or(&Value::Null), r.get(key).unwrap_or(&Value::Null));
                differences(a, b, &step, most, out);
            }
        }
        _ => out.push(at.to_string()),
    }
}

/// The binary serves `src/apidoc/openapi.json`; it must be what the code generates. After a
/// change to an operation or a type, `CLUBROOM_WRITE_API_DOC=1 cargo test --test app apidoc`
/// rewrites it (and the change then shows in its diff).
#[test]
fn the_stored_document_is_the_one_the_code_generates() {
    let generated = clubroom::apidoc::generate();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/apidoc/openapi.json");
    if std::env::var_os("CLUBROOM_WRITE_API_DOC").is_some() {
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        std::fs::write(file, text).unwrap();
        return;
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut differ = Vec::new();
    differences(&stored, &generated, "", 10, &mut differ);
    assert!(
        differ.is_empty(),
        "src/apidoc/openapi.json is not what the code describes (rewrite it with \
         CLUBROOM_WRITE_API_DOC=1 cargo test --test app apidoc); it differs at {differ:?}"
    );
    assert_eq!(clubroom::apidoc::document(), &stored, "the binary serves the stored file");
}

#[rocket::async_test]
async fn the_document_names_every_mounted_api_route_and_nothing_else() {
    let app = TestApp::spawn().await;
    let doc = clubroom::apidoc::document();
    let (mounted, documented) = (mounted(&app), documented(doc));
    let missing: Vec<_> = mounted.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&mounted).collect();
    assert!(missing.is_empty(), "mounted but not in the OpenAPI document: {missing:#?}");
    assert!(stale.is_empty(), "in the OpenAPI document but not mounted: {stale:#?}");
    assert!(mounted.len() > 150, "the whole API is found: {}", mounted.len());
}

/// Every `$ref` in `value`, with where it was found.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    out.push((at.to_string(), v.as_str().unwrap_or_default().to_string()));
                } else {
                    refs(v, &format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    let doc = clubroom::apidoc::document();
    let mut found = Vec::new();
    refs(doc, "", &mut found);
    assert!(found.len() > 300, "references are used: {}", found.len());
    for (at, target) in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{at}: external {target}"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {target} does not resolve");
    }
}

#[test]
fn every_operation_declares_its_path_parameters_answers_and_tag() {
    let doc = clubroom::apidoc::document();
    let tags: BTreeSet<&str> =
        doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let declared: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{name}: path parameters are required");
                    p["name"].as_str().unwrap()
                })
                .collect();
            assert_eq!(declared, in_template, "{name}: path parameters");
            let mut seen = BTreeSet::new();
            for p in &params {
                assert!(p["schema"].is_object(), "{name}: {} has no schema", p["name"]);
                let key = format!("{}:{}", p["in"], p["name"]);
                assert!(seen.insert(key.clone()), "{name}: {key} twice");
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "101"),
                "{name}: no success answer"
            );
            for (status, resp) in responses {
                assert!(status.parse::<u16>().is_ok(), "{name}: status {status}");
                assert!(
                    resp.get("$ref").is_some() || resp["description"].is_string(),
                    "{name} {status}: no description"
                );
            }
            let tag = op["tags"][0].as_str().unwrap_or_default();
            assert!(tags.contains(tag), "{name}: unknown tag {tag:?}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name}: no summary");
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()), "{name}: id");
            let public = op["security"].as_array().is_some_and(std::vec::Vec::is_empty);
            assert!(public || responses.contains_key("401"), "{name}: no 401 without a login");
        }
    }
}

#[test]
fn every_request_body_is_closed_to_unknown_fields() {
    let doc = clubroom::apidoc::document();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if name.ends_with("Input") {
            assert_eq!(schema["additionalProperties"], false, "{name}");
        }
    }
}

/// The operations with a JSON body, their path's ids filled with 1.
fn json_body_operations(doc: &Value) -> Vec<(Method, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["requestBody"]["content"]["application/json"].is_object() {
                let filled: Vec<&str> = path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "1" } else { seg })
                    .collect();
                ops.push((method.parse().unwrap(), filled.join("/")));
            }
        }
    }
    ops
}

#[rocket::async_test]
async fn every_json_body_with_an_unknown_field_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let doc = clubroom::apidoc::document();
    let ops = json_body_operations(doc);
    assert!(ops.len() > 60, "{}", ops.len());
    for (method, path) in ops {
        let (status, body) = app.send_json(method, &path, json!({ "surprise": 1 })).await;
        assert_eq!(status, Status::UnprocessableEntity, "{method} {path}: {body}");
        let fields = body["error"]["fields"].as_object().unwrap();
        assert!(
            fields.contains_key("surprise") || fields.contains_key("csv"),
            "{method} {path}: {body}"
        );
    }
}

#[rocket::async_test]
async fn the_document_and_the_reference_page_are_public() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/api/v1/openapi.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let served: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(&served, clubroom::apidoc::document());
    assert_eq!(served["openapi"], "3.1.0");

    let response = app.client.get("/api/docs").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let html = response.into_string().await.unwrap();
    for path in served["paths"].as_object().unwrap().keys() {
        // Tera escapes the slashes.
        let shown = path.replace('/', "&#x2F;");
        assert!(html.contains(&format!("<code class=\"apidoc-path\">{shown}</code>")), "{path}");
    }
    assert!(html.contains("id=\"schema-Activity\""));
    assert!(html.contains("Content-Type: application&#x2F;json"), "the CSRF rule is explained");
    assert!(!html.contains("<script"), "no script on the page");
}

#[rocket::async_test]
async fn a_cookie_write_without_a_json_content_type_is_refused_as_documented() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let response = app.client.post("/api/v1/card/share").dispatch().await;
    assert_eq!(response.status(), Status::UnsupportedMediaType);
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "json_required");
    let doc = clubroom::apidoc::document();
    assert!(doc["paths"]["/api/v1/card/share"]["post"]["responses"]["415"].is_object());
}

// What the fuzz run (scripts/api-fuzz) found, held here so it stays fixed.

#[rocket::async_test]
async fn an_api_address_asked_with_a_method_it_does_not_answer_is_a_405_listing_those_it_does() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let response = app.client.req(Method::Trace, "/api/v1/services").dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(response.headers().get_one("Allow"), Some("GET, HEAD"));
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    // A literal segment hides a parameter in the same place, as in Rocket's own ranking.
    let response = app.client.req(Method::Options, "/api/v1/exchanges/mine").dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(response.headers().get_one("Allow"), Some("GET, HEAD"));
    let response = app.client.req(Method::Delete, "/api/v1/conversations/direct").dispatch().await;
    assert_eq!(response.headers().get_one("Allow"), Some("POST"));
    // A literal route wins over a typed parameter that could not read the segment ...
    let response = app.client.get("/api/v1/admin/members/import").dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(response.headers().get_one("Allow"), Some("POST"));
    let response =
        app.client.put("/api/v1/activities/export.csv").header(ContentType::JSON).dispatch().await;
    assert_eq!(response.headers().get_one("Allow"), Some("GET, HEAD"));
    // ... while a segment that is simply not an id stays a 422.
    let (status, _) = app.json("/api/v1/activities/abc").await;
    assert_eq!(status, Status::UnprocessableEntity);
    // An address the API does not have at all is still a 404.
    let response = app.client.req(Method::Trace, "/api/v1/nothing-here").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
}

#[rocket::async_test]
async fn a_repeated_query_parameter_is_refused_instead_of_dropped() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) = app.json("/api/v1/activities?to=2026-01-01&to=2026-02-01").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"]["to"].is_string(), "{body}");
    let (status, _) = app.json("/api/v1/activities?to=2026-01-01").await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn a_json_array_is_not_taken_for_an_object_field_by_field() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) = app.post_json("/api/v1/admin/invites", json!([null, null])).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"]["body"].is_string(), "{body}");
    assert_eq!(app.count("SELECT count(*) FROM invites").await, 0);
}

#[rocket::async_test]
async fn a_whole_number_written_with_a_fraction_is_read_as_that_integer() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) =
        app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({ "days": 30.0 })).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["days"], 30);
    let (status, _) =
        app.send_json(Method::Put, "/api/v1/admin/audit/retention", json!({ "days": 30.5 })).await;
    assert_eq!(status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn an_optional_body_that_is_not_json_is_refused_not_ignored() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let path = format!("/api/v1/admin/members/{admin}/activate");
    let response = app
        .client
        .post(path.clone())
        .header(ContentType::JSON)
        .body("{\"note\": ")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    // No body at all is still fine: the note is optional.
    let response = app.client.post(path).header(ContentType::JSON).dispatch().await;
    assert_ne!(response.status(), Status::BadRequest);
    assert_ne!(response.status(), Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_flag_that_is_neither_true_nor_false_is_refused_not_read_as_false() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let (status, body) = app.json("/api/v1/conversations?all=-7.7e307").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"]["all"].is_string(), "{body}");
    for ok in ["true", "false", ""] {
        let (status, _) = app.json(&format!("/api/v1/conversations?all={ok}")).await;
        assert_eq!(status, Status::Ok, "all={ok}");
    }
}

// The answers the server really writes, held to the schemas the document gives them.

/// The schema of the `status` answer of `method path` (the path as the document writes it),
/// as a document of its own that closes every object to properties it does not name: a field
/// the server writes that the schema leaves out fails, as does a missing or null one.
fn closed_answer_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let op = &doc["paths"][path][method.to_lowercase()];
    let mut answer = &op["responses"][status.to_string()];
    if let Some(target) = answer["$ref"].as_str() {
        answer = doc.pointer(target.trim_start_matches('#')).expect("a shared answer");
    }
    let schema = answer["content"]["application/json"]["schema"].clone();
    assert!(schema.is_object(), "{method} {path} has no JSON {status} answer");
    let mut components = doc["components"]["schemas"].clone();
    close(&mut components);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": { "schemas": components },
    })
}

fn close(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for (key, v) in map.iter_mut() {
                if key != "enum" && key != "const" {
                    close(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

/// Fails with every way `body` departs from the schema of its answer.
fn assert_answers_as_documented(method: &str, path: &str, status: Status, body: &Value) {
    let doc = clubroom::apidoc::document();
    let schema = closed_answer_schema(doc, method, path, status.code);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {path} {status}: {errors:#?}\n{body:#}");
}

/// Sends a request that must succeed and checks its answer; `template` is the path as the
/// document writes it.
async fn answered_as_documented(
    app: &TestApp,
    method: Method,
    path: &str,
    template: &str,
    body: Value,
) -> Value {
    let (status, answer) = match method {
        Method::Get => app.json(path).await,
        _ => app.send_json(method, path, body).await,
    };
    assert_eq!(status.class(), StatusClass::Success, "{method} {path}: {status} {answer}");
    assert_answers_as_documented(method.as_str(), template, status, &answer);
    answer
}

#[rocket::async_test]
async fn real_answers_match_the_schemas_the_document_gives_them() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let kim = app.create_user("kim", &[Role::Member]).await;

    // Records of each kind, each answer checked as it comes.
    let invites = "/api/v1/admin/invites";
    let personal = json!({ "name": "Ida", "email": "ida@example.org", "roles": ["member"] });
    answered_as_documented(&app, Method::Post, invites, invites, personal).await;
    let link = json!({ "roles": ["member"], "max_uses": 3 });
    answered_as_documented(&app, Method::Post, invites, invites, link).await;
    let conversations = "/api/v1/conversations";
    let group = json!({ "name": "Committee", "member_ids": [kim] });
    let group =
        answered_as_documented(&app, Method::Post, conversations, conversations, group).await;
    let messages = format!("/api/v1/conversations/{}/messages", group["id"]);
    let template = "/api/v1/conversations/{id}/messages";
    answered_as_documented(&app, Method::Post, &messages, template, json!({ "content": "Hello" }))
        .await;
    let notices = "/api/v1/admin/messages";
    let notice = json!({ "subject": "Welcome", "body": "Hello all", "to": "all", "email": false });
    answered_as_documented(&app, Method::Post, notices, notices, notice).await;
    let types = "/api/v1/activity-types";
    let types = answered_as_documented(&app, Method::Get, types, types, Value::Null).await;
    let activity = json!({
        "started_at": "2026-01-10T18:00:00Z",
        "duration_minutes": 45,
        "type": types[0]["key"],
        "format": "solo",
    });
    let activities = "/api/v1/activities";
    answered_as_documented(&app, Method::Post, activities, activities, activity).await;
    let (exchange, _) = crate::gifts::create(&app, "Winter gifts").await;

    let group = &group["id"];
    let reads = [
        ("/api/v1/auth/session".to_string(), "/api/v1/auth/session"),
        ("/api/v1/auth/check".to_string(), "/api/v1/auth/check"),
        ("/api/v1/auth/sessions".to_string(), "/api/v1/auth/sessions"),
        ("/api/v1/onboarding".to_string(), "/api/v1/onboarding"),
        ("/api/v1/me".to_string(), "/api/v1/me"),
        ("/api/v1/directory?per_page=1".to_string(), "/api/v1/directory"),
        ("/api/v1/admin/members".to_string(), "/api/v1/admin/members"),
        (format!("/api/v1/admin/members/{admin}"), "/api/v1/admin/members/{id}"),
        (format!("/api/v1/admin/members/{kim}/deletion"), "/api/v1/admin/members/{id}/deletion"),
        (invites.to_string(), invites),
        (conversations.to_string(), conversations),
        (format!("/api/v1/conversations/{group}"), "/api/v1/conversations/{id}"),
        (messages.clone(), template),
        ("/api/v1/messages".to_string(), "/api/v1/messages"),
        (notices.to_string(), notices),
        (activities.to_string(), activities),
        ("/api/v1/card".to_string(), "/api/v1/card"),
        ("/api/v1/exchanges".to_string(), "/api/v1/exchanges"),
        (format!("/api/v1/exchanges/{exchange}"), "/api/v1/exchanges/{id}"),
        (format!("/api/v1/exchanges/{exchange}/schedule"), "/api/v1/exchanges/{id}/schedule"),
        ("/api/v1/admin/dashboard".to_string(), "/api/v1/admin/dashboard"),
        ("/api/v1/admin/settings".to_string(), "/api/v1/admin/settings"),
        ("/api/v1/admin/outbox".to_string(), "/api/v1/admin/outbox"),
        ("/api/v1/admin/audit".to_string(), "/api/v1/admin/audit"),
    ];
    for (path, template) in reads {
        answered_as_documented(&app, Method::Get, &path, template, Value::Null).await;
    }

    // An error is answered with the error body the document describes.
    let (status, answer) = app.json("/api/v1/activities/abc").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_answers_as_documented("GET", "/api/v1/activities/{id}", status, &answer);
}

#[test]
fn a_field_the_schema_does_not_name_or_a_null_it_does_not_allow_is_caught() {
    let session = json!({
        "logged_in": true,
        "user_id": 1,
        "username": "kim",
        "email": "kim@example.org",
        "display_name": "Kim",
        "roles": ["member"],
        "status": "active",
        "onboarding_complete": true,
        "expires_at": "2026-01-10T18:00:00Z",
    });
    let check = |body: &Value| {
        let doc = clubroom::apidoc::document();
        let schema = closed_answer_schema(doc, "GET", "/api/v1/auth/session", 200);
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
            .is_valid(body)
    };
    assert!(check(&session));
    let mut extra = session.clone();
    extra["surprise"] = json!(1);
    assert!(!check(&extra), "an unnamed field");
    let mut null = session.clone();
    null["email"] = Value::Null;
    assert!(!check(&null), "null where the struct holds no Option");
    let mut missing = session.clone();
    missing.as_object_mut().unwrap().remove("roles");
    assert!(!check(&missing), "a field always written");
    let mut wrong = session;
    wrong["expires_at"] = json!("tomorrow");
    assert!(!check(&wrong), "a time that is not RFC 3339");
}
