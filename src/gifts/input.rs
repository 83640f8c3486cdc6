//! Request bodies for exchanges: each is a JSON body and an HTML form.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::service::{ExchangeCmd, ExclusionCmd, JoinCmd, MeCmd, Registration};
use crate::accounts::model::ClientInfo;

/// `POST /api/v1/exchanges`, `PUT /api/v1/exchanges/{id}` (the whole exchange) and the admin
/// forms. Dates are `YYYY-MM-DD` in the exchange's zone.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ExchangeInput {
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
pub(crate) struct ActionInput {
    pub confirm: Option<bool>,
    pub seed: Option<u64>,
}

/// `DELETE /api/v1/exchanges/{id}` and the delete form: `confirm` must be `DELETE`.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "ExchangeDeleteInput")]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DeleteInput {
    pub confirm: Option<String>,
}

/// Registration through the public page or `POST /api/v1/exchanges/{slug}/register`.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "ExchangeRegisterInput")]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegisterInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub gift_ideas: Option<String>,
    /// Absent: on (the API); the form sends it only when ticked.
    pub reminders: Option<bool>,
}

impl RegisterInput {
    /// `reminders_when_absent`: the API's default is on, while a form leaves an unticked box out.
    pub(crate) fn into_command(
        self,
        client: ClientInfo,
        reminders_when_absent: bool,
    ) -> Registration {
        Registration {
            name: self.name.unwrap_or_default(),
            email: self.email.unwrap_or_default(),
            gift_ideas: self.gift_ideas.unwrap_or_default(),
            reminders: self.reminders.unwrap_or(reminders_when_absent),
            client,
        }
    }
}

/// One-click joining by someone signed in: name and email come from their account.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct JoinInput {
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// `POST .../request-access`: the address registered with.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AccessRequestInput {
    pub email: String,
}

/// The confirmation form behind an emailed access link.
#[derive(Debug, Default, FromForm)]
pub(crate) struct AccessInput {
    pub token: String,
}

/// `PUT /api/v1/exchanges/{id}/me` and the dashboard form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MeInput {
    pub name: Option<String>,
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// `POST /api/v1/exchanges/{id}/exclusions` and the form: two participant ids.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ExclusionInput {
    pub participant_a: Option<i64>,
    pub participant_b: Option<i64>,
}

/// `PUT /api/v1/admin/members/{id}/organizer` and the form on the member page.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizerInput {
    pub organizer: bool,
}

// ----- what each body becomes -----

impl From<ExchangeInput> for ExchangeCmd {
    fn from(i: ExchangeInput) -> Self {
        ExchangeCmd {
            name: i.name.unwrap_or_default(),
            description: i.description.unwrap_or_default(),
            budget: i.budget.unwrap_or_default(),
            max_participants: i.max_participants,
            registration_close_date: i.registration_close_date.unwrap_or_default(),
            exchange_date: i.exchange_date.unwrap_or_default(),
            timezone: i.timezone.unwrap_or_default(),
        }
    }
}

impl From<ExclusionInput> for ExclusionCmd {
    fn from(i: ExclusionInput) -> Self {
        ExclusionCmd { participant_a: i.participant_a, participant_b: i.participant_b }
    }
}

impl From<MeInput> for MeCmd {
    fn from(i: MeInput) -> Self {
        MeCmd { name: i.name, gift_ideas: i.gift_ideas, reminders: i.reminders }
    }
}

impl From<JoinInput> for JoinCmd {
    /// Reminders are on unless turned off.
    fn from(input: JoinInput) -> Self {
        JoinCmd {
            gift_ideas: input.gift_ideas.unwrap_or_default(),
            reminders: input.reminders.unwrap_or(true),
        }
    }
}
