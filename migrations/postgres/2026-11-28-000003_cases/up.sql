-- Accountability cases: from the report of an attack to a final judgment.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    mission_code TEXT NOT NULL REFERENCES missions (code),
    status TEXT NOT NULL CHECK (status IN ('opened', 'referred', 'investigating', 'suspects_identified',
        'warrants_issued', 'arrests_made', 'charged', 'in_trial', 'judgment', 'appeal', 'final', 'closed')),
    jurisdiction TEXT NOT NULL,
    authority TEXT,
    lead_officer TEXT NOT NULL REFERENCES users (id),
    next_action TEXT,
    next_action_due DATE,
    -- The order of urgency: the next action's due date while the case is open, else the far future.
    urgency DATE NOT NULL,
    notes TEXT,
    closure_reason TEXT,
    opened_on DATE NOT NULL,
    -- The date of the latest step of the timeline, for stalled cases.
    last_moved_on DATE NOT NULL,
    -- Lower-case reference, jurisdiction, authority, next action and notes, for `q`.
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_urgency ON cases (urgency, id);
CREATE INDEX cases_mission_urgency ON cases (mission_code, urgency, id);

CREATE TABLE case_incidents (
    case_id TEXT NOT NULL REFERENCES cases (id),
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (case_id, incident_id)
);
CREATE INDEX case_incidents_incident ON case_incidents (incident_id);

-- The timeline: every step, the day it happened in reality, who entered it and when.
CREATE TABLE case_transitions (
    case_id TEXT NOT NULL REFERENCES cases (id),
    position INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    effective_on DATE NOT NULL,
    note TEXT,
    closure_reason TEXT,
    entered_by TEXT NOT NULL REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, position)
);

CREATE TABLE case_accused (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    affiliation TEXT,
    status TEXT NOT NULL,
    charges TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('pending', 'convicted', 'acquitted')),
    sentence_type TEXT,
    sentence_months INTEGER,
    sentence_details TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX case_accused_case ON case_accused (case_id);

-- Documents: the file lives in the document folder under its SHA-256; the row keeps the hash.
CREATE TABLE case_documents (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_date DATE,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- The client's file name, cleaned, for display and downloads only; never a path.
    file_name TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX case_documents_case ON case_documents (case_id);

-- The last case reference number given per mission and year.
CREATE TABLE case_reference_counters (
    mission_code TEXT NOT NULL REFERENCES missions (code),
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (mission_code, year)
);
