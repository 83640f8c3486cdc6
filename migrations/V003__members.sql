-- Members: the onboarding lifecycle, profiles and club-defined fields, the club agreement,
-- public cards, the activity log and bookings.

-- ----- profiles -----

ALTER TABLE users ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN zip TEXT NOT NULL DEFAULT '';
-- An IANA zone name ('' = the club's default, UTC).
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN coach_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN venue TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN emergency_contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN emergency_contact_phone TEXT NOT NULL DEFAULT '';
-- What the member lets other members see in the directory.
ALTER TABLE users ADD COLUMN show_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN show_phone INTEGER NOT NULL DEFAULT 0;
-- How the member likes to be contacted, shown on the public card as a label only:
-- email | text | phone | social | NULL
ALTER TABLE users ADD COLUMN contact_preference TEXT;
ALTER TABLE users ADD COLUMN onboarding_completed_at INTEGER;
-- The first time the member became active ("member since").
ALTER TABLE users ADD COLUMN activated_at INTEGER;
CREATE INDEX users_by_status ON users(status);
CREATE INDEX users_by_coach ON users(coach_id);

-- Questions the club asks its members, beyond the built-in profile.
CREATE TABLE profile_fields (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    -- text | long_text | number | date | yes_no | choice
    kind       TEXT    NOT NULL,
    required   INTEGER NOT NULL DEFAULT 0,
    -- private (member and admins) | members | public (also on the public card)
    visibility TEXT    NOT NULL DEFAULT 'private',
    -- JSON array of the allowed answers of a choice field
    choices    TEXT    NOT NULL DEFAULT '[]',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE profile_values (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES profile_fields(id) ON DELETE CASCADE,
    value    TEXT    NOT NULL,
    PRIMARY KEY (user_id, field_id)
) WITHOUT ROWID;
CREATE INDEX profile_values_by_field ON profile_values(field_id);

-- ----- the club agreement -----

-- Each save is a new version; the newest is the one members sign. A retired newest version
-- means the club asks for no agreement.
CREATE TABLE agreements (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    retired_at INTEGER,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE agreement_signatures (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    agreement_id INTEGER NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
    full_name    TEXT    NOT NULL,
    ip           TEXT,
    signed_at    INTEGER NOT NULL,
    UNIQUE (user_id, agreement_id)
);

-- Every status change of a member, with who made it.
CREATE TABLE status_events (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    note          TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX status_events_by_user ON status_events(user_id, at);

-- ----- public cards and calendar feeds -----

-- A member's card share: the token is kept as a keyed hash for lookup and sealed (encrypted
-- with the server secret) so the member can be shown the same link again.
CREATE TABLE card_shares (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    token_sealed TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- A member's private iCalendar feed, kept like card shares.
CREATE TABLE calendar_feeds (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    token_sealed TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- ----- the activity log -----

CREATE TABLE activity_types (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    -- retired types stay on old entries but cannot be chosen for new ones
    archived_at INTEGER,
    created_at INTEGER NOT NULL
);
INSERT INTO activity_types (key, label, position, created_at) VALUES
    ('practice', 'Practice', 1, strftime('%s', 'now')),
    ('lesson', 'Lesson', 2, strftime('%s', 'now')),
    ('competition', 'Competition', 3, strftime('%s', 'now'));

CREATE TABLE activities (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    started_at       INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL,
    type_id          INTEGER NOT NULL REFERENCES activity_types(id),
    -- coached | group | solo
    format           TEXT    NOT NULL,
    venue            TEXT    NOT NULL DEFAULT '',
    coach_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    notes            TEXT    NOT NULL DEFAULT '',
    recorded_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX activities_by_user ON activities(user_id, started_at);
CREATE INDEX activities_by_time ON activities(started_at);
CREATE INDEX activities_by_coach ON activities(coach_id, started_at);

-- ----- bookings -----

CREATE TABLE services (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    duration_minutes INTEGER NOT NULL,
    notes            TEXT    NOT NULL DEFAULT '',
    -- retired services stay on old bookings but cannot be booked
    archived_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE bookings (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service_id       INTEGER NOT NULL REFERENCES services(id),
    requested_start  INTEGER NOT NULL,
    -- copied from the service when booked
    duration_minutes INTEGER NOT NULL,
    notes            TEXT    NOT NULL DEFAULT '',
    -- pending | confirmed | declined | cancelled | completed
    status           TEXT    NOT NULL DEFAULT 'pending',
    admin_message    TEXT    NOT NULL DEFAULT '',
    decided_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    decided_at       INTEGER,
    completed_at     INTEGER,
    activity_id      INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX bookings_by_user ON bookings(user_id, requested_start);
CREATE INDEX bookings_by_status ON bookings(status, requested_start);
