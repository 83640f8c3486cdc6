//! Notice use cases: admins send a notice to members (each recipient gets a copy, and an
//! email unless they turned those off), members read, delete and answer their copies, and the
//! admins follow who read what and answer in each member's thread.
//!
//! Writes that others should see at once publish `realtime::Broadcast`s on their transaction,
//! which go out once it has committed.

use rusqlite::{Connection, Transaction};
use serde_json::json;

use super::model::{Audience, Copy, Person, Recipients, AUDIENCE_ROLES};
use super::repo::{self, NewNotice, NewReply};
use super::views::{
    AdminNoticePage, AdminNoticesPage, ComposeForm, DeletedView, InboxPage, MemberChoice,
    MessageDetail, MessageItem, MessageList, NoticeDetail, NoticeEvent, RecipientView, ReplyEvent,
    ReplyView, SentList, SentNoticeView, SettingsView, ThreadPage,
};
use crate::accounts::model::{Actor, Role};
use crate::audit::{self, AuditEvent};
use crate::clock::zone;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::paging::{Paging, Sizes};
use crate::realtime::{Broadcast, Cursor, Event};
use crate::settings;
use crate::values::either;

pub(crate) const SUBJECT_MAX: usize = 200;
pub(crate) const BODY_MAX: usize = 20_000;
pub(crate) const REPLY_MAX: usize = 5_000;
pub(crate) const DEFAULT_PER_PAGE: i64 = 20;
pub(crate) const MAX_PER_PAGE: i64 = 100;
const SIZES: Sizes = Sizes { default: DEFAULT_PER_PAGE, max: MAX_PER_PAGE };

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("Only club admins can do this.")
}

fn member_id(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Notices belong to members."))
}

/// The same answer for another member's copy, a deleted one and one that never existed, so
/// that ids reveal nothing.
fn no_such_notice() -> AppError {
    AppError::not_found("No such notice.")
}

fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.into()))
}

/// The zone name the viewer reads times in ('' is UTC).
fn viewer_zone(conn: &Connection, actor: &Actor) -> Result<String, AppError> {
    let name = match actor.user_id() {
        Some(id) => repo::timezone_of(conn, id)?,
        None => String::new(),
    };
    Ok(zone(&name).name().to_string())
}

/// Text as stored: Windows line ends made plain, surrounding blanks trimmed.
fn clean(text: Option<String>) -> String {
    text.unwrap_or_default().replace("\r\n", "\n").trim().to_string()
}

/// Checks a text field: present, at most `max` characters, and free of control characters
/// (line breaks and tabs are allowed in `multiline` text).
fn check_text(
    v: &mut Validator,
    field: &str,
    text: &str,
    max: usize,
    multiline: bool,
    missing: &str,
) {
    let len = text.chars().count();
    let stray = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\t'));
    v.check(len > 0, field, missing)
        .check(len <= max, field, format!("Use at most {max} characters."))
        .check(
            !text.chars().any(stray),
            field,
            if multiline {
                "Remove the control characters from the text."
            } else {
                "Keep it on one line, without control characters."
            },
        );
}

/// A list query as given: `?page=&per_page=`.
#[derive(Debug, Default, Clone)]
pub(crate) struct ListQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl ListQuery {
    /// Page number and size: 422 naming `page` or `per_page` (1 to 100).
    fn paging(&self) -> Result<Paging, AppError> {
        Paging::read(self.page.as_deref(), self.per_page.as_deref(), SIZES)
    }
}

fn notice_event(copy: &Copy) -> Event {
    let data = NoticeEvent { message: MessageItem::from(copy) };
    Event::new("notice", Cursor::Notice(copy.id), &data)
}

fn reply_event(copy: &Copy, reply: ReplyView) -> Event {
    let data = ReplyEvent { message_id: copy.id, notice_id: copy.notice_id, reply };
    Event::new("notice_reply", Cursor::None, &data)
}

// ----- sending -----

