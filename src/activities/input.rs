//! Request bodies and query strings of the activity log.
//!
//! The JSON body and the HTML form of an activity are two structs rather than one: the API
//! takes an RFC 3339 instant and numbers, while the form sends a `datetime-local` value (read in
//! the member's time zone) and every field as text. Both become the same service command.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

/// `POST /api/v1/activities` and `PUT /api/v1/activities/<id>`. Missing fields are reported by
/// the service with the other invalid ones, so one answer names everything to fix.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ActivityInput {
    /// Coaches and admins recording for a member; absent for oneself.
    pub member_id: Option<i64>,
    pub started_at: Option<String>,
    pub duration_minutes: Option<i64>,
    #[serde(rename = "type")]
    pub type_key: Option<String>,
    pub format: Option<String>,
    pub venue: Option<String>,
    pub coach_id: Option<i64>,
    pub notes: Option<String>,
}

/// The record and edit forms.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct ActivityForm {
    #[field(default = String::new())]
    pub member_id: String,
    /// `datetime-local`: `2026-03-01T18:30` in the member's time zone.
    #[field(default = String::new())]
    pub started_local: String,
    #[field(default = String::new())]
    pub duration_minutes: String,
    #[field(name = "type", default = String::new())]
    pub type_key: String,
    #[field(default = String::new())]
    pub format: String,
    #[field(default = String::new())]
    pub venue: String,
    #[field(default = String::new())]
    pub coach_id: String,
    #[field(default = String::new())]
    pub notes: String,
}

/// The query of the list and export endpoints. Every value is text so that a bad one is
/// answered with a 422 naming it rather than silently ignored.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct ListQuery {
    /// `YYYY-MM-DD` (inclusive, in the member's time zone) or RFC 3339.
    pub from: Option<String>,
    pub to: Option<String>,
    #[field(name = "type")]
    pub type_key: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// A coach listing a member they coach, or an admin listing anyone.
    pub member_id: Option<String>,
}

/// `POST /api/v1/admin/activity-types` and the add form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NewTypeInput {
    #[field(default = String::new())]
    pub key: String,
    #[field(default = String::new())]
    pub label: String,
    /// Empty or absent: after the last type.
    pub position: Option<i64>,
}

/// `PUT /api/v1/admin/activity-types/<id>` and the rename form: only the fields given change.
/// The key never changes, since scripts and exports refer to it.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TypeChangeInput {
    pub label: Option<String>,
    pub position: Option<i64>,
    pub archived: Option<bool>,
}

/// When an activity started, as the API or the form gave it.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    /// RFC 3339 with an offset.
    Instant(String),
    /// A `datetime-local` value, read in the member's time zone.
    Local(String),
}

/// An activity to record or the new contents of one.
#[derive(Debug, Clone)]
pub(crate) struct ActivityCommand {
    /// Whom it is for; None for oneself.
    pub member_id: Option<i64>,
    pub started_at: Start,
    /// None when missing or not a number.
    pub duration_minutes: Option<i64>,
    pub type_key: String,
    pub format: String,
    pub venue: String,
    pub coach_id: Option<i64>,
    pub notes: String,
}

// ----- what each body becomes -----

impl From<ActivityInput> for ActivityCommand {
    fn from(i: ActivityInput) -> Self {
        ActivityCommand {
            member_id: i.member_id,
            started_at: Start::Instant(i.started_at.unwrap_or_default()),
            duration_minutes: i.duration_minutes,
            type_key: i.type_key.unwrap_or_default(),
            format: i.format.unwrap_or_default(),
            venue: i.venue.unwrap_or_default(),
            coach_id: i.coach_id,
            notes: i.notes.unwrap_or_default(),
        }
    }
}

/// A number from a form field; None when empty. 0 is nobody's id: a value that is not a number
/// (only a tampered form sends one) is then refused like an unknown id.
pub(crate) fn id_of(text: &str) -> Option<i64> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.parse().unwrap_or(0))
}

impl From<&ActivityForm> for ActivityCommand {
    fn from(f: &ActivityForm) -> Self {
        ActivityCommand {
            member_id: id_of(&f.member_id),
            started_at: Start::Local(f.started_local.clone()),
            duration_minutes: f.duration_minutes.trim().parse().ok(),
            type_key: f.type_key.clone(),
            format: f.format.clone(),
            venue: f.venue.clone(),
            coach_id: id_of(&f.coach_id),
            notes: f.notes.clone(),
        }
    }
}
