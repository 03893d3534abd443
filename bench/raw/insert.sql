-- The raw database work behind creating an incident: the incident, two victims and an audit
-- row, in one transaction.
BEGIN;
INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at,
    time_precision, reported_at, reported_by, place_name, geo_precision, location_type,
    attack_type, weapons, summary, narrative, killed, injured, abducted, missing, search_text,
    version, created_at, updated_at)
VALUES (gen_random_uuid()::text, NULL, 'MINUSCA', 'draft',
    'unclassified', '2026-11-01 08:30:00', 'exact', now(), ':officer', 'Sector 7', 'unknown',
    'patrol', 'ambush', '["small_arms"]', 'Patrol ambushed on the road north of the base',
    'A patrol came under fire from two sides; two peacekeepers were hit.', 1, 1, 0, 0,
    'patrol ambushed on the road north of the base', 1, now(), now())
RETURNING id \gset
INSERT INTO incident_victims (incident_id, position, personnel_type, nationality, gender, outcome)
VALUES (':id', 0, 'military', 'BGD', 'male', 'killed'), (':id', 1, 'military', 'BGD', 'male', 'injured');
INSERT INTO audit_log (occurred_at, actor_id, actor_username, action, entity_type, entity_id,
    details, record_hash)
VALUES (now(), ':officer', 'bench.officer', 'incident.create', 'incident', ':id',
    '{"status":{"from":null,"to":"draft"}}', md5(':id'));
COMMIT;
