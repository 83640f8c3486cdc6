//! Activities and how they were done.

crate::values::string_enum! {
    /// How an activity was done.
    pub(crate) enum Format {
        Coached = "coached",
        Group = "group",
        Solo = "solo",
    }
}

/// An activity to record.
#[derive(Debug, Clone)]
pub(crate) struct NewActivity<'a> {
    pub user_id: i64,
    pub started_at: i64,
    pub duration_minutes: i64,
    pub type_id: i64,
    pub format: Format,
    pub venue: &'a str,
    pub coach_id: Option<i64>,
    pub notes: &'a str,
    pub recorded_by: Option<i64>,
}

/// A kind of activity the club logs (practice, lesson, walk...). `key` is what the API speaks;
/// `label` is what people read.
#[derive(Debug, Clone)]
pub(crate) struct ActivityType {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub position: i64,
    /// Archived types stay on old entries but cannot be chosen for new ones.
    pub archived_at: Option<i64>,
    pub created_at: i64,
}

impl ActivityType {
    pub(crate) fn is_active(&self) -> bool {
        self.archived_at.is_none()
    }
}

/// A person as an activity row names them.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: i64,
    pub username: String,
    pub name: String,
}

/// A recorded activity with the names it refers to.
#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub id: i64,
    pub member: Person,
    /// The member's time zone name ('' = UTC).
    pub member_timezone: String,
    /// The member's coach now (users.coach_id), which decides who else may read the entry.
    pub member_coach_id: Option<i64>,
    pub started_at: i64,
    pub duration_minutes: i64,
    pub type_id: i64,
    pub type_key: String,
    pub type_label: String,
    pub format: String,
    pub venue: String,
    pub coach: Option<Person>,
    pub notes: String,
    pub recorded_by: Option<Person>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member as the activity log needs them: who they are, where they live in time, who
/// coaches them, and whether they may use the member area.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub person: Person,
    pub timezone: String,
    pub coach_id: Option<i64>,
    pub status: String,
}

impl Member {
    pub(crate) fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// Which activities a query covers. `to` is exclusive.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub user_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub type_id: Option<i64>,
}

/// A coached member with their totals.
#[derive(Debug, Clone)]
pub(crate) struct CoachedMember {
    pub person: Person,
    pub timezone: String,
    pub activity_count: i64,
    pub total_minutes: i64,
    pub last_started_at: Option<i64>,
}
