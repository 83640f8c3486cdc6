//! The scenarios. Each is a plain function taking the run's context: it starts the servers it
//! needs (one at a time, so they never compete for the cores), drives them, stops them and adds
//! rows to the report. A new scenario is one more function and one more line in `ALL`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::load::{self, Call, CallFn, LoadResult, LoadSpec};
use crate::report::{LoadRow, Metric, Report, Section};
use crate::server::{free_port, scratch, Binaries, Launch, Server};

pub type Scenario = fn(&mut Ctx) -> Result<(), String>;

/// Every scenario in the order a full run takes them: (name for `--only`/`--skip`, what it
/// measures, the function).
pub const ALL: &[(&str, &str, Scenario)] = &[
    ("startup", "binary size, start-up time with an existing database, idle memory", startup),
    ("health", "GET /health against both Rocket baselines", health),
    ("matcher", "the gift matcher benchmark (cargo bench --bench matcher)", matcher),
];

/// How long a server may take to answer its first 200.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Ctx {
    pub workspace: PathBuf,
    pub bins: Binaries,
    pub spec: LoadSpec,
    pub report: Report,
    runtime: tokio::runtime::Runtime,
    /// The constant-JSON baseline's result per connection count, measured once per run.
    ceilings: HashMap<usize, LoadResult>,
}

impl Ctx {
    pub fn new(workspace: PathBuf, bins: Binaries, spec: LoadSpec, report: Report) -> Ctx {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("bench-load")
            .build()
            .expect("the load client's runtime starts");
        Ctx { workspace, bins, spec, report, runtime, ceilings: HashMap::new() }
    }

    /// Runs the load against a server with the run's settings and `connections` connections.
    pub fn load(&self, server: &Server, connections: usize, calls: CallFn) -> LoadResult {
        let spec = LoadSpec { connections, ..self.spec };
        self.runtime.block_on(load::run(server.addr, spec, calls))
    }

    /// The constant-JSON Rocket baseline at `connections`, measured on first use in this run
    /// (and reported as its own row under `scenario`).
    pub fn ceiling(&mut self, scenario: &str, connections: usize) -> Result<LoadResult, String> {
        if let Some(result) = self.ceilings.get(&connections) {
            return Ok(result.clone());
        }
        let dir = scratch("rocket-const")?;
        let server = Server::start(
            &Launch::rocket_const(&self.bins, dir.path(), free_port()?),
            "/health",
            READY_TIMEOUT,
        )?;
        let result = self.load(&server, connections, Arc::new(|_, _| Call::get("/health")));
        server.stop()?;
        self.ceilings.insert(connections, result.clone());
        self.push_load(scenario, "rocket-const", result.clone(), None);
        Ok(result)
    }

    /// Adds a throughput row, with its ratio to the ceiling at the same connection count and
    /// the goal on that ratio when there is one.
    pub fn push_load(
        &mut self,
        scenario: &str,
        target: &str,
        result: LoadResult,
        min_ratio: Option<f64>,
    ) {
        let ratio = self
            .ceilings
            .get(&result.connections)
            .filter(|c| c.requests_per_sec > 0.0)
            .map(|c| result.requests_per_sec / c.requests_per_sec);
        let pass = min_ratio.and_then(|goal| ratio.map(|r| r >= goal && result.errors == 0));
        self.report.load.push(LoadRow {
            scenario: scenario.into(),
            target: target.into(),
            result,
            ratio,
            goal: min_ratio.map(|g| format!(">= {g} × rocket-const, no errors")),
            pass,
        });
    }

    /// Adds a single measurement; `max` is the goal it must not exceed, if any.
    pub fn push_metric(&mut self, name: &str, value: f64, unit: &str, max: Option<f64>) {
        self.report.footprint.push(Metric {
            name: name.into(),
            value,
            unit: unit.into(),
            goal: max.map(|m| format!("<= {m} {unit}")),
            pass: max.map(|m| value <= m),
        });
    }

    /// Starts Clubroom with its data in `dir` (a fresh one creates its database on this start).
    pub fn start_clubroom(&self, dir: &Path) -> Result<Server, String> {
        Server::start(&Launch::clubroom(&self.bins, dir, free_port()?), "/health", READY_TIMEOUT)
    }
}

