-- User search that scales (the Management API's `search`, `search.<field>`): a `%kw%` LIKE
-- cannot use a B-tree, so each searchable field gets a trigram index over exactly the
-- expression the search compares (`lower(COALESCE(field, ''))`). pg_trgm ships with
-- PostgreSQL and is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_search_id ON users USING gin (lower(id) gin_trgm_ops);
CREATE INDEX users_search_username ON users USING gin (lower(COALESCE(username, '')) gin_trgm_ops);
CREATE INDEX users_search_primary_email ON users USING gin (lower(COALESCE(primary_email, '')) gin_trgm_ops);
CREATE INDEX users_search_primary_phone ON users USING gin (lower(COALESCE(primary_phone, '')) gin_trgm_ops);
CREATE INDEX users_search_name ON users USING gin (lower(COALESCE(name, '')) gin_trgm_ops);

-- Lists are newest first with the id breaking ties: one index gives that order, so a page
-- (and a keyset cursor) starts where it should instead of sorting the table.
DROP INDEX users_created_at;
CREATE INDEX users_created_at_id ON users (created_at DESC, id);

-- An organization's members in the order they joined, a page at a time.
CREATE INDEX organization_members_joined ON organization_members (organization_id, created_at, user_id);
