//! The state machine of an exchange (open, close, reopen, complete) and the draw.

use std::collections::{HashMap, HashSet};

use rand::RngCore;
use rusqlite::Connection;
use serde_json::json;

use super::{club_name, get_or_404, organizer_only, record, view};
use crate::accounts::model::Actor;
use crate::ctx::Ctx;
use crate::email;
use crate::error::AppError;
use crate::gifts::matching::{self, Infeasible, Reason};
use crate::gifts::model::{Action, Exchange, Exclusion, Participant};
use crate::gifts::notify::{self, AdminNotice};
use crate::gifts::repo;
use crate::gifts::views::{
    human_date, ExchangeView, ExclusionView, MatchOutcome, MatchProblem, PersonRef,
};

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
pub(crate) fn open(
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
pub(crate) fn close(
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
pub(crate) fn reopen(
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
pub(crate) fn complete(
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
pub(crate) fn match_exchange(
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
pub(crate) fn rematch(
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
