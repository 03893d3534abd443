-- The raw database work behind a host State's list of its cases: the first page, most urgent
-- first, of the cases before its courts on incidents that reach it, and their steps.
WITH page AS (
    SELECT c.id, c.reference, c.status, c.urgency
    FROM cases c
    WHERE c.jurisdiction_state = :state
      AND EXISTS (SELECT 1 FROM case_incidents ci JOIN incidents i ON i.id = ci.incident_id
                  WHERE ci.case_id = c.id AND i.status IN ('submitted', 'verified'))
    ORDER BY c.urgency, c.id
    LIMIT 51)
SELECT p.id, t.to_status, t.effective_on FROM page p JOIN case_transitions t ON t.case_id = p.id;
