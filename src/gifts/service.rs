//! Gift exchange use cases: organizers create exchanges and move them through their states,
//! people register (as members or as guests who sign in by emailed link), organizers manage
//! participants and exclusions, the cycle is drawn and everyone is emailed their recipient.
//!
//! Who sees what: organizers (and admins) see everything about every exchange; a participant
//! sees the names of the others, their own entry and, once drawn, their own recipient only;
//! anyone else sees nothing (404), whatever id they try.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rand::RngCore;
use rusqlite::Connection;
use serde_json::json;

use super::matching::{self, Infeasible, Reason};
use super::model::{Action, Exchange, ExchangeState, Exclusion, Participant, RemovedHow};
use super::notify::{self, AdminNotice};
use super::repo::{self, ExchangeFields, NewParticipant};
use super::schedule::PURGE_AFTER_DAYS;
use super::views::{
    human_date, AdminDetailPage, AdminListPage, AssignmentView, Contact, DashboardPage,
    ExchangeForm, ExchangeList, ExchangeView, ExclusionView, MatchOutcome, MatchProblem, MatchView,
    MeForm, MeView, MessageView, MyExchangeView, OrganizerView, ParticipantView, PersonRef,
    PublicExchangeView, RegisterForm, RegisterPage, Registered, RemovedParticipant, StateCounts,
    StateGroup, Withdrawn,
};
use crate::accounts::model::{Actor, AuthUser, Role, TokenPurpose, UserStatus};
use crate::accounts::repo::{self as accounts, NewCodeToken, NewUser};
use crate::accounts::service::{ClientInfo, GUEST_EMAIL_DOMAIN};
use crate::audit::{self, AuditEvent};
use crate::clock::is_time_zone;
use crate::crypto::{random_code, random_token, token_hash};
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::settings;
use crate::values::Email;

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;
pub const BUDGET_MAX: usize = 100;
pub const GIFT_IDEAS_MAX: usize = 10_000;
/// The smallest limit that makes sense: a cycle needs three people.
pub const MIN_PARTICIPANTS: i64 = 3;
pub const MAX_PARTICIPANTS: i64 = 100_000;
/// Characters of the random registration link.
pub const SLUG_LEN: usize = 12;

pub const CLOSED_MESSAGE: &str = "Registration is closed.";
pub const FULL_MESSAGE: &str = "Exchange is full.";

// ----- shared checks -----

fn organizer_only(actor: &Actor) -> Result<(), AppError> {
    let allowed = match actor {
        Actor::User(user) => user.is_organizer(),
        Actor::System => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden("Only organizers and admins can manage gift exchanges."))
    }
}

fn person(actor: &Actor) -> Result<&AuthUser, AppError> {
    match actor {
        Actor::User(user) => Ok(user),
        Actor::System => Err(AppError::forbidden("Gift exchanges are joined by people.")),
    }
}

fn no_such_exchange() -> AppError {
    AppError::not_found("No such exchange.")
}

fn get_or_404(conn: &Connection, id: i64) -> Result<Exchange, AppError> {
    repo::get_exchange(conn, id)?.ok_or_else(no_such_exchange)
}

fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.into()))
}

fn registration_url(ctx: &Ctx, slug: &str) -> String {
    ctx.url(&format!("/exchange/{slug}/register"))
}

fn record(
    conn: &Connection,
    ctx: &Ctx,
    actor: Option<i64>,
    kind: &str,
    exchange_id: i64,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let event = AuditEvent::new(kind)
        .actor_opt(actor)
        .target(format!("exchange:{exchange_id}"))
        .detail(detail);
    audit::record(conn, event, ctx.now_unix())
}

/// 409 `registration_closed`: the exchange is not open, or its last day to register has passed.
pub fn closed_error() -> AppError {
    AppError::conflict(CLOSED_MESSAGE).with_code("registration_closed")
}

/// 409 `exchange_full`: the exchange has as many participants as its limit allows.
pub fn full_error() -> AppError {
    AppError::conflict(FULL_MESSAGE).with_code("exchange_full")
}

/// Why registration refuses people now, if it does: closed (state or date), or full.
fn refusal(ctx: &Ctx, e: &Exchange, count: i64) -> Option<AppError> {
    if !e.accepts_registrations(ctx.now()) {
        Some(closed_error())
    } else if e.max_participants.is_some_and(|max| count >= max) {
        Some(full_error())
    } else {
        None
    }
}

fn view_with_count(ctx: &Ctx, e: &Exchange, count: i64) -> ExchangeView {
    ExchangeView::of(
        e,
        registration_url(ctx, &e.slug),
        count,
        refusal(ctx, e, count).is_none(),
        e.purge_in_days(ctx.now_unix(), PURGE_AFTER_DAYS),
    )
}

fn view(conn: &Connection, ctx: &Ctx, e: &Exchange) -> Result<ExchangeView, AppError> {
    Ok(view_with_count(ctx, e, repo::count_active(conn, e.id)?))
}

