//! Outbox use cases for admins: the list, resending, copying a link an admin may pass on, the
//! test email.

use std::str::FromStr;

use rusqlite::Connection;
use serde_json::json;

use super::diagnose::{classify, explain, Facts};
use super::input::{OutboxQuery, TestEmailInput};
use super::links::{self, Disclosure, LinkKind, Opens};
use super::repo;
use super::views::{CopiedLink, OutboxItem, OutboxList, StatusCount, TestEmailResult};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::email;
use crate::email::outbox::{status_counts, Status};
use crate::email::seal::Sealer;
use crate::email::transport::SentEmail;
use crate::email::Transport;
use crate::error::{AppError, Validator};
use crate::settings;

pub(crate) const PER_PAGE: i64 = 50;

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("The email outbox is for club admins.")
}

/// The status filter and page of a query: 422 naming `status` (not queued, sent or failed) or
/// `page` (not a whole number from 1).
pub(crate) fn parse_query(query: &OutboxQuery) -> Result<(Option<String>, i64), AppError> {
    let mut v = Validator::new();
    let status = query.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let status = status.and_then(|s| v.parsed("status", s.parse::<Status>()));
    let page = match query.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Some(1),
        Some(p) => p.parse::<i64>().ok().filter(|n| (1..=1_000_000).contains(n)),
    };
    v.check(page.is_some(), "page", "Use a page number from 1.");
    v.finish()?;
    Ok((status.map(|s| s.as_str().to_string()), page.unwrap_or(1)))
}

/// Every email, newest first, optionally of one status, 50 a page. Admins only (403);
/// 422 for a bad filter (see `parse_query`).
pub(crate) fn list(
    conn: &Connection,
    actor: &Actor,
    query: &OutboxQuery,
) -> Result<OutboxList, AppError> {
    admin_only(actor)?;
    let (status, page) = parse_query(query)?;
    let total = repo::count(conn, status.as_deref())?;
    let rows = repo::list(conn, status.as_deref(), PER_PAGE, (page - 1) * PER_PAGE)?;
    Ok(OutboxList {
        items: rows.into_iter().map(OutboxItem::of).collect(),
        status: status.unwrap_or_default(),
        page,
        per_page: PER_PAGE,
        total,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        counts: status_counts(conn)?
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
    })
}

fn get_or_404(conn: &Connection, id: i64) -> Result<repo::OutboxRow, AppError> {
    repo::get(conn, id)?.ok_or_else(|| AppError::not_found("No such email."))
}

/// Puts a sent or failed email back in the queue, due now with a fresh count of attempts, and
/// audits it (`email_resent`). Admins only; 404 for an unknown id; 409 `already_queued` while
/// it is still waiting to be sent (the worker may be sending it at this moment).
pub(crate) fn resend(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    ip: Option<&str>,
) -> Result<OutboxItem, AppError> {
    admin_only(actor)?;
    let before = get_or_404(conn, id)?;
    let now = ctx.now_unix();
    if !repo::requeue(conn, id, now)? {
        return Err(AppError::conflict("This email is already waiting to be sent.")
            .with_code("already_queued"));
    }
    let event = AuditEvent::new("email_resent")
        .actor_opt(actor.user_id())
        .target(format!("email:{id}"))
        .detail(json!({ "to": before.to, "template": before.template, "before": before.status }))
        .ip(ip);
    audit::record(conn, event, now)?;
    Ok(OutboxItem::of(get_or_404(conn, id)?))
}

fn withheld_error() -> AppError {
    AppError::forbidden(
        "This email holds a way into someone's account that is meant for them alone, so it is \
         never shown. Resend it, or ask them to request a new one.",
    )
    .with_code("link_withheld")
}

