DROP TRIGGER incidents_reach_changed;
DROP TRIGGER case_incidents_reach_removed;
DROP TRIGGER case_incidents_reach_added;
ALTER TABLE cases DROP COLUMN reaching_classification;
