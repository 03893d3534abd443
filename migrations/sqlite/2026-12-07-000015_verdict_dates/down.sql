ALTER TABLE case_accused DROP COLUMN verdict_on;
