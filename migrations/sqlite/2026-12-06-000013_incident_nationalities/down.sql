CREATE INDEX incident_victims_nationality ON incident_victims (nationality, incident_id)
    WHERE nationality IS NOT NULL;
DROP TRIGGER incidents_nationalities_moved;
DROP TRIGGER incident_victims_nationality_changed;
DROP TRIGGER incident_victims_nationality_removed;
DROP TRIGGER incident_victims_nationality_added;
DROP TABLE incident_nationalities;