fn one_line(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Free text may hold line breaks and tabs, but no other control characters.
fn plain_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

fn check_person_name(v: &mut Validator, name: &str) {
    v.check(!name.is_empty(), "name", "Enter a name.");
    v.check(
        !too_long(name, NAME_MAX) && one_line(name),
        "name",
        format!("Use at most {NAME_MAX} characters on one line."),
    );
}

fn check_gift_ideas(v: &mut Validator, ideas: &str) {
    v.check(
        !too_long(ideas, GIFT_IDEAS_MAX) && plain_text(ideas),
        "gift_ideas",
        format!("Use at most {GIFT_IDEAS_MAX} characters."),
    );
}

/// A real address: guest placeholders (which receive no mail) are refused.
fn check_participant_email(email: &str) -> Result<(), String> {
    Email::parse(email)?;
    if email.ends_with(GUEST_EMAIL_DOMAIN) {
        return Err("Enter an email address you can read.".into());
    }
    Ok(())
}

// ----- exchanges -----

/// An exchange as an organizer sets it (a whole exchange: absent optional fields are empty).
#[derive(Debug, Default)]
pub struct ExchangeCmd {
    pub name: String,
    pub description: String,
    pub budget: String,
    pub max_participants: Option<i64>,
    pub registration_close_date: String,
    pub exchange_date: String,
    pub timezone: String,
}

struct CheckedExchange {
    name: String,
    description: String,
    budget: String,
    max_participants: Option<i64>,
    close: String,
    date: String,
    timezone: String,
}

impl CheckedExchange {
    fn fields(&self) -> ExchangeFields<'_> {
        ExchangeFields {
            name: &self.name,
            description: &self.description,
            budget: &self.budget,
            max_participants: self.max_participants,
            registration_close_date: &self.close,
            exchange_date: &self.date,
            timezone: &self.timezone,
        }
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Checks every field, naming each bad one. `registered` is how many people are in already
/// (the limit may not go below it).
/// `club_zone` stands in for an empty time zone: the club's own, from the settings.
fn check_exchange(
    cmd: &ExchangeCmd,
    registered: i64,
    club_zone: &str,
) -> Result<CheckedExchange, AppError> {
    let mut v = Validator::new();
    let name = cmd.name.trim();
    v.check(!name.is_empty(), "name", "Give the exchange a name.");
    v.check(
        !too_long(name, NAME_MAX) && one_line(name),
        "name",
        format!("Use at most {NAME_MAX} characters on one line."),
    );
    let description = cmd.description.trim();
    v.check(
        !too_long(description, DESCRIPTION_MAX) && plain_text(description),
        "description",
        format!("Use at most {DESCRIPTION_MAX} characters."),
    );
    let budget = cmd.budget.trim();
    v.check(
        !too_long(budget, BUDGET_MAX) && one_line(budget),
        "budget",
        format!("Use at most {BUDGET_MAX} characters on one line, like \"about 20 euros\"."),
    );
    if let Some(max) = cmd.max_participants {
        v.check(
            (MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&max),
            "max_participants",
            format!("Use a number of at least {MIN_PARTICIPANTS}, or leave it empty for no limit."),
        );
        v.check(
            max >= registered,
            "max_participants",
            format!("{registered} people are already in; the limit cannot be lower."),
        );
    }
    let close = parse_date(&cmd.registration_close_date);
    v.check(close.is_some(), "registration_close_date", "Use a date like 2026-12-01.");
    let date = parse_date(&cmd.exchange_date);
    v.check(date.is_some(), "exchange_date", "Use a date like 2026-12-20.");
    if let (Some(close), Some(date)) = (close, date) {
        v.check(
            date > close,
            "exchange_date",
            "The exchange must come after the day registration closes.",
        );
    }
    let timezone = match cmd.timezone.trim() {
        "" => club_zone,
        tz => tz,
    };
    v.check(
        is_time_zone(timezone),
        "timezone",
        "Use a time zone name like Europe/Oslo or America/New_York.",
    );
    v.finish()?;
    let format = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    Ok(CheckedExchange {
        name: name.to_string(),
        description: description.to_string(),
        budget: budget.to_string(),
        max_participants: cmd.max_participants,
        close: format(close).unwrap_or_default(),
        date: format(date).unwrap_or_default(),
        timezone: timezone.to_string(),
    })
}

/// A registration link nobody can guess: 12 characters of [A-Za-z0-9_-] from the operating
/// system's random source (72 bits), unused so far.
fn fresh_slug(conn: &Connection) -> Result<String, AppError> {
    for _ in 0..8 {
        let slug: String = random_token().chars().take(SLUG_LEN).collect();
        if repo::find_by_slug(conn, &slug)?.is_none() {
            return Ok(slug);
        }
    }
    Err(AppError::internal("no free exchange link after 8 tries"))
}

/// Creates an exchange in the draft state with a fresh random link. Organizers and admins only
/// (403). 422 naming each bad field: name (1 to 100 characters), description (up to 2000),
/// budget (up to 100), max_participants (empty or at least 3), the two dates (YYYY-MM-DD,
/// the exchange strictly after registration closes), timezone (an IANA name; empty is UTC).
pub fn create(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: ExchangeCmd,
) -> Result<ExchangeView, AppError> {
    organizer_only(actor)?;
    let checked = check_exchange(&cmd, 0, &settings::club_timezone(conn)?)?;
    let slug = fresh_slug(conn)?;
    let id =
        repo::insert_exchange(conn, &slug, &checked.fields(), actor.user_id(), ctx.now_unix())?;
    record(conn, ctx, actor.user_id(), "exchange_created", id, json!({ "name": checked.name }))?;
    view(conn, ctx, &get_or_404(conn, id)?)
}

fn locked(state: ExchangeState) -> AppError {
    AppError::conflict(format!(
        "The exchange is {state}: its details can no longer be changed once the names are drawn."
    ))
    .with_code("exchange_locked")
}

/// Replaces an exchange's fields (the same rules as creating; the limit may not go below the
/// people already in). Organizers and admins only (403); 404 for an unknown id; 409
/// `exchange_locked` once matched or completed.
pub fn update(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: ExchangeCmd,
) -> Result<ExchangeView, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    if e.state.is_drawn() {
        return Err(locked(e.state));
    }
    let club_zone = settings::club_timezone(conn)?;
    let checked = check_exchange(&cmd, repo::count_active(conn, id)?, &club_zone)?;
    repo::update_exchange(conn, id, &checked.fields(), ctx.now_unix())?;
    record(conn, ctx, actor.user_id(), "exchange_updated", id, json!({ "name": checked.name }))?;
    view(conn, ctx, &get_or_404(conn, id)?)
}

/// Deletes an exchange with its participants, exclusions and matches, when `confirm` is
/// exactly `DELETE`. Organizers and admins only (403); 404 for an unknown id; 422 naming
/// `confirm` otherwise.
pub fn delete(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    confirm: Option<&str>,
) -> Result<MessageView, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    if confirm != Some("DELETE") {
        return Err(AppError::invalid_field("confirm", "Type DELETE to confirm."));
    }
    record(
        conn,
        ctx,
        actor.user_id(),
        "exchange_deleted",
        id,
        json!({ "name": e.name, "state": e.state.as_str() }),
    )?;
    repo::delete_exchange(conn, id)?;
    Ok(MessageView { message: format!("The exchange {} was deleted.", e.name) })
}

