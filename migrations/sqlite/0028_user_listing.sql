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
