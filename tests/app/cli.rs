//! The `clubroom` binary itself: help, migrate, admin create, backup, configuration errors, and
//! serving everything from an empty directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clubroom::accounts::model::Role;
use clubroom::email::{Mailbox, Transport};
use rocket::http::Status;

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_clubroom");

/// The binary with a clean environment pointing at `data_dir`.
pub(crate) fn clubroom(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("CLUBROOM_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("CLUBROOM_DATA_DIR", data_dir)
        .env("CLUBROOM_PASSWORD_HASH_MEMORY_KIB", "8")
        .env("CLUBROOM_PASSWORD_HASH_ITERATIONS", "1")
        .current_dir(data_dir.parent().unwrap_or(data_dir))
        .stdin(Stdio::null());
    cmd
}

pub(crate) fn run(cmd: &mut Command) -> (bool, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("binary runs");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into(),
        String::from_utf8_lossy(&stderr).into(),
    )
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
        &["admin", "create", "--help"],
    ] {
        let (ok, out, _) = run(clubroom(dir.path()).args(args));
        assert!(ok, "{args:?}");
        assert!(out.contains("Usage: clubroom"), "{args:?}: {out}");
    }
    let (_, out, _) = run(clubroom(dir.path()).arg("--help"));
    for command in ["serve", "migrate", "backup", "restore", "admin"] {
        assert!(out.contains(command), "--help lists {command}");
    }
}

#[test]
fn migrate_applies_the_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out, err) = run(clubroom(&data).arg("migrate"));
    assert!(ok, "{err}");
    let applied: usize = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(applied >= 1, "{out}");
    assert!(data.join("clubroom.db").is_file());
    let (ok, out, _) = run(clubroom(&data).arg("migrate"));
    assert!(ok);
    assert!(out.contains("0 migration(s) applied"), "{out}");
}

#[test]
fn a_bad_setting_stops_start_up_with_a_readable_message() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) =
        run(clubroom(dir.path()).env("CLUBROOM_BASE_URL", "club.example.org").arg("migrate"));
    assert!(!ok);
    assert!(err.contains("base_url") && err.contains("http://"), "{err}");
    let (ok, _, err) = run(clubroom(dir.path()).env("CLUBROOM_PORT", "eighty").arg("migrate"));
    assert!(!ok);
    assert!(err.to_lowercase().contains("port") && err.contains("eighty"), "{err}");
    std::fs::write(dir.path().join("bad.toml"), "[default]\nprot = 9000\n").unwrap();
    let (ok, _, err) = run(clubroom(dir.path())
        .env("CLUBROOM_CONFIG", dir.path().join("bad.toml"))
        .arg("migrate"));
    assert!(!ok, "a typo in the file is an error");
    assert!(err.contains("prot"), "{err}");
}

