-- The cases of a summary as additive figures: per clearance, mission, month of the earliest
-- incident a reader of that clearance counts, status and closure reason (`''` for none), how
-- many cases, how many reached each step of the funnel, and their accused convicted and
-- acquitted. A summary adds up a few hundred of these rows instead of reading every case's row;
-- only the medians of the time to justice still read one narrow row per case that reached a
-- step. The rows change with `case_figures`, in the same statement that counts a case again.
-- The counts are integers, as on PostgreSQL (where they add up faster than bigints). SQLite has
-- one writer at a time: every row is of slot 0 (PostgreSQL spreads its writers).

-- Each case's row once per clearance, with the earliest incident a reader of that clearance
-- counts (`NULL`: none, and the case does not count for them). SQLite's `MIN` of several values
-- is `NULL` when any is: `~` sorts after any time.
CREATE VIEW case_figures_by_clearance AS
SELECT 'unclassified' AS clearance, f.first_unclassified AS first_at, f.* FROM case_figures f
UNION ALL
SELECT 'confidential',
    NULLIF(MIN(COALESCE(f.first_unclassified, '~'), COALESCE(f.first_confidential, '~')), '~'),
    f.*
FROM case_figures f
UNION ALL
SELECT 'strictly_confidential',
    NULLIF(MIN(COALESCE(f.first_unclassified, '~'), COALESCE(f.first_confidential, '~'),
        COALESCE(f.first_strictly_confidential, '~')), '~'),
    f.*
FROM case_figures f;

CREATE TABLE case_month_figures (
    clearance TEXT NOT NULL,
    mission_code TEXT NOT NULL,
    month TEXT NOT NULL,
    status TEXT NOT NULL,
    closure_reason TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    cases INTEGER NOT NULL,
    reached_referred INTEGER NOT NULL,
    reached_investigating INTEGER NOT NULL,
    reached_suspects_identified INTEGER NOT NULL,
    reached_arrests_made INTEGER NOT NULL,
    reached_charged INTEGER NOT NULL,
    reached_in_trial INTEGER NOT NULL,
    reached_judgment INTEGER NOT NULL,
    reached_final INTEGER NOT NULL,
    convicted INTEGER NOT NULL,
    acquitted INTEGER NOT NULL,
    PRIMARY KEY (clearance, mission_code, month, status, closure_reason, slot)
);

-- A case's row of figures, inserted here with a sign, is added to (1) or taken from (-1) the
-- figures per month: the one place the triggers write them.
CREATE VIEW case_month_figure_changes AS SELECT NULL AS case_id, 0 AS sign WHERE 0;

CREATE TRIGGER case_month_figures_changed INSTEAD OF INSERT ON case_month_figure_changes
BEGIN
    INSERT INTO case_month_figures (clearance, mission_code, month, status, closure_reason, slot,
        cases, reached_referred, reached_investigating, reached_suspects_identified,
        reached_arrests_made, reached_charged, reached_in_trial, reached_judgment, reached_final,
        convicted, acquitted)
    SELECT f.clearance, f.mission_code, substr(f.first_at, 1, 7), f.status,
        COALESCE(f.closure_reason, ''), 0, NEW.sign,
        NEW.sign * (f.referred_on IS NOT NULL),
        NEW.sign * (f.investigating_on IS NOT NULL),
        NEW.sign * (f.suspects_identified_on IS NOT NULL),
        NEW.sign * (f.arrests_made_on IS NOT NULL),
        NEW.sign * (f.charged_on IS NOT NULL),
        NEW.sign * (f.in_trial_on IS NOT NULL),
        NEW.sign * (f.judgment_on IS NOT NULL),
        NEW.sign * (f.final_on IS NOT NULL),
        NEW.sign * f.convicted, NEW.sign * f.acquitted
    FROM case_figures_by_clearance f WHERE f.case_id = NEW.case_id AND f.first_at IS NOT NULL
    ON CONFLICT (clearance, mission_code, month, status, closure_reason, slot) DO UPDATE SET
        cases = cases + excluded.cases,
        reached_referred = reached_referred + excluded.reached_referred,
        reached_investigating = reached_investigating + excluded.reached_investigating,
        reached_suspects_identified =
            reached_suspects_identified + excluded.reached_suspects_identified,
        reached_arrests_made = reached_arrests_made + excluded.reached_arrests_made,
        reached_charged = reached_charged + excluded.reached_charged,
        reached_in_trial = reached_in_trial + excluded.reached_in_trial,
        reached_judgment = reached_judgment + excluded.reached_judgment,
        reached_final = reached_final + excluded.reached_final,
        convicted = convicted + excluded.convicted,
        acquitted = acquitted + excluded.acquitted;
END;

-- Counts a case's row again as `000020` did, its old row taken from the figures per month
-- before and its new one added after (SQLite has one writer at a time: no order to keep).
DROP TRIGGER case_figures_recounted;

CREATE TRIGGER case_figures_recounted INSTEAD OF INSERT ON case_figures_recounts
BEGIN
    INSERT INTO case_month_figure_changes VALUES (NEW.case_id, -1);
    INSERT OR REPLACE INTO case_figures
    SELECT * FROM case_figures_counted WHERE case_id = NEW.case_id;
    DELETE FROM case_figures
    WHERE case_id = NEW.case_id AND NOT EXISTS (SELECT 1 FROM cases WHERE id = NEW.case_id);
    INSERT INTO case_month_figure_changes VALUES (NEW.case_id, 1);
END;

-- What the cases count now (`summary rebuild` runs the same).
INSERT INTO case_month_figures
SELECT clearance, mission_code, substr(first_at, 1, 7), status,
    COALESCE(closure_reason, ''), 0, COUNT(*), COUNT(referred_on), COUNT(investigating_on),
    COUNT(suspects_identified_on), COUNT(arrests_made_on), COUNT(charged_on),
    COUNT(in_trial_on), COUNT(judgment_on), COUNT(final_on), SUM(convicted), SUM(acquitted)
FROM case_figures_by_clearance WHERE first_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
