-- Member States' focal points: a role that speaks for one State (ISO3), and no other account
-- speaks for any.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN
    ('admin', 'security_officer', 'legal_officer', 'leadership', 'auditor', 'state_focal_point'));
ALTER TABLE users ADD COLUMN state TEXT;
ALTER TABLE users ADD CONSTRAINT users_state_of_focal_points
    CHECK ((role = 'state_focal_point') = (state IS NOT NULL));

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
