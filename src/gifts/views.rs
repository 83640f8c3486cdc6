//! What the API answers and the pages render (the same structs).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Action, Exchange, ExchangeState, Participant};
use crate::accounts::model::Role;
use crate::clock::rfc3339_at;

/// "Sun 20 Dec 2026" for a stored `YYYY-MM-DD`.
pub(crate) fn human_date(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.format("%a %-d %b %Y").to_string())
        .unwrap_or_else(|_| date.to_string())
}

/// An exchange as admins and organizers see it.
/// The same sentence whatever happened behind it.
pub(crate) const ACCESS_SENT: &str =
    "If this address is registered for the exchange, a link to your exchange page is on its way.";

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Exchange")]
pub(crate) struct ExchangeView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub budget: String,
    pub max_participants: Option<i64>,
    #[schemars(extend("format" = "date"))]
    pub registration_close_date: String,
    #[schemars(extend("format" = "date"))]
    pub exchange_date: String,
    pub timezone: String,
    pub state: ExchangeState,
    pub state_label: &'static str,
    /// The public link people register with.
    pub registration_url: String,
    pub participant_count: i64,
    /// Whether the registration page takes people now (open, before the close date, not full).
    pub accepting_registrations: bool,
    /// The actions the state allows.
    pub actions: Vec<Action>,
    /// Whether the fields can still be changed (not once matched).
    pub editable: bool,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub matched_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub completed_at: Option<String>,
    /// Days left before a completed exchange is purged.
    pub purge_in_days: Option<i64>,
    /// The dates as people read them.
    pub closes_on: String,
    pub happens_on: String,
}

impl ExchangeView {
    pub(crate) fn of(
        e: &Exchange,
        registration_url: String,
        participant_count: i64,
        accepting_registrations: bool,
        purge_in_days: Option<i64>,
    ) -> Self {
        ExchangeView {
            id: e.id,
            slug: e.slug.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            budget: e.budget.clone(),
            max_participants: e.max_participants,
            registration_close_date: e.registration_close_date.clone(),
            exchange_date: e.exchange_date.clone(),
            timezone: e.timezone.clone(),
            state: e.state,
            state_label: e.state.label(),
            registration_url,
            participant_count,
            accepting_registrations,
            actions: Action::from_state(e.state),
            editable: !e.state.is_drawn(),
            created_at: rfc3339_at(e.created_at),
            updated_at: rfc3339_at(e.updated_at),
            matched_at: e.matched_at.map(rfc3339_at),
            completed_at: e.completed_at.map(rfc3339_at),
            purge_in_days,
            closes_on: human_date(&e.registration_close_date),
            happens_on: human_date(&e.exchange_date),
        }
    }
}

/// How many exchanges are in each state.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub(crate) struct StateCounts {
    pub draft: i64,
    pub registration_open: i64,
    pub registration_closed: i64,
    pub matched: i64,
    pub completed: i64,
}

impl StateCounts {
    pub(crate) fn add(&mut self, state: ExchangeState) {
        let slot = match state {
            ExchangeState::Draft => &mut self.draft,
            ExchangeState::RegistrationOpen => &mut self.registration_open,
            ExchangeState::RegistrationClosed => &mut self.registration_closed,
            ExchangeState::Matched => &mut self.matched,
            ExchangeState::Completed => &mut self.completed,
        };
        *slot += 1;
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct StateGroup {
    pub state: ExchangeState,
    pub label: &'static str,
    pub count: usize,
    pub exchanges: Vec<ExchangeView>,
}

/// `GET /api/v1/exchanges`: every exchange, grouped by state (in lifecycle order).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ExchangeList {
    pub total: usize,
    pub counts: StateCounts,
    pub groups: Vec<StateGroup>,
}

/// A participant as admins and organizers see them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Participant")]
pub(crate) struct ParticipantView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub gift_ideas: String,
    pub reminders: bool,
    /// active, withdrew or removed.
    pub status: &'static str,
    pub user_id: Option<i64>,
    #[schemars(extend("format" = "date-time"))]
    pub registered_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub removed_at: Option<String>,
}