/// A notice as an admin writes it.
#[derive(Debug)]
pub(crate) struct SendNotice {
    pub subject: Option<String>,
    pub body: Option<String>,
    pub to: Recipients,
    /// Email the recipients who have not turned notice emails off.
    pub email: bool,
}

/// Reads the audience into who receives the notice, recording what is wrong in `v`.
/// The sender is left out of "all" and of a role: they wrote it. Chosen ids are taken as
/// chosen.
fn audience(
    conn: &Connection,
    v: &mut Validator,
    to: Recipients,
    sender: Option<i64>,
) -> Result<Option<(Audience, Vec<i64>)>, AppError> {
    let others = |ids: Vec<i64>| ids.into_iter().filter(|id| Some(*id) != sender).collect();
    let chosen = match to {
        Recipients::Unreadable(why) => {
            v.check(false, "to", why);
            return Ok(None);
        }
        Recipients::All => (Audience::All, others(repo::active_members(conn)?)),
        Recipients::Role(name) => {
            let Some(role) = AUDIENCE_ROLES.into_iter().find(|r| r.as_str() == name.trim()) else {
                let names: Vec<&str> = AUDIENCE_ROLES.iter().map(|r| r.as_str()).collect();
                v.check(false, "to.role", format!("Choose {}.", either(&names)));
                return Ok(None);
            };
            (Audience::Role(role), others(repo::active_members_with_role(conn, role.as_str())?))
        }
        Recipients::Members(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            let active = repo::which_are_active(conn, &ids)?;
            let strangers: Vec<String> =
                ids.iter().filter(|id| !active.contains(id)).map(i64::to_string).collect();
            if !strangers.is_empty() {
                v.check(
                    false,
                    "to.member_ids",
                    format!("These ids are not active members: {}.", strangers.join(", ")),
                );
                return Ok(None);
            }
            (Audience::Members, active)
        }
    };
    v.check(
        !chosen.1.is_empty(),
        "to",
        "No active member matches, so there is nobody to send it to.",
    );
    Ok(Some(chosen))
}

/// Sends a notice: one copy per recipient (every active member; those with a role; or the
/// chosen members, each once), an email to each recipient who wants notice emails when
/// `email` is set, a "notice" event to each recipient. Admins only (403). 422 naming `subject`
/// (1 to 200 characters, one line), `body` (1 to 20000), `to` (unreadable, or nobody
/// matches), `to.role` (not admin, coach, member or guardian) or `to.member_ids` (listing the
/// ids that are not active members). Audited.
pub(crate) fn send(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    cmd: SendNotice,
) -> Result<SentNoticeView, AppError> {
    admin_only(actor)?;
    let mut v = Validator::new();
    let subject = clean(cmd.subject);
    check_text(&mut v, "subject", &subject, SUBJECT_MAX, false, "Give the notice a subject.");
    let body = clean(cmd.body);
    check_text(&mut v, "body", &body, BODY_MAX, true, "Write what the notice says.");
    let chosen = audience(tx, &mut v, cmd.to, actor.user_id())?;
    v.finish()?;
    let (audience, recipients) = chosen.ok_or_else(|| AppError::internal("audience lost"))?;

    let now = ctx.now_unix();
    let sender = match actor.user_id() {
        Some(id) => repo::addressee(tx, id)?.map(|a| Person { id, name: a.name }),
        None => None,
    };
    let notice = NewNotice {
        sender_id: sender.as_ref().map(|s| s.id),
        subject: &subject,
        body: &body,
        audience,
        email: cmd.email,
    };
    let notice_id = repo::insert_notice(tx, &notice, now)?;
    let club = club_name(tx)?;
    let mut emailed = 0;
    for &user_id in &recipients {
        let copy = Copy {
            id: repo::insert_copy(tx, notice_id, user_id)?,
            notice_id,
            user_id,
            subject: subject.clone(),
            body: body.clone(),
            sender: sender.clone(),
            sent_at: now,
            read_at: None,
            deleted_at: None,
            replies: 0,
        };
        tx.publish([Broadcast::new(vec![user_id], notice_event(&copy))]);
        if !cmd.email {
            continue;
        }
        let Some(to) = repo::addressee(tx, user_id)? else { continue };
        if !to.notice_emails || to.email.is_empty() {
            continue;
        }
        let data = json!({
            "club_name": club,
            "name": to.name,
            "sender": sender.as_ref().map(|s| s.name.as_str()).unwrap_or(club.as_str()),
            "subject": subject,
            "body": body,
            "url": ctx.url(&format!("/messages/{}", copy.id)),
            "settings_url": ctx.url("/messages#settings"),
        });
        email::queue(tx, ctx, &to.email, "notice", &data)?;
        emailed += 1;
    }
    let event = AuditEvent::new("notice_sent")
        .actor_opt(actor.user_id())
        .target(format!("notice:{notice_id}"))
        .detail(json!({
            "audience": audience.stored(),
            "recipients": recipients.len(),
            "emailed": emailed,
        }));
    audit::record(tx, event, now)?;
    let sent = repo::get_sent(tx, notice_id)?.ok_or_else(|| AppError::internal("notice lost"))?;
    Ok(SentNoticeView::from(&sent))
}

