-- The raw database work behind a host State's list of its cases: the first page, most urgent
-- first, of the cases before its courts on incidents that reach it (the database keeps the
-- lowest classification among those on the case), and their steps.
WITH page AS (
    SELECT c.id, c.reference, c.status, c.urgency
    FROM cases c
    WHERE c.jurisdiction_state = :state
      AND c.reaching_classification IN ('unclassified', 'confidential', 'strictly_confidential')
    ORDER BY c.urgency, c.id
    LIMIT 51)
SELECT p.id, t.to_status, t.effective_on FROM page p JOIN case_transitions t ON t.case_id = p.id;
