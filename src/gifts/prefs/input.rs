//! Request bodies of the notification and schedule settings.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `PUT /api/v1/exchanges/notifications` and the notifications form: only the kinds given
/// change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NotificationsInput {
    pub registration: Option<bool>,
    pub withdrawal: Option<bool>,
    pub matched: Option<bool>,
}

/// `PUT /api/v1/exchanges/{id}/schedule`: only the parts given change.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ScheduleInput {
    /// Read by the service so that every mistake is reported on `reminder_days` itself.
    #[serde(deserialize_with = "present")]
    #[schemars(
        description = "Days before the exchange to remind participants: a list of whole numbers, or null for the default."
    )]
    pub reminder_days: Option<Value>,
    pub notify: Option<NotifyInput>,
}

/// Per-exchange overrides: `true` or `false` decide for this exchange, `null` follows the
/// club-wide preference, an absent key stays as it is.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NotifyInput {
    #[serde(deserialize_with = "present")]
    pub registration: Option<Option<bool>>,
    #[serde(deserialize_with = "present")]
    pub withdrawal: Option<Option<bool>>,
    #[serde(deserialize_with = "present")]
    pub matched: Option<Option<bool>>,
}

/// A key that is present, even with `null`, is `Some`: absent and null mean different things.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The schedule form: reminder days as text ("7, 1") and each override as
/// `default` | `always` | `never`.
#[derive(Debug, Default, FromForm)]
pub(crate) struct ScheduleForm {
    pub reminder_days: Option<String>,
    pub notify_registration: Option<String>,
    pub notify_withdrawal: Option<String>,
    pub notify_matched: Option<String>,
}
