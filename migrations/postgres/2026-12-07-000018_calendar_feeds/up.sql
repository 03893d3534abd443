-- Each user's private calendar feed of next actions: only the SHA-256 of its secret is kept,
-- as for session tokens. One a user: a new one replaces the old.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
