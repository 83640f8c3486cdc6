//! What the activity forms offer: the coach's members, the types to choose, the form's
//! member.

use rusqlite::Connection;

use super::{member_to_record_for, own_member, Viewer};
use crate::accounts::model::Actor;
use crate::activities::model::{Activity, Member};
use crate::activities::repo;
use crate::activities::views::{
    CoachedMemberView, CoachedMembers, FormOptions, PersonView, TypeView,
};
use crate::error::AppError;

/// The active members whose coach is the signed-in coach (or admin), with their totals. 403
/// for anyone else.
pub(crate) fn coached_members(
    conn: &Connection,
    actor: &Actor,
) -> Result<CoachedMembers, AppError> {
    let viewer = Viewer::of(actor)?;
    if !viewer.coach && !viewer.admin {
        return Err(AppError::forbidden("This page is for the club's coaches."));
    }
    let members = repo::coached_members(conn, viewer.id)?;
    Ok(CoachedMembers { members: members.iter().map(CoachedMemberView::from).collect() })
}

/// The types members can choose now, in the club's order.
pub(crate) fn choosable_types(conn: &Connection) -> Result<Vec<TypeView>, AppError> {
    Ok(repo::list_types(conn, false)?.iter().map(TypeView::from).collect())
}

/// Every type, archived ones too (for filtering old entries).
pub(crate) fn all_types(conn: &Connection) -> Result<Vec<TypeView>, AppError> {
    Ok(repo::list_types(conn, true)?.iter().map(TypeView::from).collect())
}

/// What the record or edit form offers the viewer: the choosable types, the coaches, and the
/// members they may record for (everyone active for admins, their own members for coaches,
/// none for others). An edited entry (`keep`) keeps its type and coach on offer even if the
/// type was archived or the coach's account disabled since, so saving it loses nothing. Times
/// are read in the zone of `member_id`'s member when the viewer may see that member, else their
/// own.
pub(crate) fn form_options(
    conn: &Connection,
    actor: &Actor,
    member_id: Option<i64>,
    keep: Option<&Activity>,
) -> Result<FormOptions, AppError> {
    let viewer = Viewer::of(actor)?;
    let mut types = repo::list_types(conn, true)?;
    types.retain(|t| t.is_active() || keep.is_some_and(|a| a.type_id == t.id));
    let mut coaches: Vec<PersonView> = repo::coaches(conn)?.iter().map(PersonView::from).collect();
    if let Some(coach) = keep.and_then(|a| a.coach.as_ref()) {
        if !coaches.iter().any(|c| c.id == coach.id) {
            coaches.push(PersonView::from(coach));
        }
    }
    let members = if viewer.admin {
        repo::active_members(conn, None)?
    } else if viewer.coach {
        repo::active_members(conn, Some(viewer.id))?
    } else {
        Vec::new()
    };
    let visible = match member_id {
        Some(id) => repo::member(conn, id)?
            .filter(|m| m.person.id == viewer.id || viewer.admin || viewer.coaches(m.coach_id)),
        None => None,
    };
    let shown = match visible {
        Some(m) => m,
        None => own_member(conn, viewer)?,
    };
    Ok(FormOptions {
        types: types.iter().map(TypeView::from).collect(),
        coaches,
        members: members
            .iter()
            .filter(|m| m.person.id != viewer.id)
            .map(|m| PersonView::from(&m.person))
            .collect(),
        time_zone: crate::activities::views::zone_name(&shown.timezone),
    })
}

/// The member a new-entry form is for: oneself, or one the viewer may record for (else 403 or
/// 422 as in `record`).
pub(crate) fn form_member(
    conn: &Connection,
    actor: &Actor,
    member_id: Option<i64>,
) -> Result<Member, AppError> {
    member_to_record_for(conn, Viewer::of(actor)?, member_id)
}