impl ParticipantView {
    pub(crate) fn of(p: &Participant) -> Self {
        ParticipantView {
            id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            gift_ideas: p.gift_ideas.clone(),
            reminders: p.reminders,
            status: p.status(),
            user_id: p.user_id,
            registered_at: rfc3339_at(p.created_at),
            removed_at: p.removed_at.map(rfc3339_at),
        }
    }
}

/// A participant by id and name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ParticipantRef")]
pub(crate) struct PersonRef {
    pub id: i64,
    pub name: String,
}

impl PersonRef {
    pub(crate) fn of(p: &Participant) -> Self {
        PersonRef { id: p.id, name: p.name.clone() }
    }
}

/// Two participants who must not draw each other.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Exclusion")]
pub(crate) struct ExclusionView {
    /// Null in a matching problem for a pair that is not stored (cannot happen in practice).
    pub id: Option<i64>,
    pub participant_a: PersonRef,
    pub participant_b: PersonRef,
}

/// `DELETE /api/v1/exchanges/{id}/participants/{pid}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct RemovedParticipant {
    pub participant: ParticipantView,
    /// True when the exchange was matched: the cycle was deleted and registration is closed.
    pub matches_deleted: bool,
    pub state: ExchangeState,
    pub message: String,
}

/// An answer that is only a sentence (deletions, access requests).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ExchangeMessage")]
pub(crate) struct MessageView {
    pub message: String,
}

/// Who gives to whom: for admins and organizers only.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Match")]
pub(crate) struct MatchView {
    pub giver: Contact,
    pub receiver: Contact,
    pub receiver_gift_ideas: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "MatchContact")]
pub(crate) struct Contact {
    pub id: i64,
    pub name: String,
    pub email: String,
}

impl Contact {
    pub(crate) fn of(p: &Participant) -> Self {
        Contact { id: p.id, name: p.name.clone(), email: p.email.clone() }
    }
}

/// Why the cycle cannot be drawn, in plain words and as data.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct MatchProblem {
    /// too_few, isolated or no_cycle.
    pub reason: &'static str,
    pub message: String,
    /// The participant who cannot be placed (isolated).
    pub participant: Option<PersonRef>,
    /// The exclusions that cause it.
    pub blamed: Vec<ExclusionView>,
    /// The fewest exclusions to remove to make a draw possible, when known.
    pub fix: Option<Vec<ExclusionView>>,
}

/// The answer to match and rematch: the exchange matched, or why it could not be.
#[derive(Debug, Clone)]
pub(crate) enum MatchOutcome {
    Matched(Box<ExchangeView>),
    Impossible(Box<MatchProblem>),
}

// ----- participants -----

/// Whom a participant gives to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Assignment")]
pub(crate) struct AssignmentView {
    pub recipient_name: String,
    pub gift_ideas: String,
}

/// The participant's own entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "MyEntry")]
pub(crate) struct MeView {
    pub participant_id: i64,
    pub name: String,
    pub email: String,
    pub gift_ideas: String,
    pub reminders: bool,
}

/// An exchange as one of its participants sees it: everyone's names, their own entry, and once
/// drawn their own recipient (never anyone else's).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "MyExchange")]
pub(crate) struct MyExchangeView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub budget: String,
    #[schemars(extend("format" = "date"))]
    pub registration_close_date: String,
    #[schemars(extend("format" = "date"))]
    pub exchange_date: String,
    pub timezone: String,
    pub closes_on: String,
    pub happens_on: String,
    pub state: ExchangeState,
    pub state_label: &'static str,
    /// The names of everyone in it (names only).
    pub participants: Vec<String>,
    pub me: MeView,
    pub can_edit_name: bool,
    pub can_withdraw: bool,
    pub assignment: Option<AssignmentView>,
}

/// `POST /api/v1/exchanges/{id}/withdraw`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Withdrawn {
    pub exchange_id: i64,
    pub withdrawn: bool,
    pub message: String,
}

