//! The OpenAPI document describes exactly the API the application mounts, is structurally
//! sound, and is served (with its readable page) to anyone.

use std::collections::BTreeSet;

use rocket::http::{ContentType, Method, Status};
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
            let public = op["security"].as_array().is_some_and(|s| s.is_empty());
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
