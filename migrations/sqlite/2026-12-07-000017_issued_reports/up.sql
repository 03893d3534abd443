-- Annual reports as leadership issued them: the figures frozen as issued, byte for byte, with
-- their SHA-256 (which the audit trail holds too).
CREATE TABLE issued_reports (
    id TEXT PRIMARY KEY,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    edition TEXT NOT NULL CHECK (edition IN ('internal', 'unclassified')),
    -- The missions it covers, comma-separated in order; empty for all.
    missions TEXT NOT NULL,
    -- The highest classification it drew on.
    classification TEXT NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    -- It names accused persons: only readers cleared `confidential` may download it.
    with_names BOOLEAN NOT NULL,
    issued_by TEXT NOT NULL REFERENCES users (id),
    issued_at TIMESTAMP NOT NULL
);
CREATE INDEX issued_reports_period ON issued_reports (period_from, period_to, edition, missions, issued_at);
