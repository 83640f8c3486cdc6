//! A participant's own view: their entry, their recipient once drawn, and withdrawing.

use rusqlite::Connection;
use serde_json::json;

use super::{check_gift_ideas, check_person_name, get_or_404, no_such_exchange, person, record};
use crate::accounts::model::Actor;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::gifts::model::{Exchange, Participant, RemovedHow};
use crate::gifts::notify::{self, AdminNotice};
use crate::gifts::repo;
use crate::gifts::views::{human_date, AssignmentView, MeView, MyExchangeView, Withdrawn};

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
pub(crate) fn mine(conn: &Connection, actor: &Actor) -> Result<Vec<MyExchangeView>, AppError> {
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
pub(crate) struct MeCmd {
    pub name: Option<String>,
    pub gift_ideas: Option<String>,
    pub reminders: Option<bool>,
}

/// Updates the caller's own entry: gift ideas and reminders always, the name until the names
/// are drawn (409 naming `name` after). 404 when they are not in the exchange; 422 naming
/// name or gift_ideas for bad input.
pub(crate) fn update_me(
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
pub(crate) fn withdraw(
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
pub(crate) fn assignment(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<AssignmentView, AppError> {
    let (e, p) = own_place(conn, actor, id)?;
    assignment_of(conn, &e, &p)?.ok_or_else(|| {
        AppError::conflict("The names have not been drawn yet.").with_code("not_matched")
    })
}
