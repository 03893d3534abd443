DROP TRIGGER incidents_reach_changed;
DROP TRIGGER case_incidents_reach_removed;
DROP TRIGGER case_incidents_reach_added;
DROP VIEW case_reaching_incidents;
ALTER TABLE cases DROP COLUMN reaching_classification;
