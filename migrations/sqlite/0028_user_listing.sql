-- Lists are newest first with ties broken by id, both descending, so a keyset cursor is one
-- row comparison, `(created_at, id) < ($1, $2)`: a range of this index read backwards. The
-- mixed-direction index it replaces could not bound a cursor's `created_at < $1 OR (...)`.
DROP INDEX users_created_at_id;
CREATE INDEX users_listing ON users (created_at, id);

-- The unfiltered list's Total-Number past a thousand: SQLite counts a table by reading all of
-- it (a quarter of a second at a million users), so the triggers keep the count in the same
-- transaction as the user row. (PostgreSQL answers from its planner's estimate instead.)
CREATE TABLE user_count (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    users INTEGER NOT NULL
);
INSERT INTO user_count (singleton, users) SELECT 1, COUNT(*) FROM users;
CREATE TRIGGER user_count_insert AFTER INSERT ON users BEGIN
    UPDATE user_count SET users = users + 1 WHERE singleton = 1;
END;
CREATE TRIGGER user_count_delete AFTER DELETE ON users BEGIN
    UPDATE user_count SET users = users - 1 WHERE singleton = 1;
END;

-- A sign-in updates the user row (its last sign-in time) with every staged identifier in the
-- SET list, unchanged: `AFTER UPDATE OF username, …` fired for each and rewrote the user's
-- FTS5 row, a write that grows with the index. Only a change of a searched field does now.
DROP TRIGGER users_search_update;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, primary_email, primary_phone, name ON users
WHEN old.username IS NOT new.username OR old.primary_email IS NOT new.primary_email
  OR old.primary_phone IS NOT new.primary_phone OR old.name IS NOT new.name
BEGIN
    UPDATE user_search
        SET username = COALESCE(new.username, ''), primary_email = COALESCE(new.primary_email, ''),
            primary_phone = COALESCE(new.primary_phone, ''), name = COALESCE(new.name, '')
        WHERE rowid = (SELECT search_row FROM user_search_rows WHERE user_id = new.id);
END;
