-- Lists are newest first with ties broken by id, both descending, so a keyset cursor is one
-- row comparison, `(created_at, id) < ($1, $2)`: a range of this index read backwards. The
-- mixed-direction index it replaces could not bound a cursor's `created_at < $1 OR (...)`
-- and walked every row before it.
DROP INDEX users_created_at_id;
CREATE INDEX users_listing ON users (created_at, id);

-- A pattern with no leading wildcard (`user12%`, `+4420%`: someone typing the start of an
-- address) is a range of a B-tree in pattern order: it reads the matching entries only,
-- where the trigram index reads every entry of trigrams most addresses share (`use`, `ser`).
-- The searches are planned for their patterns, so the planner sees which one it has.
CREATE INDEX users_prefix_username ON users (lower(COALESCE(username, '')) text_pattern_ops);
CREATE INDEX users_prefix_primary_email ON users (lower(COALESCE(primary_email, '')) text_pattern_ops);
CREATE INDEX users_prefix_primary_phone ON users (lower(COALESCE(primary_phone, '')) text_pattern_ops);
