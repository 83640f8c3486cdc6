use serde::Serialize;

use crate::jobs::JobStatus;

#[derive(Debug, Serialize)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

/// The admin home: who is here, whether mail flows, and how the background jobs are doing.
#[derive(Debug, Serialize)]
pub struct AdminHome {
    pub users: i64,
    pub pending_invites: i64,
    pub roles: Vec<Count>,
    pub active_sessions: i64,
    pub outbox: Vec<Count>,
    pub mail_mode: String,
    pub base_url: String,
    pub jobs: Vec<JobView>,
}

/// The club settings as the API returns them.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
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
pub struct SettingsForm {
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
pub struct SettingsPage {
    pub form: SettingsForm,
    pub timezones: Vec<&'static str>,
}

impl SettingsPage {
    pub fn new(form: SettingsForm) -> Self {
        SettingsPage {
            form,
            timezones: chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct JobView {
    pub name: String,
    pub every_secs: u64,
    pub runs: u64,
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
