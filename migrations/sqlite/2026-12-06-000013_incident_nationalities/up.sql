-- The nationalities of each incident's victims, one row per incident and nationality, with the
-- incident's time: a State's list of the incidents with its nationals reads its index in order
-- and stops at the page's end, however many incidents the State has. Like an index, the
-- database keeps it: triggers on the victims and on the incident's time write it in the
-- transaction of every change, whichever way the rows arrive (the service, an import, a load).
CREATE TABLE incident_nationalities (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    nationality TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, nationality)
) WITHOUT ROWID;
CREATE INDEX incident_nationalities_list ON incident_nationalities (nationality, occurred_at, incident_id);

CREATE TRIGGER incident_victims_nationality_added AFTER INSERT ON incident_victims
FOR EACH ROW WHEN NEW.nationality IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO incident_nationalities (incident_id, nationality, occurred_at)
    SELECT NEW.incident_id, NEW.nationality, i.occurred_at FROM incidents i WHERE i.id = NEW.incident_id;
END;

-- Gone only when no other victim of the incident has that nationality.
CREATE TRIGGER incident_victims_nationality_removed AFTER DELETE ON incident_victims
FOR EACH ROW WHEN OLD.nationality IS NOT NULL
BEGIN
    DELETE FROM incident_nationalities
    WHERE incident_id = OLD.incident_id AND nationality = OLD.nationality
      AND NOT EXISTS (SELECT 1 FROM incident_victims v
                      WHERE v.incident_id = OLD.incident_id AND v.nationality = OLD.nationality);
END;

CREATE TRIGGER incident_victims_nationality_changed AFTER UPDATE OF incident_id, nationality ON incident_victims
FOR EACH ROW
BEGIN
    DELETE FROM incident_nationalities
    WHERE OLD.nationality IS NOT NULL
      AND incident_id = OLD.incident_id AND nationality = OLD.nationality
      AND NOT EXISTS (SELECT 1 FROM incident_victims v
                      WHERE v.incident_id = OLD.incident_id AND v.nationality = OLD.nationality);
    INSERT OR IGNORE INTO incident_nationalities (incident_id, nationality, occurred_at)
    SELECT NEW.incident_id, NEW.nationality, i.occurred_at FROM incidents i
    WHERE i.id = NEW.incident_id AND NEW.nationality IS NOT NULL;
END;

CREATE TRIGGER incidents_nationalities_moved AFTER UPDATE OF occurred_at ON incidents
FOR EACH ROW WHEN NEW.occurred_at IS NOT OLD.occurred_at
BEGIN
    UPDATE incident_nationalities SET occurred_at = NEW.occurred_at WHERE incident_id = NEW.id;
END;

INSERT INTO incident_nationalities (incident_id, nationality, occurred_at)
SELECT DISTINCT v.incident_id, v.nationality, i.occurred_at
FROM incident_victims v JOIN incidents i ON i.id = v.incident_id
WHERE v.nationality IS NOT NULL;

-- The lists that read the victims' nationality now read the table above.
DROP INDEX incident_victims_nationality;
