-- Accounts: invitations, profile basics needed at sign-up, account claim, email codes,
-- two-factor opt-in and API tokens.

ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
-- When a pre-registered member set their own password (claim); NULL otherwise.
ALTER TABLE users ADD COLUMN claimed_at INTEGER;
-- The member asked for an emailed code at every password login.
ALTER TABLE users ADD COLUMN two_factor_enabled INTEGER NOT NULL DEFAULT 0;
-- The invitation the account was created with, if any.
ALTER TABLE users ADD COLUMN invite_id INTEGER;

-- A short code sent with (or instead of) a token: claim codes, magic-link codes, 2FA codes.
-- Stored as a keyed hash, like every token.
ALTER TABLE one_time_tokens ADD COLUMN code_hash BLOB;
-- What completing the token yields, where that varies (a session or an API token pair).
ALTER TABLE one_time_tokens ADD COLUMN grants TEXT;
CREATE INDEX one_time_tokens_by_code ON one_time_tokens(purpose, code_hash);

-- One invitation object for every shape: personal (with an email, usually single use) or a
-- shareable link (no email, several or unlimited uses).
CREATE TABLE invites (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    name         TEXT    NOT NULL DEFAULT '',
    email        TEXT    COLLATE NOCASE,
    -- comma-separated roles granted to whoever registers with it
    roles        TEXT    NOT NULL,
    -- NULL: unlimited
    max_uses     INTEGER,
    uses         INTEGER NOT NULL DEFAULT 0,
    expires_at   INTEGER NOT NULL,
    -- how long each issued link lives, kept for sending a new one
    lifetime_days INTEGER NOT NULL,
    revoked_at   INTEGER,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_sent_at INTEGER
);
-- Re-inviting an email reuses its record.
CREATE UNIQUE INDEX invites_by_email ON invites(email) WHERE email IS NOT NULL;

-- The history of each invitation: created, reissued, sent, used, revoked.
CREATE TABLE invite_events (
    id            INTEGER PRIMARY KEY,
    invite_id     INTEGER NOT NULL REFERENCES invites(id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX invite_events_by_invite ON invite_events(invite_id, at);

-- Bearer tokens for API clients. Access and refresh tokens of one login share a family;
-- replaying a refresh token that was already rotated revokes the whole family.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    family       TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- access | refresh
    kind         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    rotated_at   INTEGER,
    revoked_at   INTEGER,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
CREATE INDEX api_tokens_by_family ON api_tokens(family);
CREATE INDEX api_tokens_by_expiry ON api_tokens(expires_at);
