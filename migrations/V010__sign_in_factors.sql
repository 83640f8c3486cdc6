-- Second factors stronger than a mailbox, and the sign-in step that asks for one.

-- An authenticator app (TOTP, RFC 6238). The shared secret is sealed under a key derived from
-- the server's secret key. `confirmed_at` stays NULL until the member typed a first code, so a
-- half-finished set-up never counts. `last_step` is the newest 30-second step accepted: a code
-- of that step or an earlier one is refused, so a code works once.
CREATE TABLE authenticator_apps (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Single-use recovery codes, kept as keyed hashes.
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);

-- A sign-in half done: the first factor was proven (`first_factor`: password | email), and
-- the second is awaited (`stage` = second_factor), or the club requires this admin to set up a
-- strong factor before the session starts (`stage` = enrol). `email_code_hash` is set when the
-- mailbox may serve as the second factor; `passkey_state` holds a pending passkey assertion.
CREATE TABLE sign_in_challenges (
    id              INTEGER PRIMARY KEY,
    token_hash      BLOB    NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    grant_kind      TEXT    NOT NULL,
    first_factor    TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    email_code_hash BLOB,
    passkey_state   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);
CREATE INDEX sign_in_challenges_by_user ON sign_in_challenges(user_id);
CREATE INDEX sign_in_challenges_by_expiry ON sign_in_challenges(expires_at);
