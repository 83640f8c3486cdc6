-- Foundation: people, their roles, sessions, one-time tokens, settings, the email outbox and
-- the audit log. Every *_at column holds seconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT    NOT NULL DEFAULT '',
    -- NULL until the person sets a password (e.g. an admin created without a terminal).
    password_hash TEXT,
    -- invited | onboarding | pending_contract | pending_review | active | disabled
    status        TEXT    NOT NULL DEFAULT 'active',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

-- A person can hold several roles: admin, coach, member, guardian, guest, ...
CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;
CREATE INDEX user_roles_by_role ON user_roles(role, user_id);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- absolute end of the session; the idle limit is checked against last_seen_at
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

-- Single-use tokens that grant entry: the setup link, set-password links, ...
CREATE TABLE one_time_tokens (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    token_hash BLOB    NOT NULL UNIQUE,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens(user_id, purpose);
CREATE INDEX one_time_tokens_by_expiry ON one_time_tokens(expires_at);

-- Club-wide settings editable at run time (club name, ...).
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every email, rendered when queued (in the transaction that caused it) and sent by the worker.
CREATE TABLE email_outbox (
    id              INTEGER PRIMARY KEY,
    to_address      TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    -- queued | sent | failed
    status          TEXT    NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    -- when the worker may (re)try; a claimed message is leased by moving this forward
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX email_outbox_due ON email_outbox(status, next_attempt_at);

-- Admin actions and security events.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind          TEXT    NOT NULL,
    target        TEXT,
    detail        TEXT,
    ip            TEXT
);
CREATE INDEX audit_log_by_time ON audit_log(at);
CREATE INDEX audit_log_by_kind ON audit_log(kind, at);
