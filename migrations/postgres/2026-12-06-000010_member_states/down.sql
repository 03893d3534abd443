ALTER TABLE cases DROP COLUMN next_action_shared;
ALTER TABLE case_transitions DROP COLUMN note_shared;
ALTER TABLE case_documents DROP COLUMN version;
ALTER TABLE case_documents DROP COLUMN shared_with;
DROP INDEX incident_victims_nationality;
DROP INDEX cases_jurisdiction_state;
ALTER TABLE cases DROP COLUMN jurisdiction_state;
ALTER TABLE users DROP CONSTRAINT users_state_of_focal_points;
ALTER TABLE users DROP COLUMN state;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN
    ('admin', 'security_officer', 'legal_officer', 'leadership', 'auditor'));
