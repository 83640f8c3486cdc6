//! Conversation use cases: admins' groups and members' one-to-one chats, who may see and change
//! them, posting and paging through messages, read markers, and the real-time events each
//! change sends.
//!
//! Access, the same on every route: a conversation you may not know exists answers 404 (you are
//! not in it, and it is not a group you moderate as an admin); one you can see but may not act
//! on answers 403 (a plain member managing a group, an admin posting in a group they are not
//! in). One-to-one conversations are private to their two people, admins included.

use rusqlite::{Connection, Transaction};
use serde_json::json;

use super::model::{direct_key, Conversation, Kind, MemberRole, Message, Summary};
use super::repo;
use super::views::{
    title, ChangeEvent, ConversationView, GroupForm, HistoryView, LeftView, ListPage, MemberView,
    MessageEvent, MessageRow, MessageView, PersonView, ReadView, RenameForm, RoomPage, SummaryRow,
    SummaryView,
};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::clock::{format_in, parse_rfc3339, zone};
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{AppError, Validator};
use crate::realtime::{Broadcast, Cursor, Event};
use crate::settings;

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const DESCRIPTION_MAX: usize = 1000;
pub(crate) const CONTENT_MAX: usize = 4000;
pub(crate) const PAGE_DEFAULT: i64 = 50;
pub(crate) const PAGE_MAX: i64 = 200;
/// The longest `client_sent_at` kept (an RFC 3339 time is far shorter).
const CLIENT_TIME_MAX: usize = 64;
/// How many people one request may add.
const MEMBER_IDS_MAX: usize = 500;

fn viewer_id(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Conversations belong to members."))
}

fn not_found() -> AppError {
    AppError::not_found("No such conversation.")
}

fn direct_chat_disabled() -> AppError {
    AppError::forbidden("The club has turned one-to-one chats off.")
        .with_code("direct_chat_disabled")
}

fn direct_chat_enabled(conn: &Connection) -> Result<bool, AppError> {
    Ok(settings::account_settings(conn)?.direct_chat)
}

/// The viewer's standing in one conversation they may see.
struct Room {
    conv: Conversation,
    user_id: i64,
    role: Option<MemberRole>,
    is_admin: bool,
}

impl Room {
    fn is_member(&self) -> bool {
        self.role.is_some()
    }

    /// Owners and admins manage groups; nobody manages a one-to-one conversation.
    fn can_manage(&self) -> bool {
        self.conv.kind == Kind::Group && (self.is_admin || self.role == Some(MemberRole::Owner))
    }
}

/// The conversation as the actor may see it: members see theirs, admins see every group (to
/// moderate). Anything else is a 404, exactly like a conversation that does not exist.
fn open(conn: &Connection, actor: &Actor, id: i64) -> Result<Room, AppError> {
    let user_id = viewer_id(actor)?;
    let conv = repo::get(conn, id)?.ok_or_else(not_found)?;
    let role = repo::membership(conn, id, user_id)?.map(|(role, _)| role);
    let is_admin = actor.is_admin();
    if role.is_none() && !(is_admin && conv.kind == Kind::Group) {
        return Err(not_found());
    }
    Ok(Room { conv, user_id, role, is_admin })
}

/// A group the actor may change: 404 unless they may see it, 409 for a one-to-one
/// conversation, 403 unless they own the group or are an admin.
fn manage(conn: &Connection, actor: &Actor, id: i64) -> Result<Room, AppError> {
    let room = open(conn, actor, id)?;
    if room.conv.kind == Kind::Direct {
        return Err(AppError::conflict(
            "One-to-one conversations cannot be renamed or changed; start a group instead.",
        )
        .with_code("direct_conversation"));
    }
    if !room.can_manage() {
        return Err(AppError::forbidden("Only the group's owners and club admins can change it."));
    }
    Ok(room)
}

/// A conversation the actor is in: 404 unless they may see it, 403 for an admin looking at a
/// group they are not in.
fn joined(conn: &Connection, actor: &Actor, id: i64, doing: &str) -> Result<Room, AppError> {
    let room = open(conn, actor, id)?;
    if !room.is_member() {
        return Err(AppError::forbidden(format!("Only members of this conversation can {doing}.")));
    }
    Ok(room)
}

fn audit_change(
    conn: &Connection,
    actor: &Actor,
    kind: &str,
    id: i64,
    detail: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    let event = AuditEvent::new(kind)
        .actor_opt(actor.user_id())
        .target(format!("conversation:{id}"))
        .detail(detail);
    audit::record(conn, event, now)
}

