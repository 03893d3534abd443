-- The cases of a summary as additive figures: per clearance, mission, month of the earliest
-- incident a reader of that clearance counts, status and closure reason (`''` for none), how
-- many cases, how many reached each step of the funnel, and their accused convicted and
-- acquitted. A summary adds up a few hundred of these rows instead of reading every case's row;
-- only the medians of the time to justice still read one narrow row per case that reached a
-- step. The rows change with `case_figures`, in the same statement that counts a case again.
-- The counts are integers: PostgreSQL adds up integers several times faster than the numbers
-- it sums bigints into.

-- Each case's row once per clearance, with the earliest incident a reader of that clearance
-- counts (`NULL`: none, and the case does not count for them).
CREATE VIEW case_figures_by_clearance AS
SELECT l.clearance, l.first_at, f.*
FROM case_figures f
CROSS JOIN LATERAL (VALUES
    ('unclassified', f.first_unclassified),
    ('confidential', LEAST(f.first_unclassified, f.first_confidential)),
    ('strictly_confidential',
        LEAST(f.first_unclassified, f.first_confidential, f.first_strictly_confidential))
) AS l (clearance, first_at);

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

-- Counts the row of one case again, as in `000020`, and moves its contribution to the case
-- figures per month: its old row taken away and its new row added, netted in one statement
-- that writes its keys in order, so two writers moving cases between the same keys in opposite
-- directions take the rows' locks in the same order. Each connection writes its own slot
-- (`figures_slot`, as the incident figures): two legal officers stepping cases of one mission
-- and month do not wait for each other.
CREATE OR REPLACE FUNCTION count_case_figures(counted_case TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM case_figures WHERE case_id = counted_case FOR UPDATE;
    INSERT INTO case_month_figures AS g
    SELECT * FROM (
        SELECT l.clearance, r.mission_code, to_char(l.first_at, 'YYYY-MM') AS month, r.status,
            COALESCE(r.closure_reason, '') AS closure_reason, figures_slot() AS slot,
            SUM(r.sign) AS cases,
            SUM(CASE WHEN r.referred_on IS NULL THEN 0 ELSE r.sign END) AS referred,
            SUM(CASE WHEN r.investigating_on IS NULL THEN 0 ELSE r.sign END) AS investigating,
            SUM(CASE WHEN r.suspects_identified_on IS NULL THEN 0 ELSE r.sign END) AS identified,
            SUM(CASE WHEN r.arrests_made_on IS NULL THEN 0 ELSE r.sign END) AS arrests,
            SUM(CASE WHEN r.charged_on IS NULL THEN 0 ELSE r.sign END) AS charged,
            SUM(CASE WHEN r.in_trial_on IS NULL THEN 0 ELSE r.sign END) AS in_trial,
            SUM(CASE WHEN r.judgment_on IS NULL THEN 0 ELSE r.sign END) AS judgment,
            SUM(CASE WHEN r.final_on IS NULL THEN 0 ELSE r.sign END) AS final,
            SUM(r.sign * CAST(r.convicted AS INTEGER)) AS convicted,
            SUM(r.sign * CAST(r.acquitted AS INTEGER)) AS acquitted
        FROM (SELECT -1 AS sign, * FROM case_figures WHERE case_id = counted_case
              UNION ALL
              SELECT 1, * FROM case_figures_counted WHERE case_id = counted_case) AS r
        CROSS JOIN LATERAL (VALUES
            ('unclassified', r.first_unclassified),
            ('confidential', LEAST(r.first_unclassified, r.first_confidential)),
            ('strictly_confidential',
                LEAST(r.first_unclassified, r.first_confidential, r.first_strictly_confidential))
        ) AS l (clearance, first_at)
        WHERE l.first_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
    ) AS d
    -- A change that leaves the case's groups as they were (most edits of an incident) writes
    -- no row.
    WHERE (d.cases, d.referred, d.investigating, d.identified, d.arrests, d.charged, d.in_trial,
           d.judgment, d.final, d.convicted, d.acquitted) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (clearance, mission_code, month, status, closure_reason, slot) DO UPDATE SET
        cases = g.cases + EXCLUDED.cases,
        reached_referred = g.reached_referred + EXCLUDED.reached_referred,
        reached_investigating = g.reached_investigating + EXCLUDED.reached_investigating,
        reached_suspects_identified =
            g.reached_suspects_identified + EXCLUDED.reached_suspects_identified,
        reached_arrests_made = g.reached_arrests_made + EXCLUDED.reached_arrests_made,
        reached_charged = g.reached_charged + EXCLUDED.reached_charged,
        reached_in_trial = g.reached_in_trial + EXCLUDED.reached_in_trial,
        reached_judgment = g.reached_judgment + EXCLUDED.reached_judgment,
        reached_final = g.reached_final + EXCLUDED.reached_final,
        convicted = g.convicted + EXCLUDED.convicted,
        acquitted = g.acquitted + EXCLUDED.acquitted;
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

-- What the cases count now (`summary rebuild` runs the same).
INSERT INTO case_month_figures
SELECT clearance, mission_code, to_char(first_at, 'YYYY-MM'), status,
    COALESCE(closure_reason, ''), 0, COUNT(*), COUNT(referred_on), COUNT(investigating_on),
    COUNT(suspects_identified_on), COUNT(arrests_made_on), COUNT(charged_on),
    COUNT(in_trial_on), COUNT(judgment_on), COUNT(final_on), SUM(convicted), SUM(acquitted)
FROM case_figures_by_clearance WHERE first_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
