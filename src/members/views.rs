//! What the member API answers and the member pages show (the same structs).

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Agreement, FieldKind, ProfileField, Visibility};
use super::repo::Profile;
use crate::accounts::model::{AuthUser, Role, UserStatus};
use crate::clock::rfc3339_at;
use crate::paging::{PageLink, Paging};

/// The member home page.
#[derive(Debug, Serialize)]
pub(crate) struct HomeView {
    pub name: String,
    pub username: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    pub is_admin: bool,
    pub is_member: bool,
    /// A newer agreement waits for the member's signature.
    pub agreement_outdated: bool,
}

impl HomeView {
    pub(crate) fn of(user: &AuthUser, agreement_outdated: bool) -> Self {
        HomeView {
            name: user.name().to_string(),
            username: user.username.clone(),
            email: user.email.clone(),
            roles: user.roles.clone(),
            status: user.status,
            is_admin: user.is_admin(),
            is_member: user.is_active_member(),
            agreement_outdated,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Coach")]
pub(crate) struct CoachView {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct EmergencyContact {
    pub name: String,
    pub phone: String,
}

/// A club field with the member's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct FieldAnswer {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub visibility: Visibility,
    pub choices: Vec<String>,
    pub value: Option<String>,
}

/// A member's profile as they (and admins) see it: `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Profile")]
pub(crate) struct ProfileView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub zip: String,
    pub timezone: String,
    pub coach: Option<CoachView>,
    pub venue: String,
    pub address: String,
    pub emergency_contact: EmergencyContact,
    pub show_email: bool,
    pub show_phone: bool,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    #[schemars(extend("format" = "date-time"))]
    pub member_since: Option<String>,
    pub fields: Vec<FieldAnswer>,
}

impl ProfileView {
    pub(crate) fn of(p: &Profile, fields: &[ProfileField], answers: &[(i64, String)]) -> Self {
        ProfileView {
            id: p.user_id,
            username: p.username.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            phone: p.phone.clone(),
            city: p.city.clone(),
            state: p.state.clone(),
            country: p.country.clone(),
            zip: p.zip.clone(),
            timezone: p.timezone.clone(),
            coach: p.coach_id.zip(p.coach_name.clone()).map(|(id, name)| CoachView { id, name }),
            venue: p.venue.clone(),
            address: p.address.clone(),
            emergency_contact: EmergencyContact {
                name: p.emergency_contact_name.clone(),
                phone: p.emergency_contact_phone.clone(),
            },
            show_email: p.show_email,
            show_phone: p.show_phone,
            roles: p.roles.clone(),
            status: p.status,
            member_since: p.activated_at.map(rfc3339_at),
            fields: field_answers(fields, answers),
        }
    }
}

/// The current agreement and the member's standing with it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AgreementStatus {
    pub version: i64,
    pub title: String,
    pub body: String,
    /// The newest version they signed, if any.
    pub signed_version: Option<i64>,
    #[schemars(extend("format" = "date-time"))]
    pub signed_at: Option<String>,
    pub needs_signature: bool,
}

/// `GET /api/v1/onboarding`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Onboarding")]
pub(crate) struct OnboardingView {
    pub status: UserStatus,
    pub onboarding_complete: bool,
    /// Steps still to take: profile, agreement, review.
    pub missing: Vec<&'static str>,
    /// Profile fields still empty that must be filled: first_name, last_name, fields.<key>.
    pub missing_fields: Vec<String>,
    pub review_required: bool,
    /// The current agreement waits for their signature (also for active members after a
    /// new version).
    pub agreement_pending: bool,
    pub agreement: Option<AgreementStatus>,
    pub profile: ProfileView,
}

/// A club field shared with other members.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct SharedField {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// One member in the directory.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DirectoryEntry {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Present only when the member chose to show it.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fields: Vec<SharedField>,
}

/// `GET /api/v1/directory`: one page of the directory, by name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DirectoryList {
    pub items: Vec<DirectoryEntry>,
    /// The search as understood (trimmed; empty for everybody).
    pub q: String,
    pub page: i64,
    pub per_page: i64,
    /// Members matching the search, on every page.
    pub total: i64,
    pub pages: i64,
}

// ----- admin -----

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct AgreementVersion {
    pub version: i64,
    pub title: String,
    pub body: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub retired_at: Option<String>,
    pub signatures: i64,
}

impl AgreementVersion {
    pub(crate) fn of(a: Agreement, signatures: i64) -> Self {
        AgreementVersion {
            version: a.version,
            title: a.title,
            body: a.body,
            created_at: rfc3339_at(a.created_at),
            retired_at: a.retired_at.map(rfc3339_at),
            signatures,
        }
    }
}

/// `GET /api/v1/admin/agreement`: the current version (if any) and the history.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AgreementAdmin")]
pub(crate) struct AgreementAdminView {
    pub current: Option<AgreementVersion>,
    pub versions: Vec<AgreementVersion>,
}

// ----- page contexts -----

/// What a profile form shows: the saved values, or what was typed when it is shown again.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ProfileForm {
    pub values: std::collections::BTreeMap<&'static str, String>,
    pub fields: std::collections::BTreeMap<String, String>,
}