// ----- events -----

/// The "message" event, the same live and when a reconnecting client catches up.
fn message_event(m: &Message) -> Event {
    let data = MessageEvent { conversation_id: m.conversation_id, message: MessageView::of(m) };
    Event::new("message", Cursor::Message(m.id), &data)
}

fn change_to(users: Vec<i64>, conversation_id: i64, change: &'static str) -> Option<Broadcast> {
    if users.is_empty() {
        return None;
    }
    let event = Event::new("conversation", Cursor::None, &ChangeEvent { conversation_id, change });
    Some(Broadcast::new(users, event))
}

/// `change` for those of `users` who may use the member area now.
fn change_for(
    conn: &Connection,
    users: &[i64],
    conversation_id: i64,
    change: &'static str,
) -> Result<Option<Broadcast>, AppError> {
    Ok(change_to(repo::active_among(conn, users)?, conversation_id, change))
}

/// `change` for the conversation's active members, except `except`.
fn change_for_members(
    conn: &Connection,
    conversation_id: i64,
    change: &'static str,
    except: &[i64],
) -> Result<Option<Broadcast>, AppError> {
    let users = repo::recipients(conn, conversation_id)?
        .into_iter()
        .filter(|u| !except.contains(u))
        .collect();
    Ok(change_to(users, conversation_id, change))
}

// ----- validation -----

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_string()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn check_name(v: &mut Validator, name: &str) {
    v.check(!name.is_empty(), "name", "Give the group a name.");
    v.check(
        chars(name) <= NAME_MAX && !name.chars().any(char::is_control),
        "name",
        format!("Use at most {NAME_MAX} characters on one line."),
    );
}

fn check_description(v: &mut Validator, description: &str) {
    v.check(
        chars(description) <= DESCRIPTION_MAX,
        "description",
        format!("Use at most {DESCRIPTION_MAX} characters."),
    );
    v.check(
        !description.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "description",
        "Use letters, digits and punctuation only.",
    );
}

/// The distinct ids of `ids` other than `except`, in order; records under `member_ids` which of
/// them are not active members of the club.
fn check_people(
    conn: &Connection,
    v: &mut Validator,
    ids: &[i64],
    except: Option<i64>,
) -> Result<Vec<i64>, AppError> {
    let mut wanted: Vec<i64> = ids.iter().copied().filter(|id| Some(*id) != except).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.len() > MEMBER_IDS_MAX {
        v.check(false, "member_ids", format!("Add at most {MEMBER_IDS_MAX} people at a time."));
        return Ok(Vec::new());
    }
    let active = repo::active_among(conn, &wanted)?;
    let unknown: Vec<String> =
        wanted.iter().filter(|id| !active.contains(id)).map(|id| id.to_string()).collect();
    v.check(
        unknown.is_empty(),
        "member_ids",
        format!("These ids are not active members of the club: {}.", unknown.join(", ")),
    );
    Ok(active)
}

// ----- views -----

fn conversation_view(conn: &Connection, room: &Room) -> Result<ConversationView, AppError> {
    let c = &room.conv;
    let members = repo::members(conn, c.id)?;
    let other = members.iter().find(|m| m.user_id != room.user_id).map(|m| m.name.as_str());
    let can_post = room.is_member() && (c.kind == Kind::Group || direct_chat_enabled(conn)?);
    let unread = if room.is_member() { repo::unread_count(conn, c.id, room.user_id)? } else { 0 };
    Ok(ConversationView {
        id: c.id,
        kind: c.kind,
        name: title(c.kind, &c.name, other),
        description: c.description.clone(),
        created_at: crate::clock::rfc3339_at(c.created_at),
        members: members.iter().map(MemberView::of).collect(),
        my_role: room.role,
        is_member: room.is_member(),
        can_manage: room.can_manage(),
        can_post,
        last_message_id: c.last_message_id,
        unread,
    })
}

fn view_of(conn: &Connection, actor: &Actor, id: i64) -> Result<ConversationView, AppError> {
    conversation_view(conn, &open(conn, actor, id)?)
}

// ----- reading -----

/// The actor's conversations, most recent activity first, each with its newest message and
/// the actor's unread count. With `all`, admins also get every group they are not in (never
/// other people's one-to-one conversations); `all` from anyone else is a 403.
pub(crate) fn list(
    conn: &Connection,
    actor: &Actor,
    all: bool,
) -> Result<Vec<SummaryView>, AppError> {
    Ok(summaries(conn, actor, all)?.iter().map(SummaryView::of).collect())
}

