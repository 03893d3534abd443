-- The lowest classification among a case's incidents that reach the States (submitted or
-- verified); NULL when none does. A State reads a case only through such an incident within
-- its focal point's clearance, so a State's list of cases filters on this column instead of
-- looking into every case's incidents: about half of what PostgreSQL spent on a host State's
-- page. Like an index, the database keeps it, in the transaction of every change.
--
-- Two writers must not each miss the other's change (a case linking an incident while the
-- incident is withdrawn). The service takes the incidents it links FOR SHARE before it changes
-- the case, so a link waits for a change of its incident to commit and the other way round;
-- a changed incident locks its cases before reading them again in a new statement, which sees
-- every change committed by whoever held them before.
ALTER TABLE cases ADD COLUMN reaching_classification TEXT;

-- The classifications in order, the lowest first.
CREATE FUNCTION classification_rank(classification TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE $1 WHEN 'unclassified' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END
$$;

CREATE FUNCTION case_reaching_classification(case_id TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT i.classification
    FROM case_incidents ci JOIN incidents i ON i.id = ci.incident_id
    WHERE ci.case_id = $1 AND i.status IN ('submitted', 'verified')
    ORDER BY classification_rank(i.classification)
    LIMIT 1
$$;

-- A new link can only lower the case's classification, so the case's other links are not read:
-- a bulk load writes them in the same statement, and a plan made while the table was still
-- empty would read all of them for every row.
CREATE FUNCTION case_link_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases c SET reaching_classification = i.classification
    FROM incidents i
    WHERE c.id = NEW.case_id AND i.id = NEW.incident_id
      AND i.status IN ('submitted', 'verified')
      AND (c.reaching_classification IS NULL
           OR classification_rank(i.classification) < classification_rank(c.reaching_classification));
    RETURN NULL;
END $$;

CREATE FUNCTION case_link_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET reaching_classification = case_reaching_classification(id)
    WHERE id = OLD.case_id
      AND reaching_classification IS DISTINCT FROM case_reaching_classification(id);
    RETURN NULL;
END $$;

CREATE FUNCTION incident_reach_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM cases
    WHERE id IN (SELECT case_id FROM case_incidents WHERE incident_id = NEW.id)
    ORDER BY id FOR NO KEY UPDATE;
    UPDATE cases SET reaching_classification = case_reaching_classification(id)
    WHERE id IN (SELECT case_id FROM case_incidents WHERE incident_id = NEW.id)
      AND reaching_classification IS DISTINCT FROM case_reaching_classification(id);
    RETURN NULL;
END $$;

CREATE TRIGGER case_incidents_reach_added AFTER INSERT ON case_incidents
    FOR EACH ROW EXECUTE FUNCTION case_link_added();
CREATE TRIGGER case_incidents_reach_removed AFTER DELETE ON case_incidents
    FOR EACH ROW EXECUTE FUNCTION case_link_removed();
CREATE TRIGGER incidents_reach_changed AFTER UPDATE OF status, classification ON incidents
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.classification IS DISTINCT FROM OLD.classification)
    EXECUTE FUNCTION incident_reach_changed();

UPDATE cases SET reaching_classification = case_reaching_classification(id);