// ----- the member's side -----

/// One page of the member's notices, newest first, without the ones they deleted, with how
/// many there are and how many are unread. 422 naming `page` or `per_page` (1 to 100).
pub(crate) fn inbox(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
) -> Result<MessageList, AppError> {
    let user_id = member_id(actor)?;
    let paging = query.paging()?;
    let (total, unread) = repo::count_own(conn, user_id)?;
    let copies = repo::list_own(conn, user_id, paging.per_page, paging.offset())?;
    Ok(MessageList {
        items: copies.iter().map(MessageItem::from).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
        pages: paging.pages(total),
        unread,
    })
}

fn own_copy(conn: &Connection, actor: &Actor, copy_id: i64) -> Result<Copy, AppError> {
    repo::own_copy(conn, member_id(actor)?, copy_id)?.ok_or_else(no_such_notice)
}

/// One of the member's notices in full, with its thread (their replies and the admins').
/// 404 for another member's, a deleted one, or an unknown id.
pub(crate) fn message(
    conn: &Connection,
    actor: &Actor,
    copy_id: i64,
) -> Result<MessageDetail, AppError> {
    let copy = own_copy(conn, actor, copy_id)?;
    let thread = repo::thread(conn, copy.id)?;
    Ok(MessageDetail {
        message: MessageItem::from(&copy),
        body: copy.body,
        thread: thread.iter().map(ReplyView::of).collect(),
    })
}

/// Marks the member's notice read; the first time counts, so doing it again changes nothing.
/// 404 (and no change) for another member's, a deleted one, or an unknown id.
pub(crate) fn mark_read(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    copy_id: i64,
) -> Result<MessageItem, AppError> {
    if !repo::mark_read(conn, member_id(actor)?, copy_id, ctx.now_unix())? {
        return Err(no_such_notice());
    }
    Ok(MessageItem::from(&own_copy(conn, actor, copy_id)?))
}

/// Deletes the member's notice for them: it leaves their inbox and answers 404 from then on,
/// while the admins still see it, marked deleted by the member. 404 (and no change) for
/// another member's, an already deleted one, or an unknown id.
pub(crate) fn delete(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    copy_id: i64,
) -> Result<DeletedView, AppError> {
    if !repo::soft_delete(conn, member_id(actor)?, copy_id, ctx.now_unix())? {
        return Err(no_such_notice());
    }
    Ok(DeletedView { id: copy_id, deleted: true })
}