fn summaries(conn: &Connection, actor: &Actor, all: bool) -> Result<Vec<Summary>, AppError> {
    let me = viewer_id(actor)?;
    if all {
        actor.require_admin("Only club admins can list every group.")?;
    }
    repo::summaries(conn, me, all)
}

/// One conversation with its members and their roles. 404 unless the actor is in it or it is
/// a group and the actor an admin.
pub(crate) fn get(conn: &Connection, actor: &Actor, id: i64) -> Result<ConversationView, AppError> {
    view_of(conn, actor, id)
}

/// Which page of history to show, as the request gave it (text, so a bad value can be named).
#[derive(Debug, Default)]
pub(crate) struct PageQuery {
    /// A message id: the page ends just before it. Absent: the newest page.
    pub before: Option<String>,
    /// 1..=200; absent: 50.
    pub limit: Option<String>,
}

/// `before` and `limit` of a history request: 422 naming the parameter when unreadable.
fn page_bounds(q: &PageQuery) -> Result<(Option<i64>, i64), AppError> {
    fn given(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let mut v = Validator::new();
    let before = given(&q.before).map(|s| s.parse::<i64>().ok().filter(|b| *b > 0));
    v.check(!matches!(before, Some(None)), "before", "Give the id of a message.");
    let limit =
        given(&q.limit).map(|s| s.parse::<i64>().ok().filter(|l| (1..=PAGE_MAX).contains(l)));
    v.check(!matches!(limit, Some(None)), "limit", format!("Give a limit from 1 to {PAGE_MAX}."));
    v.finish()?;
    Ok((before.flatten(), limit.flatten().unwrap_or(PAGE_DEFAULT)))
}

/// A page of messages oldest first, whether older ones exist, and the `before` for them.
fn page_of(
    conn: &Connection,
    id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Message>, bool, Option<i64>), AppError> {
    let mut messages = repo::page(conn, id, before, limit + 1)?;
    let has_more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    messages.reverse();
    let next_before = if has_more { messages.first().map(|m| m.id) } else { None };
    Ok((messages, has_more, next_before))
}

/// Marks the newest page read for a member who reads it.
fn read_newest(conn: &Connection, room: &Room, newest: Option<&Message>) -> Result<(), AppError> {
    if let (true, Some(m)) = (room.is_member(), newest) {
        repo::mark_read(conn, room.conv.id, room.user_id, m.id)?;
    }
    Ok(())
}

/// A page of the conversation's messages, oldest first: the newest `limit` (50 by default,
/// 1..=200) or those before message `before`. Reading the newest page marks the conversation
/// read for a member. 404 as for `get` (admins may read any group's history); 422 naming
/// `limit` or `before` when out of range or not a number.
pub(crate) fn history(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    q: &PageQuery,
) -> Result<HistoryView, AppError> {
    let room = open(conn, actor, id)?;
    let (before, limit) = page_bounds(q)?;
    let (messages, has_more, next_before) = page_of(conn, id, before, limit)?;
    if before.is_none() {
        read_newest(conn, &room, messages.last())?;
    }
    Ok(HistoryView {
        conversation_id: id,
        messages: messages.iter().map(MessageView::of).collect(),
        has_more,
        next_before,
    })
}

/// Moves the actor's read marker up to `message_id` (never back). 404 as for `get`; 403 for an
/// admin who is not in the group; 422 `message_id` when missing or not a message of this
/// conversation.
pub(crate) fn mark_read(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    message_id: Option<i64>,
) -> Result<ReadView, AppError> {
    let room = joined(conn, actor, id, "mark it read")?;
    let message = match message_id {
        Some(mid) => repo::get_message(conn, mid)?.filter(|m| m.conversation_id == id),
        None => None,
    };
    let Some(message) = message else {
        return Err(AppError::invalid_field(
            "message_id",
            "Give the id of a message in this conversation.",
        ));
    };
    repo::mark_read(conn, id, room.user_id, message.id)?;
    let last_read_id = repo::membership(conn, id, room.user_id)?.map_or(0, |(_, read)| read);
    Ok(ReadView {
        conversation_id: id,
        last_read_id,
        unread: repo::unread_count(conn, id, room.user_id)?,
    })
}

/// The "message" events a reconnecting socket missed: messages with ids above `after_id` in the
/// conversations `user_id` is a member of now (not those they left, were removed from or never
/// joined), oldest first, at most `limit`.
pub fn missed(
    tx: &Transaction,
    user_id: i64,
    after_id: i64,
    limit: usize,
) -> Result<Vec<Event>, AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(repo::messages_after(tx, user_id, after_id, limit)?.iter().map(message_event).collect())
}

