-- The raw database work behind a State's list of the incidents with its nationals: the first
-- page, newest first, read in the order of the incidents' nationalities, and the victims of the
-- incidents on it.
WITH page AS (
    SELECT i.id, i.reference, i.mission_code, i.occurred_at, i.attack_type
    FROM incident_nationalities n JOIN incidents i ON i.id = n.incident_id
    WHERE n.nationality = :state AND i.status IN ('submitted', 'verified')
    ORDER BY n.occurred_at DESC, n.incident_id DESC
    LIMIT 51)
SELECT p.id, v.nationality, v.outcome FROM page p JOIN incident_victims v ON v.incident_id = p.id;