impl ProfileForm {
    pub(crate) fn of(p: &ProfileView) -> Self {
        let mut form = ProfileForm::default();
        let coach = p.coach.as_ref().map(|c| c.id.to_string()).unwrap_or_default();
        for (name, value) in [
            ("first_name", p.first_name.clone()),
            ("last_name", p.last_name.clone()),
            ("city", p.city.clone()),
            ("state", p.state.clone()),
            ("country", p.country.clone()),
            ("zip", p.zip.clone()),
            ("timezone", p.timezone.clone()),
            ("coach_id", coach),
            ("venue", p.venue.clone()),
            ("phone", p.phone.clone()),
            ("address", p.address.clone()),
            ("emergency_contact_name", p.emergency_contact.name.clone()),
            ("emergency_contact_phone", p.emergency_contact.phone.clone()),
            ("show_email", p.show_email.to_string()),
            ("show_phone", p.show_phone.to_string()),
        ] {
            form.values.insert(name, value);
        }
        for f in &p.fields {
            form.fields.insert(f.key.clone(), f.value.clone().unwrap_or_default());
        }
        form
    }

    /// Puts what was typed over the saved values.
    pub(crate) fn typed(mut self, input: &super::input::ProfileInput) -> Self {
        for (name, value) in [
            ("first_name", &input.first_name),
            ("last_name", &input.last_name),
            ("city", &input.city),
            ("state", &input.state),
            ("country", &input.country),
            ("zip", &input.zip),
            ("timezone", &input.timezone),
            ("coach_id", &input.coach_id),
            ("venue", &input.venue),
            ("phone", &input.phone),
            ("address", &input.address),
            ("emergency_contact_name", &input.emergency_contact_name),
            ("emergency_contact_phone", &input.emergency_contact_phone),
            ("show_email", &input.show_email),
            ("show_phone", &input.show_phone),
        ] {
            if let Some(value) = value {
                self.values.insert(name, value.as_str().to_string());
            }
        }
        for (key, value) in &input.fields {
            self.fields.insert(key.clone(), value.as_str().to_string());
        }
        self
    }
}

/// Choices a profile form offers.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProfileChoices {
    pub coaches: Vec<CoachView>,
    pub timezones: Vec<&'static str>,
}

/// The onboarding wizard.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OnboardingPage {
    pub onboarding: OnboardingView,
    pub form: ProfileForm,
    pub choices: ProfileChoices,
    pub full_name: String,
}

/// The member's profile page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProfilePage {
    pub profile: ProfileView,
    pub form: ProfileForm,
    pub choices: ProfileChoices,
}

/// The directory page: a page of members, where it sits in the whole list, and the links
/// to the other pages, all keeping the search.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DirectoryPage {
    /// The search as typed, for the search box.
    pub q: String,
    pub list: DirectoryList,
    /// The positions of the first and last member shown (0 and 0 when none are).
    pub first_shown: i64,
    pub last_shown: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub page_links: Vec<PageLink>,
    /// The first page of the same search, from a page past the end.
    pub first_url: String,
}

impl DirectoryPage {
    /// The page around `list`, read as `paging`.
    pub(crate) fn of(list: DirectoryList, paging: &Paging) -> Self {
        const PATH: &str = "/directory";
        let filter = [("q", list.q.as_str())];
        let (prev_url, next_url) = paging.neighbours(PATH, &filter, list.pages);
        let shown = list.items.len() as i64;
        let first_shown = if shown == 0 { 0 } else { paging.offset().saturating_add(1) };
        DirectoryPage {
            q: list.q.clone(),
            first_shown,
            last_shown: if shown == 0 { 0 } else { first_shown + shown - 1 },
            prev_url,
            next_url,
            page_links: paging.numbers(PATH, &filter, list.pages),
            first_url: paging.url(PATH, &filter, 1),
            list,
        }
    }

    /// The page with nobody listed, the search as typed, for showing a query's errors.
    pub(crate) fn empty(q: String, per_page: i64) -> Self {
        DirectoryPage {
            list: DirectoryList {
                items: Vec::new(),
                q: q.clone(),
                page: 1,
                per_page,
                total: 0,
                pages: 1,
            },
            q,
            first_shown: 0,
            last_shown: 0,
            prev_url: None,
            next_url: None,
            page_links: Vec::new(),
            first_url: "/directory".to_string(),
        }
    }
}

/// A club field as its form shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FieldFormView {
    pub id: Option<i64>,
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub visibility: String,
    pub choices: String,
    pub position: String,
}

impl FieldFormView {
    pub(crate) fn of(f: &ProfileField) -> Self {
        FieldFormView {
            id: Some(f.id),
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.as_str().to_string(),
            required: f.required,
            visibility: f.visibility.as_str().to_string(),
            choices: f.choices.join("\n"),
            position: f.position.to_string(),
        }
    }

    pub(crate) fn typed(id: Option<i64>, f: &super::input::FieldForm) -> Self {
        FieldFormView {
            id,
            key: f.key.clone().unwrap_or_default(),
            label: f.label.clone(),
            kind: f.kind.clone(),
            required: f.required,
            visibility: f.visibility.clone(),
            choices: f.choices.clone(),
            position: f.position.map(|p| p.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FieldsPage {
    pub fields: Vec<ProfileField>,
    pub form: FieldFormView,
    pub kinds: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AgreementPage {
    pub agreement: AgreementAdminView,
    pub title: String,
    pub body: String,
}

/// Field answers for a view: every club field with the member's answer (or null).
fn field_answers(fields: &[ProfileField], answers: &[(i64, String)]) -> Vec<FieldAnswer> {
    fields
        .iter()
        .map(|f| FieldAnswer {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind,
            required: f.required,
            visibility: f.visibility,
            choices: f.choices.clone(),
            value: answers.iter().find(|(id, _)| *id == f.id).map(|(_, v)| v.clone()),
        })
        .collect()
}