// ----- writing -----

/// A new group as an admin sets it up.
pub(crate) struct GroupCmd {
    pub name: String,
    pub description: String,
    pub member_ids: Vec<i64>,
}

/// Creates a group with the actor as its owner and `member_ids` as members, and tells each of
/// them ("added"). Admins only (403). 422 for a name outside 1..=100 characters, a description
/// over 1000, and `member_ids` naming the ids that are not active members.
pub(crate) fn create_group(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    cmd: GroupCmd,
) -> Result<ConversationView, AppError> {
    let me = viewer_id(actor)?;
    actor.require_admin("Only club admins can create groups.")?;
    let (name, description) = (normalize(&cmd.name), normalize(&cmd.description));
    let mut v = Validator::new();
    check_name(&mut v, &name);
    check_description(&mut v, &description);
    let others = check_people(tx, &mut v, &cmd.member_ids, Some(me))?;
    v.finish()?;
    let now = ctx.now_unix();
    let id = repo::insert_conversation(tx, Kind::Group, &name, &description, None, me, now)?;
    repo::add_member(tx, id, me, MemberRole::Owner, now)?;
    for other in &others {
        repo::add_member(tx, id, *other, MemberRole::Member, now)?;
    }
    audit_change(tx, actor, "conversation_created", id, json!({ "member_ids": others }), now)?;
    let everyone: Vec<i64> = std::iter::once(me).chain(others).collect();
    tx.publish(change_for(tx, &everyone, id, "added")?);
    view_of(tx, actor, id)
}

/// Opens the one-to-one conversation between the actor and `member_id`: the existing one
/// (`false`) or a new one (`true`, and both are told "added"). 403 `direct_chat_disabled` when
/// the club has turned one-to-one chats off; 422 `member_id` when missing, the actor themselves,
/// or not an active member (guests and disabled accounts included).
pub(crate) fn start_direct(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    member_id: Option<i64>,
) -> Result<(ConversationView, bool), AppError> {
    let me = viewer_id(actor)?;
    if !direct_chat_enabled(tx)? {
        return Err(direct_chat_disabled());
    }
    let other = match member_id {
        None => Err("Choose who to chat with."),
        Some(other) if other == me => Err("You cannot start a chat with yourself."),
        Some(other) if repo::active_among(tx, &[other])?.is_empty() => {
            Err("You can only chat with active members of the club.")
        }
        Some(other) => Ok(other),
    }
    .map_err(|why| AppError::invalid_field("member_id", why))?;
    let key = direct_key(me, other);
    if let Some(id) = repo::by_direct_key(tx, &key)? {
        return Ok((view_of(tx, actor, id)?, false));
    }
    let now = ctx.now_unix();
    let id = repo::insert_conversation(tx, Kind::Direct, "", "", Some(&key), me, now)?;
    repo::add_member(tx, id, me, MemberRole::Member, now)?;
    repo::add_member(tx, id, other, MemberRole::Member, now)?;
    tx.publish(change_for(tx, &[me, other], id, "added")?);
    Ok((view_of(tx, actor, id)?, true))
}

/// Adds active members to a group; people already in it are left as they are. The added are
/// told "added", the others "members". 404 unless the actor may see the group; 409 for a
/// one-to-one conversation; 403 unless an owner or admin; 422 `member_ids` when empty or naming
/// the ids that are not active members.
pub(crate) fn add_members(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    member_ids: Vec<i64>,
) -> Result<ConversationView, AppError> {
    manage(tx, actor, id)?;
    let mut v = Validator::new();
    v.check(!member_ids.is_empty(), "member_ids", "Choose at least one member to add.");
    let people = check_people(tx, &mut v, &member_ids, None)?;
    v.finish()?;
    let now = ctx.now_unix();
    let mut added = Vec::new();
    for person in people {
        if repo::add_member(tx, id, person, MemberRole::Member, now)? {
            added.push(person);
        }
    }
    if !added.is_empty() {
        audit_change(tx, actor, "conversation_members_added", id, json!({ "added": added }), now)?;
        tx.publish(change_for(tx, &added, id, "added")?);
        tx.publish(change_for_members(tx, id, "members", &added)?);
    }
    view_of(tx, actor, id)
}

