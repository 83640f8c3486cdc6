-- A row that moves whenever roles or settings change. Signed-in requests reuse sessions they
-- resolved earlier only while nothing they depend on has changed, which the server learns from
-- SQLite's update hook; that hook does not report tables WITHOUT ROWID (user_roles, settings),
-- so these triggers restate their changes as an update of this ordinary table.

CREATE TABLE auth_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO auth_changes (id, n) VALUES (1, 0);

CREATE TRIGGER user_roles_inserted AFTER INSERT ON user_roles
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER user_roles_updated AFTER UPDATE ON user_roles
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER user_roles_deleted AFTER DELETE ON user_roles
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER settings_inserted AFTER INSERT ON settings
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER settings_updated AFTER UPDATE ON settings
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER settings_deleted AFTER DELETE ON settings
BEGIN UPDATE auth_changes SET n = n + 1 WHERE id = 1; END;
