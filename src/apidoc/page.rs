//! The readable reference at `/api/docs`: the OpenAPI document turned into a template
//! context, grouped by tag. Everything is read from the document itself, so the page cannot
//! say anything the document does not.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use super::document;

/// A run of text, in code type or not (the document marks code with backticks).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Span {
    pub text: String,
    pub code: bool,
}

/// A type as a reader sees it: `array of Activity`, with a link to each named schema.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TypePart {
    pub text: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Field {
    pub name: String,
    pub ty: Vec<TypePart>,
    pub required: bool,
    pub description: Vec<Span>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Content {
    pub media: String,
    pub ty: Vec<TypePart>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ResponseView {
    pub status: String,
    pub description: Vec<Span>,
    pub content: Vec<Content>,
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub about: Vec<Vec<Span>>,
    pub access: String,
    pub public: bool,
    pub params: Vec<Field>,
    pub body: Option<BodyView>,
    pub responses: Vec<ResponseView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct BodyView {
    pub required: bool,
    pub content: Vec<Content>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Tag {
    pub anchor: String,
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SchemaView {
    pub name: String,
    pub anchor: String,
    pub description: Vec<Span>,
    pub ty: Vec<TypePart>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reference {
    pub title: String,
    pub version: String,
    pub intro: Vec<Vec<Span>>,
    pub tags: Vec<Tag>,
    pub schemas: Vec<SchemaView>,
    pub operation_count: usize,
}

/// The page's context, built once.
pub(crate) fn reference() -> &'static Reference {
    static PAGE: OnceLock<Reference> = OnceLock::new();
    PAGE.get_or_init(|| build(document()))
}

/// The access sentence the document ends each description with.
const ACCESS_PREFIX: &str = "**Who may call it:** ";

fn build(doc: &Value) -> Reference {
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let name = t["name"].as_str().unwrap_or_default().to_string();
            Tag {
                anchor: format!("tag-{}", slug(&name)),
                description: t["description"].as_str().unwrap_or_default().to_string(),
                name,
                operations: Vec::new(),
            }
        })
        .collect();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or_default();
            if let Some(t) = tags.iter_mut().find(|t| t.name == tag) {
                t.operations.push(operation(doc, path, method, op));
                count += 1;
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| SchemaView {
            anchor: format!("schema-{name}"),
            name: name.clone(),
            description: spans(schema["description"].as_str().unwrap_or_default()),
            ty: type_of(schema),
            fields: fields(schema, ""),
        })
        .collect();
    Reference {
        title: doc["info"]["title"].as_str().unwrap_or_default().to_string(),
        version: doc["info"]["version"].as_str().unwrap_or_default().to_string(),
        intro: paragraphs(doc["info"]["description"].as_str().unwrap_or_default()),
        tags,
        schemas,
        operation_count: count,
    }
}

fn operation(doc: &Value, path: &str, method: &str, op: &Value) -> Operation {
    let description = op["description"].as_str().unwrap_or_default();
    let (about, access) = match description.split_once(ACCESS_PREFIX) {
        Some((about, access)) => (about.trim(), access.trim_end_matches('.')),
        None => (description, ""),
    };
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: format!(
                "{} ({})",
                p["name"].as_str().unwrap_or_default(),
                p["in"].as_str().unwrap_or_default()
            ),
            ty: type_of(&p["schema"]),
            required: p["required"].as_bool().unwrap_or(false),
            description: spans(p["description"].as_str().unwrap_or_default()),
        })
        .collect();
    let body = op.get("requestBody").map(|b| BodyView {
        required: b["required"].as_bool().unwrap_or(false),
        content: contents(&b["content"]),
    });
    let mut responses: Vec<ResponseView> = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, resp)| {
            let resp = resolve(doc, resp);
            ResponseView {
                status: status.clone(),
                description: spans(resp["description"].as_str().unwrap_or_default()),
                content: contents(&resp["content"]),
                headers: resp["headers"]
                    .as_object()
                    .map(|h| h.keys().cloned().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    Operation {
        anchor: op["operationId"].as_str().unwrap_or_default().to_string(),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: op["summary"].as_str().unwrap_or_default().to_string(),
        about: paragraphs(about),
        access: access.to_string(),
        public: op["security"].as_array().is_some_and(|s| s.is_empty()),
        params,
        body,
        responses,
    }
}

/// A `$ref` to a shared response, followed.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => doc.pointer(&format!("/{pointer}")).unwrap_or(value),
        None => value,
    }
}

fn contents(content: &Value) -> Vec<Content> {
    content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media, c)| Content { media: media.clone(), ty: type_of(&c["schema"]) })
        .collect()
}

fn text(s: &str) -> TypePart {
    TypePart { text: s.to_string(), link: None }
}

