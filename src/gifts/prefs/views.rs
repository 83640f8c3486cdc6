//! What the API returns and the pages show: the JSON body and the template context share types.

use schemars::JsonSchema;
use serde::Serialize;

use crate::gifts::notify::{NotifyOverrides, NotifyPrefs};

/// `GET /api/v1/exchanges/{id}/schedule`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Schedule")]
pub(crate) struct ScheduleView {
    pub exchange_id: i64,
    pub name: String,
    #[schemars(with = "crate::gifts::model::ExchangeState")]
    pub state: String,
    /// YYYY-MM-DD in the exchange's own time zone.
    #[schemars(extend("format" = "date"))]
    pub exchange_date: String,
    pub timezone: String,
    /// Days before the exchange date, furthest first.
    pub reminder_days: Vec<i64>,
    /// This exchange's overrides; null follows `club_default`.
    pub notify: NotifyOverrides,
    pub club_default: NotifyPrefs,
    /// Reminders already done, furthest first.
    pub reminders_sent: Vec<SentView>,
    /// Whether the schedule can still change (until the exchange is completed).
    pub editable: bool,
    #[schemars(extend("format" = "date-time"))]
    pub completed_at: Option<String>,
    /// Whole days until a completed exchange is purged; null until it is completed.
    pub purge_in_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "SentReminder")]
pub(crate) struct SentView {
    pub days_before: i64,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    /// The same time in the exchange's zone, for people.
    pub sent_local: String,
}

/// The schedule page: the schedule and the form's values (as typed, after an error).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SchedulePage {
    pub schedule: ScheduleView,
    pub form: ScheduleFormView,
}

/// The form's fields: reminder days as text, each override as `default` | `always` | `never`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScheduleFormView {
    pub reminder_days: String,
    pub notify_registration: String,
    pub notify_withdrawal: String,
    pub notify_matched: String,
}

impl ScheduleFormView {
    /// The form filled in with what is stored.
    pub(crate) fn of(view: &ScheduleView) -> Self {
        let choice = |v: Option<bool>| {
            match v {
                None => "default",
                Some(true) => "always",
                Some(false) => "never",
            }
            .to_string()
        };
        ScheduleFormView {
            reminder_days: view
                .reminder_days
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            notify_registration: choice(view.notify.registration),
            notify_withdrawal: choice(view.notify.withdrawal),
            notify_matched: choice(view.notify.matched),
        }
    }
}
