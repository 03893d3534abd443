-- The plain aggregate behind the yearly summary over everything: counted incidents per mission
-- and year, by attack type, with their casualties.
SELECT mission_code, EXTRACT(YEAR FROM occurred_at) AS year, attack_type, COUNT(*),
    SUM(killed), SUM(injured), SUM(abducted), SUM(missing)
FROM incidents
WHERE status IN ('submitted', 'verified')
GROUP BY 1, 2, 3;
