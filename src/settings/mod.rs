//! Club-wide settings stored in the database, with an in-memory copy for the hot path (every
//! page shows the club name).

use std::sync::RwLock;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::AppError;

pub const CLUB_NAME: &str = "club_name";
pub const DEFAULT_CLUB_NAME: &str = "Clubroom";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, now],
    )?;
    Ok(())
}

/// The settings every page needs, kept in memory and refreshed after a change is committed.
pub struct SiteInfo {
    club_name: RwLock<String>,
}

impl SiteInfo {
    pub fn load(conn: &Connection) -> Result<SiteInfo, AppError> {
        let name = get(conn, CLUB_NAME)?.unwrap_or_else(|| DEFAULT_CLUB_NAME.to_string());
        Ok(SiteInfo { club_name: RwLock::new(name) })
    }

    pub fn club_name(&self) -> String {
        self.club_name.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_club_name(&self, name: &str) {
        *self.club_name.write().unwrap_or_else(|e| e.into_inner()) = name.to_string();
    }
}
