use schemars::JsonSchema;
use serde::Serialize;

use super::chart::Point;
use crate::jobs::JobStatus;

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Count {
    pub label: String,
    pub count: i64,
}

/// One figure on the dashboard and the list it stands for.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Tile {
    /// A stable name for scripts: `active`, `pending_invites`, `registration_open`...
    pub key: String,
    pub label: String,
    pub count: i64,
    /// The admin list behind the figure.
    pub href: String,
}

/// A bar chart: its data (the JSON API's figures) and, on the page, the drawing.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Chart")]
pub(crate) struct ChartView {
    pub key: &'static str,
    pub title: &'static str,
    /// What a bar counts, in the plural ("minutes").
    pub unit: &'static str,
    /// Oldest first; every period is present, empty ones with 0.
    pub points: Vec<Point>,
    /// The SVG markup, built by the page only (it is not part of the JSON answer).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub svg: String,
}

/// How the server itself is doing: mail, background jobs, the address members use.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "System")]
pub(crate) struct SystemView {
    pub mail_mode: String,
    pub base_url: String,
    pub active_sessions: i64,
    pub roles: Vec<Count>,
    pub outbox: Vec<Count>,
    pub jobs: Vec<JobView>,
    /// Seconds since the newest backup, and the same in words; null before the first one.
    pub last_backup_age_secs: Option<i64>,
    pub last_backup_age: Option<String>,
}

/// The admin dashboard (`GET /admin`, `GET /api/v1/admin/dashboard`). Organizers see only
/// what they manage: the parts about people, mail and the server are `null` for them.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Dashboard {
    /// `admin` or `organizer`: how much of the dashboard the caller may see.
    #[schemars(extend("enum" = ["admin", "organizer"]))]
    pub scope: &'static str,
    #[schemars(extend("format" = "date-time"))]
    pub generated_at: String,
    /// Members (guests left out) per account status.
    pub members_by_status: Option<Vec<Tile>>,
    /// Work waiting for an admin: invitations, reviews, bookings, replies, failed emails.
    pub waiting: Option<Vec<Tile>>,
    pub exchanges_by_state: Vec<Tile>,
    pub charts: Vec<ChartView>,
    pub system: Option<SystemView>,
}

impl Dashboard {
    /// Adds what only the running server knows: how mail is sent and how the jobs are doing.
    pub(crate) fn with_runtime(mut self, mail_mode: &str, jobs: Vec<JobStatus>) -> Self {
        if let Some(system) = &mut self.system {
            system.mail_mode = mail_mode.to_string();
            system.jobs = jobs.into_iter().map(Into::into).collect();
        }
        self
    }

    /// Draws every chart, for the page.
    pub(crate) fn with_drawings(mut self) -> Self {
        for chart in &mut self.charts {
            chart.svg = super::chart::bar_chart(chart.title, chart.unit, &chart.points);
        }
        self
    }
}

/// The club settings as the API returns them and the settings page shows them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Settings")]
pub(crate) struct SettingsView {
    pub club_name: String,
    pub club_description: String,
    pub contact_email: String,
    pub club_timezone: String,
    pub registration_mode: &'static str,
    pub two_factor_policy: &'static str,
    pub guest_accounts: bool,
    pub member_review: bool,
    pub direct_chat: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_minutes: i64,
    pub backup_interval_hours: i64,
    pub backup_keep: i64,
}

/// The settings form's values as text, so a value that was refused is shown back as typed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SettingsForm {
    pub club_name: String,
    pub club_description: String,
    pub contact_email: String,
    pub club_timezone: String,
    pub registration_mode: String,
    pub two_factor_policy: String,
    pub guest_accounts: bool,
    pub member_review: bool,
    pub direct_chat: bool,
    pub session_idle_minutes: String,
    pub session_absolute_minutes: String,
    pub backup_interval_hours: String,
    pub backup_keep: String,
}

impl From<SettingsView> for SettingsForm {
    fn from(v: SettingsView) -> Self {
        SettingsForm {
            club_name: v.club_name,
            club_description: v.club_description,
            contact_email: v.contact_email,
            club_timezone: v.club_timezone,
            registration_mode: v.registration_mode.to_string(),
            two_factor_policy: v.two_factor_policy.to_string(),
            guest_accounts: v.guest_accounts,
            member_review: v.member_review,
            direct_chat: v.direct_chat,
            session_idle_minutes: v.session_idle_minutes.to_string(),
            session_absolute_minutes: v.session_absolute_minutes.to_string(),
            backup_interval_hours: v.backup_interval_hours.to_string(),
            backup_keep: v.backup_keep.to_string(),
        }
    }
}

/// The settings page: the form, the zone names it suggests, and the screens for the settings
/// that have their own.
#[derive(Debug, Serialize)]
pub(crate) struct SettingsPage {
    pub form: SettingsForm,
    pub timezones: Vec<&'static str>,
}

impl SettingsPage {
    pub(crate) fn new(form: SettingsForm) -> Self {
        SettingsPage {
            form,
            timezones: chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Job")]
pub(crate) struct JobView {
    pub name: String,
    pub every_secs: u64,
    pub runs: u64,
    #[schemars(extend("format" = "date-time"))]
    pub last_run_at: Option<String>,
    pub last_error: Option<String>,
}

impl From<JobStatus> for JobView {
    fn from(s: JobStatus) -> Self {
        JobView {
            name: s.name,
            every_secs: s.every_secs,
            runs: s.runs,
            last_run_at: s.last_run_at.map(crate::clock::rfc3339),
            last_error: s.last_error,
        }
    }
}
