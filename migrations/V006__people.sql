-- People management: CSV imports of members waiting for an admin's confirmation.

-- A parsed CSV file between its preview and its commit. The rows are kept here, not in the
-- browser, so what gets committed is exactly what was previewed. `result` holds the outcome
-- of the commit, so that submitting it again answers the same without creating anyone twice.
CREATE TABLE member_imports (
    id           TEXT    PRIMARY KEY,
    created_by   INTEGER REFERENCES users(id) ON DELETE CASCADE,
    -- JSON array of the rows as read: [{"line", "email", "first_name", ...}]
    rows         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    committed_at INTEGER,
    result       TEXT
) WITHOUT ROWID;
CREATE INDEX member_imports_by_expiry ON member_imports(expires_at);