/// Shows the link inside an invitation, or inside a set-password or claim email an admin had
/// sent, so an admin can pass it on when email does not arrive; audited (`email_link_viewed`).
/// A set-password link or claim code is shown only while its account has never signed in
/// (there is nothing of theirs yet to read), and the account's owner is emailed that an admin
/// viewed it. Admins only; 404 for an unknown id; 403 `link_withheld` for a way in meant for
/// its recipient alone (sign-in and reset links, login codes, claim codes the person asked
/// for, and set-password links and claim codes of accounts that have signed in); 409 `no_link`
/// for other emails (or when no link is found in the message); 409 `link_expired` when the
/// link no longer works (expired, used, revoked or replaced by a newer one), since handing it
/// on would not help.
pub(crate) fn copy_link(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    ip: Option<&str>,
) -> Result<CopiedLink, AppError> {
    admin_only(actor)?;
    let row = get_or_404(conn, id)?;
    let no_link = || {
        AppError::conflict("This email carries no invitation, set-password link or claim code.")
            .with_code("no_link")
    };
    let kind = match Disclosure::of_template(&row.template) {
        Disclosure::Link(kind) => kind,
        Disclosure::Withheld(_) => return Err(withheld_error()),
        Disclosure::Nothing => return Err(no_link()),
    };
    let sealed = repo::sealed_text(conn, id)?.ok_or_else(no_link)?;
    let text = Sealer::new(&ctx.secret).open(&sealed)?;
    let found = links::find_link(&text, &ctx.config.public_url(), kind).ok_or_else(no_link)?;
    let account = match links::opens(conn, ctx, kind, &found, &row.to)? {
        Opens::Nothing => {
            return Err(AppError::conflict(
                "This link no longer works: it expired, was used, or a newer one replaced it. \
                 Send the person a new one instead.",
            )
            .with_code("link_expired"))
        }
        Opens::NewAccount => None,
        Opens::Account(user_id) => {
            let account = repo::link_account(conn, user_id)?.ok_or_else(no_link)?;
            if account.signed_in {
                return Err(withheld_error());
            }
            Some((user_id, account))
        }
    };
    let now = ctx.now_unix();
    if let Some((_, account)) = &account {
        tell_member(conn, ctx, actor, kind, account)?;
    }
    let event = AuditEvent::new("email_link_viewed")
        .actor_opt(actor.user_id())
        .target(format!("email:{id}"))
        .detail(json!({
            "to": row.to,
            "template": row.template,
            "user_id": account.as_ref().map(|(user_id, _)| user_id),
            "told_member": account.is_some(),
        }))
        .ip(ip);
    audit::record(conn, event, now)?;
    let note = match kind {
        LinkKind::Claim => {
            "Give the person the code; they enter it with their email address at this page and \
             choose a password. They were told by email that you viewed it."
        }
        LinkKind::Invite => {
            "Anyone with this link can create an account with what the invitation grants: give \
             it only to the person it was meant for."
        }
        LinkKind::SetPassword => {
            "This link lets the person choose a password: give it only to them, by a channel \
             you trust. It works once. They were told by email that you viewed it."
        }
    };
    Ok(CopiedLink {
        email_id: id,
        to: row.to,
        template: row.template,
        url: found.url,
        code: found.code,
        live: true,
        told_member: account.is_some(),
        note: note.to_string(),
    })
}

/// Emails the owner of an account that an admin viewed the way into it, so a view they did not
/// ask for does not go unnoticed.
fn tell_member(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    kind: LinkKind,
    account: &repo::LinkAccount,
) -> Result<(), AppError> {
    let club_name = settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
    let admin = match actor {
        Actor::User(user) => user.username.clone(),
    };
    let data = json!({
        "club_name": club_name,
        "username": account.username,
        "admin": admin,
        "claim": kind == LinkKind::Claim,
        "claim_url": ctx.url("/claim"),
    });
    email::queue(conn, ctx, &account.email, "link_viewed", &data)?;
    Ok(())
}

/// Sends a test email to `to` right away through the configured transport (not the outbox,
/// so the answer says whether mail works now) and, when it fails, says why in plain words.
/// Blocking: it waits for the mail server, up to `smtp_timeout_secs`. Audited
/// (`email_test_sent`). Admins only; 422 `to` for a missing or malformed address.
pub(crate) fn send_test(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    transport: &Transport,
    input: TestEmailInput,
    ip: Option<&str>,
) -> Result<TestEmailResult, AppError> {
    admin_only(actor)?;
    let to = input.to.trim().to_string();
    let mut v = Validator::new();
    v.check(
        to.len() <= 254 && lettre::Address::from_str(&to).is_ok(),
        "to",
        "Enter an email address like name@example.org.",
    );
    v.finish()?;
    let club_name = settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
    let sent_by = match actor {
        Actor::User(user) => user.username.clone(),
    };
    let rendered =
        ctx.emails.render("test_email", &json!({ "club_name": club_name, "sent_by": sent_by }))?;
    let email = SentEmail {
        to: to.clone(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    };
    let config = &ctx.config;
    let result = match transport.try_send(&email) {
        Ok(()) => TestEmailResult {
            message: match transport {
                Transport::Smtp { .. } => format!(
                    "The mail server at {}:{} accepted the test email for {to}. If it does not \
                     arrive, look in the spam folder and check the sender address (mail_from).",
                    config.smtp_host, config.smtp_port
                ),
                Transport::Console => format!(
                    "SMTP is not configured, so the test email for {to} was printed to the \
                     server's console (its log) instead of being sent. Set smtp_host to send \
                     real email."
                ),
                Transport::Memory(_) => {
                    format!("The test email for {to} was kept in memory (test mode).")
                }
            },
            to: to.clone(),
            mode: transport.mode(),
            sent: true,
            diagnosis: None,
            error: None,
        },
        Err(failure) => {
            let facts = Facts::of(&failure, config.smtp_tls, config.smtp_port);
            let diagnosis =
                explain(classify(&facts), &config.smtp_host, config.smtp_port, config.smtp_tls);
            TestEmailResult {
                to: to.clone(),
                mode: transport.mode(),
                sent: false,
                message: diagnosis.title.clone(),
                diagnosis: Some(diagnosis),
                error: Some(failure.message),
            }
        }
    };
    let event = AuditEvent::new("email_test_sent")
        .actor_opt(actor.user_id())
        .target(format!("email_address:{to}"))
        .detail(json!({
            "sent": result.sent,
            "mode": result.mode,
            "problem": result.diagnosis.as_ref().map(|d| d.problem),
        }))
        .ip(ip);
    audit::record(conn, event, ctx.now_unix())?;
    Ok(result)
}
