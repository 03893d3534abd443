-- The summaries' case figures, one narrow row per case: where it stands, the time of its
-- earliest counted incident of each classification (a reader counts the earliest among those
-- their clearance covers), the first day it stood at each step of the funnel or beyond, and
-- its accused's verdicts. A summary reads these rows instead of joining a case's incidents,
-- steps and accused for a hundred thousand cases. The database keeps them as it keeps the
-- incident figures: a trigger on every record a row depends on counts that case's row again
-- from its records (`case_figures_counted`), in the transaction of the change. (SQLite has one
-- writer at a time: no two writers count one case at once.)
--
-- A case's incidents are all of its mission (an incident's mission is fixed once it has a
-- reference, and only incidents with one are linked), so a summary narrowed to missions reads
-- the row by the case's mission.
CREATE VIEW case_figures_counted AS
SELECT c.id AS case_id, c.mission_code, c.status, c.closure_reason,
    (SELECT MIN(i.occurred_at) FROM case_incidents l JOIN incidents i ON i.id = l.incident_id
     WHERE l.case_id = c.id AND i.status IN ('submitted', 'verified')
       AND i.classification = 'unclassified') AS first_unclassified,
    (SELECT MIN(i.occurred_at) FROM case_incidents l JOIN incidents i ON i.id = l.incident_id
     WHERE l.case_id = c.id AND i.status IN ('submitted', 'verified')
       AND i.classification = 'confidential') AS first_confidential,
    (SELECT MIN(i.occurred_at) FROM case_incidents l JOIN incidents i ON i.id = l.incident_id
     WHERE l.case_id = c.id AND i.status IN ('submitted', 'verified')
       AND i.classification = 'strictly_confidential') AS first_strictly_confidential,
    -- A case reached a step on the first day it stood there or anywhere beyond on the ordinary
    -- path (`closed` is off it): the days of a timeline never go back.
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('referred', 'investigating', 'suspects_identified', 'warrants_issued',
           'arrests_made', 'charged', 'in_trial', 'judgment', 'appeal', 'final')) AS referred_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('investigating', 'suspects_identified', 'warrants_issued',
           'arrests_made', 'charged', 'in_trial', 'judgment', 'appeal', 'final')) AS investigating_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('suspects_identified', 'warrants_issued', 'arrests_made', 'charged',
           'in_trial', 'judgment', 'appeal', 'final')) AS suspects_identified_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('arrests_made', 'charged', 'in_trial', 'judgment', 'appeal', 'final'))
       AS arrests_made_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('charged', 'in_trial', 'judgment', 'appeal', 'final')) AS charged_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('in_trial', 'judgment', 'appeal', 'final')) AS in_trial_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status IN ('judgment', 'appeal', 'final')) AS judgment_on,
    (SELECT MIN(t.effective_on) FROM case_transitions t WHERE t.case_id = c.id
       AND t.to_status = 'final') AS final_on,
    (SELECT COUNT(*) FROM case_accused a WHERE a.case_id = c.id AND a.verdict = 'convicted')
       AS convicted,
    (SELECT COUNT(*) FROM case_accused a WHERE a.case_id = c.id AND a.verdict = 'acquitted')
       AS acquitted
FROM cases c;

-- The same columns as the view, in its order.
CREATE TABLE case_figures (
    case_id TEXT PRIMARY KEY,
    mission_code TEXT NOT NULL,
    status TEXT NOT NULL,
    closure_reason TEXT,
    first_unclassified TIMESTAMP,
    first_confidential TIMESTAMP,
    first_strictly_confidential TIMESTAMP,
    referred_on DATE,
    investigating_on DATE,
    suspects_identified_on DATE,
    arrests_made_on DATE,
    charged_on DATE,
    in_trial_on DATE,
    judgment_on DATE,
    final_on DATE,
    convicted BIGINT NOT NULL,
    acquitted BIGINT NOT NULL
);
CREATE INDEX case_figures_mission ON case_figures (mission_code);

-- A case to count again, inserted here, has its row counted from its records: the one place
-- the triggers below write the table.
CREATE VIEW case_figures_recounts AS SELECT case_id FROM case_figures WHERE 0;

CREATE TRIGGER case_figures_recounted INSTEAD OF INSERT ON case_figures_recounts
BEGIN
    INSERT OR REPLACE INTO case_figures
    SELECT * FROM case_figures_counted WHERE case_id = NEW.case_id;
    DELETE FROM case_figures
    WHERE case_id = NEW.case_id AND NOT EXISTS (SELECT 1 FROM cases WHERE id = NEW.case_id);
END;

CREATE TRIGGER cases_case_figures_added AFTER INSERT ON cases
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.id);
END;

CREATE TRIGGER cases_case_figures_removed AFTER DELETE ON cases
BEGIN
    INSERT INTO case_figures_recounts VALUES (OLD.id);
END;

CREATE TRIGGER cases_case_figures_changed AFTER UPDATE OF mission_code, status, closure_reason ON cases
FOR EACH ROW WHEN NEW.mission_code IS NOT OLD.mission_code OR NEW.status IS NOT OLD.status
    OR NEW.closure_reason IS NOT OLD.closure_reason
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.id);
END;

CREATE TRIGGER case_incidents_case_figures_added AFTER INSERT ON case_incidents
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
END;

CREATE TRIGGER case_incidents_case_figures_removed AFTER DELETE ON case_incidents
BEGIN
    INSERT INTO case_figures_recounts VALUES (OLD.case_id);
END;

CREATE TRIGGER case_incidents_case_figures_changed AFTER UPDATE ON case_incidents
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
    INSERT INTO case_figures_recounts SELECT OLD.case_id WHERE OLD.case_id <> NEW.case_id;
END;

CREATE TRIGGER case_transitions_case_figures_added AFTER INSERT ON case_transitions
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
END;

CREATE TRIGGER case_transitions_case_figures_removed AFTER DELETE ON case_transitions
BEGIN
    INSERT INTO case_figures_recounts VALUES (OLD.case_id);
END;

CREATE TRIGGER case_transitions_case_figures_changed AFTER UPDATE ON case_transitions
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
    INSERT INTO case_figures_recounts SELECT OLD.case_id WHERE OLD.case_id <> NEW.case_id;
END;

CREATE TRIGGER case_accused_case_figures_added AFTER INSERT ON case_accused
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
END;

CREATE TRIGGER case_accused_case_figures_removed AFTER DELETE ON case_accused
BEGIN
    INSERT INTO case_figures_recounts VALUES (OLD.case_id);
END;

CREATE TRIGGER case_accused_case_figures_changed AFTER UPDATE ON case_accused
BEGIN
    INSERT INTO case_figures_recounts VALUES (NEW.case_id);
    INSERT INTO case_figures_recounts SELECT OLD.case_id WHERE OLD.case_id <> NEW.case_id;
END;

-- An incident that counts from another time, classification or status: the cases covering it.
CREATE TRIGGER incidents_case_figures AFTER UPDATE OF status, occurred_at, classification ON incidents
FOR EACH ROW WHEN NEW.status IS NOT OLD.status OR NEW.occurred_at IS NOT OLD.occurred_at
    OR NEW.classification IS NOT OLD.classification
BEGIN
    INSERT INTO case_figures_recounts
    SELECT case_id FROM case_incidents WHERE incident_id = NEW.id;
END;

-- What the cases count now (`summary rebuild` runs the same).
INSERT INTO case_figures SELECT * FROM case_figures_counted;