/// Takes a member out of a group: they are told "removed" and receive nothing of it from then
/// on; the others are told "members". 404 unless the actor may see the group, or when
/// `user_id` is not in it; 409 for a one-to-one conversation and for removing yourself (leave
/// instead); 403 unless an owner or admin.
pub(crate) fn remove_member(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    user_id: i64,
) -> Result<ConversationView, AppError> {
    let room = manage(tx, actor, id)?;
    if user_id == room.user_id {
        return Err(AppError::conflict("To take yourself out of the group, leave it."));
    }
    if !repo::remove_member(tx, id, user_id)? {
        return Err(AppError::not_found("This person is not in the group."));
    }
    let now = ctx.now_unix();
    audit_change(tx, actor, "conversation_member_removed", id, json!({ "user_id": user_id }), now)?;
    tx.publish(change_for(tx, &[user_id], id, "removed")?);
    tx.publish(change_for_members(tx, id, "members", &[])?);
    view_of(tx, actor, id)
}

/// The actor leaves a group (told "removed", the others "members"). The group stays, even
/// without owners: admins manage it then. 404 unless the actor may see it; 409 for a one-to-one
/// conversation; 403 for an admin who is not in it.
pub(crate) fn leave(tx: &Tx, actor: &Actor, id: i64) -> Result<LeftView, AppError> {
    let room = open(tx, actor, id)?;
    if room.conv.kind == Kind::Direct {
        return Err(AppError::conflict("One-to-one conversations cannot be left.")
            .with_code("direct_conversation"));
    }
    if !room.is_member() {
        return Err(AppError::forbidden("You are not a member of this group."));
    }
    repo::remove_member(tx, id, room.user_id)?;
    tx.publish(change_for(tx, &[room.user_id], id, "removed")?);
    tx.publish(change_for_members(tx, id, "members", &[])?);
    Ok(LeftView { conversation_id: id, left: true })
}

