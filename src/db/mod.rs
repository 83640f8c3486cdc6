//! The database: an r2d2 pool of SQLite connections, migrations, and the bridge that runs
//! synchronous database work off the async workers.

pub mod backup;
mod effects;

pub(crate) use effects::{Outlets, Tx};

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::AppError;

mod embedded {
    refinery::embed_migrations!("migrations");
}

pub(crate) type Conn = PooledConnection<SqliteConnectionManager>;

/// A cheap-to-clone handle on the connection pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
    changes: AuthChanges,
    outlets: Outlets,
}

/// Tables whose rows decide who a session belongs to and what it may do. SQLite's update hook
/// does not see tables WITHOUT ROWID, so `user_roles` and `settings` are watched through
/// `auth_changes`, which their triggers update (migration V008).
const AUTH_TABLES: [&str; 3] = ["sessions", "users", "auth_changes"];

/// A counter that moves whenever a row of `AUTH_TABLES` changes, on any pooled connection: when
/// the row changes and again once the `Db::call` that changed it has finished (committed or
/// not). Whatever was read from those tables while the counter stood still is still true, which
/// is what lets the session cache skip the database.
#[derive(Clone, Default)]
pub(crate) struct AuthChanges(Arc<AtomicU64>);

impl AuthChanges {
    /// The counter of the database file at `path`, shared by every pool this process opens on
    /// it (so two of them never serve each other's stale answers).
    fn of_file(path: &Path) -> AuthChanges {
        static BY_FILE: std::sync::Mutex<Vec<(std::path::PathBuf, AuthChanges)>> =
            std::sync::Mutex::new(Vec::new());
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut known = BY_FILE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, changes)) = known.iter().find(|(file, _)| *file == key) {
            return changes.clone();
        }
        let changes = AuthChanges::default();
        known.push((key, changes.clone()));
        changes
    }

    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

thread_local! {
    /// Set by the update hook when this thread changed an auth row during the current call.
    static CHANGED_AUTH: Cell<bool> = const { Cell::new(false) };
    /// Set while a change that cannot alter an authentication answer runs (see `quietly`).
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` without its changes counting as auth changes. Only for the session's own
/// `last_seen_at` refresh: it happens every minute of every active session, and the cache
/// treats an old `last_seen_at` as a reason to look again anyway.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    QUIET.with(|q| q.set(true));
    let out = f();
    QUIET.with(|q| q.set(false));
    out
}

/// Reports every row change of `AUTH_TABLES` on `conn` to `changes`, and every row the
/// outbox gains or has changed to the bridge (which wakes the email worker).
fn watch_tables(conn: &Connection, changes: AuthChanges) -> rusqlite::Result<()> {
    use rusqlite::hooks::Action;
    conn.update_hook(Some(move |action: Action, _: &str, table: &str, _: i64| {
        if AUTH_TABLES.contains(&table) && !QUIET.with(Cell::get) {
            changes.bump();
            CHANGED_AUTH.with(|c| c.set(true));
        } else if table == effects::OUTBOX_TABLE && action != Action::SQLITE_DELETE {
            effects::outbox_changed();
        }
    }))
}

/// Statements each connection keeps compiled. The hot paths (sessions, settings, lists) use
/// `prepare_cached`; rusqlite's default of 16 is fewer than the distinct statements a busy
/// server runs, so they would keep pushing each other out.
const STATEMENT_CACHE: usize = 128;

/// Settings every pooled connection gets when it is opened.
///
/// The query planner stability guarantee keeps one plan per statement. Without it SQLite
/// plans a statement with a bound LIMIT or LIKE pattern for the value bound, and so compiles
/// every cached page or search query again at each run. Clubroom's plans never depend on
/// those values (no statistics are gathered; searches match anywhere in a name).
fn init_connection(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;",
    )
}

impl Db {
    /// Opens (creating if needed) the database file, switches it to WAL once, applies pending
    /// migrations and builds the pool.
    pub fn open(path: &Path, pool_size: u32, timeout: Duration) -> Result<Db, AppError> {
        let mut conn = Connection::open(path)?;
        init_connection(&mut conn)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("SQLite refused WAL mode (got {mode}); writes will block readers");
        }
        migrate(&mut conn)?;
        drop(conn);

        let changes = AuthChanges::of_file(path);
        let watcher = changes.clone();
        let manager = SqliteConnectionManager::file(path).with_init(move |conn| {
            init_connection(conn)?;
            watch_tables(conn, watcher.clone())
        });
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(manager)
            .map_err(AppError::internal)?;
        Ok(Db { pool, changes, outlets: Outlets::default() })
    }

    /// This handle, performing committed effects through `outlets` (the server's email worker
    /// and live sockets) instead of nowhere.
    pub(crate) fn with_outlets(mut self, outlets: Outlets) -> Db {
        self.outlets = outlets;
        self
    }

    /// Where committed effects go.
    pub fn outlets(&self) -> &Outlets {
        &self.outlets
    }

    /// The counter of changes to the tables authentication reads.
    pub(crate) fn auth_changes(&self) -> &AuthChanges {
        &self.changes
    }

    /// A pooled connection outside the bridge, for start-up, the command line and tests: what
    /// its writes record on their transaction happens at the next bridge call on this thread,
    /// if any, so a write whose effects matter goes through `call` or `write`.
    pub fn conn(&self) -> Result<Conn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` on a blocking thread with a connection of its own.
    pub async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.call_here(f)).await.map_err(AppError::internal)?
    }

    /// `call` on the current thread, for callers already on a thread that may block. Every
    /// database call of the server passes here: once `f` is done (and so has committed or
    /// rolled back), the effects of what it committed are performed (see `effects`), also when
    /// `f` panicked after a commit.
    pub(crate) fn call_here<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut Connection) -> Result<T, AppError>,
    {
        CHANGED_AUTH.with(|c| c.set(false));
        // Dropped last, after the connection is back in the pool.
        let _after = AfterCall(self);
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }

    /// Runs read-only `f` in one snapshot (a deferred transaction, which never blocks writers
    /// under WAL).
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, AppError> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            f(&tx)
        })
        .await
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed when `f` returns Ok; what `f`
    /// recorded on the transaction happens after the commit.
    ///
    /// IMMEDIATE takes the write lock up front, so `busy_timeout` queues competing writers
    /// instead of failing a read-then-write transaction with SQLITE_BUSY.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T, AppError> + Send + 'static,
    {
        self.call(move |conn| write_tx(conn, f)).await
    }

    /// Answers whether the database can be queried, for the health check.
    pub(crate) async fn ping(&self) -> Result<(), AppError> {
        self.call(|conn| {
            conn.query_row("SELECT count(*) FROM refinery_schema_history", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(())
        })
        .await
    }

    /// The pool itself, for tests that need to starve or inspect it.
    pub fn pool(&self) -> &Pool<SqliteConnectionManager> {
        &self.pool
    }
}

