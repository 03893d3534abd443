-- Progress a host State's focal point reports on a case: a step, a next action, an accused
-- person's new status, or a document. It waits until a legal officer of the mission accepts
-- it (and it becomes the case's own, with its provenance) or declines it with a reason; a
-- change of jurisdiction withdraws the former State's pending ones.
CREATE TABLE case_proposals (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    state TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('step', 'next_action', 'accused_status', 'document')),
    -- What is proposed, as JSON; a document's file is kept by its hash like every document.
    content TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    proposed_by TEXT NOT NULL REFERENCES users (id),
    proposed_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    -- Why it was declined or withdrawn.
    reason TEXT,
    -- The case's version its acceptance made.
    applied_version BIGINT
);
CREATE INDEX case_proposals_case ON case_proposals (case_id, proposed_at);
CREATE INDEX case_proposals_pending ON case_proposals (case_id) WHERE status = 'pending';

-- The accepted proposal a step or a document came from.
ALTER TABLE case_transitions ADD COLUMN proposal_id TEXT REFERENCES case_proposals (id);
ALTER TABLE case_documents ADD COLUMN proposal_id TEXT REFERENCES case_proposals (id);

-- A host State's list of its cases goes most urgent first: its index reads them in that order.
DROP INDEX cases_jurisdiction_state;
CREATE INDEX cases_jurisdiction_state ON cases (jurisdiction_state, urgency, id)
    WHERE jurisdiction_state IS NOT NULL;
