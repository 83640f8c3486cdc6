//! The member record an admin opens (profile and answers, signatures, status timeline, the
//! account side) and the status changes made from it: activating, disabling and enabling an
//! account. Admins only (403); an unknown member id is a 404.

use rusqlite::Connection;

use super::service::{account, admin_only};
use super::views::{MemberDetail, SignatureView};
use crate::accounts::model::{Actor, UserStatus};
use crate::accounts::repo as accounts;
use crate::audit;
use crate::clock::rfc3339_at;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::AppError;
use crate::members::model::Step;
use crate::members::repo;
use crate::members::service::{self as members, blocked, missing_steps, set_status};
use crate::members::views::ProfileView;

fn member(conn: &Connection, user_id: i64) -> Result<repo::Profile, AppError> {
    repo::find_profile(conn, user_id)?
        .ok_or_else(|| AppError::not_found("There is no such member."))
}

/// One member's record: profile and every answer, agreement signatures, status timeline, what
/// still blocks activation, and the account side (sessions, second factor, admin history).
/// 404 for an unknown id.
pub(crate) fn detail(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
) -> Result<MemberDetail, AppError> {
    admin_only(actor)?;
    let p = member(conn, user_id)?;
    let fields = repo::list_fields(conn)?;
    let answers = repo::answers(conn, user_id)?;
    let missing = activation_gaps(conn, &p)?;
    Ok(MemberDetail {
        can_activate: activatable(p.status) && missing.is_empty(),
        is_self: actor.user_id() == Some(user_id),
        missing: missing.iter().map(|s| s.as_str()).collect(),
        joined_at: rfc3339_at(p.created_at),
        onboarding_completed_at: p.onboarding_completed_at.map(rfc3339_at),
        current_agreement_version: repo::current_agreement(conn)?.map(|a| a.version),
        signatures: repo::signatures(conn, user_id)?
            .into_iter()
            .map(|s| SignatureView {
                version: s.version,
                full_name: s.full_name,
                ip: s.ip,
                signed_at: rfc3339_at(s.signed_at),
            })
            .collect(),
        timeline: repo::timeline(conn, user_id)?.into_iter().map(Into::into).collect(),
        profile: ProfileView::of(&p, &fields, &answers),
        account: account(conn, ctx, user_id)?,
    })
}

fn activatable(status: UserStatus) -> bool {
    matches!(
        status,
        UserStatus::Onboarding | UserStatus::PendingContract | UserStatus::PendingReview
    )
}

/// What must be done before an admin may activate: the profile and the agreement (review is
/// what the admin is doing).
fn activation_gaps(conn: &Connection, p: &repo::Profile) -> Result<Vec<Step>, AppError> {
    let mut steps = missing_steps(conn, p)?;
    steps.retain(|s| *s != Step::Review);
    if p.status == UserStatus::Invited && !steps.contains(&Step::Profile) {
        steps.insert(0, Step::Profile);
    }
    Ok(steps)
}

/// What every change of a member's status is: `activate`, `disable`, `enable`.
pub(crate) type StatusChange =
    fn(&Tx, &Ctx, &Actor, i64, Option<&str>) -> Result<MemberDetail, AppError>;

/// Lets a member into the club and emails them. 409 `activation_blocked` naming each missing
/// step (profile, agreement) until they are done; 409 when already active or disabled (use
/// enable). 404 for an unknown id.
pub(crate) fn activate(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    note: Option<&str>,
) -> Result<MemberDetail, AppError> {
    admin_only(actor)?;
    let p = member(tx, user_id)?;
    match p.status {
        UserStatus::Active => return Err(AppError::conflict("This member is already active.")),
        UserStatus::Disabled => {
            return Err(AppError::conflict("This account is disabled: enable it instead."))
        }
        _ => {}
    }
    let gaps = activation_gaps(tx, &p)?;
    if !gaps.is_empty() {
        return Err(blocked(&gaps));
    }
    set_status(tx, ctx, &p, UserStatus::Active, actor.user_id(), clean_note(note).as_deref())?;
    audit::record_action(tx, actor, "member_activated", format!("user:{user_id}"), ctx.now_unix())?;
    detail(tx, ctx, actor, user_id)
}

fn clean_note(note: Option<&str>) -> Option<String> {
    note.map(|n| n.trim().chars().filter(|c| !c.is_control()).take(500).collect::<String>())
        .filter(|n| !n.is_empty())
}

/// Disables an account: it can no longer sign in, and its sessions and API tokens end at once.
/// Admins cannot disable themselves (409). 404 for an unknown id.
pub(crate) fn disable(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    note: Option<&str>,
) -> Result<MemberDetail, AppError> {
    admin_only(actor)?;
    let p = member(tx, user_id)?;
    if actor.user_id() == Some(user_id) {
        return Err(AppError::conflict("You cannot disable your own account."));
    }
    if p.status == UserStatus::Disabled {
        return Err(AppError::conflict("This account is already disabled."));
    }
    let now = ctx.now_unix();
    set_status(tx, ctx, &p, UserStatus::Disabled, actor.user_id(), clean_note(note).as_deref())?;
    accounts::delete_user_sessions(tx, user_id, None)?;
    accounts::revoke_user_tokens(tx, user_id, None, now)?;
    // Their open sockets close now, not at their next heartbeat.
    tx.disconnect(user_id);
    audit::record_action(tx, actor, "member_disabled", format!("user:{user_id}"), ctx.now_unix())?;
    detail(tx, ctx, actor, user_id)
}

/// Re-enables a disabled account, returning it to the status it had before. 409 when it is not
/// disabled. 404 for an unknown id.
pub(crate) fn enable(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    note: Option<&str>,
) -> Result<MemberDetail, AppError> {
    admin_only(actor)?;
    let p = member(tx, user_id)?;
    if p.status != UserStatus::Disabled {
        return Err(AppError::conflict("This account is not disabled."));
    }
    let before = repo::status_before_disable(tx, user_id)?
        .and_then(|s| s.parse::<UserStatus>().ok())
        .filter(|s| *s != UserStatus::Disabled)
        .unwrap_or(if p.activated_at.is_some() {
            UserStatus::Active
        } else {
            UserStatus::Onboarding
        });
    set_status(tx, ctx, &p, before, actor.user_id(), clean_note(note).as_deref())?;
    members::advance(tx, ctx, user_id, actor.user_id())?;
    audit::record_action(tx, actor, "member_enabled", format!("user:{user_id}"), ctx.now_unix())?;
    detail(tx, ctx, actor, user_id)
}