fn kib_to_mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1_000_000.0
}

/// How many times start-up is timed; the median is reported, so one slow start on a busy
/// machine does not decide the result.
const STARTS: usize = 5;

/// Binary size, time from process start to the first 200 on /health with an existing
/// database, and resident memory once started and idle.
fn startup(ctx: &mut Ctx) -> Result<(), String> {
    // The release profile strips symbols, so the file is what a club copies to its server.
    let size = std::fs::metadata(&ctx.bins.clubroom).map_err(|e| e.to_string())?.len();
    ctx.push_metric("release binary size (stripped)", size as f64 / 1_000_000.0, "MB", Some(25.0));

    let dir = scratch("clubroom-startup")?;
    // The first start creates the database, runs the migrations and writes the secret key.
    ctx.start_clubroom(dir.path())?.stop()?;
    let mut times = Vec::new();
    let mut idle_rss = 0;
    for attempt in 0..STARTS {
        let server = ctx.start_clubroom(dir.path())?;
        times.push(server.time_to_ready.as_secs_f64() * 1000.0);
        if attempt + 1 == STARTS {
            // Let start-up work (the scheduler's first pass, the outbox) settle first.
            std::thread::sleep(Duration::from_secs(1));
            idle_rss = server.rss_kib().ok_or("could not read the server's memory")?;
        }
        server.stop()?;
    }
    times.sort_by(f64::total_cmp);
    ctx.push_metric(
        &format!("start to first 200 on /health, existing database (median of {STARTS})"),
        times[STARTS / 2],
        "ms",
        Some(200.0),
    );
    ctx.push_metric("idle RSS after start", kib_to_mb(idle_rss), "MB", Some(20.0));
    Ok(())
}

/// `GET /health` on Clubroom against the constant-JSON ceiling and the SQLite-lookup baseline,
/// at the same concurrency; also Clubroom's peak memory under that load.
fn health(ctx: &mut Ctx) -> Result<(), String> {
    const NAME: &str = "GET /health";
    let connections = ctx.spec.connections;
    let calls: CallFn = Arc::new(|_, _| Call::get("/health"));
    ctx.ceiling(NAME, connections)?;

    let dir = scratch("rocket-sqlite")?;
    let server = Server::start(
        &Launch::rocket_sqlite(&ctx.bins, dir.path(), free_port()?),
        "/health",
        READY_TIMEOUT,
    )?;
    let result = ctx.load(&server, connections, calls.clone());
    server.stop()?;
    ctx.push_load(NAME, "rocket-sqlite", result, None);

    let dir = scratch("clubroom-health")?;
    let server = ctx.start_clubroom(dir.path())?;
    let result = ctx.load(&server, connections, calls);
    let peak = server.peak_rss_kib().ok_or("could not read the server's memory")?;
    server.stop()?;
    ctx.push_load(NAME, "clubroom", result, Some(0.8));
    ctx.push_metric(
        &format!("peak RSS under GET /health at {connections} connections"),
        kib_to_mb(peak),
        "MB",
        None,
    );
    Ok(())
}

/// The gift matcher's own benchmark, run through cargo (it writes bench/matcher.md); its table
/// is copied into the report so one file shows everything.
fn matcher(ctx: &mut Ctx) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&ctx.workspace)
        .args(["bench", "-p", "clubroom", "--bench", "matcher"])
        .env_remove("MATCHER_CASE")
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("could not run cargo bench: {e}"))?;
    if !status.success() {
        return Err("cargo bench --bench matcher failed".into());
    }
    let table = std::fs::read_to_string(ctx.workspace.join("bench/matcher.md"))
        .map_err(|e| format!("bench/matcher.md: {e}"))?;
    // Drop the file's own title; the section has one.
    let body = table.lines().skip_while(|l| l.starts_with('#') || l.is_empty()).collect::<Vec<_>>();
    ctx.report.sections.push(Section {
        title: "Gift matcher (cargo bench --bench matcher)".into(),
        markdown: body.join("\n"),
    });
    Ok(())
}