/// Adds the member's reply to the thread under their notice (which counts as reading it) and
/// tells every active admin. 404 (and no change) for another member's notice, a deleted one,
/// or an unknown id; 422 `body` when empty or over 5000 characters.
pub(crate) fn reply(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    copy_id: i64,
    body: Option<String>,
) -> Result<ReplyView, AppError> {
    let copy = own_copy(tx, actor, copy_id)?;
    let body = clean(body);
    let mut v = Validator::new();
    check_text(&mut v, "body", &body, REPLY_MAX, true, "Write your reply.");
    v.finish()?;
    let now = ctx.now_unix();
    let reply = NewReply { copy_id, author_id: Some(copy.user_id), from_admin: false, body: &body };
    let id = repo::insert_reply(tx, &reply, now)?;
    repo::mark_read(tx, copy.user_id, copy_id, now)?;
    let reply = repo::get_reply(tx, id)?.ok_or_else(|| AppError::internal("reply lost"))?;
    let admins = repo::active_admins(tx)?;
    let event = reply_event(&copy, ReplyView::for_admin(&reply));
    tx.publish([Broadcast::new(admins, event)]);
    Ok(ReplyView::of(&reply))
}

/// Whether the member gets an email with each new notice.
pub(crate) fn settings(conn: &Connection, actor: &Actor) -> Result<SettingsView, AppError> {
    Ok(SettingsView { email_notices: repo::notice_emails(conn, member_id(actor)?)? })
}

/// Turns the member's notice emails on or off (the notices themselves always arrive).
/// 422 `email_notices` when not given.
pub(crate) fn update_settings(
    conn: &Connection,
    actor: &Actor,
    email_notices: Option<bool>,
) -> Result<SettingsView, AppError> {
    let user_id = member_id(actor)?;
    let on = email_notices
        .ok_or_else(|| AppError::invalid_field("email_notices", "Say true or false."))?;
    repo::set_notice_emails(conn, user_id, on)?;
    settings(conn, actor)
}

/// The "notice" events of the user's notices with a copy id after `after_id` that they have
/// not deleted, oldest first, at most `limit`: what a reconnecting socket missed. Built as the
/// live events are.
pub fn missed(
    tx: &Transaction,
    user_id: i64,
    after_id: i64,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(repo::own_after(tx, user_id, after_id, limit)?.iter().map(notice_event).collect())
}

// ----- the admins' side -----

/// Members' replies that no admin has read yet, over every notice (for the admin dashboard).
pub fn unread_replies(conn: &Connection) -> Result<i64, AppError> {
    repo::count_unread_replies(conn)
}

/// One page of sent notices, newest first, each with its number of recipients, of those who
/// read it, of members' replies and of those no admin has read. Admins only (403); 422 naming
/// `page` or `per_page`.
pub(crate) fn sent(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
) -> Result<SentList, AppError> {
    admin_only(actor)?;
    let paging = query.paging()?;
    let total = repo::count_sent(conn)?;
    let items = repo::list_sent(conn, paging.per_page, paging.offset())?;
    Ok(SentList {
        items: items.iter().map(SentNoticeView::from).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
        pages: paging.pages(total),
        unread_replies: unread_replies(conn)?,
    })
}

/// A sent notice with each recipient (read or not, deleted or not) and their thread; the
/// members' replies it shows count as read by the admins from then on (those are marked
/// `new` in this answer). Admins only (403); 404 for an unknown notice.
pub(crate) fn sent_notice(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    notice_id: i64,
) -> Result<NoticeDetail, AppError> {
    admin_only(actor)?;
    let notice = repo::get_sent(conn, notice_id)?.ok_or_else(no_such_notice)?;
    let replies = repo::threads_of_notice(conn, notice_id)?;
    let recipients = repo::recipients(conn, notice_id)?
        .iter()
        .map(|r| {
            let thread = replies
                .iter()
                .filter(|reply| reply.copy_id == r.copy_id)
                .map(ReplyView::for_admin)
                .collect();
            RecipientView::of(r, thread)
        })
        .collect();
    repo::mark_replies_read(conn, notice_id, None, ctx.now_unix())?;
    Ok(NoticeDetail { notice: SentNoticeView::from(&notice), recipients })
}

