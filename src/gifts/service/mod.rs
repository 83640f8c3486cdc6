//! Gift exchange use cases: organizers create exchanges and move them through their states,
//! people register (as members or as guests who sign in by emailed link), organizers manage
//! participants and exclusions, the cycle is drawn and everyone is emailed their recipient.
//!
//! Who sees what: organizers (and admins) see everything about every exchange; a participant
//! sees the names of the others, their own entry and, once drawn, their own recipient only;
//! anyone else sees nothing (404), whatever id they try.
//!
//! - `exchanges`: creating, changing, deleting and listing exchanges.
//! - `states`: the state machine (open, close, reopen, complete) and the draw.
//! - `participants`: the participant list, removals, exclusions and the drawn pairs.
//! - `registration`: registering by the public link, joining, the emailed sign-in link.
//! - `own`: a participant's own entry and recipient, and withdrawing.
//! - `page_views`: what the pages show.
//! - `organizers`: the organizer right.
//!
//! What every part checks (who is an organizer, which exchange, the limits of a field) is here.

mod exchanges;
mod organizers;
mod own;
mod page_views;
mod participants;
mod registration;
mod states;

pub(crate) use exchanges::*;
pub(crate) use organizers::*;
pub(crate) use own::*;
pub(crate) use page_views::*;
pub(crate) use participants::*;
pub(crate) use registration::*;
pub(crate) use states::*;

use rusqlite::Connection;

use super::model::Exchange;
use super::repo;
use super::schedule::PURGE_AFTER_DAYS;
use super::views::ExchangeView;
use crate::accounts::model::GUEST_EMAIL_DOMAIN;
use crate::accounts::model::{Actor, AuthUser};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::settings;
use crate::values::Email;

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const DESCRIPTION_MAX: usize = 2000;
pub(crate) const BUDGET_MAX: usize = 100;
pub(crate) const GIFT_IDEAS_MAX: usize = 10_000;
/// The smallest limit that makes sense: a cycle needs three people.
pub(crate) const MIN_PARTICIPANTS: i64 = 3;
pub(crate) const MAX_PARTICIPANTS: i64 = 100_000;
/// Characters of the random registration link.
pub(crate) const SLUG_LEN: usize = 12;

pub(crate) const CLOSED_MESSAGE: &str = "Registration is closed.";
pub(crate) const FULL_MESSAGE: &str = "Exchange is full.";

// ----- shared checks -----

fn organizer_only(actor: &Actor) -> Result<(), AppError> {
    let allowed = match actor {
        Actor::User(user) => user.is_organizer(),
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
pub(crate) fn closed_error() -> AppError {
    AppError::conflict(CLOSED_MESSAGE).with_code("registration_closed")
}

/// 409 `exchange_full`: the exchange has as many participants as its limit allows.
pub(crate) fn full_error() -> AppError {
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
