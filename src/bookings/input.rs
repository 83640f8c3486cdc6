//! Request bodies for services, bookings and decisions: each is a JSON body and an HTML form.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::service::{AdminFilter, CompleteCmd, ServiceCmd};

/// `POST /api/v1/admin/services`, `PUT /api/v1/admin/services/<id>` and the admin forms.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ServiceInput {
    pub name: Option<String>,
    pub duration_minutes: Option<i64>,
    pub notes: Option<String>,
    /// Updates only: `true` archives the service, `false` makes it bookable again.
    pub archived: Option<bool>,
}

/// `POST /api/v1/bookings` and the request form. The API takes `requested_start` as RFC 3339;
/// the form sends a `datetime-local` value read in the member's time zone.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct BookingInput {
    pub service_id: Option<i64>,
    pub requested_start: Option<String>,
    pub notes: Option<String>,
}

/// Confirming or declining: an optional message for the member.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DecisionInput {
    pub message: Option<String>,
}

/// Marking a booking completed: how to record the activity.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CompleteInput {
    /// An activity type key; absent: the club's first activity type.
    #[serde(rename = "type")]
    #[field(name = "type")]
    pub activity_type: Option<String>,
    /// coached | group | solo; absent: coached.
    pub format: Option<String>,
}

/// The query of a booking list: `?status=&from=&to=` (dates as `YYYY-MM-DD` in the viewer's
/// time zone, or RFC 3339 times).
#[derive(Debug, Default, FromForm)]
pub(crate) struct ListQuery {
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

// ----- what each body becomes -----

impl From<ServiceInput> for ServiceCmd {
    fn from(i: ServiceInput) -> Self {
        ServiceCmd {
            name: i.name.unwrap_or_default(),
            duration_minutes: i.duration_minutes,
            notes: i.notes.unwrap_or_default(),
            archived: i.archived,
        }
    }
}

impl From<ListQuery> for AdminFilter {
    fn from(q: ListQuery) -> Self {
        AdminFilter { status: q.status, from: q.from, to: q.to }
    }
}

impl From<CompleteInput> for CompleteCmd {
    fn from(i: CompleteInput) -> Self {
        CompleteCmd { activity_type: i.activity_type, format: i.format }
    }
}