/// A new name and description; absent ones stay.
pub(crate) struct RenameCmd {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Renames a group or changes its description, telling the members "renamed" when something
/// changed. 404 unless the actor may see it; 409 for a one-to-one conversation; 403 unless an
/// owner or admin; 422 as for creating, and `name` when neither field is given.
pub(crate) fn rename(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: RenameCmd,
) -> Result<ConversationView, AppError> {
    let room = manage(tx, actor, id)?;
    if cmd.name.is_none() && cmd.description.is_none() {
        return Err(AppError::invalid_field("name", "Give a new name or description."));
    }
    let name = cmd.name.as_deref().map_or_else(|| room.conv.name.clone(), normalize);
    let description =
        cmd.description.as_deref().map_or_else(|| room.conv.description.clone(), normalize);
    let mut v = Validator::new();
    check_name(&mut v, &name);
    check_description(&mut v, &description);
    v.finish()?;
    if name != room.conv.name || description != room.conv.description {
        let now = ctx.now_unix();
        repo::update_details(tx, id, &name, &description)?;
        let detail = json!({ "before": room.conv.name, "after": name });
        audit_change(tx, actor, "conversation_renamed", id, detail, now)?;
        tx.publish(change_for_members(tx, id, "renamed", &[])?);
    }
    view_of(tx, actor, id)
}

/// A message as the member wrote it.
pub(crate) struct PostCmd {
    pub content: String,
    pub client_sent_at: Option<String>,
}

/// Posts a message: stored with the server's time (and the client's, as given), made the
/// conversation's newest, read by its author, and sent to every active member ("message").
/// 404 unless the actor may see the conversation; 403 for an admin who is not in the group,
/// and `direct_chat_disabled` in a one-to-one conversation while the club has them off; 422
/// `content` when empty or over 4000 characters after trimming, `client_sent_at` when not
/// RFC 3339; 429 with the seconds to wait once the member has posted `chat_messages_per_minute`
/// messages within a minute, in all conversations together.
pub(crate) fn post(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: PostCmd,
) -> Result<MessageView, AppError> {
    let room = joined(tx, actor, id, "post in it")?;
    if room.conv.kind == Kind::Direct && !direct_chat_enabled(tx)? {
        return Err(direct_chat_disabled());
    }
    let content = normalize(&cmd.content);
    let client_sent_at = cmd.client_sent_at.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut v = Validator::new();
    v.check(!content.is_empty(), "content", "Write a message first.");
    v.check(
        chars(&content) <= CONTENT_MAX,
        "content",
        format!("Use at most {CONTENT_MAX} characters."),
    );
    v.check(
        !content.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "content",
        "Use letters, digits and punctuation only.",
    );
    if let Some(at) = client_sent_at {
        v.check(
            at.len() <= CLIENT_TIME_MAX && parse_rfc3339(at).is_some(),
            "client_sent_at",
            "Give the time in RFC 3339 form, like 2026-03-01T18:30:00+01:00.",
        );
    }
    v.finish()?;
    // After the checks, so that a message refused for its content costs none of the allowance.
    ctx.limits.chat_member.hit(&format!("user:{}", room.user_id)).map_err(|limited| {
        let wait = limited.retry_after().unwrap_or(1);
        AppError::rate_limited_saying(
            wait,
            format!("You are sending messages very fast. Wait {wait} s, then send this one again."),
        )
    })?;
    let sent_at = ctx.now_unix();
    let message_id = repo::insert_message(tx, id, room.user_id, &content, sent_at, client_sent_at)?;
    repo::mark_read(tx, id, room.user_id, message_id)?;
    let message = repo::get_message(tx, message_id)?
        .ok_or_else(|| AppError::internal("a stored message vanished"))?;
    tx.publish([Broadcast::new(repo::recipients(tx, id)?, message_event(&message))]);
    Ok(MessageView::of(&message))
}

// ----- pages -----

fn viewer_zone(conn: &Connection, user_id: i64) -> Result<chrono_tz::Tz, AppError> {
    Ok(zone(&repo::timezone_of(conn, user_id)?))
}

fn people_but(conn: &Connection, except: &[i64]) -> Result<Vec<PersonView>, AppError> {
    Ok(repo::active_people(conn)?
        .into_iter()
        .filter(|(id, _)| !except.contains(id))
        .map(|(id, name)| PersonView { id, name })
        .collect())
}

/// The conversations page: the list (every group too with `all`; 403 as for `list`), the
/// people one can start a chat with or put in a group, and the forms as given.
pub(crate) fn list_page(
    conn: &Connection,
    actor: &Actor,
    all: bool,
    group_form: GroupForm,
    direct_member_id: Option<i64>,
) -> Result<ListPage, AppError> {
    let me = viewer_id(actor)?;
    let tz = viewer_zone(conn, me)?;
    let conversations = summaries(conn, actor, all)?
        .iter()
        .map(|s| SummaryRow {
            summary: SummaryView::of(s),
            when: format_in(s.activity_at(), tz, "%-d %b, %H:%M"),
        })
        .collect();
    Ok(ListPage {
        conversations,
        showing_all: all,
        is_admin: actor.is_admin(),
        direct_chat: direct_chat_enabled(conn)?,
        people: people_but(conn, &[me])?,
        group_form,
        direct_member_id,
        time_zone: tz.name().to_string(),
    })
}

/// The chat room: a page of history (the newest 50, or those before `before`), the members,
/// and what the actor may do. Showing the newest page marks it read. Errors as for `history`.
pub(crate) fn room_page(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    before: Option<String>,
    content: String,
    rename: Option<RenameForm>,
) -> Result<RoomPage, AppError> {
    let room = open(conn, actor, id)?;
    let (before, limit) = page_bounds(&PageQuery { before, limit: None })?;
    let (messages, has_more, older_before) = page_of(conn, id, before, limit)?;
    if before.is_none() {
        read_newest(conn, &room, messages.last())?;
    }
    let conversation = conversation_view(conn, &room)?;
    let candidates = if room.can_manage() {
        let inside: Vec<i64> = conversation.members.iter().map(|m| m.id).collect();
        people_but(conn, &inside)?
    } else {
        Vec::new()
    };
    let tz = viewer_zone(conn, room.user_id)?;
    let rename = rename.unwrap_or_else(|| RenameForm {
        name: room.conv.name.clone(),
        description: room.conv.description.clone(),
    });
    Ok(RoomPage {
        last_seen_id: repo::newest_message_for(conn, room.user_id)?
            .max(messages.last().map_or(0, |m| m.id)),
        messages: messages.iter().map(|m| MessageRow::of(m, tz, room.user_id)).collect(),
        has_more,
        older_before,
        newest_page: before.is_none(),
        conversation,
        candidates,
        content,
        rename,
        time_zone: tz.name().to_string(),
        viewer_id: room.user_id,
    })
}
