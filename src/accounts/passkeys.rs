// PLACEHOLDER until the passkeys branch is merged.
use crate::error::AppError;
use rusqlite::Connection;
pub(crate) fn count(_conn: &Connection, _user_id: i64) -> Result<i64, AppError> {
    Ok(0)
}
pub(crate) fn remove_all(_conn: &Connection, _user_id: i64) -> Result<usize, AppError> {
    Ok(0)
}
pub(crate) fn start_second_factor(
    _conn: &Connection,
    _ctx: &crate::ctx::Ctx,
    _user_id: i64,
) -> Result<Option<(serde_json::Value, String)>, AppError> {
    Ok(None)
}
pub(crate) fn finish_second_factor(
    _conn: &Connection,
    _ctx: &crate::ctx::Ctx,
    _user_id: i64,
    _state: &str,
    _credential: &serde_json::Value,
) -> Result<bool, AppError> {
    Ok(false)
}
