//! The baselines Clubroom is measured against, built and started by the harness:
//!
//! * `baseline const --port P`: a minimal Rocket 0.5 app answering a constant JSON at
//!   `/health`, the framework's own ceiling on this machine;
//! * `baseline sqlite --port P --db FILE`: the same app doing one indexed SQLite lookup per
//!   request, the storage ceiling. It uses what Clubroom uses (an r2d2 pool, the same PRAGMAs,
//!   one `spawn_blocking` hop per request) so the difference to Clubroom is Clubroom's own work.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::{Parser, Subcommand};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rocket::config::LogLevel;
use rocket::http::Status;
use rocket::serde::json::{json, Json, Value};
use rocket::{get, routes, State};

/// Rows in the lookup table: enough that the lookup goes through the index, not a tiny page.
const ROWS: i64 = 10_000;
/// Same pool size as Clubroom's default `db_pool_size`.
const POOL_SIZE: u32 = 8;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Answer a constant JSON body.
    Const {
        #[arg(long)]
        port: u16,
    },
    /// Answer with one row looked up by an indexed column.
    Sqlite {
        #[arg(long)]
        port: u16,
        /// The database file; created and filled when missing.
        #[arg(long)]
        db: PathBuf,
    },
}

#[get("/health")]
fn constant() -> Json<Value> {
    Json(json!({ "status": "healthy", "database": "connected" }))
}

struct Lookup {
    pool: Pool<SqliteConnectionManager>,
    next: AtomicU64,
}

#[get("/health")]
async fn lookup(state: &State<Lookup>) -> Result<Json<Value>, Status> {
    // Walk through the keys so every request reads a different row.
    let key = format!("member{}", state.next.fetch_add(1, Ordering::Relaxed) % ROWS as u64);
    let pool = state.pool.clone();
    let name = tokio::task::spawn_blocking(move || -> rusqlite::Result<String> {
        let conn = pool.get().map_err(|_| rusqlite::Error::InvalidQuery)?;
        let mut stmt = conn.prepare_cached("SELECT name FROM members WHERE username = ?1")?;
        stmt.query_row([key], |row| row.get(0))
    })
    .await
    .map_err(|_| Status::InternalServerError)?
    .map_err(|_| Status::InternalServerError)?;
    Ok(Json(json!({ "status": "healthy", "name": name })))
}

fn init_connection(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
    )
}

fn open_pool(path: &PathBuf) -> Result<Pool<SqliteConnectionManager>, String> {
    let setup = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    setup
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS members (
                 id INTEGER PRIMARY KEY,
                 username TEXT NOT NULL,
                 name TEXT NOT NULL
             );
             CREATE UNIQUE INDEX IF NOT EXISTS members_username ON members (username);",
        )
        .map_err(|e| e.to_string())?;
    let have: i64 = setup
        .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if have < ROWS {
        setup
            .execute_batch(&format!(
                "WITH RECURSIVE n(i) AS (SELECT {have} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {ROWS})
                 INSERT INTO members (username, name) SELECT 'member' || i, 'Member number ' || i FROM n;"
            ))
            .map_err(|e| e.to_string())?;
    }
    let manager = SqliteConnectionManager::file(path).with_init(init_connection);
    Pool::builder().max_size(POOL_SIZE).build(manager).map_err(|e| e.to_string())
}

fn config(port: u16) -> rocket::Config {
    rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port,
        log_level: LogLevel::Off,
        ident: rocket::config::Ident::none(),
        ..rocket::Config::release_default()
    }
}

#[rocket::main]
async fn main() -> Result<(), String> {
    let cli = Cli::parse();
    let rocket = match cli.mode {
        Mode::Const { port } => rocket::custom(config(port)).mount("/", routes![constant]),
        Mode::Sqlite { port, db } => {
            let pool = open_pool(&db)?;
            rocket::custom(config(port))
                .manage(Lookup { pool, next: AtomicU64::new(0) })
                .mount("/", routes![lookup])
        }
    };
    rocket.launch().await.map(|_| ()).map_err(|e| e.to_string())
}
