//! Request bodies of the admin panel.

use std::borrow::Cow;

use rocket::form::{self, FromFormField, ValueField};
use rocket::FromForm;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

/// `PUT /api/v1/admin/settings` and the settings form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SettingsInput {
    pub club_name: Option<String>,
    /// A sentence or two about the club, shown to members; empty clears it.
    pub club_description: Option<String>,
    /// Where members can write to the club; empty clears it.
    pub contact_email: Option<String>,
    /// IANA name, e.g. Europe/Paris.
    pub club_timezone: Option<String>,
    /// invite_only | open | closed
    pub registration_mode: Option<String>,
    /// off | admins | everyone
    pub two_factor_policy: Option<String>,
    /// Whether people may sign up as password-less guests.
    pub guest_accounts: Option<bool>,
    /// Whether an admin reviews members who finished onboarding before they become active.
    pub member_review: Option<bool>,
    /// Whether members may start one-to-one conversations.
    pub direct_chat: Option<bool>,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: Option<Number>,
    /// ... and this many minutes after sign-in in any case.
    pub session_absolute_minutes: Option<Number>,
    /// Hours between scheduled backups.
    pub backup_interval_hours: Option<Number>,
    /// How many backups are kept.
    pub backup_keep: Option<Number>,
}

/// A whole number as JSON sends it (a number) or a form does (text). The service parses it, so
/// that text which is not a number is a 422 naming the field; a plain `i64` form field would
/// silently drop it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Number(pub String);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Int(n) => Number(n.to_string()),
            Raw::Text(s) => Number(s),
        })
    }
}

/// What `deserialize` above takes: an integer that fits in 64 bits, or any text.
impl JsonSchema for Number {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["integer", "string"],
            "minimum": i64::MIN,
            "maximum": i64::MAX,
            "description": "A whole number, as a JSON number or as text.",
        })
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Number {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Number(field.value.to_string()))
    }
}

impl Number {
    /// The number, when the text is a whole number within `range`.
    pub(crate) fn parse_in(&self, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        self.0.trim().parse::<i64>().ok().filter(|n| range.contains(n))
    }
}
