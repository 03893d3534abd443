-- Incidents: attacks on UN personnel or premises.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    reference TEXT UNIQUE,
    mission_code TEXT NOT NULL REFERENCES missions (code),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'verified', 'withdrawn')),
    classification TEXT NOT NULL CHECK (classification IN ('unclassified', 'confidential', 'strictly_confidential')),
    occurred_at TIMESTAMP NOT NULL,
    time_precision TEXT NOT NULL CHECK (time_precision IN ('exact', 'day', 'week', 'month')),
    occurred_until TIMESTAMP,
    reported_at TIMESTAMP NOT NULL,
    reported_by TEXT NOT NULL REFERENCES users (id),
    place_name TEXT,
    admin1 TEXT,
    admin2 TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    geo_precision TEXT NOT NULL,
    location_type TEXT NOT NULL,
    attack_type TEXT NOT NULL,
    -- JSON array of weapon codes.
    weapons TEXT NOT NULL,
    summary TEXT NOT NULL,
    narrative TEXT NOT NULL,
    verified_by TEXT REFERENCES users (id),
    verified_at TIMESTAMP,
    withdrawn_reason TEXT,
    -- Victim counts by outcome, kept with the incident so lists need no join.
    killed INTEGER NOT NULL,
    injured INTEGER NOT NULL,
    abducted INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    -- Lower-case words of the reference, summary, narrative and place, for `q`.
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_mission_occurred ON incidents (mission_code, occurred_at DESC, id DESC);
CREATE INDEX incidents_occurred ON incidents (occurred_at DESC, id DESC);

CREATE TABLE incident_victims (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    position INTEGER NOT NULL,
    personnel_type TEXT NOT NULL,
    nationality TEXT,
    gender TEXT NOT NULL,
    outcome TEXT NOT NULL,
    casualty_id TEXT UNIQUE,
    name TEXT,
    unit TEXT,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE incident_perpetrators (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    position INTEGER NOT NULL,
    actor_name TEXT,
    actor_type TEXT NOT NULL,
    attribution TEXT NOT NULL,
    claimed_responsibility BOOLEAN NOT NULL,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE incident_sources (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    position INTEGER NOT NULL,
    source_type TEXT NOT NULL,
    description TEXT NOT NULL,
    received_at TIMESTAMP,
    reliability TEXT NOT NULL,
    credibility INTEGER NOT NULL,
    PRIMARY KEY (incident_id, position)
);

-- Every version of an incident: who, when, why, what changed, and the whole record as it became.
CREATE TABLE incident_versions (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    reason TEXT,
    changes TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (incident_id, version)
);

-- The last reference number given per mission and year.
CREATE TABLE incident_reference_counters (
    mission_code TEXT NOT NULL REFERENCES missions (code),
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (mission_code, year)
);

-- Answers to creating requests, by the key the client sent, so a retry creates nothing new.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
