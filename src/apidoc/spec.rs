//! The vocabulary the API description is written in: an operation (`Op`) is a method, a path,
//! a tag, who may call it, its parameters, its body and its answers. `Op::to_json` turns one
//! into an OpenAPI operation object, adding the answers every operation of its kind shares
//! (401 without a credential, 415/400/422 for a JSON body, ...) so each entry lists only what
//! is particular to it.

use serde_json::{json, Map, Value};

/// Who may call an operation. It decides the security requirement, the refusals (401, 403)
/// and the sentence the docs page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone; credentials are not read.
    Public,
    /// Anyone; a credential, when sent, is read (an invalid bearer token is still a 401).
    Optional,
    /// Any signed-in account, whatever its status or roles (guests and members still joining
    /// included).
    SignedIn,
    /// An active member of the club (not a guest, onboarding complete).
    Member,
    /// An admin or an organizer of gift exchanges.
    Organizer,
    /// An admin.
    Admin,
}

impl Access {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Access::Public => "Anyone, no login needed",
            Access::Optional => "Anyone; a signed-in caller is recognised",
            Access::SignedIn => "Any signed-in account (guests and members still joining too)",
            Access::Member => "Active members (not guests, onboarding complete)",
            Access::Organizer => "Admins and gift-exchange organizers",
            Access::Admin => "Admins",
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Optional => "optional",
            Access::SignedIn => "signed_in",
            Access::Member => "member",
            Access::Organizer => "organizer",
            Access::Admin => "admin",
        }
    }

    fn needs_credential(self) -> bool {
        !matches!(self, Access::Public | Access::Optional)
    }

    /// The refusal a signed-in caller without the right gets.
    fn forbidden(self) -> Option<&'static str> {
        match self {
            Access::Member => Some(
                "Not an active member: `members_only` for guests, `onboarding_incomplete` for \
                 a member still joining.",
            ),
            Access::Organizer => Some("Not an admin or an organizer."),
            Access::Admin => Some("Not an admin."),
            _ => None,
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum In {
    Path,
    Query,
}

#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: &'static str,
    pub location: In,
    pub required: bool,
    pub schema: Value,
    pub description: &'static str,
}

/// One answer: a status, what it means, and its body (JSON schema, or another media type).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub description: String,
    pub content: Option<(&'static str, Value)>,
    pub headers: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub required: bool,
    /// Media type and schema, in the order a client should prefer them.
    pub content: Vec<(&'static str, Value)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub access: Access,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub answers: Vec<Answer>,
    /// Extra error statuses this operation can answer (described from the shared list).
    pub errors: Vec<u16>,
    pub rate_limited: bool,
}

/// `{"$ref": "#/components/schemas/<name>"}`.
pub(crate) fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(crate) fn string() -> Value {
    json!({ "type": "string" })
}

pub(crate) fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

pub(crate) fn one_of_strings(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

pub(crate) fn path_id(name: &'static str, what: &'static str) -> Param {
    Param {
        name,
        location: In::Path,
        required: true,
        schema: json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX }),
        description: what,
    }
}

/// A share token as links carry it: a UUID.
pub(crate) fn path_uuid(name: &'static str, what: &'static str) -> Param {
    Param {
        name,
        location: In::Path,
        required: true,
        schema: json!({ "type": "string", "format": "uuid" }),
        description: what,
    }
}

pub(crate) fn path_text(name: &'static str, what: &'static str) -> Param {
    Param {
        name,
        location: In::Path,
        required: true,
        schema: json!({ "type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9._-]+$" }),
        description: what,
    }
}

pub(crate) fn query(name: &'static str, schema: Value, what: &'static str) -> Param {
    Param { name, location: In::Query, required: false, schema, description: what }
}

/// A whole number in `min..=max`, or empty (as a form leaves it) for the default.
fn number_or_empty(min: i64, max: i64) -> Value {
    json!({ "anyOf": [
        { "type": "integer", "minimum": min, "maximum": max },
        { "type": "string", "maxLength": 0 },
    ] })
}

/// A page number from 1.
pub(crate) fn page() -> Param {
    query("page", number_or_empty(1, i64::MAX), "Page number, from 1 (the first when empty).")
}