/// What anyone with the link sees of an exchange.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "PublicExchange")]
pub(crate) struct PublicExchangeView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub budget: String,
    #[schemars(extend("format" = "date"))]
    pub registration_close_date: String,
    #[schemars(extend("format" = "date"))]
    pub exchange_date: String,
    pub timezone: String,
    pub closes_on: String,
    pub happens_on: String,
    /// Whether registration takes people now.
    pub open: bool,
    /// Why not: "Registration is closed" or "Exchange is full".
    pub closed_message: Option<String>,
}

/// `POST /api/v1/exchanges/{slug}/register` and `/join`: the same answer whoever registers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ExchangeRegistered")]
pub struct Registered {
    pub exchange_name: String,
    pub message: String,
}

/// `PUT /api/v1/admin/members/{id}/organizer`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Organizer")]
pub(crate) struct OrganizerView {
    pub user_id: i64,
    pub organizer: bool,
    pub roles: Vec<Role>,
}

// ----- pages -----

/// The exchange form, filled with what was typed (or the stored values).
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct ExchangeForm {
    pub name: String,
    pub description: String,
    pub budget: String,
    pub max_participants: String,
    pub registration_close_date: String,
    pub exchange_date: String,
    pub timezone: String,
}

impl ExchangeForm {
    pub(crate) fn of(e: &ExchangeView) -> Self {
        ExchangeForm {
            name: e.name.clone(),
            description: e.description.clone(),
            budget: e.budget.clone(),
            max_participants: e.max_participants.map(|n| n.to_string()).unwrap_or_default(),
            registration_close_date: e.registration_close_date.clone(),
            exchange_date: e.exchange_date.clone(),
            timezone: e.timezone.clone(),
        }
    }
}

/// `/admin/exchanges`.
#[derive(Debug, Serialize)]
pub(crate) struct AdminListPage {
    pub list: ExchangeList,
    pub form: ExchangeForm,
    pub timezones: Vec<&'static str>,
}

/// `/admin/exchanges/{id}`.
#[derive(Debug, Serialize)]
pub(crate) struct AdminDetailPage {
    pub exchange: ExchangeView,
    pub form: ExchangeForm,
    pub participants: Vec<ParticipantView>,
    /// Those who withdrew or were removed.
    pub removed: Vec<ParticipantView>,
    pub exclusions: Vec<ExclusionView>,
    pub can_edit_exclusions: bool,
    /// The drawn cycle (matched or completed only).
    pub matches: Vec<MatchView>,
    /// Set after a draw that was impossible.
    pub problem: Option<MatchProblem>,
    /// The registration link as a QR code (SVG), filled in by the page.
    pub qr_svg: String,
    pub timezones: Vec<&'static str>,
    /// How long completed exchanges are kept.
    pub purge_after_days: i64,
}

/// `/exchanges`: the participant's dashboard.
#[derive(Debug, Serialize)]
pub(crate) struct DashboardPage {
    pub exchanges: Vec<MyExchangeView>,
    /// The viewer may manage exchanges (a link to the organizers' screens).
    pub can_manage: bool,
    /// The exchange whose form failed, so it shows the errors and what was typed.
    pub failed: Option<i64>,
    pub form: MeForm,
}

#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct MeForm {
    pub name: String,
    pub gift_ideas: String,
}

/// `/exchange/{slug}/register`.
#[derive(Debug, Serialize)]
pub(crate) struct RegisterPage {
    pub exchange: PublicExchangeView,
    pub form: RegisterForm,
    /// Signed in with an account that has an email address: one click joins.
    pub can_join: bool,
    /// The name one click joins under (the one the member goes by in the club).
    pub join_name: Option<String>,
    /// The signed-in viewer is already in this exchange.
    pub already_in: bool,
}

#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct RegisterForm {
    pub name: String,
    pub email: String,
    pub gift_ideas: String,
    pub reminders: bool,
}

/// After registering, or after asking for an access link.
#[derive(Debug, Serialize)]
pub(crate) struct DonePage {
    pub exchange_name: Option<String>,
    pub message: String,
}

/// The confirmation behind an access link.
#[derive(Debug, Serialize)]
pub(crate) struct AccessPage {
    pub token: String,
    pub username: String,
}
