//! Building the binaries under test and running them as child processes on loopback ports,
//! each with its own fresh temporary directory.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The executables the harness runs, as cargo reported them.
pub struct Binaries {
    pub clubroom: PathBuf,
    pub baseline: PathBuf,
}

/// Builds Clubroom and the baselines with the release profile (what users run) and asks cargo
/// where it put them, so a custom target directory works too. Clubroom is built on its own so
/// that its dependencies get exactly the features a plain `cargo build --release` gives them,
/// not the union with the harness's (cargo unifies features across packages built together).
/// A `clubroom` given by the caller is used as it is.
pub fn build(workspace: &Path, clubroom: Option<PathBuf>) -> Result<Binaries, String> {
    let clubroom = match clubroom {
        Some(path) if path.is_file() => path,
        Some(path) => return Err(format!("no clubroom binary at {}", path.display())),
        None => build_one(workspace, "clubroom", "clubroom")?,
    };
    Ok(Binaries { clubroom, baseline: build_one(workspace, "bench", "baseline")? })
}

fn build_one(workspace: &Path, package: &str, bin: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args(["build", "--release", "--message-format=json-render-diagnostics"])
        .args(["-p", package, "--bin", bin])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build --release -p {package} failed (see above)"));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"].as_str() == Some(bin))
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo did not report where it built {bin}"))
}

/// A free loopback port. The listener is dropped before the server binds it; on a quiet
/// machine nothing takes the port in between.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// How to start one server: the program, its arguments and environment, run in `dir`.
pub struct Launch {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub port: u16,
    pub dir: PathBuf,
}

impl Launch {
    /// Clubroom with its data in `data_dir`, reading no configuration but what is given here.
    pub fn clubroom(bins: &Binaries, dir: &Path, port: u16) -> Launch {
        Launch {
            name: "clubroom".into(),
            program: bins.clubroom.clone(),
            args: vec!["serve".into()],
            env: vec![
                ("CLUBROOM_ADDRESS".into(), "127.0.0.1".into()),
                ("CLUBROOM_PORT".into(), port.to_string()),
                ("CLUBROOM_DATA_DIR".into(), dir.join("data").display().to_string()),
                ("CLUBROOM_LOG_LEVEL".into(), "critical".into()),
            ],
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// The same launch with more environment (later entries win).
    pub fn with_env(mut self, key: &str, value: &str) -> Launch {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Runs the program with `args` instead of its server arguments, to the end (e.g.
    /// `clubroom migrate` on the data directory the server will use).
    pub fn run_once(&self, args: &[&str]) -> Result<(), String> {
        let output = self.command().args(args).output().map_err(|e| e.to_string())?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{} {} failed: {}",
            self.program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }

    /// The program with this launch's environment and nothing from the caller's that could
    /// change what is measured.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.current_dir(&self.dir);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("CLUBROOM_") || name.starts_with("ROCKET_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// The constant-JSON Rocket baseline.
    pub fn rocket_const(bins: &Binaries, dir: &Path, port: u16) -> Launch {
        Launch {
            name: "rocket-const".into(),
            program: bins.baseline.clone(),
            args: vec!["const".into(), "--port".into(), port.to_string()],
            env: Vec::new(),
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// The Rocket baseline doing one indexed SQLite lookup per request.
    pub fn rocket_sqlite(bins: &Binaries, dir: &Path, port: u16) -> Launch {
        let db = dir.join("baseline.db").display().to_string();
        Launch {
            name: "rocket-sqlite".into(),
            program: bins.baseline.clone(),
            args: vec!["sqlite".into(), "--port".into(), port.to_string(), "--db".into(), db],
            env: Vec::new(),
            port,
            dir: dir.to_path_buf(),
        }
    }
}

/// A running server; killed when dropped so a failing scenario leaves nothing behind.
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
    /// How long from spawning the process to its first 200 on the ready path.
    pub time_to_ready: Duration,
}

impl Server {
    /// Starts the server and waits (up to `timeout`) for a 200 on `ready_path`.
    pub fn start(launch: &Launch, ready_path: &str, timeout: Duration) -> Result<Server, String> {
        let log = launch.dir.join(format!("{}.log", launch.name));
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = launch.command();
        command.args(&launch.args).stdout(out).stderr(err);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, launch.port));
        let spawned = Instant::now();
        let child = command.spawn().map_err(|e| format!("{}: {e}", launch.program.display()))?;
        let mut server =
            Server { name: launch.name.clone(), addr, child, log, time_to_ready: Duration::ZERO };
        loop {
            if status_of(addr, ready_path) == Some(200) {
                server.time_to_ready = spawned.elapsed();
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "{} exited with {status}:\n{}",
                    server.name,
                    server.log_tail()
                ));
            }
            if spawned.elapsed() > timeout {
                return Err(format!(
                    "{} not ready after {timeout:?}:\n{}",
                    server.name,
                    server.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmRSS")
    }

    /// The highest resident memory since start, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmHWM")
    }

    /// Asks the server to shut down (SIGTERM, as a service manager would) and waits for it,
    /// killing it if it does not stop within ten seconds.
    pub fn stop(mut self) -> Result<(), String> {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("{} did not stop within 10 s after SIGTERM", self.name))
    }

    /// Everything the server wrote to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A fresh temporary directory for one server's data; removed when dropped.
pub fn scratch(name: &str) -> Result<TempDir, String> {
    tempfile::Builder::new()
        .prefix(&format!("clubroom-bench-{name}-"))
        .tempdir()
        .map_err(|e| format!("could not create a temporary directory: {e}"))
}

/// One GET over a fresh connection; the status code, or None when nothing answered.
pub fn status_of(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Resident memory of process `pid` now, in KiB.
pub fn rss_of(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}
