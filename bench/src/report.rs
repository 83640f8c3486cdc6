//! What a run measured, written as Markdown for people (bench/RESULTS.md) and as JSON for
//! scripts (bench/results.json) from the same data.

use std::fmt::Write;

use serde::Serialize;

use crate::load::LoadResult;

#[derive(Default, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub settings: Settings,
    /// Throughput rows: every scenario's targets, with their ratio to the Rocket ceiling.
    pub load: Vec<LoadRow>,
    /// Single numbers: sizes, memory, start-up time.
    pub footprint: Vec<Metric>,
    /// Tables other tools produce (the gift matcher benchmark), kept as Markdown.
    pub sections: Vec<Section>,
    /// How scenarios were set up: (scenario, paragraph).
    pub notes: Vec<(String, String)>,
    /// Scenarios that could not run, with the reason.
    pub failures: Vec<String>,
}

#[derive(Default, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub started_at: String,
}

#[derive(Default, Serialize)]
pub struct Settings {
    pub connections: usize,
    pub warmup_secs: f64,
    pub duration_secs: f64,
}

#[derive(Serialize)]
pub struct LoadRow {
    pub scenario: String,
    pub target: String,
    #[serde(flatten)]
    pub result: LoadResult,
    /// Requests per second divided by the constant-JSON Rocket baseline's, same run, same
    /// connection count.
    pub ratio: Option<f64>,
    pub goal: Option<String>,
    pub pass: Option<bool>,
}

#[derive(Serialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub goal: Option<String>,
    pub pass: Option<bool>,
}

#[derive(Serialize)]
pub struct Section {
    pub title: String,
    pub markdown: String,
}

fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "",
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let s = &self.settings;
        let _ = writeln!(out, "# Benchmark results\n");
        let _ = writeln!(
            out,
            "`cargo run --release -p bench`, started {} on {} ({} cores, Linux {}).\n\
             Every server ran alone on loopback with a fresh data directory while the load client \
             ran in the harness on the same machine; ratios compare servers measured in this same \
             run, which is what to read on a shared machine. Load: {} keep-alive connections, \
             {:.0} s warm-up, {:.0} s measured.\n",
            m.started_at, m.cpu, m.cores, m.kernel, s.connections, s.warmup_secs, s.duration_secs
        );
        let _ = writeln!(out, "## Throughput\n");
        let _ = writeln!(
            out,
            "| scenario | target | conns | req/s | p50 ms | p99 ms | max ms | errors | × rocket-const | goal | |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for row in &self.load {
            let r = &row.result;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} |",
                row.scenario,
                row.target,
                r.connections,
                r.requests_per_sec,
                r.p50_ms,
                r.p99_ms,
                r.max_ms,
                r.errors,
                row.ratio.map_or(String::new(), |x| format!("{x:.2}")),
                row.goal.as_deref().unwrap_or(""),
                verdict(row.pass),
            );
        }
        let _ = writeln!(out, "\n## Footprint\n");
        let _ = writeln!(out, "| measure | value | goal | |");
        let _ = writeln!(out, "|---|---:|---|---|");
        for metric in &self.footprint {
            let _ = writeln!(
                out,
                "| {} | {:.1} {} | {} | {} |",
                metric.name,
                metric.value,
                metric.unit,
                metric.goal.as_deref().unwrap_or(""),
                verdict(metric.pass)
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\n## How the scenarios ran\n");
            for (scenario, text) in &self.notes {
                let _ = writeln!(out, "- **{scenario}**: {text}");
            }
        }
        for section in &self.sections {
            let _ = writeln!(out, "\n## {}\n\n{}", section.title, section.markdown.trim());
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\n## Scenarios that did not run\n");
            for failure in &self.failures {
                let _ = writeln!(out, "- {failure}");
            }
        }
        let missed = self.load.iter().filter(|r| r.pass == Some(false)).count()
            + self.footprint.iter().filter(|m| m.pass == Some(false)).count();
        let _ = writeln!(
            out,
            "\n{}",
            if missed == 0 {
                "All goals measured here are met.".to_string()
            } else {
                format!("{missed} goal(s) missed.")
            }
        );
        out
    }
}
