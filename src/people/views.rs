//! What people management answers: the JSON bodies and the template contexts.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::repo::PersonRow;
use crate::accounts::model::{Role, UserStatus};
use crate::clock::rfc3339_at;
use crate::members::repo::StatusChange;
use crate::members::views::ProfileView;

/// One line of `GET /api/v1/admin/members` and of the member list page.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct PersonSummary {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    pub roles: Vec<Role>,
    #[schemars(extend("format" = "date-time"))]
    pub joined_at: String,
    /// When they first became active; when they joined for accounts created active.
    #[schemars(extend("format" = "date-time"))]
    pub member_since: String,
    #[schemars(extend("format" = "date-time"))]
    pub last_login_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub onboarding_completed_at: Option<String>,
    pub signed_version: Option<i64>,
}

impl From<PersonRow> for PersonSummary {
    fn from(r: PersonRow) -> Self {
        PersonSummary {
            id: r.user_id,
            username: r.username,
            name: r.name,
            email: r.email,
            status: r.status,
            roles: r.roles,
            joined_at: rfc3339_at(r.created_at),
            member_since: rfc3339_at(r.member_since),
            last_login_at: r.last_login_at.map(rfc3339_at),
            onboarding_completed_at: r.onboarding_completed_at.map(rfc3339_at),
            signed_version: r.signed_version,
        }
    }
}

/// The filter as understood, echoed back so pages and links keep it.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ListFilter {
    pub q: String,
    pub role: String,
    pub status: String,
    /// `name`, `-name`, `email`, ... (a leading `-` is newest / Z first).
    pub sort: String,
}

/// One page of the member list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemberList {
    pub members: Vec<PersonSummary>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub per_page: i64,
    pub filter: ListFilter,
}

/// A link of the list page (a filter tab, a column to sort by, a page number).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Link {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// The member list page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MembersPage {
    pub list: MemberList,
    pub status_tabs: Vec<Link>,
    pub roles: Vec<&'static str>,
    pub statuses: Vec<&'static str>,
    pub sorts: Vec<Link>,
    /// Every order for the sort menu: `label` in words, `url` the `sort` value.
    pub sort_choices: Vec<Link>,
    pub pages: Vec<Link>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub export_url: String,
}

/// An entry of the admin actions taken on an account.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AccountEvent")]
pub(crate) struct HistoryEntry {
    pub kind: String,
    pub actor_name: Option<String>,
    /// Free-form JSON the event recorded, or null.
    pub detail: Option<serde_json::Value>,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
}

/// The account side of a member's record: how they sign in and what admins did to it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "MemberAccount")]
pub(crate) struct AccountView {
    /// Browser sessions that have not ended.
    pub sessions: i64,
    /// API logins (apps, scripts) with a usable token.
    pub api_logins: i64,
    pub has_password: bool,
    /// The member turned emailed login codes on for themselves.
    pub two_factor_enabled: bool,
    pub authenticator_app: bool,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
    #[schemars(extend("format" = "date-time"))]
    pub claimed_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_login_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub member_since: String,
    /// The only admin who can still sign in: their admin role cannot be taken away, nor can
    /// the account be deleted.
    pub last_admin: bool,
    /// The account waits to be claimed: a claim code can be emailed.
    pub can_send_claim_code: bool,
    /// Every role, for the role form.
    #[schemars(with = "Vec<Role>")]
    pub all_roles: Vec<&'static str>,
    /// Admin actions and security events about this account, newest first.
    pub history: Vec<HistoryEntry>,
}

/// A kind of data, how many rows of it the account has, and what becomes of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DataItem {
    pub label: String,
    pub rows: i64,
}

/// `GET /api/v1/admin/members/{id}/deletion`: what deleting the account removes and keeps.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Deletion")]
pub(crate) struct DeletionView {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub deleted: Vec<DataItem>,
    pub kept: Vec<DataItem>,
    /// When the account cannot be deleted, why.
    pub refusal: Option<String>,
}

/// The delete confirmation page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeletionPage {
    pub deletion: DeletionView,
    pub confirm: String,
}

/// `DELETE /api/v1/admin/members/{id}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "DeletedMember")]
pub(crate) struct Deleted {
    pub deleted: bool,
    pub id: i64,
    pub username: String,
}

/// `DELETE /api/v1/admin/members/{id}/sessions`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct SessionsEnded {
    pub sessions_ended: usize,
    pub api_logins_ended: usize,
}

/// `POST /api/v1/admin/members/{id}/access`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AccessSent {
    #[schemars(extend("enum" = ["claim_code", "set_password"]))]
    pub kind: &'static str,
    pub to: String,
}

// ----- import -----

/// A CSV row as read, kept between preview and commit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub(crate) struct ImportRow {
    /// The line of the file the row is on (the header is line 1).
    pub line: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub roles: String,
}

/// What the import will do with a row: `new` (created on commit), `exists` (an account has
/// this email: skipped) or `invalid` (see `errors`: skipped).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ImportRowCheck")]
pub(crate) struct RowCheck {
    #[serde(flatten)]
    pub row: ImportRow,
    #[schemars(extend("enum" = ["new", "exists", "invalid"]))]
    pub outcome: &'static str,
    pub errors: BTreeMap<String, String>,
    /// The account that already has this email, when `outcome` is `exists`.
    pub existing_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ImportCounts {
    pub new: usize,
    pub exists: usize,
    pub invalid: usize,
}

/// An account created by an import.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ImportedMember {
    pub line: u64,
    pub id: i64,
    pub username: String,
    pub email: String,
}

