//! SQL for notices, copies, replies and the people they go to.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Addressee, Audience, Copy, Person, Recipient, Reply, SentNotice};
use crate::error::AppError;
use crate::members::model::{active_member_sql, name_sql};

fn person(id: Option<i64>, name: Option<String>) -> Option<Person> {
    Some(Person { id: id?, name: name? })
}

// ----- who receives a notice -----

/// Active members, by id.
pub(crate) fn active_members(conn: &Connection) -> Result<Vec<i64>, AppError> {
    let sql = format!("SELECT u.id FROM users u WHERE {} ORDER BY u.id", active_member_sql("u"));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Active members holding `role`, by id.
pub(crate) fn active_members_with_role(
    conn: &Connection,
    role: &str,
) -> Result<Vec<i64>, AppError> {
    let sql = format!(
        "SELECT u.id FROM users u
          WHERE {} AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ?1)
          ORDER BY u.id",
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([role], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which of `ids` are active members.
pub(crate) fn which_are_active(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let ids = serde_json::to_string(ids).map_err(AppError::internal)?;
    let sql = format!(
        "SELECT u.id FROM users u
          WHERE u.id IN (SELECT value FROM json_each(?1)) AND {}
          ORDER BY u.id",
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([ids], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Active admins, by id: who hears about members' replies.
pub(crate) fn active_admins(conn: &Connection) -> Result<Vec<i64>, AppError> {
    active_members_with_role(conn, "admin")
}

pub(crate) fn is_active_member(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND {})",
        active_member_sql("u")
    );
    Ok(conn.query_row(&sql, [user_id], |r| r.get(0))?)
}

/// Active members to choose from on the compose form, by name.
pub(crate) fn member_choices(conn: &Connection) -> Result<Vec<(i64, String, String)>, AppError> {
    let sql = format!(
        "SELECT u.id, {name} AS name, u.username FROM users u WHERE {active}
          ORDER BY name COLLATE NOCASE, u.id",
        name = name_sql("u"),
        active = active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn addressee(conn: &Connection, user_id: i64) -> Result<Option<Addressee>, AppError> {
    let sql =
        format!("SELECT u.email, {}, u.notice_emails FROM users u WHERE u.id = ?1", name_sql("u"));
    Ok(conn
        .query_row(&sql, [user_id], |r| {
            Ok(Addressee {
                email: r.get(0)?,
                name: r.get(1)?,
                notice_emails: r.get::<_, i64>(2)? == 1,
            })
        })
        .optional()?)
}

/// The user's IANA time zone name ('' = UTC).
pub(crate) fn timezone_of(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    Ok(conn
        .query_row("SELECT timezone FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// Whether the user wants an email for new notices.
pub(crate) fn notice_emails(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row("SELECT notice_emails FROM users WHERE id = ?1", [user_id], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
        .is_some_and(|on| on == 1))
}

pub(crate) fn set_notice_emails(conn: &Connection, user_id: i64, on: bool) -> Result<(), AppError> {
    conn.execute("UPDATE users SET notice_emails = ?2 WHERE id = ?1", params![user_id, on as i64])?;
    Ok(())
}

// ----- notices and copies -----

pub(crate) struct NewNotice<'a> {
    pub sender_id: Option<i64>,
    pub subject: &'a str,
    pub body: &'a str,
    pub audience: Audience,
    pub email: bool,
}

pub(crate) fn insert_notice(
    conn: &Connection,
    n: &NewNotice<'_>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO notices (sender_id, subject, body, audience, email, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![n.sender_id, n.subject, n.body, n.audience.stored(), n.email as i64, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn insert_copy(
    conn: &Connection,
    notice_id: i64,
    user_id: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO notice_copies (notice_id, user_id) VALUES (?1, ?2)",
        params![notice_id, user_id],
    )?;
    Ok(conn.last_insert_rowid())
}

fn copy_sql(condition: &str) -> String {
    format!(
        "SELECT c.id, c.notice_id, c.user_id, n.subject, n.body, n.sender_id, {sender},
                n.created_at, c.read_at, c.deleted_at,
                (SELECT count(*) FROM notice_replies r WHERE r.copy_id = c.id)
           FROM notice_copies c
           JOIN notices n ON n.id = c.notice_id
           LEFT JOIN users s ON s.id = n.sender_id
          WHERE {condition}",
        sender = name_sql("s")
    )
}

fn copy_row(r: &Row<'_>) -> rusqlite::Result<Copy> {
    Ok(Copy {
        id: r.get(0)?,
        notice_id: r.get(1)?,
        user_id: r.get(2)?,
        subject: r.get(3)?,
        body: r.get(4)?,
        sender: person(r.get(5)?, r.get(6)?),
        sent_at: r.get(7)?,
        read_at: r.get(8)?,
        deleted_at: r.get(9)?,
        replies: r.get(10)?,
    })
}

/// The user's copy `copy_id`, unless they deleted it. None for anyone else's.
pub(crate) fn own_copy(
    conn: &Connection,
    user_id: i64,
    copy_id: i64,
) -> Result<Option<Copy>, AppError> {
    let sql = copy_sql("c.id = ?1 AND c.user_id = ?2 AND c.deleted_at IS NULL");
    Ok(conn.query_row(&sql, params![copy_id, user_id], copy_row).optional()?)
}

/// The copy of notice `notice_id` sent to `user_id`, deleted or not.
pub(crate) fn copy_of(
    conn: &Connection,
    notice_id: i64,
    user_id: i64,
) -> Result<Option<Copy>, AppError> {
    let sql = copy_sql("c.notice_id = ?1 AND c.user_id = ?2");
    Ok(conn.query_row(&sql, params![notice_id, user_id], copy_row).optional()?)
}

/// The user's copies they have not deleted, newest first.
pub(crate) fn list_own(
    conn: &Connection,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Copy>, AppError> {
    let sql = format!(
        "{} ORDER BY c.id DESC LIMIT ?2 OFFSET ?3",
        copy_sql("c.user_id = ?1 AND c.deleted_at IS NULL")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![user_id, limit, offset], copy_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The user's copies after `after_id` they have not deleted, oldest first.
pub(crate) fn own_after(
    conn: &Connection,
    user_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Copy>, AppError> {
    let sql = format!(
        "{} ORDER BY c.id LIMIT ?3",
        copy_sql("c.user_id = ?1 AND c.id > ?2 AND c.deleted_at IS NULL")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![user_id, after_id, limit], copy_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many copies the user kept, and how many of them are unread.
pub(crate) fn count_own(conn: &Connection, user_id: i64) -> Result<(i64, i64), AppError> {
    Ok(conn.query_row(
        "SELECT count(*), COALESCE(sum(read_at IS NULL), 0) FROM notice_copies
          WHERE user_id = ?1 AND deleted_at IS NULL",
        [user_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Marks the user's kept copy read the first time; true when it is theirs and kept.
pub(crate) fn mark_read(
    conn: &Connection,
    user_id: i64,
    copy_id: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE notice_copies SET read_at = COALESCE(read_at, ?3)
          WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL",
        params![copy_id, user_id, now],
    )?;
    Ok(changed == 1)
}

/// Marks a copy unread (an admin answered in its thread).
pub(crate) fn mark_unread(conn: &Connection, copy_id: i64) -> Result<(), AppError> {
    conn.execute("UPDATE notice_copies SET read_at = NULL WHERE id = ?1", [copy_id])?;
    Ok(())
}

/// Hides the user's copy from them; true when it was theirs and not yet deleted.
pub(crate) fn soft_delete(
    conn: &Connection,
    user_id: i64,
    copy_id: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE notice_copies SET deleted_at = ?3
          WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL",
        params![copy_id, user_id, now],
    )?;
    Ok(changed == 1)
}

// ----- replies -----

pub(crate) struct NewReply<'a> {
    pub copy_id: i64,
    pub author_id: Option<i64>,
    pub from_admin: bool,
    pub body: &'a str,
}

/// Stores a reply. An admin's own reply counts as read by the admins.
pub(crate) fn insert_reply(
    conn: &Connection,
    reply: &NewReply<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let admin_read_at = reply.from_admin.then_some(now);
    conn.execute(
        "INSERT INTO notice_replies (copy_id, author_id, from_admin, body, created_at,
                                     admin_read_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            reply.copy_id,
            reply.author_id,
            reply.from_admin as i64,
            reply.body,
            now,
            admin_read_at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

fn reply_sql(condition: &str) -> String {
    format!(
        "SELECT r.id, r.copy_id, r.author_id, {author}, r.from_admin, r.body, r.created_at,
                r.admin_read_at
           FROM notice_replies r LEFT JOIN users a ON a.id = r.author_id
          WHERE {condition}
          ORDER BY r.id",
        author = name_sql("a")
    )
}

fn reply_row(r: &Row<'_>) -> rusqlite::Result<Reply> {
    Ok(Reply {
        id: r.get(0)?,
        copy_id: r.get(1)?,
        author: person(r.get(2)?, r.get(3)?),
        from_admin: r.get::<_, i64>(4)? == 1,
        body: r.get(5)?,
        created_at: r.get(6)?,
        admin_read_at: r.get(7)?,
    })
}

pub(crate) fn get_reply(conn: &Connection, id: i64) -> Result<Option<Reply>, AppError> {
    Ok(conn.query_row(&reply_sql("r.id = ?1"), [id], reply_row).optional()?)
}

/// The thread under one copy, oldest first.
pub(crate) fn thread(conn: &Connection, copy_id: i64) -> Result<Vec<Reply>, AppError> {
    let mut stmt = conn.prepare(&reply_sql("r.copy_id = ?1"))?;
    let rows = stmt.query_map([copy_id], reply_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every thread of a notice, oldest first.
pub(crate) fn threads_of_notice(conn: &Connection, notice_id: i64) -> Result<Vec<Reply>, AppError> {
    let mut stmt = conn
        .prepare(&reply_sql("r.copy_id IN (SELECT id FROM notice_copies WHERE notice_id = ?1)"))?;
    let rows = stmt.query_map([notice_id], reply_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks members' replies in one copy's thread, or (with `copy_id` None) in every thread of
/// the notice, read by the admins.
pub(crate) fn mark_replies_read(
    conn: &Connection,
    notice_id: i64,
    copy_id: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE notice_replies SET admin_read_at = ?3
          WHERE from_admin = 0 AND admin_read_at IS NULL
            AND copy_id IN (SELECT id FROM notice_copies
                             WHERE notice_id = ?1 AND (?2 IS NULL OR id = ?2))",
        params![notice_id, copy_id, now],
    )?;
    Ok(())
}

/// Members' replies no admin has read yet, over every notice.
pub(crate) fn count_unread_replies(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM notice_replies WHERE from_admin = 0 AND admin_read_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

// ----- the admins' view -----

fn sent_sql(tail: &str) -> String {
    format!(
        "SELECT n.id, n.subject, n.body, n.audience, n.email, n.sender_id, {sender}, n.created_at,
                (SELECT count(*) FROM notice_copies c WHERE c.notice_id = n.id),
                (SELECT count(*) FROM notice_copies c
                  WHERE c.notice_id = n.id AND c.read_at IS NOT NULL),
                (SELECT count(*) FROM notice_copies c
                  WHERE c.notice_id = n.id AND c.deleted_at IS NOT NULL),
                (SELECT count(*) FROM notice_replies r JOIN notice_copies c ON c.id = r.copy_id
                  WHERE c.notice_id = n.id AND r.from_admin = 0),
                (SELECT count(*) FROM notice_replies r JOIN notice_copies c ON c.id = r.copy_id
                  WHERE c.notice_id = n.id AND r.from_admin = 0 AND r.admin_read_at IS NULL)
           FROM notices n LEFT JOIN users s ON s.id = n.sender_id
          {tail}",
        sender = name_sql("s")
    )
}

fn sent_row(r: &Row<'_>) -> rusqlite::Result<SentNotice> {
    let audience: String = r.get(3)?;
    Ok(SentNotice {
        id: r.get(0)?,
        subject: r.get(1)?,
        body: r.get(2)?,
        audience: Audience::from_stored(&audience),
        email: r.get::<_, i64>(4)? == 1,
        sender: person(r.get(5)?, r.get(6)?),
        created_at: r.get(7)?,
        recipients: r.get(8)?,
        read: r.get(9)?,
        deleted: r.get(10)?,
        replies: r.get(11)?,
        unread_replies: r.get(12)?,
    })
}

pub(crate) fn get_sent(conn: &Connection, notice_id: i64) -> Result<Option<SentNotice>, AppError> {
    Ok(conn.query_row(&sent_sql("WHERE n.id = ?1"), [notice_id], sent_row).optional()?)
}

/// Sent notices, newest first.
pub(crate) fn list_sent(
    conn: &Connection,
    limit: i64,
    offset: i64,
) -> Result<Vec<SentNotice>, AppError> {
    let sql = sent_sql("ORDER BY n.created_at DESC, n.id DESC LIMIT ?1 OFFSET ?2");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![limit, offset], sent_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_sent(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row("SELECT count(*) FROM notices", [], |r| r.get(0))?)
}

/// The recipients of a notice, by name.
pub(crate) fn recipients(conn: &Connection, notice_id: i64) -> Result<Vec<Recipient>, AppError> {
    let sql = format!(
        "SELECT c.id, c.user_id, {name} AS name, u.username, c.read_at, c.deleted_at
           FROM notice_copies c JOIN users u ON u.id = c.user_id
          WHERE c.notice_id = ?1
          ORDER BY name COLLATE NOCASE, c.id",
        name = name_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([notice_id], |r| {
        Ok(Recipient {
            copy_id: r.get(0)?,
            user_id: r.get(1)?,
            name: r.get(2)?,
            username: r.get(3)?,
            read_at: r.get(4)?,
            deleted_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
