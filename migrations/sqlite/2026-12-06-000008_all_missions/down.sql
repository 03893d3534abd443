ALTER TABLE users DROP COLUMN all_missions;
