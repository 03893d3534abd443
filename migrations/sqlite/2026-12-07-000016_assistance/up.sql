-- The support the UN gave a host State: training, investigative and forensic support, deployed
-- investigators, legal aid, detention support, equipment; with the cases it served.
CREATE TABLE assistance (
    id TEXT PRIMARY KEY,
    assistance_type TEXT NOT NULL CHECK (assistance_type IN ('training', 'investigative_support',
        'forensic_support', 'deployed_investigators', 'legal_aid', 'detention_support',
        'equipment', 'other')),
    state TEXT NOT NULL,
    mission_code TEXT NOT NULL REFERENCES missions (code),
    from_on DATE NOT NULL,
    -- Empty while the support goes on.
    to_on DATE,
    provider TEXT NOT NULL,
    description TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assistance_mission_from ON assistance (mission_code, from_on, id);
CREATE INDEX assistance_state_from ON assistance (state, from_on, id);

CREATE TABLE assistance_cases (
    assistance_id TEXT NOT NULL REFERENCES assistance (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (assistance_id, case_id)
);
CREATE INDEX assistance_cases_case ON assistance_cases (case_id);

-- Each version of a record of assistance: who made it, when, and what it then said.
CREATE TABLE assistance_versions (
    assistance_id TEXT NOT NULL REFERENCES assistance (id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (assistance_id, version)
);
