-- Member States' focal points: a role that speaks for one State (ISO3), and no other account
-- speaks for any. The accounts table is rebuilt to change its CHECK constraint (SQLite's way);
-- the tables that refer to it keep referring to it by name.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE users_rebuilt (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN
        ('admin', 'security_officer', 'legal_officer', 'leadership', 'auditor', 'state_focal_point')),
    clearance TEXT NOT NULL CHECK (clearance IN ('unclassified', 'confidential', 'strictly_confidential')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    language TEXT,
    all_missions BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT,
    CHECK ((role = 'state_focal_point') = (state IS NOT NULL))
);
INSERT INTO users_rebuilt (id, username, password_hash, role, clearance, disabled,
        must_change_password, failed_logins, locked_until, version, created_at, updated_at,
        language, all_missions)
    SELECT id, username, password_hash, role, clearance, disabled, must_change_password,
        failed_logins, locked_until, version, created_at, updated_at, language, all_missions
    FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;

-- The State whose courts prosecute a case: its jurisdiction when that is a country code, or the
-- State of the named court it is before; none for an international court.
ALTER TABLE cases ADD COLUMN jurisdiction_state TEXT;
UPDATE cases SET jurisdiction_state = jurisdiction
    WHERE length(jurisdiction) = 3 AND jurisdiction <> 'ICC';
CREATE INDEX cases_jurisdiction_state ON cases (jurisdiction_state, id)
    WHERE jurisdiction_state IS NOT NULL;
-- A contributing country's incidents are found by its nationals' records: a rare nationality
-- must not mean reading every victim.
CREATE INDEX incident_victims_nationality ON incident_victims (nationality, incident_id)
    WHERE nationality IS NOT NULL;
-- A document is shared with the States a legal officer names (ISO3 codes, a JSON list), and
-- has a version so that two officers sharing at once do not overwrite each other.
ALTER TABLE case_documents ADD COLUMN shared_with TEXT NOT NULL DEFAULT '[]';
ALTER TABLE case_documents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- A step's note and a case's next action are the mission's own unless a legal officer shares
-- them with the States concerned.
ALTER TABLE case_transitions ADD COLUMN note_shared BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN next_action_shared BOOLEAN NOT NULL DEFAULT FALSE;
COMMIT;
PRAGMA foreign_keys = ON;