pub(crate) fn per_page(max: i64) -> Param {
    query("per_page", number_or_empty(1, max), "Entries per page (the list's default when empty).")
}

impl Op {
    fn new(method: &'static str, path: &'static str, summary: &'static str) -> Op {
        Op {
            method,
            path,
            tag: "",
            summary,
            description: "",
            access: Access::Public,
            params: Vec::new(),
            body: None,
            answers: Vec::new(),
            errors: Vec::new(),
            rate_limited: false,
        }
    }

    pub(crate) fn tag(mut self, tag: &'static str) -> Op {
        self.tag = tag;
        self
    }

    pub(crate) fn about(mut self, description: &'static str) -> Op {
        self.description = description;
        self
    }

    pub(crate) fn access(mut self, access: Access) -> Op {
        self.access = access;
        self
    }

    pub(crate) fn param(mut self, param: Param) -> Op {
        self.params.push(param);
        self
    }

    /// A required JSON body of the given schema.
    pub(crate) fn json(mut self, schema: Value) -> Op {
        self.body = Some(Body { required: true, content: vec![("application/json", schema)] });
        self
    }

    /// A JSON body that may be left out entirely.
    pub(crate) fn optional_json(mut self, schema: Value) -> Op {
        self.body = Some(Body { required: false, content: vec![("application/json", schema)] });
        self
    }

    pub(crate) fn body(mut self, body: Body) -> Op {
        self.body = Some(body);
        self
    }

    /// A JSON answer.
    pub(crate) fn ok(self, status: u16, description: &str, schema: Value) -> Op {
        self.answer(status, description, Some(("application/json", schema)))
    }

    pub(crate) fn answer(
        mut self,
        status: u16,
        description: &str,
        content: Option<(&'static str, Value)>,
    ) -> Op {
        self.answers.push(Answer {
            status,
            description: description.to_string(),
            content,
            headers: Vec::new(),
        });
        self
    }

    /// Headers of the last answer added.
    pub(crate) fn headers(mut self, headers: &[(&'static str, &'static str)]) -> Op {
        if let Some(last) = self.answers.last_mut() {
            last.headers.extend_from_slice(headers);
        }
        self
    }

    pub(crate) fn errors(mut self, statuses: &[u16]) -> Op {
        self.errors.extend_from_slice(statuses);
        self
    }

    /// Counts against an allowance (per client, account or member): 429 with `Retry-After` past it.
    pub(crate) fn limited(mut self) -> Op {
        self.rate_limited = true;
        self
    }

    fn is_unsafe(&self) -> bool {
        !matches!(self.method, "get" | "head" | "options")
    }

    /// The error statuses every operation of this kind shares, plus its own.
    fn shared_errors(&self) -> Vec<u16> {
        let mut errors = self.errors.clone();
        if self.access.needs_credential() || self.access == Access::Optional {
            errors.push(401);
        }
        if self.access.forbidden().is_some() {
            errors.push(403);
        }
        if self.body.is_some() {
            errors.extend([400, 413, 415, 422]);
        } else if self.access.needs_credential() && self.is_unsafe() {
            // A cookie-authenticated write must say `Content-Type: application/json`.
            errors.push(415);
        }
        if self.params.iter().any(|p| matches!(p.location, In::Path)) {
            errors.extend([404, 422]);
        }
        if self.params.iter().any(|p| matches!(p.location, In::Query)) {
            errors.push(422);
        }
        if self.rate_limited {
            errors.push(429);
        }
        errors.retain(|s| !self.answers.iter().any(|a| a.status == *s));
        errors.sort_unstable();
        errors.dedup();
        errors
    }

    pub(crate) fn operation_id(&self) -> String {
        let mut id = self.method.to_string();
        for seg in self.path.trim_start_matches("/api/v1").split('/').filter(|s| !s.is_empty()) {
            let word: String = seg
                .trim_matches(|c| c == '{' || c == '}')
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            id.push('_');
            if seg.starts_with('{') {
                id.push_str("by_");
            }
            id.push_str(&word);
        }
        id
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut op = json!({
            "operationId": self.operation_id(),
            "tags": [self.tag],
            "summary": self.summary,
            "x-access": self.access.key(),
        });
        let mut description = format!("**Who may call it:** {}.", self.access.label());
        if !self.description.is_empty() {
            description = format!("{}\n\n{description}", self.description);
        }
        op["description"] = json!(description);
        op["security"] = match self.access {
            Access::Public => json!([]),
            Access::Optional => json!([{}, { "session": [] }, { "bearer": [] }]),
            _ => json!([{ "session": [] }, { "bearer": [] }]),
        };
        if !self.params.is_empty() {
            op["parameters"] = self
                .params
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "in": match p.location { In::Path => "path", In::Query => "query" },
                        "required": p.required,
                        "description": p.description,
                        "schema": p.schema,
                    })
                })
                .collect();
        }
        if let Some(body) = &self.body {
            let mut content = Map::new();
            for (media, schema) in &body.content {
                content.insert(media.to_string(), json!({ "schema": schema }));
            }
            op["requestBody"] = json!({ "required": body.required, "content": content });
        }
        let mut responses = Map::new();
        for a in &self.answers {
            let mut resp = json!({ "description": a.description });
            if let Some((media, schema)) = &a.content {
                resp["content"] = json!({ *media: { "schema": schema } });
            }
            if !a.headers.is_empty() {
                let mut headers = Map::new();
                for (name, what) in &a.headers {
                    headers.insert(
                        name.to_string(),
                        json!({ "description": what, "schema": { "type": "string" } }),
                    );
                }
                resp["headers"] = Value::Object(headers);
            }
            responses.insert(a.status.to_string(), resp);
        }
        for status in self.shared_errors() {
            let mut resp =
                json!({ "$ref": format!("#/components/responses/{}", error_name(status)) });
            if status == 403 {
                if let Some(why) = self.access.forbidden() {
                    resp = json!({
                        "description": format!("Forbidden. {why}"),
                        "content": { "application/json": { "schema": r("Error") } },
                    });
                }
            }
            responses.insert(status.to_string(), resp);
        }
        op["responses"] = Value::Object(responses);
        op
    }
}

