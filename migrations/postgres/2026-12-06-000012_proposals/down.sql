ALTER TABLE case_documents DROP COLUMN proposal_id;
ALTER TABLE case_transitions DROP COLUMN proposal_id;
DROP TABLE case_proposals;
