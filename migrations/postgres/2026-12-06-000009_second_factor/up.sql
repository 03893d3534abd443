-- An account's second factor: the secret of its one-time codes, kept from enrolment on and
-- switched on by a first good code (confirmed_at); the last step a code was accepted for, so
-- that no code is accepted twice; and its recovery codes, kept as hashes, each used once.
CREATE TABLE second_factors (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret BYTEA NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);
