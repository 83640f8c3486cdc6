//! The database: an r2d2 pool of SQLite connections, migrations, and the bridge that runs
//! synchronous database work off the async workers.

pub mod backup;

use std::path::Path;
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::AppError;

mod embedded {
    refinery::embed_migrations!("migrations");
}

pub type Conn = PooledConnection<SqliteConnectionManager>;

/// A cheap-to-clone handle on the connection pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
}

/// Statements each connection keeps compiled. The hot paths (sessions, settings, lists) use
/// `prepare_cached`; rusqlite's default of 16 is fewer than the distinct statements a busy
/// server runs, so they would keep pushing each other out.
const STATEMENT_CACHE: usize = 128;

/// Settings every pooled connection gets when it is opened.
fn init_connection(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
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

        let manager = SqliteConnectionManager::file(path).with_init(init_connection);
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(manager)
            .map_err(AppError::internal)?;
        Ok(Db { pool })
    }

    /// A pooled connection for synchronous callers (command line, background jobs already on
    /// a blocking thread).
    pub fn conn(&self) -> Result<Conn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` on a blocking thread with a connection of its own.
    pub async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
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

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed when `f` returns Ok.
    ///
    /// IMMEDIATE takes the write lock up front, so `busy_timeout` queues competing writers
    /// instead of failing a read-then-write transaction with SQLITE_BUSY.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, AppError> + Send + 'static,
    {
        self.call(move |conn| write_tx(conn, f)).await
    }

    /// Answers whether the database can be queried, for the health check.
    pub async fn ping(&self) -> Result<(), AppError> {
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

/// Runs `f` in an IMMEDIATE transaction on a connection the caller already holds.
pub fn write_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Applies every embedded migration not yet applied; returns how many ran.
pub fn migrate(conn: &mut Connection) -> Result<usize, AppError> {
    let report = embedded::migrations::runner().run(conn).map_err(AppError::internal)?;
    Ok(report.applied_migrations().len())
}

/// The newest schema version this build knows (a restore refuses a database from a newer one).
pub fn newest_migration() -> i64 {
    let runner = embedded::migrations::runner();
    runner.get_migrations().iter().map(|m| i64::from(m.version())).max().unwrap_or(0)
}

/// If `err` is a UNIQUE violation, the `table.column` it names.
pub fn unique_violation(err: &rusqlite::Error) -> Option<String> {
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
