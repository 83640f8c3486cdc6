//! Fills a freshly migrated Clubroom database with a club's worth of data, straight through
//! SQLite (going through the API would take minutes of password hashing and rate limits):
//! members with a session each, their activity logs, group conversations with history, and one
//! group holding every member for the fan-out scenario.
//!
//! Sessions are made the way Clubroom makes them: the cookie carries a random-looking token and
//! the database keeps only its SHA-256, so the harness knows every member's cookie.

use std::path::Path;

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

/// How much to seed.
#[derive(Clone, Copy, Debug)]
pub struct SeedSpec {
    pub members: usize,
    /// Members that have an activity log; `activities` are spread evenly over them.
    pub members_with_activities: usize,
    pub activities: usize,
    pub conversations: usize,
    pub messages: usize,
}

pub const CLUB: SeedSpec = SeedSpec {
    members: 2_000,
    members_with_activities: 200,
    activities: 20_000,
    conversations: 50,
    messages: 10_000,
};

/// Members per seeded conversation (besides the everyone group).
const CONVERSATION_SIZE: usize = 20;

/// What the scenarios need to know about the seeded data.
#[derive(Clone, Debug)]
pub struct Seeded {
    /// `clubroom_session=<token>` for each member, in seeding order (`member0000` first).
    pub cookies: Vec<String>,
    /// The seeded conversations: `conversations[c]` holds members `i` with `i % count == c`
    /// among the first `count * CONVERSATION_SIZE`.
    pub conversations: Vec<i64>,
    /// A group with every member in it.
    pub everyone: i64,
}

impl Seeded {
    /// A conversation member `i` (`cookies[i]`) belongs to (for
    /// `i < conversations * CONVERSATION_SIZE`).
    pub fn conversation_of(&self, i: usize) -> i64 {
        self.conversations[i % self.conversations.len()]
    }
}

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noor", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tara",
];
const LAST: &[&str] = &[
    "Adams", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Silva",
];

