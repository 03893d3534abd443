-- The summaries' case figures, one narrow row per case: where it stands, the time of its
-- earliest counted incident of each classification (a reader counts the earliest among those
-- their clearance covers), the first day it stood at each step of the funnel or beyond, and
-- its accused's verdicts. A summary reads these rows instead of joining a case's incidents,
-- steps and accused for a hundred thousand cases. The database keeps them as it keeps the
-- incident figures: a trigger on every record a row depends on counts that case's row again
-- from its records (`case_figures_counted`), in the transaction of the change.
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

-- Counts the row of one case again. Its row is locked first, and only then counted, in a
-- statement of its own: two writers of one case (a step and an edit of its incident) each
-- count what the other committed, and neither writes over the other's count with an older one.
CREATE FUNCTION count_case_figures(counted_case TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM case_figures WHERE case_id = counted_case FOR UPDATE;
    INSERT INTO case_figures SELECT * FROM case_figures_counted WHERE case_id = counted_case
    ON CONFLICT (case_id) DO UPDATE SET
        mission_code = EXCLUDED.mission_code, status = EXCLUDED.status,
        closure_reason = EXCLUDED.closure_reason,
        first_unclassified = EXCLUDED.first_unclassified,
        first_confidential = EXCLUDED.first_confidential,
        first_strictly_confidential = EXCLUDED.first_strictly_confidential,
        referred_on = EXCLUDED.referred_on, investigating_on = EXCLUDED.investigating_on,
        suspects_identified_on = EXCLUDED.suspects_identified_on,
        arrests_made_on = EXCLUDED.arrests_made_on, charged_on = EXCLUDED.charged_on,
        in_trial_on = EXCLUDED.in_trial_on, judgment_on = EXCLUDED.judgment_on,
        final_on = EXCLUDED.final_on, convicted = EXCLUDED.convicted,
        acquitted = EXCLUDED.acquitted;
    DELETE FROM case_figures f
    WHERE f.case_id = counted_case AND NOT EXISTS (SELECT 1 FROM cases WHERE id = counted_case);
END $$;

CREATE FUNCTION case_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'cases' THEN
        PERFORM count_case_figures(COALESCE(NEW.id, OLD.id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM count_case_figures(OLD.case_id);
    ELSE
        PERFORM count_case_figures(NEW.case_id);
        IF TG_OP = 'UPDATE' AND OLD.case_id <> NEW.case_id THEN
            PERFORM count_case_figures(OLD.case_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- An incident that counts from another time, classification or status: the cases covering it.
CREATE FUNCTION linked_case_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covering TEXT;
BEGIN
    FOR covering IN SELECT case_id FROM case_incidents WHERE incident_id = NEW.id ORDER BY 1 LOOP
        PERFORM count_case_figures(covering);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_case_figures AFTER INSERT OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION case_figures_changed();
CREATE TRIGGER cases_case_figures_changed
    AFTER UPDATE OF mission_code, status, closure_reason ON cases FOR EACH ROW
    WHEN ((OLD.mission_code, OLD.status, OLD.closure_reason)
          IS DISTINCT FROM (NEW.mission_code, NEW.status, NEW.closure_reason))
    EXECUTE FUNCTION case_figures_changed();
CREATE TRIGGER case_incidents_case_figures AFTER INSERT OR UPDATE OR DELETE ON case_incidents
    FOR EACH ROW EXECUTE FUNCTION case_figures_changed();
CREATE TRIGGER case_transitions_case_figures AFTER INSERT OR UPDATE OR DELETE ON case_transitions
    FOR EACH ROW EXECUTE FUNCTION case_figures_changed();
CREATE TRIGGER case_accused_case_figures AFTER INSERT OR UPDATE OR DELETE ON case_accused
    FOR EACH ROW EXECUTE FUNCTION case_figures_changed();
CREATE TRIGGER incidents_case_figures AFTER UPDATE OF status, occurred_at, classification
    ON incidents FOR EACH ROW
    WHEN ((OLD.status, OLD.occurred_at, OLD.classification)
          IS DISTINCT FROM (NEW.status, NEW.occurred_at, NEW.classification))
    EXECUTE FUNCTION linked_case_figures_changed();

-- What the cases count now (`summary rebuild` runs the same).
INSERT INTO case_figures SELECT * FROM case_figures_counted;