/// Every exchange grouped by state (in lifecycle order) with counts. Organizers and admins
/// only (403).
pub fn list(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<ExchangeList, AppError> {
    organizer_only(actor)?;
    let counts = repo::active_counts(conn)?;
    let all = repo::list_exchanges(conn)?;
    let mut totals = StateCounts::default();
    let groups = ExchangeState::ALL
        .into_iter()
        .map(|state| {
            let exchanges: Vec<ExchangeView> = all
                .iter()
                .filter(|e| e.state == state)
                .map(|e| view_with_count(ctx, e, counts.get(&e.id).copied().unwrap_or(0)))
                .collect();
            for _ in &exchanges {
                totals.add(state);
            }
            StateGroup { state, label: state.label(), count: exchanges.len(), exchanges }
        })
        .collect();
    Ok(ExchangeList { total: all.len(), counts: totals, groups })
}

/// One exchange. Organizers and admins only (403); 404 for an unknown id.
pub fn get(conn: &Connection, ctx: &Ctx, actor: &Actor, id: i64) -> Result<ExchangeView, AppError> {
    organizer_only(actor)?;
    view(conn, ctx, &get_or_404(conn, id)?)
}

// ----- the state machine -----

fn audit_kind(action: Action) -> &'static str {
    match action {
        Action::Open => "exchange_opened",
        Action::Close => "exchange_closed",
        Action::Reopen => "exchange_reopened",
        Action::Match => "exchange_matched",
        Action::Rematch => "exchange_rematched",
        Action::Complete => "exchange_completed",
    }
}

/// The exchange, when `action` may start from its state; 409 `invalid_transition` naming the
/// state otherwise.
fn start(conn: &Connection, actor: &Actor, id: i64, action: Action) -> Result<Exchange, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    if !action.allowed_from(e.state) {
        return Err(AppError::conflict(format!(
            "Cannot {} this exchange: it is {}.",
            action.as_str(),
            e.state
        ))
        .with_code("invalid_transition"));
    }
    Ok(e)
}

fn confirmed(action: Action, e: &Exchange, confirm: bool) -> Result<(), AppError> {
    if action.needs_confirmation(e.state) && !confirm {
        return Err(AppError::invalid_field(
            "confirm",
            "This deletes the drawn matches: confirm that you want to continue.",
        ));
    }
    Ok(())
}

fn transition(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    e: &Exchange,
    action: Action,
    detail: serde_json::Value,
) -> Result<ExchangeView, AppError> {
    repo::set_state(conn, e.id, action.target(), ctx.now_unix())?;
    record(conn, ctx, actor.user_id(), audit_kind(action), e.id, detail)?;
    view(conn, ctx, &get_or_404(conn, e.id)?)
}

