-- Usernames looked up ignoring case (usernamePolicy.caseSensitive = false) use this index.
CREATE INDEX IF NOT EXISTS users_username_lower ON users (lower(username));