#[rocket::async_test]
async fn admin_create_without_a_terminal_prints_a_one_time_set_password_link() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let data = dir.path().join("data");
    let (ok, out, err) = run(clubroom(&data).args([
        "admin",
        "create",
        "--username",
        "Ann",
        "--email",
        "ann@example.org",
    ]));
    assert!(ok, "{err}");
    assert!(out.contains("Admin Ann created"), "{out}");
    let link = extract_link(&out, "http://127.0.0.1:8000/set-password/").expect("a link");
    let path = link.trim_start_matches("http://127.0.0.1:8000").to_string();

    let app =
        TestApp::start(dir.clone(), test_config(&data), Transport::Memory(Mailbox::default()))
            .await;
    assert!(app.setup_path().is_none(), "an admin exists, so no setup link");
    let emails = app.emails().await;
    assert_eq!(emails.len(), 1, "the link is emailed too");
    assert!(emails[0].text.contains(&link));

    let page = app.client.get(path.clone()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let token = extract_csrf(&page.into_string().await.unwrap()).unwrap();
    let mismatch = app
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), Status::UnprocessableEntity);
    let response = app
        .post_form(
            &path,
            &[("csrf_token", &token), ("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    // An admin takes a second step at sign-in: the link sets the password, it does not sign in.
    assert_eq!(response.headers().get_one("Location"), Some("/login"));
    assert_eq!(app.json("/api/v1/auth/session").await.0, Status::Unauthorized);

    assert_eq!(app.client.get(path).dispatch().await.status(), Status::Gone, "the link works once");
    app.login_as("ann").await;
    let (status, session) = app.json("/api/v1/auth/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(session["username"], "ann");
    assert!(session["roles"].as_array().unwrap().contains(&serde_json::json!("admin")));
}

/// Runs `admin create` inside a pseudo-terminal (util-linux `script`), typing `input`.
fn admin_create_in_a_terminal(data: &Path, username: &str, input: &str) -> (bool, String) {
    let command =
        format!("{BIN} admin create --username {username} --email {username}@example.org");
    let mut script = Command::new("script");
    for (key, _) in std::env::vars() {
        if key.starts_with("CLUBROOM_") {
            script.env_remove(key);
        }
    }
    let mut child = script
        .args(["-qec", &command, "/dev/null"])
        .env("CLUBROOM_DATA_DIR", data)
        .env("CLUBROOM_PASSWORD_HASH_MEMORY_KIB", "8")
        .env("CLUBROOM_PASSWORD_HASH_ITERATIONS", "1")
        .current_dir(data.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script is installed");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[rocket::async_test]
async fn admin_create_in_a_terminal_asks_for_the_password_twice() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let data = dir.path().join("data");
    let typed = format!("{PASSWORD}\n{PASSWORD}\n");
    let (ok, out) = admin_create_in_a_terminal(&data, "tess", &typed);
    assert!(ok, "{out}");
    assert!(out.contains("Repeat the password"), "{out}");
    assert!(out.contains("Admin tess created"), "{out}");
    assert!(!out.contains("/set-password/"), "no link when a password was given");

    let (ok, out) =
        admin_create_in_a_terminal(&data, "tom", &format!("{PASSWORD}\nsomething else entirely\n"));
    assert!(!ok, "mismatched passwords are refused");
    assert!(out.contains("do not match"), "{out}");

    let app =
        TestApp::start(dir.clone(), test_config(&data), Transport::Memory(Mailbox::default()))
            .await;
    app.login_as("tess").await;
    assert_eq!(app.api_login("tom", PASSWORD).await.status(), Status::Unauthorized);
}

#[test]
fn admin_create_refuses_a_taken_username_or_a_bad_email() {
    let dir = tempfile::tempdir().unwrap();
    let create = |username: &str, email: &str| {
        run(clubroom(dir.path()).args([
            "admin",
            "create",
            "--username",
            username,
            "--email",
            email,
        ]))
    };
    assert!(create("ann", "ann@example.org").0);
    let (ok, _, err) = create("ANN", "other@example.org");
    assert!(!ok);
    assert!(err.contains("username: This username is already taken."), "{err}");
    let (ok, _, err) = create("bob", "not-an-email");
    assert!(!ok);
    assert!(err.contains("email:"), "{err}");
}

#[rocket::async_test]
async fn backup_writes_a_verified_copy_while_the_server_is_writing() {
    let app = TestApp::spawn().await;
    for name in ["ann", "bob", "cid"] {
        app.create_user(name, &[Role::Member]).await;
    }
    // Keep writing from another thread while the backup runs.
    let pool = app.db().pool().clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && n < 5000 {
                let conn = pool.get().unwrap();
                conn.execute("INSERT INTO audit_log (at, kind) VALUES (?1, 'test_write')", [n])
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    let dest = app.dir.path().join("backup.db");
    let (ok, out, err) = run(clubroom(&app.data_dir()).arg("backup").arg(&dest));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("integrity check ok"), "{out}");

    clubroom::db::backup::integrity_check(&dest).unwrap();
    let copy = rusqlite::Connection::open(&dest).unwrap();
    let users: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(users, 3);
    let rows: i64 = copy
        .query_row("SELECT count(*) FROM audit_log WHERE kind = 'test_write'", [], |r| r.get(0))
        .unwrap();
    assert!(rows <= written, "a snapshot, never more than was written");

    let (ok, _, err) = run(clubroom(&app.data_dir()).arg("backup").arg(&dest));
    assert!(!ok, "an existing file is never overwritten");
    assert!(err.contains("already exists"), "{err}");
}

// ----- the binary, alone in an empty directory -----

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn http_get(port: u16, path: &str) -> Option<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head, raw[split + 4..].to_vec()))
}

/// The binary under test for the serving tests: this build's, or the one named by
/// `CLUBROOM_TEST_BINARY` (CI points it at the release build).
pub(crate) fn server_binary() -> PathBuf {
    std::env::var_os("CLUBROOM_TEST_BINARY").map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}

pub(crate) fn start_copied_binary(dir: &Path) -> (Server, String) {
    let bin = dir.join("clubroom");
    std::fs::copy(server_binary(), &bin).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = Command::new(&bin);
    command
        .current_dir(dir)
        .env_clear()
        .env("CLUBROOM_PORT", port.to_string())
        .env("CLUBROOM_LOG_LEVEL", "critical")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // A process forked by another test at the moment of the copy can hold the new file open
    // for writing for an instant ("text file busy"); trying again a moment later is enough.
    let mut child = (0..50)
        .find_map(|_| match command.spawn() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(Duration::from_millis(20));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("the copied binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(link) = extract_link(&line, "http://127.0.0.1:") {
                let _ = tx.send(link);
            }
        }
    });
    let link = rx.recv_timeout(Duration::from_secs(30)).expect("the setup link is printed");
    (Server { child, port }, link)
}

