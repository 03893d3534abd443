-- The lowest classification among a case's incidents that reach the States (submitted or
-- verified); NULL when none does. A State reads a case only through such an incident within
-- its focal point's clearance, so a State's list of cases filters on this column instead of
-- looking into every case's incidents. Like an index, the database keeps it, in the
-- transaction of every change (SQLite has one writer at a time).
ALTER TABLE cases ADD COLUMN reaching_classification TEXT;

-- The incidents that reach the States through each case, with their classification's rank
-- (the lowest first): what every trigger below counts from.
CREATE VIEW case_reaching_incidents AS
SELECT ci.case_id, i.classification,
       CASE i.classification WHEN 'unclassified' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END AS rank
FROM case_incidents ci JOIN incidents i ON i.id = ci.incident_id
WHERE i.status IN ('submitted', 'verified');

-- A new link can only lower the case's classification, so the case's other links are not read.
CREATE TRIGGER case_incidents_reach_added AFTER INSERT ON case_incidents
FOR EACH ROW
BEGIN
    UPDATE cases SET reaching_classification = (SELECT classification FROM incidents WHERE id = NEW.incident_id)
    WHERE id = NEW.case_id
      AND EXISTS (
          SELECT 1 FROM incidents i
          WHERE i.id = NEW.incident_id AND i.status IN ('submitted', 'verified')
            AND (cases.reaching_classification IS NULL
                 OR (CASE i.classification WHEN 'unclassified' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END)
                    < (CASE cases.reaching_classification WHEN 'unclassified' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END)));
END;

CREATE TRIGGER case_incidents_reach_removed AFTER DELETE ON case_incidents
FOR EACH ROW
BEGIN
    UPDATE cases SET reaching_classification = (
        SELECT classification FROM case_reaching_incidents WHERE case_id = cases.id
        ORDER BY rank LIMIT 1)
    WHERE id = OLD.case_id;
END;

CREATE TRIGGER incidents_reach_changed AFTER UPDATE OF status, classification ON incidents
FOR EACH ROW WHEN NEW.status IS NOT OLD.status OR NEW.classification IS NOT OLD.classification
BEGIN
    UPDATE cases SET reaching_classification = (
        SELECT classification FROM case_reaching_incidents WHERE case_id = cases.id
        ORDER BY rank LIMIT 1)
    WHERE id IN (SELECT case_id FROM case_incidents WHERE incident_id = NEW.id);
END;

UPDATE cases SET reaching_classification = (
    SELECT classification FROM case_reaching_incidents WHERE case_id = cases.id
    ORDER BY rank LIMIT 1);
