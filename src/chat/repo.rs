//! SQL for conversations, their members and messages.

use rusqlite::types::Type;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::model::{Conversation, Kind, Member, MemberRole, Message, Summary};
use crate::error::AppError;
use crate::members::model::{active_member_sql, name_sql};

fn parsed<T: std::str::FromStr<Err = String>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    text.parse::<T>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, e.into()))
}

// ----- conversations -----

const CONVERSATION_COLUMNS: &str =
    "c.id, c.kind, c.name, c.description, c.created_at, c.last_message_id";

/// Reads the conversation columns starting at column `at`.
fn conversation_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: r.get(at)?,
        kind: parsed::<Kind>(r, at + 1)?,
        name: r.get(at + 2)?,
        description: r.get(at + 3)?,
        created_at: r.get(at + 4)?,
        last_message_id: r.get(at + 5)?,
    })
}

pub(crate) fn insert_conversation(
    conn: &Connection,
    kind: Kind,
    name: &str,
    description: &str,
    direct_key: Option<&str>,
    created_by: i64,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO conversations (kind, name, description, direct_key, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kind.as_str(), name, description, direct_key, created_by, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<Conversation>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?1"),
            [id],
            |r| conversation_at(r, 0),
        )
        .optional()?)
}

/// The one-to-one conversation of a pair, by its `direct_key`.
pub(crate) fn by_direct_key(conn: &Connection, key: &str) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row("SELECT id FROM conversations WHERE direct_key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn update_details(
    conn: &Connection,
    id: i64,
    name: &str,
    description: &str,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE conversations SET name = ?2, description = ?3 WHERE id = ?1",
        params![id, name, description],
    )?;
    Ok(())
}

