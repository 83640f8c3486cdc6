//! Clubroom: a self-hosted members portal for small clubs, as one binary with one SQLite file.
//!
//! `rocket(config)` builds the whole application; `main.rs` and the tests both start here.

pub mod accounts;
pub mod activities;
pub mod admin;
pub mod apidoc;
pub mod audit;
pub mod backups;
pub mod bookings;
pub mod cards;
pub mod chat;
pub mod clock;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod csv_file;
pub mod ctx;
pub mod datadir;
pub mod db;
pub mod email;
pub mod embedded;
pub mod error;
pub mod gifts;
pub mod invites;
pub mod jobs;
pub mod members;
pub mod notices;
pub mod paging;
pub mod people;
pub mod personal_link;
pub mod ratelimit;
pub mod realtime;
pub mod settings;
pub mod values;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Orbit, Rocket};
use rocket_dyn_templates::Template;

use crate::clock::{Clock, SystemClock};
use crate::config::AppConfig;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::settings::SiteInfo;
use crate::web::SecureCookies;
use crate::web::SetupLink;

/// What the embedding program (the binary, or a test) decides beyond the configuration.
pub struct Runtime {
    pub clock: Arc<dyn Clock>,
    /// Overrides the transport the configuration would pick (tests use memory).
    pub transport: Option<Transport>,
    /// Print the setup link at launch (the server does; tests read it from state instead).
    pub print_setup_link: bool,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime { clock: Arc::new(SystemClock), transport: None, print_setup_link: true }
    }
}

/// The application with its production runtime.
pub fn rocket(config: AppConfig) -> Rocket<Build> {
    rocket_with(config, Runtime::default())
}

/// Rocket's own settings, taken from our configuration only (no ROCKET_* variables).
fn rocket_figment(config: &AppConfig) -> Figment {
    let mut figment = Figment::from(rocket::Config::default())
        .merge(("address", config.address))
        .merge(("port", config.port))
        .merge(("log_level", config.log_level.as_str()))
        .merge(("ident", false))
        .merge(("ip_header", ip_header(config)))
        .merge(("template_dir", config.data_dir.join("templates")))
        .merge(("limits.form", 64 * 1024))
        .merge(("limits.json", 1024 * 1024));
    if config.workers > 0 {
        figment = figment.merge(("workers", config.workers));
    }
    figment
}

/// Rocket trusts `X-Real-IP` unless told otherwise; we trust no header unless configured.
fn ip_header(config: &AppConfig) -> rocket::figment::value::Value {
    if config.ip_header.is_empty() {
        false.into()
    } else {
        config.ip_header.clone().into()
    }
}