pub(crate) fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((200, _, _)) = http_get(port, "/health") {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not become healthy");
}

fn only_file_is(dir: &Path, name: &str) -> bool {
    let entries: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.len() == 1 && entries[0].file_name().unwrap() == name
}

#[test]
fn binary_alone_in_an_empty_directory_serves_every_page_and_asset() {
    let dir = tempfile::tempdir().unwrap();
    let (server, link) = start_copied_binary(dir.path());
    wait_healthy(server.port);

    let path = link.split_once(&format!(":{}", server.port)).map(|(_, p)| p.to_string()).unwrap();
    assert!(path.starts_with("/setup/"), "{link}");
    for (page, expect) in [
        ("/", "Log in"),
        ("/login", "Username or email"),
        (path.as_str(), "Set up your club"),
        ("/nowhere", "Page not found"),
    ] {
        let (status, _, body) = http_get(server.port, page).unwrap();
        assert!(status == 200 || page == "/nowhere", "{page}: {status}");
        assert!(String::from_utf8_lossy(&body).contains(expect), "{page}");
    }
    for (asset, content_type) in [
        ("/assets/css/app.css", "text/css"),
        ("/assets/img/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let (status, head, body) = http_get(server.port, asset).unwrap();
        assert_eq!(status, 200, "{asset}");
        assert!(head.to_lowercase().contains(content_type), "{asset}: {head}");
        assert!(head.to_lowercase().contains("etag"), "{asset}");
        assert!(!body.is_empty());
    }
    let (_, health_head, health) = http_get(server.port, "/health").unwrap();
    let health: serde_json::Value = serde_json::from_slice(&health).unwrap();
    assert_eq!(health["mail"], "console", "{health_head}");
    assert!(dir.path().join("data/clubroom.db").is_file(), "./data/clubroom.db is created");
    assert!(dir.path().join("data/secret.key").is_file());
    drop(server);
    assert!(!only_file_is(dir.path(), "clubroom"));
}

#[test]
fn binary_shuts_down_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _) = start_copied_binary(dir.path());
    wait_healthy(server.port);
    let killed =
        Command::new("kill").arg("-TERM").arg(server.child.id().to_string()).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 15 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    clubroom::db::backup::integrity_check(&dir.path().join("data/clubroom.db")).unwrap();
}