/// What ends every bridge call, however it ends (a panic included): the auth counter moves
/// once more when auth rows changed, and what the call committed happens.
struct AfterCall<'a>(&'a Db);

impl Drop for AfterCall<'_> {
    fn drop(&mut self) {
        // Once more after the commit: a read that began before it and ended after it must
        // not be taken for current.
        if CHANGED_AUTH.with(|c| c.replace(false)) {
            self.0.changes.bump();
        }
        self.0.outlets.perform_committed();
    }
}

/// Runs `f` in an IMMEDIATE transaction on a connection the caller already holds; what it
/// records happens once the bridge call it runs in ends (see `Db::conn` for a connection held
/// outside one).
pub fn write_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Tx) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let tx = Tx::new(conn.transaction_with_behavior(TransactionBehavior::Immediate)?);
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Applies every embedded migration not yet applied; returns how many ran.
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize, AppError> {
    let report = embedded::migrations::runner().run(conn).map_err(AppError::internal)?;
    Ok(report.applied_migrations().len())
}

/// The newest schema version this build knows (a restore refuses a database from a newer one).
pub(crate) fn newest_migration() -> i64 {
    let runner = embedded::migrations::runner();
    runner.get_migrations().iter().map(|m| i64::from(m.version())).max().unwrap_or(0)
}