/// The outcome of committing an import.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ImportResult {
    pub created: Vec<ImportedMember>,
    pub skipped_existing: usize,
    pub skipped_invalid: usize,
    pub invitations_sent: usize,
    #[schemars(extend("format" = "date-time"))]
    pub committed_at: String,
    /// This answer is the one of an earlier commit of the same import: nothing new was done.
    #[serde(default)]
    pub already_committed: bool,
}

/// A dry run: every row with what would happen to it, and the id to commit it with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ImportPreview {
    pub id: String,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
    pub counts: ImportCounts,
    pub rows: Vec<RowCheck>,
    /// Set once the import was committed.
    pub result: Option<ImportResult>,
}

/// The import form page.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ImportPage {
    pub text: String,
    pub columns: Vec<&'static str>,
    pub max_rows: usize,
}

/// The preview (and after commit, result) page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ImportPreviewPage {
    pub preview: ImportPreview,
}

impl ListFilter {
    /// `base` with this filter (status first, then role, search, order) and `page` as its
    /// query, leaving out what is the default.
    pub(crate) fn url(&self, base: &str, page: i64) -> String {
        use crate::web::page::encode_query_value as enc;
        let mut parts = Vec::new();
        for (key, value) in
            [("status", &self.status), ("role", &self.role), ("q", &self.q), ("sort", &self.sort)]
        {
            let default = value.is_empty() || (key == "sort" && value == "name");
            if !default {
                parts.push(format!("{key}={}", enc(value)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

impl MembersPage {
    /// The page around a list: tabs per status, sortable columns and page links that all keep
    /// the rest of the filter.
    pub(crate) fn of(list: MemberList) -> Self {
        const BASE: &str = "/admin/members";
        let f = &list.filter;
        let statuses: Vec<&'static str> = UserStatus::ALL.iter().map(|s| s.as_str()).collect();
        let mut status_tabs = vec![Link {
            label: "Everyone".into(),
            url: ListFilter { status: String::new(), ..f.clone() }.url(BASE, 1),
            current: f.status.is_empty(),
        }];
        status_tabs.extend(statuses.iter().map(|s| Link {
            label: s.replace('_', " "),
            url: ListFilter { status: s.to_string(), ..f.clone() }.url(BASE, 1),
            current: f.status == *s,
        }));
        let sorts = super::repo::SortKey::ALL
            .iter()
            .map(|k| {
                let key = k.as_str();
                let current = f.sort.trim_start_matches('-') == key;
                // A second click on the current column reverses it.
                let sort = if current && !f.sort.starts_with('-') {
                    format!("-{key}")
                } else {
                    key.to_string()
                };
                Link {
                    label: key.replace('_', " "),
                    url: ListFilter { sort, ..f.clone() }.url(BASE, 1),
                    current,
                }
            })
            .collect();
        let sort_choices = super::repo::SortKey::ALL
            .iter()
            .flat_map(|k| {
                let (key, words) = (k.as_str(), k.as_str().replace('_', " "));
                [
                    (key.to_string(), format!("{words} (A-Z, oldest first)")),
                    (format!("-{key}"), format!("{words} (Z-A, newest first)")),
                ]
            })
            .map(|(value, label)| Link { current: value == f.sort, label, url: value })
            .collect();
        let pages = crate::paging::window(list.page, list.pages)
            .map(|n| Link { label: n.to_string(), url: f.url(BASE, n), current: n == list.page })
            .collect();
        MembersPage {
            status_tabs,
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            statuses,
            sorts,
            sort_choices,
            pages,
            prev_url: (list.page > 1).then(|| f.url(BASE, list.page - 1)),
            next_url: (list.page < list.pages).then(|| f.url(BASE, list.page + 1)),
            export_url: ListFilter { ..f.clone() }.url("/admin/members/export.csv", 1),
            list,
        }
    }
}

// ----- the member record -----

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Signature")]
pub(crate) struct SignatureView {
    pub version: i64,
    pub full_name: String,
    pub ip: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub signed_at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct TimelineEntry {
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub note: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
}

impl From<StatusChange> for TimelineEntry {
    fn from(c: StatusChange) -> Self {
        TimelineEntry {
            from: c.from,
            to: c.to,
            actor_id: c.actor_id,
            actor_name: c.actor_name,
            note: c.note,
            at: rfc3339_at(c.at),
        }
    }
}

/// `GET /api/v1/admin/members/{id}`: everything the club knows about one member.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct MemberDetail {
    pub profile: ProfileView,
    #[schemars(extend("format" = "date-time"))]
    pub joined_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub onboarding_completed_at: Option<String>,
    pub missing: Vec<&'static str>,
    pub can_activate: bool,
    /// The admin is looking at their own record (they cannot disable themselves).
    pub is_self: bool,
    pub current_agreement_version: Option<i64>,
    pub signatures: Vec<SignatureView>,
    pub timeline: Vec<TimelineEntry>,
    /// How the member signs in and what admins did to the account.
    pub account: AccountView,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemberPage {
    pub member: MemberDetail,
}
