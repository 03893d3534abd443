-- The summaries' incident figures, added up per mission, month, classification and attack type
-- (and whether a case covers the incident), and the dead per mission, month, classification,
-- personnel type and nationality: a summary reads these few rows for its whole months instead
-- of counting a million incidents. Like an index, the database keeps them: triggers on the
-- incidents, their victims and their cases' links add and take away each change in its own
-- transaction, whichever way the rows arrive (the service, an import, a load). `summary check`
-- compares them with a recount, and `summary rebuild` counts them again from the records.
-- SQLite has one writer at a time: every row is of slot 0 (PostgreSQL spreads its writers).
CREATE TABLE incident_month_figures (
    mission_code TEXT NOT NULL,
    -- `YYYY-MM`, of the time the incident occurred.
    month TEXT NOT NULL,
    classification TEXT NOT NULL,
    attack_type TEXT NOT NULL,
    with_case BOOLEAN NOT NULL,
    slot SMALLINT NOT NULL,
    incidents BIGINT NOT NULL,
    killed BIGINT NOT NULL,
    injured BIGINT NOT NULL,
    abducted BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    PRIMARY KEY (mission_code, month, classification, attack_type, with_case, slot)
);

CREATE TABLE killed_month_figures (
    mission_code TEXT NOT NULL,
    month TEXT NOT NULL,
    classification TEXT NOT NULL,
    personnel_type TEXT NOT NULL,
    -- `unknown` when the victim's nationality is not known.
    nationality TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    killed BIGINT NOT NULL,
    PRIMARY KEY (mission_code, month, classification, personnel_type, nationality, slot)
);

-- A change to the figures, inserted here, is added to the row it belongs to: the one place
-- the triggers below write the tables.
CREATE VIEW incident_figure_changes AS
SELECT mission_code, month, classification, attack_type, with_case, incidents, killed, injured,
       abducted, missing
FROM incident_month_figures WHERE 0;