pub fn rocket_with(config: AppConfig, runtime: Runtime) -> Rocket<Build> {
    let figment = rocket_figment(&config);
    let hsts = config.is_https();
    let config = Arc::new(config);
    let runtime = std::sync::Mutex::new(Some(runtime));

    rocket::custom(figment)
        .attach(AdHoc::try_on_ignite("Clubroom start-up", move |rocket| async move {
            let runtime = runtime.lock().ok().and_then(|mut r| r.take()).unwrap_or_default();
            match start_up(config, runtime) {
                Ok(parts) => Ok(parts.manage(rocket)),
                Err(err) => {
                    eprintln!("Clubroom could not start: {}", err.describe());
                    Err(rocket)
                }
            }
        }))
        .attach(Template::try_custom(|engines| {
            let templates = embedded::templates(|name| !name.starts_with("email/"));
            engines.tera.add_raw_templates(templates)?;
            Ok(())
        }))
        // Our own fairing sets every security header; Rocket's default Shield would duplicate
        // some of them with weaker values.
        .attach(rocket::shield::Shield::new())
        .attach(web::headers::SecurityHeaders::new(hsts))
        .attach(web::logging::RequestLog)
        .attach(AdHoc::on_liftoff("Clubroom background jobs", |rocket| {
            Box::pin(async move { lift_off(rocket) })
        }))
        .attach(AdHoc::on_shutdown("Clubroom shutdown", |rocket| {
            Box::pin(async move {
                if let Some(scheduler) = rocket.state::<Arc<Scheduler>>() {
                    scheduler.shutdown().await;
                }
            })
        }))
        .register("/", web::errors::catchers())
        .mount("/", web::site::routes())
        .mount("/", web::health::routes())
        .mount("/", web::assets::routes())
        .mount("/", accounts::pages::routes())
        .mount("/", accounts::factors::pages::routes())
        .mount("/", accounts::passkeys::pages::routes())
        .mount("/", members::pages::routes())
        .mount("/", people::pages::routes())
        .mount("/", admin::pages::routes())
        .mount("/", admin::outbox::pages::routes())
        .mount("/", admin::audit::pages::routes())
        .mount("/", invites::pages::routes())
        .mount("/", activities::pages::routes())
        .mount("/", bookings::pages::routes())
        .mount("/", cards::pages::routes())
        .mount("/", notices::pages::routes())
        .mount("/", chat::pages::routes())
        .mount("/", gifts::pages::routes())
        .mount("/", gifts::prefs::page_routes())
        .mount("/", backups::pages::routes())
        .mount("/api/v1", accounts::api::routes())
        .mount("/api/v1", accounts::factors::api::routes())
        .mount("/api/v1", accounts::passkeys::api::routes())
        .mount("/api/v1", invites::api::routes())
        .mount("/api/v1", admin::api::routes())
        .mount("/api/v1", admin::outbox::api::routes())
        .mount("/api/v1", admin::audit::api::routes())
        .mount("/api/v1", members::api::routes())
        .mount("/api/v1", people::api::routes())
        .mount("/api/v1", activities::api::routes())
        .mount("/api/v1", bookings::api::routes())
        .mount("/api/v1", cards::api::routes())
        .mount("/api/v1", notices::api::routes())
        .mount("/api/v1", chat::api::routes())
        .mount("/api/v1", gifts::api::routes())
        .mount("/api/v1", gifts::prefs::api_routes())
        .mount("/api/v1", realtime::api::routes())
        .mount("/api/v1", backups::api::routes())
        .mount("/api", apidoc::routes())
}

/// Everything built at start-up, before the first request.
struct Parts {
    db: Db,
    ctx: Ctx,
    transport: Arc<Transport>,
    scheduler: Arc<Scheduler>,
    setup: SetupLink,
    print_setup_link: bool,
}

impl Parts {
    fn manage(self, rocket: Rocket<Build>) -> Rocket<Build> {
        let secure = self.ctx.config.is_https();
        let health = web::health::HealthSources {
            db: self.db.clone(),
            ctx: self.ctx.clone(),
            scheduler: self.scheduler.clone(),
            transport: self.transport.clone(),
            probe: web::health::DatabaseProbe::default(),
        };
        let site = self.db.outlets().site().clone();
        rocket
            .manage(health)
            .manage(self.db)
            .manage(self.ctx)
            .manage(self.transport)
            .manage(self.scheduler)
            .manage(web::Background::default())
            .manage(site)
            .manage(SecureCookies(secure))
            .manage(self.setup)
            .manage(PrintSetupLink(self.print_setup_link))
    }
}

struct PrintSetupLink(bool);

/// Creates the data directory, key and database (migrated), builds the services and registers
/// the background jobs. Issues a setup link while no admin exists.
fn start_up(config: Arc<AppConfig>, runtime: Runtime) -> Result<Parts, AppError> {
    datadir::prepare(&config)?;
    let secret = datadir::secret_key(&config)?;
    let db = Db::open(
        &config.database_path(),
        config.db_pool_size,
        Duration::from_secs(config.db_timeout_secs),
    )?;
    let transport = match runtime.transport {
        Some(t) => t,
        None => Transport::from_config(&config).map_err(AppError::internal)?,
    };
    let transport = Arc::new(transport);
    let ctx = Ctx::new(config.clone(), runtime.clock.clone(), secret)?;
    let mut conn = db.conn()?;
    let site = SiteInfo::load(&conn, &config)?;
    let setup_token = accounts::service::issue_setup_token(&mut conn, &ctx)?;
    drop(conn);
    let db = db.with_outlets(db::Outlets::new(Arc::default(), realtime::Hub::default(), site));
    let setup = SetupLink(std::sync::Mutex::new(
        setup_token.map(|token| ctx.url(&format!("/setup/{token}"))),
    ));
    let scheduler = Arc::new(Scheduler::new(runtime.clock.clone()));
    register_jobs(&scheduler, &db, &ctx, &transport);
    Ok(Parts { db, ctx, transport, scheduler, setup, print_setup_link: runtime.print_setup_link })
}

