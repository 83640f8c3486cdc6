//! The description of the JSON API: an OpenAPI 3.1 document at `GET /api/v1/openapi.json`
//! and a readable page made from it at `GET /api/docs`, both public.
//!
//! The operations are listed by hand in `paths` (one entry per operation); `spec` holds the
//! vocabulary they are written in and adds what every operation of a kind shares. The shapes
//! of the bodies they answer with and read are not written here: `schemas` generates them from
//! the Rust types themselves, so the document follows any change to a view or an input.
//!
//! The binary serves what `generate` made, as stored in `openapi.json` next to this file
//! (compacted by `build.rs`): the generator and the schema code of every type stay out of the
//! binary, and a change to the API shows in that file's diff. A test fails when the stored
//! document is not the one the code generates, and rewrites it when asked to.

pub(crate) mod page;
pub(crate) mod paths;
pub(crate) mod schemas;
pub(crate) mod spec;

use std::sync::OnceLock;

use rocket::http::{ContentType, Header};
use rocket::{get, routes, Responder, Route};
use serde_json::{json, Map, Value};

use crate::web::page::Shell;

/// The cookie that carries a browser session (the same name the guards read).
use crate::web::guards::SESSION_COOKIE;

const INTRO: &str = "Every feature of Clubroom has a JSON API under `/api/v1`, served by the same process as the pages.\n\n\
**Authentication.** Send either the session cookie that `POST /api/v1/auth/login` sets (what the pages use), or `Authorization: Bearer <access token>` with a token from `POST /api/v1/auth/token` (for scripts and apps; refresh it with `POST /api/v1/auth/refresh`). A credential that is present but invalid or expired is always a 401, never treated as anonymous.\n\n\
**Cross-site requests.** There is no CSRF token header: every request that changes something (POST, PUT, PATCH, DELETE) made with the session cookie must say `Content-Type: application/json`, even when it has no body, or it is refused with 415 `json_required`. A cross-site HTML form cannot send that header, and the cookie is `SameSite=Lax` and `HttpOnly`. Requests made with a bearer token are exempt (a browser never adds the header by itself).\n\n\
**Errors.** Every error is JSON: `{\"error\": {\"code\", \"message\", \"fields\"}}` with the status saying what kind it is. `code` is stable and snake_case; `fields` names each invalid field (or query parameter) with a message. Request bodies are checked strictly: a field the operation does not know is a 422. Internal errors are a 500 with an opaque body; the cause goes to the server's log with the request id.\n\n\
**Times** are RFC 3339 in UTC; dates are `YYYY-MM-DD`. Ids are positive integers.";

/// The stored document, compact, as the binary serves it.
const STORED: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

/// The stored document, parsed on first use.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(STORED).expect("build.rs stores only valid JSON"))
}

/// The document the code describes: the operations of `paths`, the shapes of the types they
/// read and answer. What `openapi.json` must hold.
pub fn generate() -> Value {
    let mut paths = Map::new();
    for op in paths::all() {
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        entry[op.method] = op.to_json();
    }
    let schemas = schemas::all();
    let mut responses = Map::new();
    for (status, name, description) in spec::ERRORS {
        let mut resp = json!({
            "description": description,
            "content": { "application/json": { "schema": spec::r("Error") } },
        });
        if *status == 429 || *status == 503 {
            resp["headers"] = json!({
                "Retry-After": { "description": "Seconds to wait before trying again.", "schema": { "type": "integer" } }
            });
        }
        responses.insert(name.to_string(), resp);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Clubroom JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": INTRO,
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" },
        },
        "servers": [{ "url": "/" }],
        "tags": paths::TAGS.iter().map(|(name, description)| json!({ "name": name, "description": description })).collect::<Vec<_>>(),
        "security": [{ "session": [] }, { "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The session cookie set by a login. Writes made with it must be sent as `Content-Type: application/json` (415 `json_required` otherwise).",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from `POST /api/v1/auth/token`; renew it with `POST /api/v1/auth/refresh`.",
                },
            },
            "schemas": schemas,
            "responses": responses,
        },
    })
}

/// The document as JSON, cached by clients until the next release.
#[derive(Responder)]
struct DocumentJson {
    body: (ContentType, &'static str),
    cache: Header<'static>,
}

#[get("/v1/openapi.json")]
fn openapi() -> DocumentJson {
    DocumentJson {
        body: (ContentType::JSON, STORED),
        cache: Header::new("Cache-Control", "public, max-age=3600"),
    }
}

#[get("/docs")]
fn docs(shell: Shell) -> rocket_dyn_templates::Template {
    shell.render("apidoc/docs.html", page::reference())
}

/// Mounted under `/api`.
pub(crate) fn routes() -> Vec<Route> {
    routes![openapi, docs]
}
