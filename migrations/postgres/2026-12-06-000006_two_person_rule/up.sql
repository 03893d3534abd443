-- The two-person rule: an amended incident goes back to be verified again. The incident keeps
-- the version last verified, so that who wrote content since then can be read from its history,
-- and an incident submitted again after a verification is an amendment waiting for one.
ALTER TABLE incidents ADD COLUMN last_verified_version BIGINT;
UPDATE incidents SET last_verified_version = version WHERE status = 'verified';
