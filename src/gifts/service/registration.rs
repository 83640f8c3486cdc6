//! Registering through the public link (members and guests alike), joining with one click,
//! and the emailed sign-in link to one's exchange page.

use rusqlite::Connection;
use serde_json::json;

use super::{
    check_gift_ideas, check_participant_email, check_person_name, club_name, no_such_exchange,
    person, record, refusal, registration_url, NAME_MAX,
};
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{Actor, AuthUser, Role, TokenPurpose, UserStatus};
use crate::accounts::repo::{self as accounts, NewCodeToken, NewUser};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_code, random_token, token_hash};
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::gifts::model::{Exchange, Participant};
use crate::gifts::notify::{self, AdminNotice};
use crate::gifts::repo::{self, NewParticipant};
use crate::gifts::views::{human_date, PublicExchangeView, RegisterForm, RegisterPage, Registered};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::values::Email;

/// What someone registering gives.
#[derive(Debug, Default)]
pub(crate) struct Registration {
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
/// in by emailed link and reaches its exchanges and nothing of the member area. It never keeps
/// the address from a real account: one made for it later takes this account over, exchange
/// entries and all (`accounts::service::create_account`).
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
pub(crate) fn register(
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
pub(crate) struct JoinCmd {
    pub gift_ideas: String,
    pub reminders: bool,
}

/// Joins the signed-in person to an exchange with the name and email of their account. The
/// same refusals as `register` (404, 409 closed / full / already in, 422 gift_ideas); 422
/// naming `email` for an account without a real address (they use the form instead).
pub(crate) fn join(
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
pub(crate) fn request_access(
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
pub(crate) fn public(
    conn: &Connection,
    ctx: &Ctx,
    slug: &str,
) -> Result<PublicExchangeView, AppError> {
    let e = by_slug(conn, slug)?;
    Ok(public_view(ctx, &e, repo::count_active(conn, e.id)?))
}

/// The registration page for `viewer` (signed in or not). 404 for an unknown link.
pub(crate) fn registration_page(
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
