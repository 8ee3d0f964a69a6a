-- User search that scales (the Management API's `search`, `search.<field>`): a `%kw%` LIKE
-- cannot use a B-tree, so the searchable fields are copied into an FTS5 table with the
-- trigram tokenizer, which answers LIKE patterns from its index. The search still applies
-- its own comparison to the user row: the index only narrows the candidates.
--
-- Triggers keep the copy in the same transaction as the user row. FTS5 finds a row by its
-- rowid only, and the users table's implicit rowid may change with VACUUM: each user gets a
-- stable search row number instead.
CREATE TABLE user_search_rows (
    search_row INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE user_search USING fts5 (
    id, username, primary_email, primary_phone, name,
    tokenize = 'trigram'
);

INSERT INTO user_search_rows (user_id) SELECT id FROM users ORDER BY created_at, id;
INSERT INTO user_search (rowid, id, username, primary_email, primary_phone, name)
    SELECT r.search_row, u.id, COALESCE(u.username, ''), COALESCE(u.primary_email, ''), COALESCE(u.primary_phone, ''), COALESCE(u.name, '')
    FROM user_search_rows r JOIN users u ON u.id = r.user_id;

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_rows (user_id) VALUES (new.id);
    INSERT INTO user_search (rowid, id, username, primary_email, primary_phone, name)
        VALUES ((SELECT search_row FROM user_search_rows WHERE user_id = new.id), new.id,
                COALESCE(new.username, ''), COALESCE(new.primary_email, ''), COALESCE(new.primary_phone, ''), COALESCE(new.name, ''));
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF username, primary_email, primary_phone, name ON users BEGIN
    UPDATE user_search
        SET username = COALESCE(new.username, ''), primary_email = COALESCE(new.primary_email, ''),
            primary_phone = COALESCE(new.primary_phone, ''), name = COALESCE(new.name, '')
        WHERE rowid = (SELECT search_row FROM user_search_rows WHERE user_id = new.id);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT search_row FROM user_search_rows WHERE user_id = old.id);
    DELETE FROM user_search_rows WHERE user_id = old.id;
END;

-- Lists are newest first with the id breaking ties: one index gives that order.
DROP INDEX users_created_at;
CREATE INDEX users_created_at_id ON users (created_at DESC, id);

-- An organization's members in the order they joined, a page at a time.
CREATE INDEX organization_members_joined ON organization_members (organization_id, created_at, user_id);
