//! What the activity log answers: the JSON bodies, which are also the pages' contexts.

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Activity, ActivityType, CoachedMember, Member, Person};
use crate::clock::{format_in, rfc3339_at, zone};

/// How local times are shown in tables and the CSV.
pub(crate) const LOCAL_FORMAT: &str = "%Y-%m-%d %H:%M";
/// How a `datetime-local` input expects its value.
pub(crate) const INPUT_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// The zone name a member's times are shown in (their own, or UTC).
pub(crate) fn zone_name(timezone: &str) -> String {
    zone(timezone).name().to_string()
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "PersonRef")]
pub(crate) struct PersonView {
    pub id: i64,
    pub username: String,
    pub name: String,
}

impl From<&Person> for PersonView {
    fn from(p: &Person) -> Self {
        PersonView { id: p.id, username: p.username.clone(), name: p.name.clone() }
    }
}

/// One activity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Activity")]
pub(crate) struct ActivityView {
    pub id: i64,
    pub member: PersonView,
    /// RFC 3339, UTC.
    #[schemars(extend("format" = "date-time"))]
    pub started_at: String,
    /// The start in the member's time zone, `YYYY-MM-DD HH:MM`.
    pub started_local: String,
    pub time_zone: String,
    pub duration_minutes: i64,
    #[serde(rename = "type")]
    pub type_key: String,
    pub type_label: String,
    pub format: String,
    pub venue: String,
    pub coach: Option<PersonView>,
    pub notes: String,
    pub recorded_by: Option<PersonView>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    /// Whether the one asking may edit or delete it.
    pub can_edit: bool,
}

impl ActivityView {
    pub(crate) fn of(a: &Activity, can_edit: bool) -> Self {
        let tz = zone(&a.member_timezone);
        ActivityView {
            id: a.id,
            member: PersonView::from(&a.member),
            started_at: rfc3339_at(a.started_at),
            started_local: format_in(a.started_at, tz, LOCAL_FORMAT),
            time_zone: tz.name().to_string(),
            duration_minutes: a.duration_minutes,
            type_key: a.type_key.clone(),
            type_label: a.type_label.clone(),
            format: a.format.clone(),
            venue: a.venue.clone(),
            coach: a.coach.as_ref().map(PersonView::from),
            notes: a.notes.clone(),
            recorded_by: a.recorded_by.as_ref().map(PersonView::from),
            created_at: rfc3339_at(a.created_at),
            updated_at: rfc3339_at(a.updated_at),
            can_edit,
        }
    }
}

/// `GET /api/v1/activities`: one page of a member's log, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ActivityList {
    pub items: Vec<ActivityView>,
    pub page: i64,
    pub per_page: i64,
    /// Entries matching the filters, on every page.
    pub total: i64,
    /// Their minutes, on every page.
    pub total_minutes: i64,
    pub pages: i64,
    /// Whose log this is.
    pub member: PersonView,
    pub time_zone: String,
}

/// An activity type as members choose it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ActivityType")]
pub(crate) struct TypeView {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub position: i64,
    pub archived: bool,
}

impl From<&ActivityType> for TypeView {
    fn from(t: &ActivityType) -> Self {
        TypeView {
            id: t.id,
            key: t.key.clone(),
            label: t.label.clone(),
            position: t.position,
            archived: !t.is_active(),
        }
    }
}

/// An activity type as admins manage it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AdminActivityType")]
pub(crate) struct AdminTypeView {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub position: i64,
    pub archived: bool,
    #[schemars(extend("format" = "date-time"))]
    pub archived_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Entries of this type; a type in use can be archived but not deleted.
    pub activity_count: i64,
}

impl AdminTypeView {
    pub(crate) fn of(t: &ActivityType, activity_count: i64) -> Self {
        AdminTypeView {
            id: t.id,
            key: t.key.clone(),
            label: t.label.clone(),
            position: t.position,
            archived: !t.is_active(),
            archived_at: t.archived_at.map(rfc3339_at),
            created_at: rfc3339_at(t.created_at),
            activity_count,
        }
    }
}

/// `DELETE /api/v1/admin/activity-types/<id>`: deleted, or archived because it is in use.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TypeRemoval {
    pub deleted: bool,
    pub archived: bool,
    pub message: String,
    /// The type as it is now, when it was archived instead.
    pub activity_type: Option<AdminTypeView>,
}

