//! A member's personal secret link: the address of their shared card, or of their calendar
//! feed. Whoever holds it sees what it shows, without signing in, until the member revokes it.
//!
//! Each member has at most one of each kind. The token is random; the database keeps only a
//! hash of it keyed with the server's secret (a copy of the database cannot be turned back into
//! working links) and a sealed copy, so the member can be shown their link again. A link whose
//! sealed copy no longer opens (the secret key was replaced, so its hash matches no presented
//! token either) counts as no link at all, and making one replaces it.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::crypto::{keyed_hash, random_token};
use crate::email::seal::Sealer;
use crate::error::AppError;

/// The kinds of personal link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PersonalLink {
    /// `/cards/<token>`: the member's card. Its tokens are UUIDs, as the published API says.
    CardShare,
    /// `/calendar/<token>.ics`: the member's confirmed bookings as iCalendar.
    CalendarFeed,
}

/// A member's link as stored: when it was made and last opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkRecord {
    pub token: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl PersonalLink {
    fn table(self) -> &'static str {
        match self {
            PersonalLink::CardShare => "card_shares",
            PersonalLink::CalendarFeed => "calendar_feeds",
        }
    }

    /// What the hash and the seal are bound to, so a token of one kind opens nothing of another.
    fn purpose(self) -> &'static str {
        match self {
            PersonalLink::CardShare => "card share",
            PersonalLink::CalendarFeed => "calendar feed",
        }
    }

    fn new_token(self) -> String {
        match self {
            PersonalLink::CardShare => Uuid::new_v4().hyphenated().to_string(),
            PersonalLink::CalendarFeed => random_token(),
        }
    }

    fn key(self, secret: &[u8], token: &str) -> Vec<u8> {
        keyed_hash(secret, &[self.purpose().as_bytes(), token.as_bytes()])
    }

    /// A token as a link carries it, in the form it was issued in: a card token is a UUID (any
    /// case); anything else is a 400 `malformed_token`, so a mistyped link is told apart from a
    /// revoked one. Feed tokens are taken as they come.
    pub(crate) fn read_token(self, presented: &str) -> Result<String, AppError> {
        match self {
            PersonalLink::CardShare => Uuid::try_parse(presented.trim())
                .map(|uuid| uuid.hyphenated().to_string())
                .map_err(|_| {
                    AppError::bad_request(
                        "This card link is malformed: check that it was copied whole.",
                    )
                    .with_code("malformed_token")
                }),
            PersonalLink::CalendarFeed => Ok(presented.to_string()),
        }
    }

    /// The member's link of this kind, if they have one that still opens.
    pub(crate) fn current(
        self,
        conn: &Connection,
        secret: &[u8],
        user_id: i64,
    ) -> Result<Option<LinkRecord>, AppError> {
        let sql = format!(
            "SELECT token_sealed, created_at, {} FROM {} WHERE user_id = ?1",
            self.last_used_column(),
            self.table()
        );
        let stored = conn
            .prepare_cached(&sql)?
            .query_row([user_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?))
            })
            .optional()?;
        let Some((sealed, created_at, last_used_at)) = stored else { return Ok(None) };
        let opened = Sealer::for_purpose(secret, self.purpose()).open(&sealed).ok();
        Ok(opened.map(|token| LinkRecord { token, created_at, last_used_at }))
    }

    /// The member's link, made now when they have none that still opens. The bool says whether
    /// it was made now.
    pub(crate) fn ensure(
        self,
        conn: &Connection,
        secret: &[u8],
        user_id: i64,
        now: i64,
    ) -> Result<(LinkRecord, bool), AppError> {
        if let Some(link) = self.current(conn, secret, user_id)? {
            return Ok((link, false));
        }
        let token = self.new_token();
        let sealed = Sealer::for_purpose(secret, self.purpose()).seal(&token);
        // A link left unreadable by a replaced secret key makes way for the new one.
        self.revoke(conn, user_id)?;
        conn.execute(
            &format!(
                "INSERT INTO {} (user_id, token_hash, token_sealed, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                self.table()
            ),
            params![user_id, self.key(secret, &token), sealed, now],
        )?;
        Ok((LinkRecord { token, created_at: now, last_used_at: None }, true))
    }

    /// Ends the member's link: it opens nothing from now on. True when there was one.
    pub(crate) fn revoke(self, conn: &Connection, user_id: i64) -> Result<bool, AppError> {
        let sql = format!("DELETE FROM {} WHERE user_id = ?1", self.table());
        Ok(conn.execute(&sql, [user_id])? == 1)
    }

    /// The member a presented token (as `read_token` gave it) belongs to.
    pub(crate) fn owner(
        self,
        conn: &Connection,
        secret: &[u8],
        token: &str,
    ) -> Result<Option<i64>, AppError> {
        let sql = format!("SELECT user_id FROM {} WHERE token_hash = ?1", self.table());
        Ok(conn
            .prepare_cached(&sql)?
            .query_row([self.key(secret, token)], |r| r.get(0))
            .optional()?)
    }

    /// Records that the member's link was opened (the calendar feed shows when it was last read).
    pub(crate) fn touch(self, conn: &Connection, user_id: i64, now: i64) -> Result<(), AppError> {
        if self == PersonalLink::CalendarFeed {
            conn.execute(
                "UPDATE calendar_feeds SET last_used_at = ?2 WHERE user_id = ?1",
                params![user_id, now],
            )?;
        }
        Ok(())
    }

    /// Card shares do not record their use.
    fn last_used_column(self) -> &'static str {
        match self {
            PersonalLink::CardShare => "NULL",
            PersonalLink::CalendarFeed => "last_used_at",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::Db;

    const SECRET: &[u8] = b"the server's secret key, 32 bytes";

    fn member(conn: &Connection) -> i64 {
        conn.execute(
            "INSERT INTO users (username, email, created_at, updated_at)
             VALUES ('ann', 'ann@example.org', 0, 0)",
            [],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    #[test]
    fn a_link_is_made_once_found_by_its_token_and_ends_when_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 1, Duration::from_secs(5)).unwrap();
        let conn = db.conn().unwrap();
        let ann = member(&conn);
        for kind in [PersonalLink::CardShare, PersonalLink::CalendarFeed] {
            assert_eq!(kind.current(&conn, SECRET, ann).unwrap(), None);
            let (link, made) = kind.ensure(&conn, SECRET, ann, 100).unwrap();
            assert!(made);
            assert_eq!(kind.ensure(&conn, SECRET, ann, 200).unwrap(), (link.clone(), false));
            let token = kind.read_token(&link.token).unwrap();
            assert_eq!(kind.owner(&conn, SECRET, &token).unwrap(), Some(ann));
            let other = [PersonalLink::CardShare, PersonalLink::CalendarFeed]
                .into_iter()
                .find(|k| *k != kind)
                .unwrap();
            assert_eq!(other.owner(&conn, SECRET, &token).unwrap(), None, "kinds are apart");
            assert!(kind.revoke(&conn, ann).unwrap());
            assert_eq!(kind.owner(&conn, SECRET, &token).unwrap(), None);
            assert!(!kind.revoke(&conn, ann).unwrap());
        }
    }

    #[test]
    fn a_link_sealed_under_another_secret_counts_as_none_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 1, Duration::from_secs(5)).unwrap();
        let conn = db.conn().unwrap();
        let ann = member(&conn);
        for kind in [PersonalLink::CardShare, PersonalLink::CalendarFeed] {
            let (old, _) = kind.ensure(&conn, b"the old secret key", ann, 100).unwrap();
            assert_eq!(kind.current(&conn, SECRET, ann).unwrap(), None);
            assert_eq!(kind.owner(&conn, SECRET, &old.token).unwrap(), None);
            let (new, made) = kind.ensure(&conn, SECRET, ann, 200).unwrap();
            assert!(made && new.token != old.token);
            assert_eq!(kind.owner(&conn, SECRET, &new.token).unwrap(), Some(ann));
        }
    }

    #[test]
    fn card_tokens_must_be_uuids_and_are_read_in_canonical_form() {
        let card = PersonalLink::CardShare;
        let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(card.read_token(uuid).unwrap(), uuid);
        assert_eq!(card.read_token(&uuid.to_uppercase()).unwrap(), uuid);
        for bad in ["", "abc", "0f8fad5b-d9cb-469f-a165-70867728950", "<script>", "../../etc"] {
            let err = card.read_token(bad).unwrap_err();
            assert_eq!((err.status(), err.code()), (400, "malformed_token"), "{bad}");
        }
    }
}
