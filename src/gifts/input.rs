//! Request bodies for exchanges: each is a JSON body and an HTML form.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

/// `POST /api/v1/exchanges`, `PUT /api/v1/exchanges/{id}` (the whole exchange) and the admin
/// forms. Dates are `YYYY-MM-DD` in the exchange's zone.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExchangeInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub budget: Option<String>,
    /// Absent or null: no limit.
    pub max_participants: Option<i64>,
    pub registration_close_date: Option<String>,
    pub exchange_date: Option<String>,
    /// IANA name; absent: UTC.
    pub timezone: Option<String>,
}

/// The body of reopen, match and rematch: `confirm` acknowledges that the drawn cycle is thrown
/// away; `seed` makes a draw reproducible (the same seed, participants and exclusions give the
/// same cycle).
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ActionInput {
    pub confirm: Option<bool>,
    pub seed: Option<u64>,
}

/// `DELETE /api/v1/exchanges/{id}` and the delete form: `confirm` must be `DELETE`.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "ExchangeDeleteInput")]
#[serde(default, deny_unknown_fields)]
pub struct DeleteInput {
    pub confirm: Option<String>,
}

/// Registration through the public page or `POST /api/v1/exchanges/{slug}/register`.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "ExchangeRegisterInput")]
#[serde(default, deny_unknown_fields)]
pub struct RegisterInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub gift_ideas: Option<String>,
    /// Absent: on (the API); the form sends it only when ticked.
    pub reminders: Option<bool>,
}

/// One-click joining by someone signed in: name and email come from their account.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JoinInput {
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// `POST .../request-access`: the address registered with.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccessRequestInput {
    pub email: String,
}

/// The confirmation form behind an emailed access link.
#[derive(Debug, Default, FromForm)]
pub struct AccessInput {
    pub token: String,
}

/// `PUT /api/v1/exchanges/{id}/me` and the dashboard form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MeInput {
    pub name: Option<String>,
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// `POST /api/v1/exchanges/{id}/exclusions` and the form: two participant ids.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExclusionInput {
    pub participant_a: Option<i64>,
    pub participant_b: Option<i64>,
}

/// `PUT /api/v1/admin/members/{id}/organizer` and the form on the member page.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizerInput {
    pub organizer: bool,
}
