ALTER TABLE incidents DROP COLUMN last_verified_version;
