-- The case figures' function as `000020` wrote it.
CREATE OR REPLACE FUNCTION count_case_figures(counted_case TEXT) RETURNS void LANGUAGE plpgsql AS $$
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

DROP TABLE case_month_figures;
DROP VIEW case_figures_by_clearance;
