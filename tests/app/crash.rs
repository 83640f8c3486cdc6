//! Crash safety: the real server binary killed with SIGKILL again and again (while it starts and
//! while clients write chat messages, activities and bookings through the JSON API), restarted
//! on the same data directory each time. Every write answered with a 2xx must be there at the
//! end, with its content and author, nothing must appear that nobody sent, every restart must
//! come up (no stale lock, no half-written state that blocks it) and the database must pass
//! `PRAGMA integrity_check`.
//!
//! The kill schedule comes from a seed, printed at the start (`CLUBROOM_CRASH_SEED=<n>` replays
//! it); what the clients happen to be doing at each kill is up to the scheduler.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::json;

use crate::real_server::{prepare_data_dir, sigkill, token, Binary, NoReply, Process, Request};

/// Kills while clients write; each is followed by a restart, some of which are killed again
/// part-way through start-up.
const ROUNDS: usize = 20;
/// Concurrent clients, each a member of its own, cycling through the three kinds of write.
const WRITERS: usize = 6;
/// How often a restart is itself killed before it can finish starting (percent).
const START_UP_KILL_PERCENT: u64 = 40;

/// splitmix64: small, good enough to spread kill times, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

fn seed() -> u64 {
    match std::env::var("CLUBROOM_CRASH_SEED") {
        Ok(text) => text.trim().parse().expect("CLUBROOM_CRASH_SEED is a whole number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Message,
    Activity,
    Booking,
}

const KINDS: [Kind; 3] = [Kind::Message, Kind::Activity, Kind::Booking];

impl Kind {
    /// The table the write lands in, its author column and the column holding the text sent.
    fn columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Message => ("conversation_messages", "author_id", "content"),
            Kind::Activity => ("activities", "user_id", "notes"),
            Kind::Booking => ("bookings", "user_id", "notes"),
        }
    }

    /// The field of the 201 answer that echoes the text sent.
    fn echo_field(self) -> &'static str {
        match self {
            Kind::Message => "content",
            Kind::Activity | Kind::Booking => "notes",
        }
    }
}

/// One write a client sent, with the id the server answered (acknowledged writes only).
#[derive(Debug, Clone)]
struct Sent {
    kind: Kind,
    tag: String,
    user_id: i64,
    id: Option<i64>,
}

#[derive(Default)]
struct Outcomes {
    acknowledged: Vec<Sent>,
    /// Sent on a connection the kill cut before a whole answer came back.
    cut: Vec<Sent>,
    /// Never reached a server (it was down or not listening yet).
    refused: usize,
    /// Any complete answer other than 201: must not happen.
    wrong: Vec<String>,
}

/// What the writers share with the test: the port of the current server (0 while it is being
/// killed, so no new request goes to a port some other process may take), the stop flag, and
/// the outcomes.
struct Shared {
    port: AtomicU16,
    stop: AtomicBool,
    outcomes: Mutex<Outcomes>,
}

/// Where the writers write: the group conversation and the bookable service.
#[derive(Clone)]
struct Targets {
    conversation_id: i64,
    service_id: i64,
    /// An activity start in the past and a booking start in the future, both valid all test.
    activity_start: String,
    booking_start: String,
}