/// The conversations a user is in, and with `all_groups` every group as well, with their
/// newest message and the user's unread count, most recent activity first.
pub(crate) fn summaries(
    conn: &Connection,
    user_id: i64,
    all_groups: bool,
) -> Result<Vec<Summary>, AppError> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS},
                (SELECT {other} FROM conversation_members om JOIN users o ON o.id = om.user_id
                  WHERE om.conversation_id = c.id AND om.user_id <> ?1
                  ORDER BY om.user_id LIMIT 1),
                m.id, m.conversation_id, m.author_id, {author}, m.content, m.sent_at,
                m.client_sent_at,
                CASE WHEN me.user_id IS NULL THEN NULL ELSE
                  (SELECT count(*) FROM conversation_messages x
                    WHERE x.conversation_id = c.id AND x.id > me.last_read_id
                      AND (x.author_id IS NULL OR x.author_id <> ?1)) END
           FROM conversations c
           LEFT JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ?1
           LEFT JOIN conversation_messages m ON m.id = c.last_message_id
           LEFT JOIN users a ON a.id = m.author_id
          WHERE me.user_id IS NOT NULL OR (?2 AND c.kind = 'group')
          ORDER BY COALESCE(m.sent_at, c.created_at) DESC, COALESCE(m.id, 0) DESC, c.id DESC",
        other = name_sql("o"),
        author = name_sql("a"),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![user_id, all_groups], |r| {
        let last_id: Option<i64> = r.get(7)?;
        let last_message = match last_id {
            Some(_) => Some(message_at(r, 7)?),
            None => None,
        };
        Ok(Summary {
            conversation: conversation_at(r, 0)?,
            other_name: r.get(6)?,
            last_message,
            unread: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- members -----

/// Adds a member unless they are in already; true when added.
pub(crate) fn add_member(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
    role: MemberRole,
    now: i64,
) -> Result<bool, AppError> {
    let added = conn.execute(
        "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, last_read_id)
         VALUES (?1, ?2, ?3, ?4,
                 COALESCE((SELECT last_message_id FROM conversations WHERE id = ?1), 0))
         ON CONFLICT (conversation_id, user_id) DO NOTHING",
        params![conversation_id, user_id, role.as_str(), now],
    )?;
    Ok(added == 1)
}

/// Removes a member; true when they were one.
pub(crate) fn remove_member(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
) -> Result<bool, AppError> {
    let removed = conn.execute(
        "DELETE FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
        params![conversation_id, user_id],
    )?;
    Ok(removed == 1)
}

/// The user's role in the conversation and the newest message they have read; None when they
/// are not a member.
pub(crate) fn membership(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
) -> Result<Option<(MemberRole, i64)>, AppError> {
    Ok(conn
        .query_row(
            "SELECT role, last_read_id FROM conversation_members
              WHERE conversation_id = ?1 AND user_id = ?2",
            params![conversation_id, user_id],
            |r| Ok((parsed::<MemberRole>(r, 0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Everyone in the conversation with their names, owners first, then by name.
pub(crate) fn members(conn: &Connection, conversation_id: i64) -> Result<Vec<Member>, AppError> {
    let sql = format!(
        "SELECT cm.user_id, {name}, cm.role, cm.joined_at, {active}
           FROM conversation_members cm JOIN users u ON u.id = cm.user_id
          WHERE cm.conversation_id = ?1
          ORDER BY cm.role = 'member', {name} COLLATE NOCASE, cm.user_id",
        name = name_sql("u"),
        active = active_member_sql("u"),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([conversation_id], |r| {
        Ok(Member {
            user_id: r.get(0)?,
            name: r.get(1)?,
            role: parsed::<MemberRole>(r, 2)?,
            joined_at: r.get(3)?,
            active: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The members who receive the conversation's events now: those who may use the member area.
pub(crate) fn recipients(conn: &Connection, conversation_id: i64) -> Result<Vec<i64>, AppError> {
    let sql = format!(
        "SELECT cm.user_id FROM conversation_members cm JOIN users u ON u.id = cm.user_id
          WHERE cm.conversation_id = ?1 AND {} ORDER BY cm.user_id",
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([conversation_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which of `ids` belong to people who may use the member area now.
pub(crate) fn active_among(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT u.id FROM users u WHERE u.id IN ({marks}) AND {} ORDER BY u.id",
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(ids.iter()), |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every person who may use the member area, by name: who can be chatted with or added.
pub(crate) fn active_people(conn: &Connection) -> Result<Vec<(i64, String)>, AppError> {
    let sql = format!(
        "SELECT u.id, {name} FROM users u WHERE {active} ORDER BY {name} COLLATE NOCASE, u.id",
        name = name_sql("u"),
        active = active_member_sql("u"),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves the member's read marker up to `message_id`, never back.
pub(crate) fn mark_read(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
    message_id: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE conversation_members SET last_read_id = max(last_read_id, ?3)
          WHERE conversation_id = ?1 AND user_id = ?2",
        params![conversation_id, user_id, message_id],
    )?;
    Ok(())
}

/// Messages by others after the member's read marker.
pub(crate) fn unread_count(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM conversation_messages x
           JOIN conversation_members me
             ON me.conversation_id = x.conversation_id AND me.user_id = ?2
          WHERE x.conversation_id = ?1 AND x.id > me.last_read_id
            AND (x.author_id IS NULL OR x.author_id <> ?2)",
        params![conversation_id, user_id],
        |r| r.get(0),
    )?)
}

pub(crate) fn timezone_of(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    Ok(conn
        .query_row("SELECT timezone FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

// ----- messages -----

fn message_columns() -> String {
    format!(
        "m.id, m.conversation_id, m.author_id, {}, m.content, m.sent_at, m.client_sent_at",
        name_sql("a")
    )
}

const MESSAGE_FROM: &str = "FROM conversation_messages m LEFT JOIN users a ON a.id = m.author_id";

/// Reads the message columns starting at column `at`.
fn message_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(at)?,
        conversation_id: r.get(at + 1)?,
        author_id: r.get(at + 2)?,
        author_name: r.get(at + 3)?,
        content: r.get(at + 4)?,
        sent_at: r.get(at + 5)?,
        client_sent_at: r.get(at + 6)?,
    })
}

/// Stores a message and makes it the conversation's newest.
pub(crate) fn insert_message(
    conn: &Connection,
    conversation_id: i64,
    author_id: i64,
    content: &str,
    sent_at: i64,
    client_sent_at: Option<&str>,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO conversation_messages
             (conversation_id, author_id, content, sent_at, client_sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![conversation_id, author_id, content, sent_at, client_sent_at],
    )?;
    let id = conn.last_insert_rowid();
    conn.execute(
        "UPDATE conversations SET last_message_id = ?2 WHERE id = ?1",
        params![conversation_id, id],
    )?;
    Ok(id)
}

pub(crate) fn get_message(conn: &Connection, id: i64) -> Result<Option<Message>, AppError> {
    let sql = format!("SELECT {} {MESSAGE_FROM} WHERE m.id = ?1", message_columns());
    Ok(conn.query_row(&sql, [id], |r| message_at(r, 0)).optional()?)
}

/// Up to `limit` messages of the conversation older than `before` (or the newest), newest first.
pub(crate) fn page(
    conn: &Connection,
    conversation_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>, AppError> {
    let sql = format!(
        "SELECT {} {MESSAGE_FROM}
          WHERE m.conversation_id = ?1 AND (?2 IS NULL OR m.id < ?2)
          ORDER BY m.id DESC LIMIT ?3",
        message_columns()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![conversation_id, before, limit], |r| message_at(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The newest message id in any conversation the user is in (0 when none): where a live page
/// resumes from, so that it neither misses nor replays anything.
pub(crate) fn newest_message_for(conn: &Connection, user_id: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT COALESCE(max(c.last_message_id), 0) FROM conversations c
           JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

/// Messages with ids above `after_id` in the conversations the user is a member of now, oldest
/// first.
pub(crate) fn messages_after(
    conn: &Connection,
    user_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Message>, AppError> {
    let sql = format!(
        "SELECT {} {MESSAGE_FROM}
           JOIN conversation_members me
             ON me.conversation_id = m.conversation_id AND me.user_id = ?1
          WHERE m.id > ?2
          ORDER BY m.id LIMIT ?3",
        message_columns()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![user_id, after_id, limit], |r| message_at(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
