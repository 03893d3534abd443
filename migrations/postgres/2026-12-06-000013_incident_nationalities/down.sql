CREATE INDEX incident_victims_nationality ON incident_victims (nationality, incident_id)
    WHERE nationality IS NOT NULL;
DROP TRIGGER incidents_nationalities_moved ON incidents;
DROP TRIGGER incident_victims_nationality_changed_to ON incident_victims;
DROP TRIGGER incident_victims_nationality_changed_from ON incident_victims;
DROP TRIGGER incident_victims_nationality_removed ON incident_victims;
DROP TRIGGER incident_victims_nationality_added ON incident_victims;
DROP FUNCTION incident_nationality_moved();
DROP FUNCTION incident_nationality_removed();
DROP FUNCTION incident_nationality_added();
DROP TABLE incident_nationalities;