/// The session token of member `i`: 64 hex digits, like the server's own tokens.
fn token(i: usize) -> String {
    hex(&Sha256::digest(format!("clubroom bench member {i}").as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seeds `db` (already migrated by `clubroom migrate`) in one transaction.
pub fn seed(db: &Path, spec: SeedSpec) -> Result<Seeded, String> {
    let mut conn = Connection::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let seeded = fill(&tx, spec).map_err(|e| format!("seeding failed: {e}"))?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(seeded)
}

fn fill(tx: &rusqlite::Transaction, spec: SeedSpec) -> rusqlite::Result<Seeded> {
    let now = now();
    let year_ago = now - 365 * 86_400;
    let mut members = Vec::with_capacity(spec.members);
    let mut cookies = Vec::with_capacity(spec.members);
    {
        let mut user = tx.prepare(
            "INSERT INTO users (username, email, display_name, first_name, last_name, status,
                                city, created_at, updated_at, activated_at, onboarding_completed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?7, ?7, ?7)",
        )?;
        let mut role = tx.prepare("INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)")?;
        let mut session = tx.prepare(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at,
                                   ip, user_agent)
             VALUES (?1, ?2, ?3, ?3, ?4, '127.0.0.1', 'clubroom-bench')",
        )?;
        for i in 0..spec.members {
            let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            let joined = year_ago + (i as i64 * 7_919) % (365 * 86_400);
            user.execute(params![
                format!("member{i:04}"),
                format!("member{i:04}@example.org"),
                format!("{first} {last}"),
                first,
                last,
                ["Oslo", "Lyon", "Porto", "Leeds"][i % 4],
                joined,
            ])?;
            let id = tx.last_insert_rowid();
            role.execute(params![id, "member"])?;
            if i == 0 {
                role.execute(params![id, "admin"])?;
            }
            let token = token(i);
            session.execute(params![
                Sha256::digest(token.as_bytes()).to_vec(),
                id,
                now,
                now + 30 * 86_400
            ])?;
            members.push(id);
            cookies.push(format!("clubroom_session={token}"));
        }
    }

    {
        let mut activity = tx.prepare(
            "INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format, venue,
                                     notes, recorded_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, (SELECT id FROM activity_types ORDER BY id LIMIT 1 OFFSET ?4),
                     ?5, ?6, ?7, ?1, ?2, ?2)",
        )?;
        let owners = spec.members_with_activities.min(spec.members).max(1);
        for n in 0..spec.activities {
            let member = members[n % owners];
            let started = year_ago + (n as i64 * 1_543) % (365 * 86_400);
            activity.execute(params![
                member,
                started,
                30 + (n % 6) as i64 * 15,
                (n % 3) as i64,
                ["coached", "group", "solo"][n % 3],
                ["Main rink", "East hall", ""][n % 3],
                if n % 4 == 0 { "Worked on edges and turns." } else { "" },
            ])?;
        }
    }

    let mut conversations = Vec::with_capacity(spec.conversations);
    let everyone = {
        let mut conversation = tx.prepare(
            "INSERT INTO conversations (kind, name, description, created_by, created_at)
             VALUES ('group', ?1, ?2, ?3, ?4)",
        )?;
        let mut member = tx.prepare(
            "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut message = tx.prepare(
            "INSERT INTO conversation_messages (conversation_id, author_id, content, sent_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let count = spec.conversations.max(1);
        let per_conversation = spec.messages / count;
        for c in 0..count {
            let owner = members[c % members.len()];
            conversation.execute(params![
                format!("Group {}", c + 1),
                "Practice plans and lifts.",
                owner,
                year_ago
            ])?;
            let id = tx.last_insert_rowid();
            let people: Vec<i64> = (0..CONVERSATION_SIZE)
                .map(|k| c + k * count)
                .filter(|&i| i < members.len())
                .map(|i| members[i])
                .collect();
            for (k, &person) in people.iter().enumerate() {
                let role = if k == 0 { "owner" } else { "member" };
                member.execute(params![id, person, role, year_ago])?;
            }
            for m in 0..per_conversation {
                let author = people[m % people.len()];
                let sent = year_ago + (m as i64 * 3_600);
                message.execute(params![id, author, format!("Message {m} in group {c}"), sent])?;
            }
            tx.execute(
                "UPDATE conversations SET last_message_id =
                    (SELECT max(id) FROM conversation_messages WHERE conversation_id = ?1)
                 WHERE id = ?1",
                params![id],
            )?;
            conversations.push(id);
        }

        conversation.execute(params!["Everyone", "The whole club.", members[0], now])?;
        let everyone = tx.last_insert_rowid();
        for (k, &person) in members.iter().enumerate() {
            member.execute(params![
                everyone,
                person,
                if k == 0 { "owner" } else { "member" },
                now
            ])?;
        }
        everyone
    };
    Ok(Seeded { cookies, conversations, everyone })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) {
        // The columns the seed writes, as the migrations define them; a migration that renames
        // one breaks the benchmark loudly at seeding time, and this test shows the statements
        // themselves are sound.
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, email TEXT,
                display_name TEXT, first_name TEXT, last_name TEXT, status TEXT, city TEXT,
                created_at INT, updated_at INT, activated_at INT, onboarding_completed_at INT);
             CREATE TABLE user_roles (user_id INT, role TEXT);
             CREATE TABLE sessions (id INTEGER PRIMARY KEY, token_hash BLOB UNIQUE, user_id INT,
                created_at INT, last_seen_at INT, expires_at INT, ip TEXT, user_agent TEXT);
             CREATE TABLE activity_types (id INTEGER PRIMARY KEY, key TEXT);
             INSERT INTO activity_types (key) VALUES ('a'), ('b'), ('c');
             CREATE TABLE activities (id INTEGER PRIMARY KEY, user_id INT, started_at INT,
                duration_minutes INT, type_id INT NOT NULL, format TEXT, venue TEXT, notes TEXT,
                recorded_by INT, created_at INT, updated_at INT);
             CREATE TABLE conversations (id INTEGER PRIMARY KEY, kind TEXT, name TEXT,
                description TEXT, created_by INT, created_at INT, last_message_id INT);
             CREATE TABLE conversation_members (conversation_id INT, user_id INT, role TEXT,
                joined_at INT, PRIMARY KEY (conversation_id, user_id));
             CREATE TABLE conversation_messages (id INTEGER PRIMARY KEY, conversation_id INT,
                author_id INT, content TEXT, sent_at INT);",
        )
        .unwrap();
    }

    #[test]
    fn seeds_the_counts_asked_for_with_a_session_per_member() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        schema(&Connection::open(&db).unwrap());
        let spec = SeedSpec {
            members: 100,
            members_with_activities: 10,
            activities: 500,
            conversations: 5,
            messages: 250,
        };
        let seeded = seed(&db, spec).unwrap();
        let conn = Connection::open(&db).unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT count(*) FROM users"), 100);
        assert_eq!(count("SELECT count(*) FROM sessions"), 100);
        assert_eq!(count("SELECT count(DISTINCT user_id) FROM activities"), 10);
        assert_eq!(count("SELECT count(*) FROM activities"), 500);
        assert_eq!(count("SELECT count(*) FROM conversation_messages"), 250);
        assert_eq!(
            count(&format!(
                "SELECT count(*) FROM conversation_members WHERE conversation_id = {}",
                seeded.everyone
            )),
            100
        );
        // The cookie's token hashes to the stored session of the same member.
        let token = seeded.cookies[7].strip_prefix("clubroom_session=").unwrap();
        let owner: i64 = conn
            .query_row(
                "SELECT user_id FROM sessions WHERE token_hash = ?1",
                [Sha256::digest(token.as_bytes()).to_vec()],
                |r| r.get(0),
            )
            .unwrap();
        let member7: i64 = conn
            .query_row("SELECT id FROM users WHERE username = 'member0007'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(owner, member7);
        // Member 12 writes to a conversation it belongs to.
        let member_of: i64 = conn
            .query_row(
                "SELECT count(*) FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
                params![seeded.conversation_of(12), member7 + 5],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(member_of, 1);
    }
}
