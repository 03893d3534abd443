-- The raw database work behind a State's list of the incidents with its nationals: the first
-- page, newest first, and the victims of the incidents on it.
WITH page AS (
    SELECT i.id, i.reference, i.mission_code, i.occurred_at, i.attack_type
    FROM incidents i
    WHERE i.status IN ('submitted', 'verified')
      AND i.id IN (SELECT incident_id FROM incident_victims WHERE nationality = :state)
    ORDER BY i.occurred_at DESC, i.id DESC
    LIMIT 51)
SELECT p.id, v.nationality, v.outcome FROM page p JOIN incident_victims v ON v.incident_id = p.id;
