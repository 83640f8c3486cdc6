//! What organizers do with participants: the list, removing someone, exclusions, and the
//! drawn pairs.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;
use serde_json::json;

use super::{get_or_404, organizer_only, record};
use crate::accounts::model::Actor;
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::gifts::model::{ExchangeState, Exclusion, Participant, RemovedHow};
use crate::gifts::repo;
use crate::gifts::views::{
    Contact, ExclusionView, MatchView, MessageView, ParticipantView, PersonRef, RemovedParticipant,
};

/// Everyone who registered (those still in first), with emails and gift ideas. Organizers and
/// admins only (403); 404 for an unknown exchange.
pub(crate) fn participants(
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
pub(crate) fn remove_participant(
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
pub(crate) fn exclusions(
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
pub(crate) struct ExclusionCmd {
    pub participant_a: Option<i64>,
    pub participant_b: Option<i64>,
}

/// Keeps two participants from drawing each other (either way: stored once, lower id first).
/// Only while registration is closed (409 `exclusions_locked` otherwise). Both must be
/// participants still in this exchange and different (422 naming the field); the same pair
/// twice is a 409. Organizers and admins only (403); 404 for an unknown exchange.
pub(crate) fn add_exclusion(
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
pub(crate) fn remove_exclusion(
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
pub(crate) fn matches(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<Vec<MatchView>, AppError> {
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
pub(crate) fn matches_csv(
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