/// A member a coach coaches, with their totals.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "CoachedMember")]
pub(crate) struct CoachedMemberView {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub activity_count: i64,
    pub total_minutes: i64,
    #[schemars(extend("format" = "date-time"))]
    pub last_started_at: Option<String>,
    /// The last start in the member's time zone.
    pub last_started_local: Option<String>,
}

impl From<&CoachedMember> for CoachedMemberView {
    fn from(m: &CoachedMember) -> Self {
        let tz = zone(&m.timezone);
        CoachedMemberView {
            id: m.person.id,
            username: m.person.username.clone(),
            name: m.person.name.clone(),
            activity_count: m.activity_count,
            total_minutes: m.total_minutes,
            last_started_at: m.last_started_at.map(rfc3339_at),
            last_started_local: m.last_started_at.map(|t| format_in(t, tz, LOCAL_FORMAT)),
        }
    }
}

/// `GET /api/v1/coach/members`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CoachedMembers {
    pub members: Vec<CoachedMemberView>,
}

/// What the record and edit forms offer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FormOptions {
    pub types: Vec<TypeView>,
    pub coaches: Vec<PersonView>,
    /// The members the person may record for besides themselves (coaches and admins).
    pub members: Vec<PersonView>,
    /// The time zone the date and time are read in.
    pub time_zone: String,
}

/// The values a form shows (a blank form, an entry to edit, or what was just submitted).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FormValues {
    pub member_id: String,
    pub started_local: String,
    pub duration_minutes: String,
    #[serde(rename = "type")]
    pub type_key: String,
    pub format: String,
    pub venue: String,
    pub coach_id: String,
    pub notes: String,
}

impl FormValues {
    /// An entry's values, its time in the member's zone.
    pub(crate) fn of(a: &Activity) -> Self {
        FormValues {
            member_id: a.member.id.to_string(),
            started_local: format_in(a.started_at, zone(&a.member_timezone), INPUT_FORMAT),
            duration_minutes: a.duration_minutes.to_string(),
            type_key: a.type_key.clone(),
            format: a.format.clone(),
            venue: a.venue.clone(),
            coach_id: a.coach.as_ref().map(|c| c.id.to_string()).unwrap_or_default(),
            notes: a.notes.clone(),
        }
    }
}

/// The member a blank form records for, and their zone.
pub(crate) fn blank_form(member: &Member, own: bool, now: i64) -> FormValues {
    FormValues {
        member_id: if own { String::new() } else { member.person.id.to_string() },
        started_local: format_in(now, zone(&member.timezone), INPUT_FORMAT),
        format: "solo".into(),
        ..FormValues::default()
    }
}

/// The filters a list page was asked for, shown again in its form and kept in its links.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FilterEcho {
    pub from: String,
    pub to: String,
    #[serde(rename = "type")]
    pub type_key: String,
    pub member_id: String,
}

/// `/activities`.
#[derive(Debug, Serialize)]
pub(crate) struct ListPage {
    /// None when the filters could not be read (the form shows why).
    pub list: Option<ActivityList>,
    pub filter: FilterEcho,
    /// Every type, archived ones too, to filter old entries.
    pub types: Vec<TypeView>,
    /// Whether it is the viewer's own log.
    pub own: bool,
    /// Whether the viewer coaches or is an admin (the page links to their members).
    pub coach: bool,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub export_url: String,
    pub new_url: String,
}

/// `/activities/new` and `/activities/<id>/edit`.
#[derive(Debug, Serialize)]
pub(crate) struct FormPage {
    /// The entry being edited, None for a new one.
    pub editing: Option<i64>,
    /// Whose entry it is, when editing someone else's.
    pub member_name: Option<String>,
    pub action: String,
    pub cancel_url: String,
    pub form: FormValues,
    pub options: FormOptions,
}

/// The add form of the types page, shown again after an error.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct NewTypeEcho {
    pub key: String,
    pub label: String,
    pub position: String,
}

/// `/admin/activity-types`.
#[derive(Debug, Serialize)]
pub(crate) struct TypesPage {
    pub types: Vec<AdminTypeView>,
    pub form: NewTypeEcho,
    /// The type whose rename form has the errors.
    pub editing: Option<i64>,
    /// Always empty: the add form's errors while a rename form has them.
    pub no_errors: std::collections::BTreeMap<String, String>,
}
