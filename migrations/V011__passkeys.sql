-- Passkeys: WebAuthn credentials a member signs in with, and the ceremonies in progress.

-- The account's WebAuthn user handle, a random UUID made at its first passkey registration.
-- Authenticators keep it with the passkey and hand it back at a passkey-only sign-in; it is
-- never the numeric id or the email address, which would reveal or outlive the account.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_by_webauthn_handle ON users(webauthn_handle)
    WHERE webauthn_handle IS NOT NULL;

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The authenticator's credential id, as the browser sends it back at each sign-in.
    credential_id BLOB    NOT NULL UNIQUE,
    -- The member's name for it ("Phone", "Work laptop").
    name          TEXT    NOT NULL,
    -- The public key, signature counter and flags, as JSON.
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_by_user ON passkeys(user_id, id);

-- A registration or a passkey-only sign-in between its two requests: the challenge sent to
-- the browser and what checking its answer needs. The browser holds a random token; only its
-- SHA-256 is stored. Each is used once, and dropped once expired.
CREATE TABLE passkey_ceremonies (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    -- The member registering; NULL for a sign-in, where nobody is known yet.
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    -- registration | sign_in
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies(expires_at);
