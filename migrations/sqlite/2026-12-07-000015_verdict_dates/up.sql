-- The day each verdict was delivered. A verdict recorded before this column existed takes the
-- day its case first reached a judgment (or a step past it, for a timeline that skipped it),
-- else the day the case was opened.
ALTER TABLE case_accused ADD COLUMN verdict_on DATE;

UPDATE case_accused
SET verdict_on = COALESCE(
    (SELECT MIN(t.effective_on) FROM case_transitions t
     WHERE t.case_id = case_accused.case_id AND t.to_status IN ('judgment', 'appeal', 'final')),
    (SELECT c.opened_on FROM cases c WHERE c.id = case_accused.case_id))
WHERE verdict <> 'pending';
