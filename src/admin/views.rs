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

/// The club settings as the API returns them and the settings page shows them.
#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub club_name: String,
    pub registration_mode: &'static str,
    pub two_factor_policy: &'static str,
    pub guest_accounts: bool,
    pub member_review: bool,
    pub direct_chat: bool,
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