/// If `err` is a UNIQUE violation, the `table.column` it names.
pub(crate) fn unique_violation(err: &rusqlite::Error) -> Option<String> {
    match err {
        rusqlite::Error::SqliteFailure(e, Some(msg))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            msg.strip_prefix("UNIQUE constraint failed: ")
                .map(|cols| cols.split(',').next().unwrap_or("").trim().to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2, Duration::from_secs(5)).unwrap();
        (dir, db)
    }

    const NOW: i64 = 1_700_000_000;

    #[tokio::test]
    async fn auth_tables_move_the_counter_during_and_after_the_write() {
        let (_dir, db) = open();
        let before = db.auth_changes().current();
        let seen_inside = db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO users (username, email, created_at, updated_at)
                     VALUES ('ann', 'ann@example.org', ?1, ?1)",
                    [NOW],
                )?;
                Ok(())
            })
            .await;
        assert!(seen_inside.is_ok());
        // Once for the row, once after the call.
        assert_eq!(db.auth_changes().current(), before + 2);

        let changes = db.auth_changes().clone();
        db.write(move |tx| {
            let at = changes.current();
            tx.execute("UPDATE users SET display_name = 'Ann' WHERE username = 'ann'", [])?;
            assert!(changes.current() > at, "the row change counts before the commit");
            Ok(())
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn other_tables_and_session_refreshes_do_not_count() {
        let (_dir, db) = open();
        db.write(|tx| {
            tx.execute(
                "INSERT INTO users (username, email, created_at, updated_at)
                 VALUES ('ann', 'ann@example.org', ?1, ?1)",
                [NOW],
            )?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
                 VALUES (x'01', 1, ?1, ?1, ?1 + 3600)",
                [NOW],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        let before = db.auth_changes().current();
        db.write(|tx| {
            tx.execute(
                "INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format,
                                         created_at, updated_at)
                 VALUES (1, ?1, 30, 1, 'solo', ?1, ?1)",
                [NOW],
            )?;
            quietly(|| tx.execute("UPDATE sessions SET last_seen_at = ?1 + 60", [NOW]))?;
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(db.auth_changes().current(), before);
        db.write(|tx| Ok(tx.execute("DELETE FROM sessions WHERE user_id = 1", [])?)).await.unwrap();
        assert!(db.auth_changes().current() > before, "ending a session counts");
        for sql in [
            "INSERT INTO user_roles (user_id, role) VALUES (1, 'coach')",
            "DELETE FROM user_roles WHERE role = 'coach'",
            "INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)",
            "UPDATE settings SET value = 'w' WHERE key = 'k'",
        ] {
            let before = db.auth_changes().current();
            db.write(move |tx| Ok(tx.execute(sql, [])?)).await.unwrap();
            assert!(db.auth_changes().current() > before, "{sql}");
        }
    }
}

#[cfg(test)]
mod statement_reuse {
    use super::*;
    use rusqlite::{params, StatementStatus};

    /// How often the cached `sql` was compiled again while it ran with each of `binds`.
    fn recompiles(conn: &Connection, sql: &str, binds: &[(Option<&str>, i64, i64)]) -> i32 {
        for (q, limit, offset) in binds {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let rows = stmt.query_map(params![q, limit, offset], |r| r.get::<_, i64>(0)).unwrap();
            assert!(rows.count() <= *limit as usize);
        }
        conn.prepare_cached(sql).unwrap().get_status(StatementStatus::RePrepare)
    }

    #[test]
    fn cached_pages_and_searches_run_without_being_compiled_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 1, Duration::from_secs(5)).unwrap();
        let conn = db.conn().unwrap();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
             INSERT INTO users (username, email, created_at, updated_at)
             SELECT 'u' || i, 'u' || i || '@example.org', i, i FROM n;",
        )
        .unwrap();
        // A bound LIMIT and a bound LIKE pattern each let SQLite plan for the value bound,
        // and so compile the statement again at every run, unless the plan is kept stable.
        let page = "SELECT id FROM users WHERE ?1 IS NULL OR username LIKE ?1
                    ORDER BY created_at DESC LIMIT ?2 OFFSET ?3";
        let binds = [(None, 10, 0), (Some("%1%"), 10, 0), (Some("%2%"), 5, 5), (None, 10, 10)];
        assert_eq!(recompiles(&conn, page, &binds), 0);
    }
}

#[cfg(test)]
mod build_options {
    use rusqlite::Connection;

    fn used(conn: &Connection, option: &str) -> bool {
        conn.query_row("SELECT sqlite_compileoption_used(?1)", [option], |r| r.get(0)).unwrap()
    }

    /// `.cargo/config.toml` builds SQLite without the global locks pooled readers would queue
    /// on: one page cache shared by every connection, and the count of SQLite's memory.
    #[test]
    fn sqlite_is_built_without_its_global_locks() {
        let conn = Connection::open_in_memory().unwrap();
        assert!(!used(&conn, "ENABLE_MEMORY_MANAGEMENT"), "one page cache for all connections");
        assert!(used(&conn, "DEFAULT_MEMSTATUS=0"), "SQLite counts its memory under a lock");
        assert!(used(&conn, "THREADSAFE=1"));
    }
}