pub(crate) fn get(path: &'static str, summary: &'static str) -> Op {
    Op::new("get", path, summary)
}

pub(crate) fn post(path: &'static str, summary: &'static str) -> Op {
    Op::new("post", path, summary)
}

pub(crate) fn put(path: &'static str, summary: &'static str) -> Op {
    Op::new("put", path, summary)
}

pub(crate) fn patch(path: &'static str, summary: &'static str) -> Op {
    Op::new("patch", path, summary)
}

pub(crate) fn delete(path: &'static str, summary: &'static str) -> Op {
    Op::new("delete", path, summary)
}

/// The shared error answers, by status: their component name and meaning.
pub(crate) const ERRORS: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "The body is not valid JSON (`malformed_json`) or the request cannot be understood."),
    (401, "Unauthenticated", "No credential (`unauthenticated`), an expired session (`session_expired`) or an invalid bearer token (`invalid_token`)."),
    (403, "Forbidden", "Signed in, but not allowed to do this."),
    (404, "NotFound", "No such record, or one that belongs to someone else (ids do not leak)."),
    (409, "Conflict", "The request conflicts with the record's state or with another record (a taken name, say); `fields` names the field when one is to blame."),
    (410, "Gone", "The link or token was valid once and is not any more."),
    (413, "PayloadTooLarge", "The body is larger than the limit (1 MiB of JSON)."),
    (415, "UnsupportedMediaType", "Not sent as `Content-Type: application/json` (`json_required`). Every write made with the session cookie must say it, body or not: that is the API's defence against cross-site requests."),
    (422, "ValidationFailed", "Invalid input: `error.fields` names every field (or query parameter) to fix, with a message for each."),
    (429, "RateLimited", "Past an allowance (of this client, account or member); `Retry-After` says how many seconds to wait."),
    (503, "Unavailable", "The database is busy or unreachable; try again."),
];

pub(crate) fn error_name(status: u16) -> &'static str {
    ERRORS.iter().find(|(s, _, _)| *s == status).map(|(_, n, _)| *n).unwrap_or("Error")
}