/// Opens registration (from draft only). Organizers and admins only (403); 404 for an
/// unknown id; 409 `invalid_transition` naming the state otherwise.
pub fn open(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<ExchangeView, AppError> {
    let e = start(conn, actor, id, Action::Open)?;
    transition(conn, ctx, actor, &e, Action::Open, json!({ "from": e.state }))
}

/// Closes registration (from registration_open only; the close date passing does not do it
/// by itself). 403 / 404 / 409 `invalid_transition` as for `open`.
pub fn close(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<ExchangeView, AppError> {
    let e = start(conn, actor, id, Action::Close)?;
    transition(conn, ctx, actor, &e, Action::Close, json!({ "from": e.state }))
}

/// Opens registration again: from registration_closed, or from matched when `confirm` is
/// true, which deletes every match. 403 / 404 / 409 `invalid_transition` as for `open`; 422
/// naming `confirm` when matched and not confirmed.
pub fn reopen(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    confirm: bool,
) -> Result<ExchangeView, AppError> {
    let e = start(conn, actor, id, Action::Reopen)?;
    confirmed(Action::Reopen, &e, confirm)?;
    let deleted = repo::delete_matches(conn, id)?;
    let detail = json!({ "from": e.state, "matches_deleted": deleted });
    transition(conn, ctx, actor, &e, Action::Reopen, detail)
}

/// Marks a matched exchange completed (it is purged `PURGE_AFTER_DAYS` later). 403 / 404 /
/// 409 `invalid_transition` as for `open`.
pub fn complete(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<ExchangeView, AppError> {
    let e = start(conn, actor, id, Action::Complete)?;
    transition(conn, ctx, actor, &e, Action::Complete, json!({ "from": e.state }))
}

/// Draws the gift cycle of a closed exchange: one cycle through every participant that
/// respects every exclusion, chosen at random (`seed` makes it reproducible). On success the
/// exchange is matched, everyone is emailed their recipient and the admins are notified; when
/// no cycle exists the answer says why and the state stays closed. 403 / 404 / 409
/// `invalid_transition` as for `open`.
pub fn match_exchange(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    seed: Option<u64>,
) -> Result<MatchOutcome, AppError> {
    let e = start(conn, actor, id, Action::Match)?;
    draw(conn, ctx, actor, &e, Action::Match, seed)
}

/// Draws a matched exchange again (the old matches are replaced and everyone is emailed their
/// new recipient). 403 / 404 / 409 `invalid_transition` as for `open`; 422 naming `confirm`
/// unless `confirm` is true.
pub fn rematch(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    confirm: bool,
    seed: Option<u64>,
) -> Result<MatchOutcome, AppError> {
    let e = start(conn, actor, id, Action::Rematch)?;
    confirmed(Action::Rematch, &e, confirm)?;
    draw(conn, ctx, actor, &e, Action::Rematch, seed)
}

/// Whether `order` is one cycle through all `n` people that breaks no exclusion.
fn valid_cycle(order: &[usize], n: usize, banned: &HashSet<(usize, usize)>) -> bool {
    let mut seen = vec![false; n];
    for &i in order {
        if i >= n || std::mem::replace(&mut seen[i], true) {
            return false;
        }
    }
    order.len() == n
        && (0..n).all(|k| {
            let (a, b) = (order[k], order[(k + 1) % n]);
            a != b && !banned.contains(&(a.min(b), a.max(b)))
        })
}

fn draw(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    e: &Exchange,
    action: Action,
    seed: Option<u64>,
) -> Result<MatchOutcome, AppError> {
    let people = repo::active_participants(conn, e.id)?;
    let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let exclusions = repo::list_exclusions(conn, e.id)?;
    let pairs: Vec<(usize, usize)> = exclusions
        .iter()
        .filter_map(|x| Some((*index.get(&x.participant_a)?, *index.get(&x.participant_b)?)))
        .collect();
    let seed = seed.unwrap_or_else(|| rand::rngs::OsRng.next_u64());
    let order = match matching::find_cycle(people.len(), &pairs, seed) {
        Ok(order) => order,
        Err(why) => {
            let problem = problem(&why, &people, &exclusions);
            let detail = json!({ "action": action.as_str(), "reason": problem.reason });
            record(conn, ctx, actor.user_id(), "exchange_match_failed", e.id, detail)?;
            return Ok(MatchOutcome::Impossible(Box::new(problem)));
        }
    };
    let banned: HashSet<(usize, usize)> =
        pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    if !valid_cycle(&order, people.len(), &banned) {
        return Err(AppError::internal("the matcher returned an invalid cycle"));
    }
    let now = ctx.now_unix();
    repo::delete_matches(conn, e.id)?;
    let n = order.len();
    let club = club_name(conn)?;
    for k in 0..n {
        let (giver, receiver) = (&people[order[k]], &people[order[(k + 1) % n]]);
        repo::insert_match(conn, e.id, giver.id, receiver.id, now)?;
        let data = json!({
            "club_name": club,
            "exchange_name": e.name,
            "name": giver.name,
            "recipient_name": receiver.name,
            "gift_ideas": receiver.gift_ideas,
            "budget": e.budget,
            "exchange_date": human_date(&e.exchange_date),
            "url": ctx.url("/exchanges"),
            "rematch": action == Action::Rematch,
        });
        email::queue(conn, ctx, &giver.email, "gift_assignment", &data)?;
    }
    notify::admins(conn, ctx, e.id, AdminNotice::Matched)?;
    let detail = json!({ "from": e.state, "participants": n });
    let view = transition(conn, ctx, actor, e, action, detail)?;
    Ok(MatchOutcome::Matched(Box::new(view)))
}

fn problem(why: &Infeasible, people: &[Participant], exclusions: &[Exclusion]) -> MatchProblem {
    // Big refusals can blame many thousands of pairs: look each up once.
    let ids: HashMap<(i64, i64), i64> =
        exclusions.iter().map(|x| ((x.participant_a, x.participant_b), x.id)).collect();
    let pair = |&(i, j): &(usize, usize)| {
        let (a, b) = (&people[i.min(j)], &people[i.max(j)]);
        let id = ids.get(&(a.id.min(b.id), a.id.max(b.id))).copied();
        ExclusionView { id, participant_a: PersonRef::of(a), participant_b: PersonRef::of(b) }
    };
    let (reason, participant) = match why.reason {
        Reason::TooFew { .. } => ("too_few", None),
        Reason::Isolated { participant } => {
            ("isolated", people.get(participant).map(PersonRef::of))
        }
        Reason::NoCycle => ("no_cycle", None),
    };
    MatchProblem {
        reason,
        message: why.message(|i| people.get(i).map(|p| p.name.clone()).unwrap_or_default()),
        participant,
        blamed: why.blamed.iter().map(pair).collect(),
        fix: why.fix.as_ref().map(|fix| fix.iter().map(pair).collect()),
    }
}

// ----- participants, for organizers -----

/// Everyone who registered (those still in first), with emails and gift ideas. Organizers and
/// admins only (403); 404 for an unknown exchange.
pub fn participants(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<Vec<ParticipantView>, AppError> {
    organizer_only(actor)?;
    get_or_404(conn, id)?;
    Ok(repo::all_participants(conn, id)?.iter().map(ParticipantView::of).collect())
}

/// Removes a participant (a soft delete: the row stays, marked removed) and the exclusions
/// naming them. After matching this deletes every match and returns the exchange to
/// registration_closed, and the answer says so. Organizers and admins only (403); 404 for a
/// participant not in this exchange; 409 when they already left or the exchange is completed.
pub fn remove_participant(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    participant_id: i64,
) -> Result<RemovedParticipant, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    let p = repo::get_participant(conn, id, participant_id)?
        .ok_or_else(|| AppError::not_found("No such participant."))?;
    if !p.is_active() {
        return Err(AppError::conflict(format!("{} is no longer in this exchange.", p.name)));
    }
    if e.state == ExchangeState::Completed {
        return Err(AppError::conflict(
            "The exchange is completed: its participants stay as they are until it is purged.",
        )
        .with_code("exchange_locked"));
    }
    let now = ctx.now_unix();
    repo::remove_participant(conn, p.id, RemovedHow::Removed, now)?;
    let matched = e.state == ExchangeState::Matched;
    if matched {
        repo::delete_matches(conn, id)?;
        repo::set_state(conn, id, ExchangeState::RegistrationClosed, now)?;
    }
    let detail = json!({ "participant_id": p.id, "matches_deleted": matched });
    record(conn, ctx, actor.user_id(), "exchange_participant_removed", id, detail)?;
    let message = if matched {
        format!(
            "{} was removed. The drawn matches were deleted and the exchange is back to \
             registration closed: draw the names again.",
            p.name
        )
    } else {
        format!("{} was removed.", p.name)
    };
    let p = repo::get_participant(conn, id, p.id)?.unwrap_or(p);
    Ok(RemovedParticipant {
        participant: ParticipantView::of(&p),
        matches_deleted: matched,
        state: get_or_404(conn, id)?.state,
        message,
    })
}

// ----- exclusions -----

fn exclusion_views(
    conn: &Connection,
    id: i64,
    exclusions: &[Exclusion],
) -> Result<Vec<ExclusionView>, AppError> {
    let people: HashMap<i64, Participant> =
        repo::all_participants(conn, id)?.into_iter().map(|p| (p.id, p)).collect();
    let person = |pid: i64| {
        people
            .get(&pid)
            .map(PersonRef::of)
            .unwrap_or_else(|| PersonRef { id: pid, name: String::new() })
    };
    Ok(exclusions
        .iter()
        .map(|x| ExclusionView {
            id: Some(x.id),
            participant_a: person(x.participant_a),
            participant_b: person(x.participant_b),
        })
        .collect())
}

/// The pairs kept from drawing each other. Organizers and admins only (403); 404 for an
/// unknown exchange.
pub fn exclusions(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<Vec<ExclusionView>, AppError> {
    organizer_only(actor)?;
    get_or_404(conn, id)?;
    exclusion_views(conn, id, &repo::list_exclusions(conn, id)?)
}

fn exclusions_locked(state: ExchangeState) -> AppError {
    AppError::conflict(format!(
        "Exclusions can be changed only while registration is closed; the exchange is {state}."
    ))
    .with_code("exclusions_locked")
}

/// Two participants who must not draw each other.
#[derive(Debug, Default)]
pub struct ExclusionCmd {
    pub participant_a: Option<i64>,
    pub participant_b: Option<i64>,
}

/// Keeps two participants from drawing each other (either way: stored once, lower id first).
/// Only while registration is closed (409 `exclusions_locked` otherwise). Both must be
/// participants still in this exchange and different (422 naming the field); the same pair
/// twice is a 409. Organizers and admins only (403); 404 for an unknown exchange.
pub fn add_exclusion(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: ExclusionCmd,
) -> Result<ExclusionView, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    if e.state != ExchangeState::RegistrationClosed {
        return Err(exclusions_locked(e.state));
    }
    let active: HashSet<i64> = repo::active_participants(conn, id)?.iter().map(|p| p.id).collect();
    let mut v = Validator::new();
    for (field, value) in
        [("participant_a", cmd.participant_a), ("participant_b", cmd.participant_b)]
    {
        v.check(value.is_some(), field, "Choose a participant.");
        v.check(
            value.is_none_or(|pid| active.contains(&pid)),
            field,
            "Choose someone who is in this exchange.",
        );
    }
    v.check(
        cmd.participant_a.is_none() || cmd.participant_a != cmd.participant_b,
        "participant_b",
        "Choose two different people.",
    );
    v.finish()?;
    let (Some(a), Some(b)) = (cmd.participant_a, cmd.participant_b) else {
        return Err(AppError::internal("validated exclusion without participants"));
    };
    let xid = repo::insert_exclusion(conn, id, a, b, ctx.now_unix())?;
    let detail = json!({ "exclusion_id": xid, "participants": [a.min(b), a.max(b)] });
    record(conn, ctx, actor.user_id(), "exchange_exclusion_added", id, detail)?;
    let stored = repo::get_exclusion(conn, id, xid)?
        .ok_or_else(|| AppError::internal("exclusion vanished"))?;
    let mut views = exclusion_views(conn, id, &[stored])?;
    views.pop().ok_or_else(|| AppError::internal("exclusion view missing"))
}

/// Lets two participants draw each other again. Only while registration is closed (409
/// `exclusions_locked`). Organizers and admins only (403); 404 for an unknown exchange or an
/// exclusion of another exchange.
pub fn remove_exclusion(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    exclusion_id: i64,
) -> Result<MessageView, AppError> {
    organizer_only(actor)?;
    let e = get_or_404(conn, id)?;
    let x = repo::get_exclusion(conn, id, exclusion_id)?
        .ok_or_else(|| AppError::not_found("No such exclusion."))?;
    if e.state != ExchangeState::RegistrationClosed {
        return Err(exclusions_locked(e.state));
    }
    repo::delete_exclusion(conn, x.id)?;
    let detail = json!({ "exclusion_id": x.id });
    record(conn, ctx, actor.user_id(), "exchange_exclusion_removed", id, detail)?;
    Ok(MessageView { message: "The exclusion was removed.".into() })
}

// ----- the drawn pairs, for organizers -----

/// Every giver with their receiver and the receiver's gift ideas, by giver name: confidential,
/// for organizers and admins only (403). Empty before matching; 404 for an unknown exchange.
pub fn matches(conn: &Connection, actor: &Actor, id: i64) -> Result<Vec<MatchView>, AppError> {
    organizer_only(actor)?;
    get_or_404(conn, id)?;
    let people: HashMap<i64, Participant> =
        repo::all_participants(conn, id)?.into_iter().map(|p| (p.id, p)).collect();
    let mut out = Vec::new();
    for (giver, receiver) in repo::matches(conn, id)? {
        let (Some(g), Some(r)) = (people.get(&giver), people.get(&receiver)) else {
            return Err(AppError::internal("a match names an unknown participant"));
        };
        out.push(MatchView {
            giver: Contact::of(g),
            receiver: Contact::of(r),
            receiver_gift_ideas: r.gift_ideas.clone(),
        });
    }
    out.sort_by_key(|m| (m.giver.name.to_lowercase(), m.giver.id));
    Ok(out)
}

/// The drawn pairs as a CSV file (giver name, giver email, receiver name, receiver email,
/// receiver gift ideas); cells a spreadsheet would run as formulas are made inert. The export
/// is audited. Organizers and admins only (403); 404 for an unknown exchange.
pub fn matches_csv(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<CsvFile, AppError> {
    let pairs = matches(conn, actor, id)?;
    let header =
        ["giver_name", "giver_email", "receiver_name", "receiver_email", "receiver_gift_ideas"];
    let rows = pairs.iter().map(|m| {
        [&m.giver.name, &m.giver.email, &m.receiver.name, &m.receiver.email, &m.receiver_gift_ideas]
    });
    let file = CsvFile::write(format!("gift-exchange-{id}-matches.csv"), &header, rows)?;
    let detail = json!({ "pairs": pairs.len() });
    record(conn, ctx, actor.user_id(), "exchange_matches_exported", id, detail)?;
    Ok(file)
}

// ----- registration and access -----

/// What someone registering gives.
#[derive(Debug, Default)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub gift_ideas: String,
    pub reminders: bool,
    pub client: ClientInfo,
}

/// A registration sends an email, so it spends the client's allowance for those.
impl Limited for Registration {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.email_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// A password-less guest account for `email`, active, holding only the guest role: it signs
/// in by emailed link and reaches its exchanges and nothing of the member area.
fn create_guest(conn: &Connection, ctx: &Ctx, name: &str, email: &str) -> Result<i64, AppError> {
    let now = ctx.now_unix();
    let username = format!("guest-{}", random_code(10).to_lowercase());
    let user = NewUser {
        username: &username,
        email,
        display_name: name,
        password_hash: None,
        status: UserStatus::Active,
    };
    let user_id = accounts::insert_user(conn, &user, now)?;
    accounts::add_roles(conn, user_id, &[Role::Guest])?;
    let event =
        AuditEvent::new("guest_created").actor(user_id).detail(json!({ "via": "gift_exchange" }));
    audit::record(conn, event, now)?;
    Ok(user_id)
}

/// A single-use link that signs `user_id` in and leads to their exchanges. It is an ordinary
/// sign-in token (the same table, lifetime and rules as emailed sign-in links), without a
/// typed code.
fn access_link(conn: &Connection, ctx: &Ctx, user_id: i64) -> Result<String, AppError> {
    let now = ctx.now_unix();
    let token = random_token();
    accounts::insert_code_token(
        conn,
        &NewCodeToken {
            purpose: TokenPurpose::MagicLink,
            token_hash: &token_hash(&token),
            code_hash: None,
            user_id: Some(user_id),
            grants: None,
            expires_at: now + ctx.config.magic_link_minutes * 60,
        },
        now,
    )?;
    Ok(ctx.url(&format!("/exchange/access?token={token}")))
}

/// Emails a participant the way into their exchange page: a sign-in link, or for an account
/// still to be claimed the claim page. Disabled accounts get nothing.
fn send_access(
    conn: &Connection,
    ctx: &Ctx,
    e: &Exchange,
    p: &Participant,
    template: &str,
) -> Result<(), AppError> {
    let Some(user_id) = p.user_id else { return Ok(()) };
    let (url, signin_link) = match accounts::find_status(conn, user_id)? {
        None | Some(UserStatus::Disabled) => return Ok(()),
        Some(UserStatus::Invited) => (ctx.url("/claim"), false),
        Some(_) => (access_link(conn, ctx, user_id)?, true),
    };
    let data = json!({
        "club_name": club_name(conn)?,
        "exchange_name": e.name,
        "name": p.name,
        "url": url,
        "signin_link": signin_link,
        "minutes": ctx.config.magic_link_minutes,
        "register_url": registration_url(ctx, &e.slug),
    });
    email::queue(conn, ctx, &p.email, template, &data)?;
    Ok(())
}

fn by_slug(conn: &Connection, slug: &str) -> Result<Exchange, AppError> {
    repo::find_by_slug(conn, slug)?.ok_or_else(no_such_exchange)
}

/// Registers someone through the public link. Refused with 409 `registration_closed`
/// ("Registration is closed.") when the exchange is not open or its close date has passed, and
/// 409 `exchange_full` ("Exchange is full.") at the limit; 422 naming name (1 to 100
/// characters), email (a valid address, lowercased) or gift_ideas (up to 10,000); 409 naming
/// `email` when the address is already in this exchange; 404 for an unknown link. The
/// participant is linked to the account with that address, or to a new guest account, and is
/// emailed a sign-in link to their exchange page; the answer is the same either way.
/// Admitted per client address as every request that sends an email (10 a minute).
pub fn register(
    conn: &Connection,
    ctx: &Ctx,
    slug: &str,
    cmd: Admitted<Registration>,
) -> Result<Registered, AppError> {
    let cmd = cmd.into_inner();
    let e = by_slug(conn, slug)?;
    if let Some(refused) = refusal(ctx, &e, repo::count_active(conn, e.id)?) {
        return Err(refused);
    }
    let name = cmd.name.trim();
    let email = Email::normalize(&cmd.email);
    let mut v = Validator::new();
    check_person_name(&mut v, name);
    v.result("email", check_participant_email(&email));
    check_gift_ideas(&mut v, &cmd.gift_ideas);
    v.finish()?;
    if repo::active_by_email(conn, e.id, &email)?.is_some() {
        return Err(repo::already_registered());
    }
    let user_id = match accounts::find_by_email(conn, &email)? {
        Some((id, _, _)) => id,
        None => create_guest(conn, ctx, name, &email)?,
    };
    let new = NewParticipant {
        exchange_id: e.id,
        user_id,
        name,
        email: &email,
        gift_ideas: cmd.gift_ideas.trim(),
        reminders: cmd.reminders,
    };
    let pid = repo::insert_participant(conn, &new, ctx.now_unix())?;
    let p = repo::get_participant(conn, e.id, pid)?
        .ok_or_else(|| AppError::internal("participant vanished"))?;
    send_access(conn, ctx, &e, &p, "gift_registered")?;
    notify::admins(conn, ctx, e.id, AdminNotice::Registered { participant_id: pid })?;
    record(
        conn,
        ctx,
        Some(user_id),
        "exchange_registered",
        e.id,
        json!({ "participant_id": pid }),
    )?;
    Ok(Registered {
        exchange_name: e.name,
        message: "You are registered. We emailed you a link to your exchange page.".into(),
    })
}

/// What someone signed in gives when joining with one click.
#[derive(Debug, Default)]
pub struct JoinCmd {
    pub gift_ideas: String,
    pub reminders: bool,
}

/// Joins the signed-in person to an exchange with the name and email of their account. The
/// same refusals as `register` (404, 409 closed / full / already in, 422 gift_ideas); 422
/// naming `email` for an account without a real address (they use the form instead).
pub fn join(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    slug: &str,
    cmd: JoinCmd,
) -> Result<Registered, AppError> {
    let user = person(actor)?;
    let e = by_slug(conn, slug)?;
    if let Some(refused) = refusal(ctx, &e, repo::count_active(conn, e.id)?) {
        return Err(refused);
    }
    let email = Email::normalize(&user.email);
    let mut v = Validator::new();
    v.result("email", check_participant_email(&email));
    check_gift_ideas(&mut v, &cmd.gift_ideas);
    v.finish()?;
    if repo::participation(conn, e.id, user.user_id)?.is_some()
        || repo::active_by_email(conn, e.id, &email)?.is_some()
    {
        return Err(repo::already_registered());
    }
    let name: String =
        repo::member_name(conn, user.user_id)?.trim().chars().take(NAME_MAX).collect();
    let new = NewParticipant {
        exchange_id: e.id,
        user_id: user.user_id,
        name: &name,
        email: &email,
        gift_ideas: cmd.gift_ideas.trim(),
        reminders: cmd.reminders,
    };
    let pid = repo::insert_participant(conn, &new, ctx.now_unix())?;
    notify::admins(conn, ctx, e.id, AdminNotice::Registered { participant_id: pid })?;
    let detail = json!({ "participant_id": pid, "one_click": true });
    record(conn, ctx, Some(user.user_id), "exchange_registered", e.id, detail)?;
    Ok(Registered { message: format!("You joined {}.", e.name), exchange_name: e.name })
}

/// Emails a fresh sign-in link to `email` when it is registered (and still in) for the
/// exchange behind `slug`; does nothing otherwise. Callers answer the same either way.
pub fn request_access(
    conn: &Connection,
    ctx: &Ctx,
    slug: &str,
    email: &str,
) -> Result<(), AppError> {
    let Some(e) = repo::find_by_slug(conn, slug)? else { return Ok(()) };
    let Some(p) = repo::active_by_email(conn, e.id, &Email::normalize(email))? else {
        return Ok(());
    };
    send_access(conn, ctx, &e, &p, "gift_access")
}

fn public_view(ctx: &Ctx, e: &Exchange, count: i64) -> PublicExchangeView {
    let refused = refusal(ctx, e, count);
    PublicExchangeView {
        slug: e.slug.clone(),
        name: e.name.clone(),
        description: e.description.clone(),
        budget: e.budget.clone(),
        registration_close_date: e.registration_close_date.clone(),
        exchange_date: e.exchange_date.clone(),
        timezone: e.timezone.clone(),
        closes_on: human_date(&e.registration_close_date),
        happens_on: human_date(&e.exchange_date),
        open: refused.is_none(),
        closed_message: refused.map(|err| err.message().to_string()),
    }
}

/// What the public link shows of an exchange: its details and whether it takes people now.
/// 404 for an unknown link.
pub fn public(conn: &Connection, ctx: &Ctx, slug: &str) -> Result<PublicExchangeView, AppError> {
    let e = by_slug(conn, slug)?;
    Ok(public_view(ctx, &e, repo::count_active(conn, e.id)?))
}

/// The registration page for `viewer` (signed in or not). 404 for an unknown link.
pub fn registration_page(
    conn: &Connection,
    ctx: &Ctx,
    slug: &str,
    viewer: Option<&AuthUser>,
    form: Option<RegisterForm>,
) -> Result<RegisterPage, AppError> {
    let e = by_slug(conn, slug)?;
    let exchange = public_view(ctx, &e, repo::count_active(conn, e.id)?);
    let already_in = match viewer {
        Some(user) => repo::participation(conn, e.id, user.user_id)?.is_some(),
        None => false,
    };
    let join_name = match viewer {
        Some(u) if check_participant_email(&Email::normalize(&u.email)).is_ok() => {
            Some(repo::member_name(conn, u.user_id)?)
        }
        _ => None,
    };
    let form = form.unwrap_or(RegisterForm { reminders: true, ..RegisterForm::default() });
    Ok(RegisterPage { exchange, form, can_join: join_name.is_some(), join_name, already_in })
}

// ----- the participant's own view -----

/// The exchange and the caller's place in it; 404 when they are not in it (so ids do not
/// tell anything about other exchanges).
fn own_place(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<(Exchange, Participant), AppError> {
    let user = person(actor)?;
    let p = repo::participation(conn, id, user.user_id)?.ok_or_else(no_such_exchange)?;
    Ok((get_or_404(conn, id)?, p))
}

fn assignment_of(
    conn: &Connection,
    e: &Exchange,
    p: &Participant,
) -> Result<Option<AssignmentView>, AppError> {
    if !e.state.is_drawn() {
        return Ok(None);
    }
    let Some(receiver) = repo::receiver_of(conn, p.id)? else { return Ok(None) };
    Ok(repo::get_participant(conn, e.id, receiver)?
        .map(|r| AssignmentView { recipient_name: r.name, gift_ideas: r.gift_ideas }))
}

fn my_view(conn: &Connection, e: &Exchange, p: &Participant) -> Result<MyExchangeView, AppError> {
    let participants = repo::active_participants(conn, e.id)?.into_iter().map(|p| p.name).collect();
    Ok(MyExchangeView {
        id: e.id,
        name: e.name.clone(),
        description: e.description.clone(),
        budget: e.budget.clone(),
        registration_close_date: e.registration_close_date.clone(),
        exchange_date: e.exchange_date.clone(),
        timezone: e.timezone.clone(),
        closes_on: human_date(&e.registration_close_date),
        happens_on: human_date(&e.exchange_date),
        state: e.state,
        state_label: e.state.label(),
        participants,
        me: MeView {
            participant_id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            gift_ideas: p.gift_ideas.clone(),
            reminders: p.reminders,
        },
        can_edit_name: !e.state.is_drawn(),
        can_withdraw: !e.state.is_drawn(),
        assignment: assignment_of(conn, e, p)?,
    })
}

/// Every exchange the caller is in (soonest first): the names of everyone in it, their own
/// entry, and once drawn their own recipient and the recipient's gift ideas, nothing more.
pub fn mine(conn: &Connection, actor: &Actor) -> Result<Vec<MyExchangeView>, AppError> {
    let user = person(actor)?;
    let mut out = Vec::new();
    for p in repo::participations_of(conn, user.user_id)? {
        let e = get_or_404(conn, p.exchange_id)?;
        out.push(my_view(conn, &e, &p)?);
    }
    Ok(out)
}

/// Changes to the caller's own entry; absent fields stay.
#[derive(Debug, Default)]
pub struct MeCmd {
    pub name: Option<String>,
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// Updates the caller's own entry: gift ideas and reminders always, the name until the names
/// are drawn (409 naming `name` after). 404 when they are not in the exchange; 422 naming
/// name or gift_ideas for bad input.
pub fn update_me(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: MeCmd,
) -> Result<MyExchangeView, AppError> {
    let (e, p) = own_place(conn, actor, id)?;
    let name = cmd.name.as_deref().map(str::trim).unwrap_or(&p.name).to_string();
    if name != p.name && e.state.is_drawn() {
        return Err(AppError::conflict_field(
            "name",
            "Your name cannot change once the names are drawn.",
        ));
    }
    let ideas = cmd.gift_ideas.as_deref().map(str::trim).unwrap_or(&p.gift_ideas).to_string();
    let mut v = Validator::new();
    check_person_name(&mut v, &name);
    check_gift_ideas(&mut v, &ideas);
    v.finish()?;
    let reminders = cmd.reminders.unwrap_or(p.reminders);
    repo::update_participant(conn, p.id, &name, &ideas, reminders, ctx.now_unix())?;
    let p = repo::get_participant(conn, id, p.id)?.unwrap_or(p);
    my_view(conn, &e, &p)
}

/// Takes the caller out of an exchange (and out of its exclusions); the admins are notified.
/// Refused with 409 once the names are drawn (the organizer can remove them then). 404 when
/// they are not in it.
pub fn withdraw(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<Withdrawn, AppError> {
    let (e, p) = own_place(conn, actor, id)?;
    if e.state.is_drawn() {
        return Err(AppError::conflict(
            "The names are already drawn, so you can no longer withdraw. Ask the organizer.",
        )
        .with_code("already_matched"));
    }
    repo::remove_participant(conn, p.id, RemovedHow::Withdrew, ctx.now_unix())?;
    notify::admins(conn, ctx, id, AdminNotice::Withdrew { participant_id: p.id })?;
    record(conn, ctx, actor.user_id(), "exchange_withdrew", id, json!({ "participant_id": p.id }))?;
    Ok(Withdrawn { exchange_id: id, withdrawn: true, message: format!("You left {}.", e.name) })
}

/// The caller's own recipient and their gift ideas. 404 when they are not in the exchange;
/// 409 `not_matched` before the names are drawn.
pub fn assignment(conn: &Connection, actor: &Actor, id: i64) -> Result<AssignmentView, AppError> {
    let (e, p) = own_place(conn, actor, id)?;
    assignment_of(conn, &e, &p)?.ok_or_else(|| {
        AppError::conflict("The names have not been drawn yet.").with_code("not_matched")
    })
}

// ----- pages -----

/// Every time zone name, for the exchange form's suggestions.
fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// The organizers' dashboard: every exchange grouped by state, and the create form (its time
/// zone the club's own until one is typed).
pub fn admin_list_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    mut form: ExchangeForm,
) -> Result<AdminListPage, AppError> {
    if form.timezone.is_empty() {
        form.timezone = settings::club_timezone(conn)?;
    }
    Ok(AdminListPage { list: list(conn, ctx, actor)?, form, timezones: time_zones() })
}

/// One exchange for organizers: fields, participants, exclusions, the drawn pairs when there
/// are some, and a matching problem to explain. 403 / 404 as for `get`.
pub fn admin_detail_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: Option<ExchangeForm>,
    problem: Option<MatchProblem>,
) -> Result<AdminDetailPage, AppError> {
    let exchange = get(conn, ctx, actor, id)?;
    let (participants, removed) =
        participants(conn, actor, id)?.into_iter().partition(|p| p.status == "active");
    let matches = if exchange.state.is_drawn() { matches(conn, actor, id)? } else { Vec::new() };
    Ok(AdminDetailPage {
        form: form.unwrap_or_else(|| ExchangeForm::of(&exchange)),
        can_edit_exclusions: exchange.state == ExchangeState::RegistrationClosed,
        exclusions: exclusions(conn, actor, id)?,
        exchange,
        participants,
        removed,
        matches,
        problem,
        qr_svg: String::new(),
        timezones: time_zones(),
        purge_after_days: PURGE_AFTER_DAYS,
    })
}

/// The participant's dashboard; `failed` names the exchange whose form is shown again.
pub fn dashboard(
    conn: &Connection,
    actor: &Actor,
    failed: Option<i64>,
    form: MeForm,
) -> Result<DashboardPage, AppError> {
    let can_manage = organizer_only(actor).is_ok();
    Ok(DashboardPage { exchanges: mine(conn, actor)?, can_manage, failed, form })
}

// ----- the organizer right -----

/// Grants or takes away the organizer right (runs gift exchanges). Admins only (403); 404 for
/// an unknown account; 409 when granting it to a guest (it would make them more than a guest).
/// Audited.
pub fn set_organizer(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    organizer: bool,
) -> Result<OrganizerView, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("Only club admins can grant the organizer right."));
    }
    let roles = repo::account_roles(conn, user_id)?
        .ok_or_else(|| AppError::not_found("No such member."))?;
    let guest_only = roles.iter().all(|r| *r == Role::Guest || *r == Role::Organizer);
    if organizer && guest_only {
        return Err(AppError::conflict(
            "Guests cannot organize gift exchanges: make them a member first.",
        ));
    }
    if organizer {
        accounts::add_roles(conn, user_id, &[Role::Organizer])?;
    } else {
        repo::remove_role(conn, user_id, Role::Organizer)?;
    }
    let kind = if organizer { "organizer_granted" } else { "organizer_revoked" };
    let event = AuditEvent::new(kind).actor_opt(actor.user_id()).target(format!("user:{user_id}"));
    audit::record(conn, event, ctx.now_unix())?;
    let roles = repo::account_roles(conn, user_id)?.unwrap_or_default();
    Ok(OrganizerView { user_id, organizer: roles.contains(&Role::Organizer), roles })
}
