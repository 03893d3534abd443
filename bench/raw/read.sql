-- The raw database work behind reading an incident: the record and its victims, perpetrators
-- and sources, by key.
\set n random(0, :incidents - 1)
SELECT * FROM incidents WHERE id = '00000000-0000-4000-8000-' || lpad(to_hex(:n), 12, '0');
SELECT * FROM incident_victims WHERE incident_id = '00000000-0000-4000-8000-' || lpad(to_hex(:n), 12, '0');
SELECT * FROM incident_perpetrators WHERE incident_id = '00000000-0000-4000-8000-' || lpad(to_hex(:n), 12, '0');
SELECT * FROM incident_sources WHERE incident_id = '00000000-0000-4000-8000-' || lpad(to_hex(:n), 12, '0');