fn write_until_stopped(
    shared: Arc<Shared>,
    client: usize,
    user_id: i64,
    token: String,
    targets: Targets,
) {
    let mut n = 0;
    while !shared.stop.load(Ordering::SeqCst) {
        let port = shared.port.load(Ordering::SeqCst);
        if port == 0 {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        let kind = KINDS[n % KINDS.len()];
        let tag = format!("crash-c{client}-n{n}");
        n += 1;
        let (path, body) = match kind {
            Kind::Message => (
                format!("/api/v1/conversations/{}/messages", targets.conversation_id),
                json!({"content": tag}),
            ),
            Kind::Activity => (
                "/api/v1/activities".to_string(),
                json!({"started_at": targets.activity_start, "duration_minutes": 45,
                       "type": "practice", "format": "solo", "notes": tag}),
            ),
            Kind::Booking => (
                "/api/v1/bookings".to_string(),
                json!({"service_id": targets.service_id,
                       "requested_start": targets.booking_start, "notes": tag}),
            ),
        };
        let mut sent = Sent { kind, tag, user_id, id: None };
        let outcome = Request::new("POST", &path).bearer(&token).json(&body).send(port);
        let mut outcomes = shared.outcomes.lock().unwrap();
        match outcome {
            Ok(reply) if reply.status == 201 => {
                let answer = reply.json();
                if answer[kind.echo_field()] != sent.tag.as_str() {
                    outcomes.wrong.push(format!("{kind:?} {}: answered {}", sent.tag, reply.body));
                }
                sent.id = answer["id"].as_i64();
                outcomes.acknowledged.push(sent);
            }
            Ok(reply) => outcomes
                .wrong
                .push(format!("{kind:?} {}: {} {}", sent.tag, reply.status, reply.body)),
            Err(NoReply::Cut) => outcomes.cut.push(sent),
            Err(NoReply::Refused) => {
                outcomes.refused += 1;
                drop(outcomes);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Stops routing new requests to `process`, then kills it.
fn kill(shared: &Shared, process: &mut Process) {
    shared.port.store(0, Ordering::SeqCst);
    sigkill(process);
}

/// The signed-in setup every writer needs, made through the API on the first start.
fn set_up(port: u16, members: &[i64]) -> Targets {
    let admin = token(port, "admin");
    let group = Request::new("POST", "/api/v1/conversations")
        .bearer(&admin)
        .json(&json!({"name": "Crash test", "member_ids": members}))
        .send(port)
        .unwrap();
    assert_eq!(group.status, 201, "{}", group.body);
    let service = Request::new("POST", "/api/v1/admin/services")
        .bearer(&admin)
        .json(&json!({"name": "Ice time", "duration_minutes": 60}))
        .send(port)
        .unwrap();
    assert_eq!(service.status, 201, "{}", service.body);
    let now = Utc::now();
    Targets {
        conversation_id: group.json()["id"].as_i64().unwrap(),
        service_id: service.json()["id"].as_i64().unwrap(),
        activity_start: (now - chrono::Duration::hours(2))
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        booking_start: (now + chrono::Duration::days(30))
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// A restart must come up: healthy, holding the data directory's lock in its own name.
fn assert_restarts(binary: &Binary, process: &mut Process, seed: u64, after: &str) {
    if let Err(why) = binary.wait_healthy(process) {
        panic!("seed {seed}: no clean start after {after}: {why}");
    }
    let holder = std::fs::read_to_string(binary.data.join("clubroom.lock")).unwrap_or_default();
    assert_eq!(
        holder.trim(),
        process.child.id().to_string(),
        "seed {seed}: the lock names the running server"
    );
}

#[test]
fn acknowledged_writes_survive_the_server_being_killed_again_and_again() {
    let seed = seed();
    eprintln!("crash test seed: {seed} (CLUBROOM_CRASH_SEED={seed} replays the kill schedule)");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let names: Vec<String> = (1..=WRITERS).map(|i| format!("writer{i}")).collect();
    let members = prepare_data_dir(&data, &names);
    let binary =
        Binary::new(&data, &[("PASSWORD_HASH_MEMORY_KIB", "8"), ("PASSWORD_HASH_ITERATIONS", "1")]);

    let mut server = binary.start();
    let start_up = binary.wait_healthy(&mut server).unwrap_or_else(|why| panic!("{why}"));
    let targets = set_up(server.port, &members);
    let tokens: Vec<String> = names.iter().map(|name| token(server.port, name)).collect();

    let shared = Arc::new(Shared {
        port: AtomicU16::new(server.port),
        stop: AtomicBool::new(false),
        outcomes: Mutex::default(),
    });
    let writers: Vec<_> = tokens
        .into_iter()
        .zip(&members)
        .enumerate()
        .map(|(client, (token, &user_id))| {
            let (shared, targets) = (shared.clone(), targets.clone());
            std::thread::spawn(move || write_until_stopped(shared, client, user_id, token, targets))
        })
        .collect();

    // Kill times during start-up spread over the whole start, and a little past it.
    let start_up_ms = (start_up.as_millis() as u64).max(20) * 6 / 5;
    let (mut while_writing, mut while_starting) = (0, 0);
    for round in 1..=ROUNDS {
        std::thread::sleep(Duration::from_millis(rng.between(20, 400)));
        kill(&shared, &mut server);
        while_writing += 1;
        server = binary.start();
        shared.port.store(server.port, Ordering::SeqCst);
        if rng.between(1, 100) <= START_UP_KILL_PERCENT {
            std::thread::sleep(Duration::from_millis(rng.between(0, start_up_ms)));
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "seed {seed}: restart {round} exited by itself ({status}):\n{}",
                    binary.log()
                );
            }
            kill(&shared, &mut server);
            while_starting += 1;
            server = binary.start();
            shared.port.store(server.port, Ordering::SeqCst);
        }
        assert_restarts(
            &binary,
            &mut server,
            seed,
            &format!("kill {}", while_writing + while_starting),
        );
    }
    // A last stretch of writes on a server that stays up, then the final kill.
    std::thread::sleep(Duration::from_millis(200));
    shared.stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("a writer panicked");
    }
    kill(&shared, &mut server);
    while_writing += 1;

    let outcomes = std::mem::take(&mut *shared.outcomes.lock().unwrap());
    assert!(
        outcomes.wrong.is_empty(),
        "seed {seed}: answers other than 201:\n{:#?}",
        outcomes.wrong
    );
    assert!(while_writing + while_starting >= 20);

    // The database after the last kill, exactly as a restart would find it.
    let path = data.join("clubroom.db");
    clubroom::db::backup::integrity_check(&path)
        .unwrap_or_else(|e| panic!("seed {seed}: integrity check failed: {e:?}"));
    let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for sent in &outcomes.acknowledged {
        let (table, author, text) = sent.kind.columns();
        let id = sent.id.unwrap_or_else(|| panic!("seed {seed}: no id in the answer to {sent:?}"));
        let row: Option<(i64, String)> = db
            .query_row(&format!("SELECT {author}, {text} FROM {table} WHERE id = ?1"), [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .unwrap();
        assert_eq!(
            row,
            Some((sent.user_id, sent.tag.clone())),
            "seed {seed}: acknowledged {:?} {} (id {id}) is lost or changed",
            sent.kind,
            sent.tag
        );
    }
    // Nothing nobody sent, nothing twice; count which cut-off writes had committed anyway.
    let sent_tags: HashSet<&str> =
        outcomes.acknowledged.iter().chain(&outcomes.cut).map(|s| s.tag.as_str()).collect();
    let cut_tags: HashSet<&str> = outcomes.cut.iter().map(|s| s.tag.as_str()).collect();
    let mut stored = HashMap::new();
    let mut cut_but_kept = 0;
    for kind in KINDS {
        let (table, _, text) = kind.columns();
        let mut query =
            db.prepare(&format!("SELECT {text} FROM {table} WHERE {text} LIKE 'crash-%'")).unwrap();
        let tags: Vec<String> =
            query.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        for tag in &tags {
            assert!(sent_tags.contains(tag.as_str()), "seed {seed}: {kind:?} {tag} was never sent");
            *stored.entry(tag.clone()).or_insert(0) += 1;
            cut_but_kept += usize::from(cut_tags.contains(tag.as_str()));
        }
    }
    if let Some((tag, times)) = stored.iter().find(|(_, times)| **times > 1) {
        panic!("seed {seed}: {tag} is stored {times} times");
    }

    let per_kind = |kind| outcomes.acknowledged.iter().filter(|s| s.kind == kind).count();
    eprintln!(
        "seed {seed}: {while_writing} kills while writing, {while_starting} during start-up \
         (a start takes {} ms); \
         acknowledged {} messages, {} activities, {} bookings, all present; \
         {} writes cut off by a kill ({cut_but_kept} of them committed), {} refused while down",
        start_up.as_millis(),
        per_kind(Kind::Message),
        per_kind(Kind::Activity),
        per_kind(Kind::Booking),
        outcomes.cut.len(),
        outcomes.refused,
    );
    for kind in KINDS {
        assert!(per_kind(kind) > 0, "seed {seed}: no {kind:?} was acknowledged");
    }
    assert!(!outcomes.cut.is_empty(), "seed {seed}: no kill landed while a write was in flight");
}

/// A kill during the very first start (creating the directory, the secret key, the database and
/// its migrations, the setup link, the first backup) must leave something the next start can
/// finish.
#[test]
fn a_first_start_killed_part_way_is_finished_by_the_next_start() {
    let seed = seed();
    eprintln!("first-start crash seed: {seed} (CLUBROOM_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let mut clean_start_ms = None;
    for attempt in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let binary = Binary::new(&dir.path().join("data"), &[]);
        // The first attempt measures how long a first start takes; the others kill inside it,
        // twice in a row before letting a start finish.
        if let Some(ms) = clean_start_ms {
            for _ in 0..2 {
                let mut server = binary.start();
                std::thread::sleep(Duration::from_millis(rng.between(0, ms)));
                sigkill(&mut server);
            }
        }
        let mut server = binary.start();
        let took = binary
            .wait_healthy(&mut server)
            .unwrap_or_else(|why| panic!("seed {seed}, attempt {attempt}: {why}"));
        clean_start_ms.get_or_insert(took.as_millis() as u64);
        let setup = Request::new("GET", "/login").send(server.port).unwrap();
        assert_eq!(setup.status, 200, "seed {seed}");
        sigkill(&mut server);
        clubroom::db::backup::integrity_check(&binary.data.join("clubroom.db")).unwrap();
    }
}
