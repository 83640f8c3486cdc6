-- Messaging: club notices (admin -> members) with read receipts and reply threads, and group or
-- one-to-one conversations.

-- ----- notices -----

-- Whether the member wants an email when a notice arrives (the notice itself is always kept).
ALTER TABLE users ADD COLUMN notice_emails INTEGER NOT NULL DEFAULT 1;

-- What an admin sent, once; each recipient gets a copy in notice_copies.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    sender_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    -- How the recipients were chosen: all | role:<name> | members
    audience   TEXT    NOT NULL,
    -- The sender asked for an email to every recipient who has not turned them off.
    email      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX notices_by_time ON notices(created_at);

-- A recipient's own copy. Its id is the id the member sees (`/api/v1/messages/{id}`).
CREATE TABLE notice_copies (
    id         INTEGER PRIMARY KEY,
    notice_id  INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    read_at    INTEGER,
    -- Hidden from the member, kept for the admins.
    deleted_at INTEGER,
    UNIQUE (notice_id, user_id)
);
CREATE INDEX notice_copies_by_user ON notice_copies(user_id, id);

-- The thread under a member's copy: the member's replies and the admins' answers.
CREATE TABLE notice_replies (
    id           INTEGER PRIMARY KEY,
    copy_id      INTEGER NOT NULL REFERENCES notice_copies(id) ON DELETE CASCADE,
    author_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- 1 when an admin wrote it, 0 for the member's own replies.
    from_admin   INTEGER NOT NULL DEFAULT 0,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    -- When an admin first read a member's reply (NULL: unread by the admins).
    admin_read_at INTEGER
);
CREATE INDEX notice_replies_by_copy ON notice_replies(copy_id, id);
CREATE INDEX notice_replies_unread ON notice_replies(admin_read_at) WHERE from_admin = 0;

-- ----- conversations -----

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    -- group | direct
    kind            TEXT    NOT NULL CHECK (kind IN ('group', 'direct')),
    name            TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    -- "<lower id>:<higher id>" for a one-to-one conversation, so a pair has only one.
    direct_key      TEXT    UNIQUE,
    created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    last_message_id INTEGER
);

CREATE TABLE conversation_members (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- owner | member
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at       INTEGER NOT NULL,
    -- The newest message id the member has seen; later messages by others are unread.
    last_read_id    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX conversation_members_by_user ON conversation_members(user_id, conversation_id);

CREATE TABLE conversation_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    author_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    content         TEXT    NOT NULL,
    -- Server time, the order of record.
    sent_at         INTEGER NOT NULL,
    -- The time the client says it sent the message (RFC 3339), kept as given.
    client_sent_at  TEXT
);
CREATE INDEX conversation_messages_by_conversation ON conversation_messages(conversation_id, id);
