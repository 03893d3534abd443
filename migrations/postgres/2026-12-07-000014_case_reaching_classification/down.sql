DROP TRIGGER incidents_reach_changed ON incidents;
DROP TRIGGER case_incidents_reach_removed ON case_incidents;
DROP TRIGGER case_incidents_reach_added ON case_incidents;
DROP FUNCTION incident_reach_changed();
DROP FUNCTION case_link_removed();
DROP FUNCTION case_link_added();
DROP FUNCTION case_reaching_classification(TEXT);
DROP FUNCTION classification_rank(TEXT);
ALTER TABLE cases DROP COLUMN reaching_classification;
