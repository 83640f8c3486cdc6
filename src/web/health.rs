//! `GET /health`: whether the database answers, the scheduler runs, how mail is sent, and how
//! old the newest backup is.

use std::sync::Arc;

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::Serialize;

use crate::clock::rfc3339;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::email::Transport;
use crate::jobs::Scheduler;

#[derive(Serialize)]
pub struct Health {
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

#[get("/health")]
async fn health(
    db: &State<Db>,
    ctx: &State<Ctx>,
    scheduler: &State<Arc<Scheduler>>,
    transport: &State<Arc<Transport>>,
) -> (Status, Json<Health>) {
    let mut failing = Vec::new();
    let database = match db.ping().await {
        Ok(()) => "connected",
        Err(err) => {
            log::error!("health: database check failed: {err}");
            failing.push("database");
            "unavailable"
        }
    };
    let scheduler = if scheduler.is_running() {
        "running"
    } else {
        failing.push("scheduler");
        "stopped"
    };
    let backup_ctx = ctx.inner().clone();
    let last_backup_age_secs =
        tokio::task::spawn_blocking(move || crate::backups::service::last_backup_age(&backup_ctx))
            .await
            .ok()
            .and_then(|age| age.inspect_err(|e| log::error!("health: backups: {e}")).ok())
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

pub fn routes() -> Vec<Route> {
    routes![health]
}
