-- The two-person rule: an amended incident goes back to be verified again. The incident keeps
-- the version last verified, so that who wrote content since then can be read from its history,
-- and an incident submitted again after a verification is an amendment waiting for one.
ALTER TABLE incidents ADD COLUMN last_verified_version BIGINT;

-- The version last verified, from the history: the last verification, or the last version the
-- official dataset's import wrote of its own incident (the official source is the second party).
UPDATE incidents SET last_verified_version = (
    SELECT MAX(v.version) FROM incident_versions v
    WHERE v.incident_id = incidents.id
      AND (v.action = 'verify' OR (v.action = 'import' AND v.changed_by = incidents.reported_by))
) WHERE status = 'verified';

-- The earlier rule kept an amended incident verified, in the name of a verifier who never saw
-- the amendment. Such incidents wait for a second officer now, as any amendment does.
UPDATE incidents SET status = 'submitted', verified_by = NULL, verified_at = NULL
WHERE status = 'verified'
  AND last_verified_version IS NOT NULL
  AND EXISTS (
    SELECT 1 FROM incident_versions v
    WHERE v.incident_id = incidents.id
      AND v.action IN ('create', 'update', 'amend', 'import')
      AND v.version > incidents.last_verified_version
  );
