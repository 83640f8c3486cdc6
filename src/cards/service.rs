//! Card use cases: build a member's card, share it by link, stop sharing, choose the contact
//! preference, and show a shared card to anyone holding its link.
//!
//! Every member-side call acts on the caller's own card only: there is no card id to change.

use rusqlite::Connection;

use super::model::{ContactPreference, Member, PublicAnswer};
use super::repo;
use super::stats;
use super::views::{Card, CardField, ContactPreferenceView, OwnCard, Shared};
use crate::accounts::model::{Actor, Role};
use crate::audit::{self, AuditEvent};
use crate::clock;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::personal_link::PersonalLink;
use crate::settings;

/// The member making the call; the system has no card.
fn caller(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Only members have a card."))
}

fn card_not_found() -> AppError {
    AppError::not_found("This card does not exist or is no longer shared.")
}

fn share_url(ctx: &Ctx, token: &str) -> String {
    ctx.url(&format!("/cards/{token}"))
}

/// Whether a member's card may be shown: their account is active and more than a guest's
/// (the same rule as the member area).
fn is_active_member(member: &Member, roles: &[Role]) -> bool {
    let guest_only = !roles.is_empty() && roles.iter().all(|r| *r == Role::Guest);
    member.status == "active" && !guest_only
}

/// How an answer reads on the card: yes/no questions as Yes or No.
fn shown_answer(answer: PublicAnswer) -> CardField {
    let value = if answer.kind == "yes_no" {
        match answer.value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" | "on" => "Yes".to_string(),
            "no" | "false" | "0" | "off" => "No".to_string(),
            _ => answer.value,
        }
    } else {
        answer.value
    };
    CardField { label: answer.label, value }
}

/// Everything on a member's card, computed now in the member's time zone.
fn build_card(
    conn: &Connection,
    ctx: &Ctx,
    member: &Member,
    roles: Vec<Role>,
) -> Result<Card, AppError> {
    let zone = clock::zone(&member.timezone);
    let now = ctx.now_unix();
    let coach = match member.coach_id {
        Some(id) => repo::active_coach(conn, id)?.map(|c| c.card_name()),
        None => None,
    };
    let sessions = repo::sessions(conn, member.id, now)?;
    let preference = member.contact_preference();
    Ok(Card {
        name: member.card_name(),
        city: member.city.trim().to_string(),
        state: member.state.trim().to_string(),
        club_name: settings::get(conn, settings::CLUB_NAME)?
            .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string()),
        // Guest access is an arrangement between the club and a person, not a title.
        roles: roles.into_iter().filter(|r| *r != Role::Guest).collect(),
        member_since: stats::local_date(member.member_since(), zone),
        coach,
        fields: repo::public_answers(conn, member.id)?.into_iter().map(shown_answer).collect(),
        contact_preference: preference,
        contact_label: preference.map(ContactPreference::label),
        lifetime: stats::lifetime(&sessions, now, zone),
        recent: stats::recent(&sessions, now, zone),
        weekly_minutes: stats::weekly_minutes(&sessions, now, zone),
    })
}

/// The caller's own card with its share link when shared. 404 if the account is gone.
pub(crate) fn own_card(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<OwnCard, AppError> {
    let user_id = caller(actor)?;
    let member =
        repo::member(conn, user_id)?.ok_or_else(|| AppError::not_found("No such member."))?;
    let card = build_card(conn, ctx, &member, repo::roles(conn, user_id)?)?;
    let token = PersonalLink::CardShare.current(conn, &ctx.secret, user_id)?.map(|l| l.token);
    Ok(OwnCard {
        card,
        shared: token.is_some(),
        share_url: token.as_deref().map(|t| share_url(ctx, t)),
        share_token: token,
    })
}

/// Shares the caller's card through a `PersonalLink`: a new random UUID the first time, the
/// same token on every later call until it is revoked. The first share is audited.
pub(crate) fn share(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<Shared, AppError> {
    let user_id = caller(actor)?;
    let now = ctx.now_unix();
    let (link, made) = PersonalLink::CardShare.ensure(conn, &ctx.secret, user_id, now)?;
    if made {
        let event = AuditEvent::new("card_shared").actor(user_id).target(format!("user:{user_id}"));
        audit::record(conn, event, now)?;
    }
    Ok(Shared { share_url: share_url(ctx, &link.token), share_token: link.token })
}

/// Stops sharing the caller's card: its link answers 404 from now on, and sharing again gives
/// a new token. Doing it when nothing is shared changes nothing. Returns whether a share ended
/// (only that is audited).
pub(crate) fn revoke(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<bool, AppError> {
    let user_id = caller(actor)?;
    let ended = PersonalLink::CardShare.revoke(conn, user_id)?;
    if ended {
        let event =
            AuditEvent::new("card_share_revoked").actor(user_id).target(format!("user:{user_id}"));
        audit::record(conn, event, ctx.now_unix())?;
    }
    Ok(ended)
}

/// Sets how the caller likes to be contacted: `Some(Some("email"|"text"|"phone"|"social"))`,
/// or `Some(None)` for no preference. 422 naming `contact_preference` when the field is
/// missing (`None`) or holds anything else.
pub(crate) fn set_contact_preference(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    value: Option<Option<String>>,
) -> Result<ContactPreferenceView, AppError> {
    let user_id = caller(actor)?;
    let field = "contact_preference";
    let preference = match value {
        None => {
            return Err(AppError::invalid_field(
                field,
                "Give contact_preference: email, text, phone, social, or null for none.",
            ))
        }
        Some(None) => None,
        Some(Some(raw)) => Some(
            raw.trim()
                .parse::<ContactPreference>()
                .map_err(|message| AppError::invalid_field(field, message))?,
        ),
    };
    let now = ctx.now_unix();
    repo::set_contact_preference(conn, user_id, preference.map(ContactPreference::as_str), now)?;
    Ok(ContactPreferenceView {
        contact_preference: preference,
        contact_label: preference.map(ContactPreference::label),
    })
}

/// The card behind a share link, for anyone. 400 for a token that is not a UUID; 404 when no
/// card is shared under it (never shared, or revoked) and when its member is no longer an
/// active member (disabled, say), so a link tells nothing about why.
pub(crate) fn public_card(conn: &Connection, ctx: &Ctx, token: &str) -> Result<Card, AppError> {
    let share = PersonalLink::CardShare;
    let token = share.read_token(token)?;
    let user_id = share.owner(conn, &ctx.secret, &token)?.ok_or_else(card_not_found)?;
    let member = repo::member(conn, user_id)?.ok_or_else(card_not_found)?;
    let roles = repo::roles(conn, user_id)?;
    if !is_active_member(&member, &roles) {
        return Err(card_not_found());
    }
    build_card(conn, ctx, &member, roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_answers_read_as_words() {
        let answer = |kind: &str, value: &str| {
            shown_answer(PublicAnswer { label: "L".into(), kind: kind.into(), value: value.into() })
                .value
        };
        assert_eq!(answer("yes_no", "yes"), "Yes");
        assert_eq!(answer("yes_no", "false"), "No");
        assert_eq!(answer("yes_no", "1"), "Yes");
        assert_eq!(answer("text", "yes"), "yes");
    }
}
