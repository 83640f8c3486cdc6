//! `cargo run --release -p bench`: builds Clubroom and the baseline servers, runs every
//! scenario against them on loopback with fresh data, and writes bench/RESULTS.md and
//! bench/results.json.
#![forbid(unsafe_code)]

mod load;
mod report;
mod scenarios;
mod seed;
mod server;
mod websocket;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;

use crate::load::LoadSpec;
use crate::report::{Machine, Report, Settings};

#[derive(Parser)]
#[command(name = "bench", about = "Measure Clubroom against Rocket baselines in one run.")]
struct Cli {
    /// Keep-alive connections per load run.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds measured per load run.
    #[arg(long, default_value_t = 4.0)]
    duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Run only these scenarios (comma-separated names; see --list).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip these scenarios (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Measure this clubroom binary instead of building one (e.g. a build with symbols, for
    /// profiling while a scenario runs).
    #[arg(long)]
    clubroom: Option<PathBuf>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Where RESULTS.md and results.json go.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR")))]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list {
        for (name, what, _) in scenarios::ALL {
            println!("{name:10} {what}");
        }
        return ExitCode::SUCCESS;
    }
    for name in cli.only.iter().chain(&cli.skip) {
        if !scenarios::ALL.iter().any(|(known, _, _)| known == name) {
            eprintln!("bench: no scenario named {name:?} (see --list)");
            return ExitCode::from(2);
        }
    }
    match run(&cli) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs the chosen scenarios and writes the report; returns how many scenarios failed to run.
fn run(cli: &Cli) -> Result<usize, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the bench package is not inside the workspace")?
        .to_path_buf();
    eprintln!("bench: building clubroom and the baselines (release)");
    let bins = server::build(&workspace, cli.clubroom.clone())?;
    let spec = LoadSpec {
        connections: cli.connections,
        warmup: Duration::from_secs_f64(cli.warmup),
        duration: Duration::from_secs_f64(cli.duration),
        pace: None,
    };
    let report = Report {
        machine: machine(),
        settings: Settings {
            connections: cli.connections,
            warmup_secs: cli.warmup,
            duration_secs: cli.duration,
        },
        ..Report::default()
    };
    let mut ctx = scenarios::Ctx::new(workspace, bins, spec, report);
    for (name, _, scenario) in scenarios::ALL {
        let chosen = cli.only.is_empty() || cli.only.iter().any(|n| n == name);
        if !chosen || cli.skip.iter().any(|n| n == name) {
            continue;
        }
        eprintln!("bench: {name}");
        if let Err(err) = scenario(&mut ctx) {
            eprintln!("bench: {name} failed: {err}");
            ctx.report.failures.push(format!("{name}: {err}"));
        }
    }
    let markdown = ctx.report.markdown();
    std::fs::create_dir_all(&cli.out).map_err(|e| format!("{}: {e}", cli.out.display()))?;
    let json = serde_json::to_string_pretty(&ctx.report).map_err(|e| e.to_string())?;
    write(&cli.out.join("RESULTS.md"), &markdown)?;
    write(&cli.out.join("results.json"), &(json + "\n"))?;
    println!("{markdown}");
    Ok(ctx.report.failures.len())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("could not write {}: {e}", path.display()))
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let started_at = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel,
        started_at,
    }
}