CREATE TRIGGER incident_figure_changes_added INSTEAD OF INSERT ON incident_figure_changes
BEGIN
    INSERT INTO incident_month_figures
    VALUES (NEW.mission_code, NEW.month, NEW.classification, NEW.attack_type, NEW.with_case, 0,
            NEW.incidents, NEW.killed, NEW.injured, NEW.abducted, NEW.missing)
    ON CONFLICT (mission_code, month, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = incidents + excluded.incidents, killed = killed + excluded.killed,
        injured = injured + excluded.injured, abducted = abducted + excluded.abducted,
        missing = missing + excluded.missing;
END;

CREATE VIEW killed_figure_changes AS
SELECT mission_code, month, classification, personnel_type, nationality, killed
FROM killed_month_figures WHERE 0;

CREATE TRIGGER killed_figure_changes_added INSTEAD OF INSERT ON killed_figure_changes
BEGIN
    INSERT INTO killed_month_figures
    VALUES (NEW.mission_code, NEW.month, NEW.classification, NEW.personnel_type,
            NEW.nationality, 0, NEW.killed)
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = killed + excluded.killed;
END;

-- An incident written or removed; its victims are counted by their own triggers.
CREATE TRIGGER incidents_figures_added AFTER INSERT ON incidents
FOR EACH ROW WHEN NEW.status IN ('submitted', 'verified')
BEGIN
    INSERT INTO incident_figure_changes
    VALUES (NEW.mission_code, substr(NEW.occurred_at, 1, 7), NEW.classification, NEW.attack_type,
            EXISTS (SELECT 1 FROM case_incidents WHERE incident_id = NEW.id),
            1, NEW.killed, NEW.injured, NEW.abducted, NEW.missing);
END;

CREATE TRIGGER incidents_figures_removed AFTER DELETE ON incidents
FOR EACH ROW WHEN OLD.status IN ('submitted', 'verified')
BEGIN
    INSERT INTO incident_figure_changes
    VALUES (OLD.mission_code, substr(OLD.occurred_at, 1, 7), OLD.classification, OLD.attack_type,
            EXISTS (SELECT 1 FROM case_incidents WHERE incident_id = OLD.id),
            -1, -OLD.killed, -OLD.injured, -OLD.abducted, -OLD.missing);
END;

-- Taken away as it was, added as it is, with its dead.
CREATE TRIGGER incidents_figures_changed
AFTER UPDATE OF status, mission_code, occurred_at, classification, attack_type, killed, injured, abducted, missing
ON incidents
FOR EACH ROW WHEN NEW.status IS NOT OLD.status OR NEW.mission_code IS NOT OLD.mission_code
    OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.classification IS NOT OLD.classification
    OR NEW.attack_type IS NOT OLD.attack_type OR NEW.killed IS NOT OLD.killed
    OR NEW.injured IS NOT OLD.injured OR NEW.abducted IS NOT OLD.abducted
    OR NEW.missing IS NOT OLD.missing
BEGIN
    INSERT INTO incident_figure_changes
    SELECT OLD.mission_code, substr(OLD.occurred_at, 1, 7), OLD.classification, OLD.attack_type,
           EXISTS (SELECT 1 FROM case_incidents WHERE incident_id = OLD.id),
           -1, -OLD.killed, -OLD.injured, -OLD.abducted, -OLD.missing
    WHERE OLD.status IN ('submitted', 'verified');
    INSERT INTO killed_figure_changes
    SELECT OLD.mission_code, substr(OLD.occurred_at, 1, 7), OLD.classification, v.personnel_type,
           COALESCE(v.nationality, 'unknown'), -COUNT(*)
    FROM incident_victims v
    WHERE v.incident_id = OLD.id AND v.outcome = 'killed' AND OLD.status IN ('submitted', 'verified')
    GROUP BY v.personnel_type, COALESCE(v.nationality, 'unknown');
    INSERT INTO incident_figure_changes
    SELECT NEW.mission_code, substr(NEW.occurred_at, 1, 7), NEW.classification, NEW.attack_type,
           EXISTS (SELECT 1 FROM case_incidents WHERE incident_id = NEW.id),
           1, NEW.killed, NEW.injured, NEW.abducted, NEW.missing
    WHERE NEW.status IN ('submitted', 'verified');
    INSERT INTO killed_figure_changes
    SELECT NEW.mission_code, substr(NEW.occurred_at, 1, 7), NEW.classification, v.personnel_type,
           COALESCE(v.nationality, 'unknown'), COUNT(*)
    FROM incident_victims v
    WHERE v.incident_id = NEW.id AND v.outcome = 'killed' AND NEW.status IN ('submitted', 'verified')
    GROUP BY v.personnel_type, COALESCE(v.nationality, 'unknown');
END;

-- A victim killed, or no longer, of a counted incident.
CREATE TRIGGER incident_victims_figures_removed AFTER DELETE ON incident_victims
FOR EACH ROW WHEN OLD.outcome = 'killed'
BEGIN
    INSERT INTO killed_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, OLD.personnel_type,
           COALESCE(OLD.nationality, 'unknown'), -1
    FROM incidents i WHERE i.id = OLD.incident_id AND i.status IN ('submitted', 'verified');
END;

CREATE TRIGGER incident_victims_figures_added AFTER INSERT ON incident_victims
FOR EACH ROW WHEN NEW.outcome = 'killed'
BEGIN
    INSERT INTO killed_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, NEW.personnel_type,
           COALESCE(NEW.nationality, 'unknown'), 1
    FROM incidents i WHERE i.id = NEW.incident_id AND i.status IN ('submitted', 'verified');
END;

CREATE TRIGGER incident_victims_figures_changed AFTER UPDATE ON incident_victims
FOR EACH ROW WHEN OLD.outcome = 'killed' OR NEW.outcome = 'killed'
BEGIN
    INSERT INTO killed_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, OLD.personnel_type,
           COALESCE(OLD.nationality, 'unknown'), -1
    FROM incidents i
    WHERE i.id = OLD.incident_id AND i.status IN ('submitted', 'verified') AND OLD.outcome = 'killed';
    INSERT INTO killed_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, NEW.personnel_type,
           COALESCE(NEW.nationality, 'unknown'), 1
    FROM incidents i
    WHERE i.id = NEW.incident_id AND i.status IN ('submitted', 'verified') AND NEW.outcome = 'killed';
END;

-- An incident's first case, or its last gone: it moves between `with_case` rows.
CREATE TRIGGER case_incidents_figures_added AFTER INSERT ON case_incidents
FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM case_incidents
                              WHERE incident_id = NEW.incident_id AND case_id <> NEW.case_id)
BEGIN
    INSERT INTO incident_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, i.attack_type, s.with_case,
           s.sign, s.sign * i.killed, s.sign * i.injured, s.sign * i.abducted, s.sign * i.missing
    FROM incidents i, (SELECT 0 AS with_case, -1 AS sign UNION ALL SELECT 1, 1) s
    WHERE i.id = NEW.incident_id AND i.status IN ('submitted', 'verified');
END;

CREATE TRIGGER case_incidents_figures_removed AFTER DELETE ON case_incidents
FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM case_incidents WHERE incident_id = OLD.incident_id)
BEGIN
    INSERT INTO incident_figure_changes
    SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, i.attack_type, s.with_case,
           s.sign, s.sign * i.killed, s.sign * i.injured, s.sign * i.abducted, s.sign * i.missing
    FROM incidents i, (SELECT 0 AS with_case, 1 AS sign UNION ALL SELECT 1, -1) s
    WHERE i.id = OLD.incident_id AND i.status IN ('submitted', 'verified');
END;

-- What the incidents count now (`summary rebuild` runs the same).
INSERT INTO incident_month_figures
SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, i.attack_type,
       EXISTS (SELECT 1 FROM case_incidents l WHERE l.incident_id = i.id), 0,
       COUNT(*), SUM(i.killed), SUM(i.injured), SUM(i.abducted), SUM(i.missing)
FROM incidents i WHERE i.status IN ('submitted', 'verified')
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO killed_month_figures
SELECT i.mission_code, substr(i.occurred_at, 1, 7), i.classification, v.personnel_type,
       COALESCE(v.nationality, 'unknown'), 0, COUNT(*)
FROM incident_victims v JOIN incidents i ON i.id = v.incident_id
WHERE v.outcome = 'killed' AND i.status IN ('submitted', 'verified')
GROUP BY 1, 2, 3, 4, 5;