/// `Activity`, `array of Activity`, `string (date-time) or null`, `"a" | "b"`, ...
fn type_of(schema: &Value) -> Vec<TypePart> {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return vec![TypePart { text: name.to_string(), link: Some(format!("#schema-{name}")) }];
    }
    for (key, joint) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(options) = schema[key].as_array() {
            let mut parts = Vec::new();
            for (i, option) in options.iter().enumerate() {
                if i > 0 {
                    parts.push(text(joint));
                }
                parts.extend(type_of(option));
            }
            return parts;
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let words: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return vec![text(&format!("one of {}", words.join(", ")))];
    }
    if let Some(value) = schema.get("const") {
        return vec![text(&format!("always {value}"))];
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return vec![text("any JSON")];
    }
    let mut parts = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if i > 0 {
            parts.push(text(" or "));
        }
        match t.as_str() {
            "array" => {
                parts.push(text("array of "));
                parts.extend(type_of(&schema["items"]));
            }
            "object" if schema["additionalProperties"].is_object() => {
                parts.push(text("map of "));
                parts.extend(type_of(&schema["additionalProperties"]));
            }
            "null" => parts.push(text("null")),
            other => {
                let mut word = other.to_string();
                if let Some(format) = schema["format"].as_str() {
                    word.push_str(&format!(" ({format})"));
                }
                let bounds = (schema["minimum"].as_i64(), schema["maximum"].as_i64());
                let range = match bounds {
                    // Bounds apply to numbers only; those of a whole 64-bit integer say nothing.
                    _ if !matches!(other, "integer" | "number") => String::new(),
                    (Some(i64::MIN), Some(i64::MAX)) => String::new(),
                    (Some(min), Some(max)) if max < 1_000_000_000 => format!(", {min} to {max}"),
                    (Some(min), _) => format!(", from {min}"),
                    _ => String::new(),
                };
                word.push_str(&range);
                parts.push(text(&word));
            }
        }
    }
    parts
}

/// The properties of an object schema, nested inline objects as `outer.inner` rows and
/// arrays of inline objects as `list[].field`.
fn fields(schema: &Value, prefix: &str) -> Vec<Field> {
    let target = if schema["type"] == "array" { &schema["items"] } else { schema };
    let target = match target["oneOf"].as_array() {
        Some(options) => options.iter().find(|o| o["type"] != "null").unwrap_or(target),
        None => target,
    };
    let required: Vec<&str> =
        target["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut rows = Vec::new();
    for (name, prop) in target["properties"].as_object().into_iter().flatten() {
        let full = format!("{prefix}{name}");
        rows.push(Field {
            name: full.clone(),
            ty: type_of(prop),
            required: required.contains(&name.as_str()),
            description: spans(prop["description"].as_str().unwrap_or_default()),
        });
        let inner = if prop["type"] == "array" || prop["items"].is_object() {
            (&prop["items"], format!("{full}[]."))
        } else {
            (prop, format!("{full}."))
        };
        let nested: Vec<&Value> = match (inner.0["oneOf"].as_array(), inner.0["allOf"].as_array()) {
            (Some(options), _) => {
                options.iter().find(|o| o["type"] != "null").into_iter().collect()
            }
            (None, Some(parts)) => parts.iter().collect(),
            (None, None) => vec![inner.0],
        };
        for nested in nested {
            if nested["properties"].is_object() {
                rows.extend(fields(nested, &inner.1));
            }
        }
    }
    rows
}

fn paragraphs(text: &str) -> Vec<Vec<Span>> {
    text.split("\n\n").filter(|p| !p.trim().is_empty()).map(spans).collect()
}

/// Splits on backticks (code) and drops the `**` of bold lead-ins.
fn spans(text: &str) -> Vec<Span> {
    text.replace("**", "")
        .split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| Span { text: s.to_string(), code: i % 2 == 1 })
        .collect()
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_spans() {
        let s = spans("Send `token`, or `email` and `code`.");
        let code: Vec<&str> = s.iter().filter(|s| s.code).map(|s| s.text.as_str()).collect();
        assert_eq!(code, ["token", "email", "code"]);
    }

    #[test]
    fn types_read_as_words_with_links_to_schemas() {
        let t = type_of(
            &serde_json::json!({ "type": "array", "items": { "$ref": "#/components/schemas/Activity" } }),
        );
        assert_eq!(t[0].text, "array of ");
        assert_eq!(t[1].link.as_deref(), Some("#schema-Activity"));
        let t = type_of(&serde_json::json!({ "type": ["string", "null"], "format": "date-time" }));
        let words: String = t.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(words, "string (date-time) or null");
    }

    #[test]
    fn bounds_are_shown_for_numbers_unless_they_are_those_of_any_64_bit_integer() {
        let words = |schema| type_of(&schema).iter().map(|p| p.text.clone()).collect::<String>();
        let any = serde_json::json!({ "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX });
        assert_eq!(words(any), "integer (int64)");
        let text = serde_json::json!({ "type": ["integer", "string"], "minimum": 1, "maximum": 9 });
        assert_eq!(words(text), "integer, 1 to 9 or string");
        let both = serde_json::json!({ "allOf": [{ "$ref": "#/components/schemas/A" }, { "type": "object" }] });
        assert_eq!(words(both), "A and object");
    }

    #[test]
    fn every_tag_has_operations_and_every_operation_says_who_may_call_it() {
        let page = reference();
        assert!(page.operation_count > 150, "{}", page.operation_count);
        for tag in &page.tags {
            assert!(!tag.operations.is_empty(), "{} is empty", tag.name);
            for op in &tag.operations {
                assert!(!op.access.is_empty(), "{} {}", op.method, op.path);
            }
        }
    }
}
