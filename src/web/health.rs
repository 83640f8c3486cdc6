//! `GET /health`: whether the database answers, the scheduler runs, how mail is sent, and how
//! old the newest backup is.
//!
//! Monitors and load balancers call this often, so the answer must cost little more than a
//! constant: a database ping that succeeded within the last `DATABASE_FRESH` is reused
//! instead of taking a blocking thread and a pooled connection per call, and the newest
//! backup's time is remembered between calls (`backups::newest`: Clubroom's own backups show
//! at once, files changed by hand within `backups::newest::RECHECK`). A failed ping is never
//! reused, so recovery shows on the next call. The age itself is always taken against the
//! clock at the time of the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::Serialize;

use crate::clock::rfc3339;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;

/// How long a successful database ping stands for the database being up. A database that
/// stops answering makes `/health` unhealthy at most this long (plus the pool's
/// `db_timeout_secs`, which the ping itself waits for a connection) after it stopped.
pub const DATABASE_FRESH: Duration = Duration::from_secs(1);

#[derive(Serialize)]
pub(crate) struct Health {
    pub status: &'static str,
    pub timestamp: String,
    pub database: &'static str,
    pub scheduler: &'static str,
    pub mail: &'static str,
    /// Seconds since the newest backup in `data_dir/backups`; null when there is none.
    pub last_backup_age_secs: Option<i64>,
    /// The components that are failing, when any are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<&'static str>,
}

/// What `/health` looks at, gathered at start-up so that a call needs a single guard.
pub(crate) struct HealthSources {
    pub db: Db,
    pub ctx: Ctx,
    pub scheduler: Arc<Scheduler>,
    pub transport: Arc<Transport>,
    pub probe: DatabaseProbe,
}

/// The last database ping, shared by every `/health` call.
#[derive(Default)]
pub(crate) struct DatabaseProbe {
    last: std::sync::Mutex<Option<Ping>>,
    /// One ping at a time: calls that arrive meanwhile wait for its answer instead of each
    /// queueing a ping of their own on the pool.
    running: tokio::sync::Mutex<()>,
}

#[derive(Clone, Copy)]
struct Ping {
    started: Instant,
    ok: bool,
}

impl DatabaseProbe {
    /// Whether the database answers, as of no earlier than `DATABASE_FRESH` before this call.
    pub(crate) async fn answers(&self, db: &Db) -> bool {
        let asked = Instant::now();
        if let Some(ok) = self.reusable(asked) {
            return ok;
        }
        let _turn = self.running.lock().await;
        if let Some(ok) = self.reusable(asked) {
            return ok;
        }
        let started = Instant::now();
        let ok = match db.ping().await {
            Ok(()) => true,
            Err(err) => {
                log::error!("health: database check failed: {err}");
                false
            }
        };
        *self.lock() = Some(Ping { started, ok });
        ok
    }

    /// The last ping's answer when it can stand for a call made at `asked`: a success that is
    /// still fresh, or any answer to a ping that started after the call arrived.
    fn reusable(&self, asked: Instant) -> Option<bool> {
        let last = (*self.lock())?;
        let fresh = last.ok && last.started.elapsed() < DATABASE_FRESH;
        (fresh || last.started >= asked).then_some(last.ok)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Ping>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Seconds since the newest backup. Usually answered from memory; the folder is listed, on a
/// blocking thread, only when it changed since it was last listed.
async fn last_backup_age(ctx: &Ctx) -> Result<Option<i64>, AppError> {
    let newest = match ctx.newest_backup.remembered()? {
        Some(newest) => newest,
        None => {
            let remembered = ctx.newest_backup.clone();
            tokio::task::spawn_blocking(move || remembered.list())
                .await
                .map_err(AppError::internal)??
        }
    };
    Ok(newest.map(|at| crate::backups::service::age_of(ctx, at)))
}

#[get("/health")]
async fn health(sources: &State<HealthSources>) -> (Status, Json<Health>) {
    let HealthSources { db, ctx, scheduler, transport, probe } = sources.inner();
    let mut failing = Vec::new();
    let database = if probe.answers(db).await {
        "connected"
    } else {
        failing.push("database");
        "unavailable"
    };
    let scheduler = if scheduler.is_running() {
        "running"
    } else {
        failing.push("scheduler");
        "stopped"
    };
    let last_backup_age_secs = last_backup_age(ctx)
        .await
        .inspect_err(|e| log::error!("health: backups: {e}"))
        .ok()
        .flatten();
    let status = if failing.is_empty() { Status::Ok } else { Status::ServiceUnavailable };
    let body = Health {
        status: if failing.is_empty() { "healthy" } else { "unhealthy" },
        timestamp: rfc3339(ctx.now()),
        database,
        scheduler,
        mail: transport.mode(),
        last_backup_age_secs,
        failing,
    };
    (status, Json(body))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![health]
}
