//! Card use cases: build a member's card, share it by link, stop sharing, choose the contact
//! preference, and show a shared card to anyone holding its link.
//!
//! Every member-side call acts on the caller's own card only: there is no card id to change.

use rusqlite::Connection;
use uuid::Uuid;

use super::model::{ContactPreference, Member, PublicAnswer};
use super::repo;
use super::stats;
use super::views::{Card, CardField, ContactPreferenceView, OwnCard, Shared};
use crate::accounts::model::{Actor, Role};
use crate::audit::{self, AuditEvent};
use crate::clock;
use crate::crypto::keyed_hash;
use crate::ctx::Ctx;
use crate::email::seal::Sealer;
use crate::error::AppError;
use crate::settings;

/// The member making the call; the system has no card.
fn caller(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Only members have a card."))
}

fn card_not_found() -> AppError {
    AppError::not_found("This card does not exist or is no longer shared.")
}

/// A share token as the link carries it: a UUID. Anything else is a 400, so a mistyped link
/// is told apart from one that was revoked. Returned in its canonical lowercase form.
pub fn parse_token(token: &str) -> Result<String, AppError> {
    Uuid::try_parse(token.trim()).map(|uuid| uuid.hyphenated().to_string()).map_err(|_| {
        AppError::bad_request("This card link is malformed: check that it was copied whole.")
            .with_code("malformed_token")
    })
}

/// The lookup key stored for a token: keyed with the server secret, so a copy of the database
/// cannot be turned back into working links.
fn token_key(ctx: &Ctx, token: &str) -> Vec<u8> {
    keyed_hash(&ctx.secret, &[b"card share", token.as_bytes()])
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

/// The current token of the member's share. A token that no longer opens (the secret key was
/// replaced, so its hash no longer matches any link either) counts as not shared.
fn current_token(conn: &Connection, ctx: &Ctx, user_id: i64) -> Result<Option<String>, AppError> {
    let Some(sealed) = repo::share_of(conn, user_id)? else { return Ok(None) };
    Ok(Sealer::for_purpose(&ctx.secret, "card share").open(&sealed).ok())
}

/// The caller's own card with its share link when shared. 404 if the account is gone.
pub fn own_card(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<OwnCard, AppError> {
    let user_id = caller(actor)?;
    let member =
        repo::member(conn, user_id)?.ok_or_else(|| AppError::not_found("No such member."))?;
    let card = build_card(conn, ctx, &member, repo::roles(conn, user_id)?)?;
    let token = current_token(conn, ctx, user_id)?;
    Ok(OwnCard {
        card,
        shared: token.is_some(),
        share_url: token.as_deref().map(|t| share_url(ctx, t)),
        share_token: token,
    })
}

/// Shares the caller's card: a new random UUID the first time, the same token on every later
/// call until it is revoked (the token is kept sealed so it can be shown again; only a keyed
/// hash is used for lookup). The first share is audited.
pub fn share(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<Shared, AppError> {
    let user_id = caller(actor)?;
    let token = match current_token(conn, ctx, user_id)? {
        Some(token) => token,
        None => {
            let token = Uuid::new_v4().hyphenated().to_string();
            let now = ctx.now_unix();
            let sealed = Sealer::for_purpose(&ctx.secret, "card share").seal(&token);
            // Clears a share left unreadable by a replaced secret key.
            repo::delete_share(conn, user_id)?;
            repo::insert_share(conn, user_id, &token_key(ctx, &token), &sealed, now)?;
            let event =
                AuditEvent::new("card_shared").actor(user_id).target(format!("user:{user_id}"));
            audit::record(conn, event, now)?;
            token
        }
    };
    Ok(Shared { share_url: share_url(ctx, &token), share_token: token })
}

/// Stops sharing the caller's card: its link answers 404 from now on, and sharing again gives
/// a new token. Doing it when nothing is shared changes nothing. Returns whether a share ended
/// (only that is audited).
pub fn revoke(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<bool, AppError> {
    let user_id = caller(actor)?;
    let ended = repo::delete_share(conn, user_id)?;
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
pub fn set_contact_preference(
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
pub fn public_card(conn: &Connection, ctx: &Ctx, token: &str) -> Result<Card, AppError> {
    let token = parse_token(token)?;
    let user_id = repo::owner_of(conn, &token_key(ctx, &token))?.ok_or_else(card_not_found)?;
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
    fn tokens_must_be_uuids_and_are_read_in_canonical_form() {
        let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(parse_token(uuid).unwrap(), uuid);
        assert_eq!(parse_token(&uuid.to_uppercase()).unwrap(), uuid);
        for bad in ["", "abc", "0f8fad5b-d9cb-469f-a165-70867728950", "<script>", "../../etc"] {
            let err = parse_token(bad).unwrap_err();
            assert_eq!((err.status(), err.code()), (400, "malformed_token"), "{bad}");
        }
    }

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
