DROP INDEX cases_jurisdiction_state;
CREATE INDEX cases_jurisdiction_state ON cases (jurisdiction_state, id)
    WHERE jurisdiction_state IS NOT NULL;
ALTER TABLE case_documents DROP COLUMN proposal_id;
ALTER TABLE case_transitions DROP COLUMN proposal_id;
DROP TABLE case_proposals;