/// An admin's answer in one recipient's thread: the member's copy becomes unread again so
/// they notice it, their replies count as read by the admins, and the member is told at once.
/// Admins only (403); 404 when the notice or that recipient of it is unknown; 409 when the
/// member deleted their copy; 422 `body` when empty or over 5000 characters. Audited.
pub(crate) fn admin_reply(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    notice_id: i64,
    user_id: i64,
    body: Option<String>,
) -> Result<ReplyView, AppError> {
    admin_only(actor)?;
    let copy = repo::copy_of(tx, notice_id, user_id)?
        .ok_or_else(|| AppError::not_found("This member did not receive that notice."))?;
    if copy.deleted_at.is_some() {
        return Err(AppError::conflict(
            "The member deleted this notice, so they would not see a reply.",
        ));
    }
    let body = clean(body);
    let mut v = Validator::new();
    check_text(&mut v, "body", &body, REPLY_MAX, true, "Write your reply.");
    v.finish()?;
    let now = ctx.now_unix();
    let reply =
        NewReply { copy_id: copy.id, author_id: actor.user_id(), from_admin: true, body: &body };
    let id = repo::insert_reply(tx, &reply, now)?;
    repo::mark_unread(tx, copy.id)?;
    repo::mark_replies_read(tx, notice_id, Some(copy.id), now)?;
    let event = AuditEvent::new("notice_replied")
        .actor_opt(actor.user_id())
        .target(format!("notice:{notice_id}"))
        .detail(json!({ "user_id": user_id }));
    audit::record(tx, event, now)?;
    let reply =
        ReplyView::of(&repo::get_reply(tx, id)?.ok_or_else(|| AppError::internal("reply lost"))?);
    if repo::is_active_member(tx, user_id)? {
        tx.publish([Broadcast::new(vec![user_id], reply_event(&copy, reply.clone()))]);
    }
    Ok(reply)
}

// ----- pages -----

/// The member's inbox page: a page of notices and their email setting. Errors as for `inbox`.
pub(crate) fn inbox_page(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
) -> Result<InboxPage, AppError> {
    let list = inbox(conn, actor, query)?;
    let paging = query.paging()?;
    let (prev_url, next_url) = paging.neighbours("/messages", &[], list.pages);
    Ok(InboxPage {
        email_notices: settings(conn, actor)?.email_notices,
        time_zone: viewer_zone(conn, actor)?,
        list,
        prev_url,
        next_url,
    })
}

/// The page of one notice and its thread; opening it marks it read. `reply` refills the reply
/// form after an error. 404 as for `message`.
pub(crate) fn thread_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    copy_id: i64,
    reply: String,
) -> Result<ThreadPage, AppError> {
    mark_read(conn, ctx, actor, copy_id)?;
    Ok(ThreadPage {
        message: message(conn, actor, copy_id)?,
        reply,
        time_zone: viewer_zone(conn, actor)?,
    })
}

/// The admin notices page: the compose form (`form`, refilled after an error) with the roles
/// and active members to choose from, and a page of sent notices. Errors as for `sent`.
pub(crate) fn admin_page(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
    form: ComposeForm,
) -> Result<AdminNoticesPage, AppError> {
    let sent = sent(conn, actor, query)?;
    let (prev_url, next_url) = query.paging()?.neighbours("/admin/messages", &[], sent.pages);
    let members = repo::member_choices(conn)?
        .into_iter()
        .map(|(id, name, username)| MemberChoice { id, name, username })
        .collect();
    Ok(AdminNoticesPage {
        form,
        roles: AUDIENCE_ROLES.iter().map(|r: &Role| r.as_str()).collect(),
        members,
        sent,
        time_zone: viewer_zone(conn, actor)?,
        prev_url,
        next_url,
    })
}

/// The admin page of one sent notice (see `sent_notice`, which it marks read as). `failed`
/// names the recipient whose reply form failed and what was typed.
pub(crate) fn admin_notice_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    notice_id: i64,
    failed: Option<(i64, String)>,
) -> Result<AdminNoticePage, AppError> {
    let detail = sent_notice(conn, ctx, actor, notice_id)?;
    let (failed, reply) = match failed {
        Some((user_id, text)) => (Some(user_id), text),
        None => (None, String::new()),
    };
    Ok(AdminNoticePage { detail, failed, reply, time_zone: viewer_zone(conn, actor)? })
}
