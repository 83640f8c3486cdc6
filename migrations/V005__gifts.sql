-- Gift exchanges (Secret Santa): exchanges, their participants, exclusions, the drawn cycle,
-- reminders sent, and the admins' notification preferences.

-- ----- exchanges -----

CREATE TABLE exchanges (
    id                    INTEGER PRIMARY KEY,
    -- 12 random URL-safe characters: the public registration link /exchange/<slug>/register
    slug                  TEXT    NOT NULL UNIQUE,
    name                  TEXT    NOT NULL,
    description           TEXT    NOT NULL DEFAULT '',
    budget                TEXT    NOT NULL DEFAULT '',
    -- NULL: no limit; otherwise at least 3
    max_participants      INTEGER CHECK (max_participants IS NULL OR max_participants >= 3),
    -- Calendar dates (YYYY-MM-DD) in the exchange's own time zone.
    registration_close_date TEXT  NOT NULL,
    exchange_date         TEXT    NOT NULL,
    -- IANA zone name
    timezone              TEXT    NOT NULL,
    state                 TEXT    NOT NULL DEFAULT 'draft' CHECK (state IN
        ('draft', 'registration_open', 'registration_closed', 'matched', 'completed')),
    -- JSON array of whole days before exchange_date on which reminders go out, e.g. [7, 1]
    reminder_days         TEXT    NOT NULL DEFAULT '[7,1]',
    -- Per-exchange overrides of the admins' notification preferences (NULL: the global one).
    notify_registration   INTEGER,
    notify_withdrawal     INTEGER,
    notify_matched        INTEGER,
    created_by            INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    matched_at            INTEGER,
    -- Purged 30 days after this.
    completed_at          INTEGER
);
CREATE INDEX exchanges_by_state ON exchanges(state);

-- ----- participants -----

CREATE TABLE exchange_participants (
    id          INTEGER PRIMARY KEY,
    exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
    -- The account they sign in with (a guest account when they had none).
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name        TEXT    NOT NULL,
    -- Trimmed and lowercased.
    email       TEXT    NOT NULL,
    gift_ideas  TEXT    NOT NULL DEFAULT '',
    reminders   INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Soft delete: withdrew (by themselves) or removed (by an admin).
    removed_at  INTEGER,
    removed_how TEXT CHECK (removed_how IS NULL OR removed_how IN ('withdrew', 'removed'))
);
-- An email registers once per exchange (among those still in).
CREATE UNIQUE INDEX exchange_participants_email
    ON exchange_participants(exchange_id, email) WHERE removed_at IS NULL;
CREATE INDEX exchange_participants_by_user ON exchange_participants(user_id);
CREATE INDEX exchange_participants_by_exchange ON exchange_participants(exchange_id, id);

-- Pairs who must not draw each other, stored once (lower participant id first); symmetric.
CREATE TABLE exchange_exclusions (
    id            INTEGER PRIMARY KEY,
    exchange_id   INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
    participant_a INTEGER NOT NULL REFERENCES exchange_participants(id) ON DELETE CASCADE,
    participant_b INTEGER NOT NULL REFERENCES exchange_participants(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    CHECK (participant_a < participant_b),
    UNIQUE (exchange_id, participant_a, participant_b)
);

-- The drawn cycle: each giver gives to exactly one receiver and receives from exactly one.
CREATE TABLE exchange_matches (
    exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
    giver_id    INTEGER NOT NULL UNIQUE REFERENCES exchange_participants(id) ON DELETE CASCADE,
    receiver_id INTEGER NOT NULL UNIQUE REFERENCES exchange_participants(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    CHECK (giver_id <> receiver_id)
);
CREATE INDEX exchange_matches_by_exchange ON exchange_matches(exchange_id);

-- ----- schedule -----

-- Reminders already sent (one row per exchange and number of days before), so each goes out
-- once even across restarts.
CREATE TABLE exchange_reminders (
    exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
    days_before INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (exchange_id, days_before)
) WITHOUT ROWID;
