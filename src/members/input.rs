//! Request bodies of the member area. One struct serves the JSON API and the HTML form.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use rocket::form::{self, FromFormField, ValueField};
use rocket::FromForm;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// One answer as the client sent it: a JSON string, number, boolean or null (null clears it),
/// or a form value. Kept as text; the service checks it against the field's type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer(pub String);

impl Answer {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AnswerVisitor;
        impl Visitor<'_> for AnswerVisitor {
            type Value = Answer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Answer, E> {
                Ok(Answer(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Answer, E> {
                Ok(Answer(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Answer, E> {
                Ok(Answer(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Answer, E> {
                Ok(Answer(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Answer, E> {
                Ok(Answer(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Answer, E> {
                Ok(Answer(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Answer, E> {
                Ok(Answer(String::new()))
            }
        }
        d.deserialize_any(AnswerVisitor)
    }
}

/// The scalars the visitor above takes.
impl JsonSchema for Answer {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Answer".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number", "boolean", "null"],
            "description": "Any JSON scalar (stored as its text); null or empty clears the answer.",
        })
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Answer {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Answer(field.value.to_string()))
    }
}

/// A field that is present, even as `null` (which clears it), is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Answer>, D::Error> {
    Answer::deserialize(d).map(Some)
}

/// The profile: `PUT /api/v1/onboarding`, `PUT /api/v1/me` and their forms. Absent fields stay
/// as they are; `null` or an empty value clears one. Anything else (roles, status, email) is
/// refused with 422 naming it.
#[derive(Debug, Clone, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProfileInput {
    #[serde(deserialize_with = "present")]
    pub first_name: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub last_name: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub city: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub state: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub country: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub zip: Option<Answer>,
    /// An IANA zone name, e.g. `Europe/Oslo`.
    #[serde(deserialize_with = "present")]
    pub timezone: Option<Answer>,
    /// The member's coach: a user with the coach role.
    #[serde(deserialize_with = "present")]
    pub coach_id: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub venue: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub phone: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub address: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub emergency_contact_name: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub emergency_contact_phone: Option<Answer>,
    /// Show the email address to other members in the directory.
    #[serde(deserialize_with = "present")]
    pub show_email: Option<Answer>,
    #[serde(deserialize_with = "present")]
    pub show_phone: Option<Answer>,
    /// Answers to the club's own questions, by field key.
    pub fields: BTreeMap<String, Answer>,
}

/// `?q=&page=&per_page=` of the directory. Every value is text so that a bad one is answered
/// with a 422 naming it rather than silently ignored.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct DirectoryQuery {
    /// Part of a name or username.
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// `POST /api/v1/onboarding/agreement` and the agreement form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SignInput {
    pub full_name: String,
    pub accept: bool,
    /// The version the member read; signing fails with 409 when a newer one replaced it.
    pub version: Option<i64>,
}

/// A club field as the admin defines it.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FieldInput {
    pub key: Option<String>,
    pub label: Option<String>,
    /// text | long_text | number | date | yes_no | choice
    pub kind: Option<String>,
    pub required: Option<bool>,
    /// private | members | public
    pub visibility: Option<String>,
    /// The answers of a choice field (JSON array; one per line in the form).
    pub choices: Option<Vec<String>>,
    pub position: Option<i64>,
}

/// The field form of the admin page: like `FieldInput`, with the choices one per line and a
/// checkbox that is absent when unticked.
#[derive(Debug, Default, FromForm)]
pub(crate) struct FieldForm {
    pub key: Option<String>,
    #[field(default = String::new())]
    pub label: String,
    #[field(default = String::new())]
    pub kind: String,
    pub required: bool,
    #[field(default = String::new())]
    pub visibility: String,
    #[field(default = String::new())]
    pub choices: String,
    pub position: Option<i64>,
}

impl From<FieldForm> for FieldInput {
    fn from(f: FieldForm) -> Self {
        FieldInput {
            key: f.key,
            label: Some(f.label),
            kind: Some(f.kind),
            required: Some(f.required),
            visibility: Some(f.visibility),
            choices: Some(f.choices.lines().map(str::to_string).collect()),
            position: f.position,
        }
    }
}

/// `PUT /api/v1/admin/agreement`: a new version of the club agreement.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AgreementInput {
    pub title: String,
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_accept_any_json_scalar_and_null_clears() {
        let input: ProfileInput = serde_json::from_str(
            r#"{"coach_id": 7, "show_email": true, "city": null, "fields": {"weight": 12.5}}"#,
        )
        .unwrap();
        assert_eq!(input.coach_id, Some(Answer("7".into())));
        assert_eq!(input.show_email, Some(Answer("true".into())));
        assert_eq!(input.city, Some(Answer(String::new())));
        assert_eq!(input.fields["weight"], Answer("12.5".into()));
        assert_eq!(input.first_name, None);
        assert!(serde_json::from_str::<ProfileInput>(r#"{"status": "active"}"#).is_err());
        assert!(serde_json::from_str::<ProfileInput>(r#"{"city": ["x"]}"#).is_err());
    }
}