/// The periodic work: sending email (also woken by every commit that queues some), purging
/// expired sessions, tokens and passkey ceremonies and old audit entries, pruning rate-limit
/// state.
fn register_jobs(scheduler: &Scheduler, db: &Db, ctx: &Ctx, transport: &Arc<Transport>) {
    let (db1, transport, ctx1) = (db.clone(), transport.clone(), ctx.clone());
    let wake = db.outlets().mail().clone();
    scheduler.register_woken_by("email_outbox", Duration::from_secs(10), wake, move || {
        let (db, transport, ctx) = (db1.clone(), transport.clone(), ctx1.clone());
        async move { email::deliver_due(&db, transport, ctx).await.map(|_| ()) }
    });
    let (db2, ctx2) = (db.clone(), ctx.clone());
    scheduler.register("purge_expired", Duration::from_secs(3600), move || {
        let (db, ctx) = (db2.clone(), ctx2.clone());
        async move {
            db.call(move |conn| {
                accounts::sessions::purge_expired(conn, &ctx)?;
                accounts::passkeys::purge_expired(conn, ctx.now_unix())
            })
            .await
            .map(|_| ())
        }
    });
    // Reminders and the purge of finished exchanges. The scheduler runs every job once at
    // start-up, so a server that was down catches up at once.
    let (db3, ctx3) = (db.clone(), ctx.clone());
    scheduler.register("gift_schedule", Duration::from_secs(15 * 60), move || {
        let (db, ctx) = (db3.clone(), ctx3.clone());
        async move { db.call(move |conn| gifts::schedule::run(conn, &ctx)).await.map(|_| ()) }
    });
    // Audit entries older than the retention period an admin set (a year by default).
    let (db4, ctx4) = (db.clone(), ctx.clone());
    scheduler.register("audit_retention", Duration::from_secs(24 * 3600), move || {
        let (db, ctx) = (db4.clone(), ctx4.clone());
        async move {
            db.call(move |conn| admin::audit::service::purge(conn, &ctx)).await.map(|_| ())
        }
    });
    // Whether a backup is due is decided against the interval an admin set, so a change
    // applies at the next check; at start-up this makes the first backup of a new instance.
    let (db5, ctx5) = (db.clone(), ctx.clone());
    let check = Duration::from_secs(backups::service::CHECK_EVERY_SECS);
    scheduler.register("backups", check, move || {
        let (db, ctx) = (db5.clone(), ctx5.clone());
        async move {
            db.call(move |conn| backups::service::run_scheduled(conn, &ctx)).await.map(|_| ())
        }
    });
    let limits = ctx.limits.clone();
    scheduler.register("prune_rate_limits", Duration::from_secs(600), move || {
        limits.prune();
        async { Ok(()) }
    });
}

fn lift_off(rocket: &Rocket<Orbit>) {
    if let Some(scheduler) = rocket.state::<Arc<Scheduler>>() {
        scheduler.start();
    }
    let print = rocket.state::<PrintSetupLink>().is_some_and(|p| p.0);
    if let (true, Some(link)) = (print, rocket.state::<SetupLink>().and_then(|s| s.get())) {
        println!(
            "\n  No admin exists yet. Open this one-time link to set up your club\n  (valid for {} hours; restarting prints a new one):\n\n      {link}\n",
            rocket.state::<Ctx>().map(|c| c.config.setup_token_hours).unwrap_or(24)
        );
    }
}

/// `clubroom serve`: runs the portal until Ctrl-C or SIGTERM. Holds the data directory's
/// lock meanwhile, which is how `clubroom restore` knows the server is running.
pub fn serve(config: AppConfig) -> Result<(), String> {
    web::logging::install(&config.log_level);
    datadir::prepare(&config).map_err(|e| e.describe())?;
    let _lock = datadir::lock(&config).map_err(|e| e.describe())?;
    let workers = if config.workers > 0 {
        config.workers
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .thread_name("clubroom-worker")
        .build()
        .map_err(|e| format!("could not start the runtime: {e}"))?;
    runtime.block_on(async move {
        rocket(config).launch().await.map(|_| ()).map_err(|e| match e.kind() {
            rocket::error::ErrorKind::FailedFairings(_) => {
                "start-up failed (see above)".to_string()
            }
            _ => e.to_string(),
        })
    })
}
