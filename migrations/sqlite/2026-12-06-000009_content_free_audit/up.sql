-- Every version of a case, as incidents have: the case's fields, linked incidents, steps,
-- accused persons and documents' metadata at each change to any of them. The audit record of
-- the change carries the SHA-256 of the snapshot, so a snapshot changed later is found.
CREATE TABLE case_versions (
    case_id TEXT NOT NULL REFERENCES cases (id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    snapshot TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- Records that were written before audit records carried their snapshot's hash, waiting for
-- the one `audit.baseline` record that covers each (written at the next start).
CREATE TABLE audit_baseline_pending (
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity_type, entity_id)
);
INSERT INTO audit_baseline_pending (entity_type, entity_id) SELECT 'incident', id FROM incidents;
INSERT INTO audit_baseline_pending (entity_type, entity_id) SELECT 'case', id FROM cases;
INSERT INTO audit_baseline_pending (entity_type, entity_id) SELECT 'user', id FROM users;

-- Audit records from this one on hold no content; the ones before it may, and their details are
-- shown only to auditors cleared strictly confidential.
CREATE TABLE audit_content_free (
    first_record BIGINT NOT NULL
);
INSERT INTO audit_content_free (first_record) SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log;
