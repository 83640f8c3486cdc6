-- The member directory: active members in name order, a page at a time.

-- The directory lists users with status 'active' ordered by the name they go by, without
-- regard to case, then by id. The expression is the one of `members::model::name_sql` (the
-- query must spell it the same way for SQLite to use this index); the rowid that ends every
-- index entry is the id, so a page is read in order and the walk stops after it, instead of
-- sorting every active member on every request.
CREATE INDEX users_directory ON users(
    status,
    (COALESCE(NULLIF(TRIM(TRIM(first_name) || ' ' || TRIM(last_name)), ''),
              NULLIF(TRIM(display_name), ''), username)) COLLATE NOCASE
);
