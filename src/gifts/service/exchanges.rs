//! Exchanges as organizers set them up: creating, changing, deleting and listing them.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::json;

use super::{
    get_or_404, one_line, organizer_only, plain_text, record, too_long, view, view_with_count,
    BUDGET_MAX, DESCRIPTION_MAX, MAX_PARTICIPANTS, MIN_PARTICIPANTS, NAME_MAX, SLUG_LEN,
};
use crate::accounts::model::Actor;
use crate::clock::is_time_zone;
use crate::crypto::random_token;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::gifts::model::ExchangeState;
use crate::gifts::repo::{self, ExchangeFields};
use crate::gifts::views::{ExchangeList, ExchangeView, MessageView, StateCounts, StateGroup};
use crate::settings;

/// An exchange as an organizer sets it (a whole exchange: absent optional fields are empty).
#[derive(Debug, Default)]
pub(crate) struct ExchangeCmd {
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
pub(crate) fn create(
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
pub(crate) fn update(
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
pub(crate) fn delete(
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
pub(crate) fn list(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<ExchangeList, AppError> {
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
pub(crate) fn get(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<ExchangeView, AppError> {
    organizer_only(actor)?;
    view(conn, ctx, &get_or_404(conn, id)?)
}
