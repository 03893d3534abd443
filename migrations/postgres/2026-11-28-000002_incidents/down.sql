DROP TABLE idempotency_keys;
DROP TABLE incident_reference_counters;
DROP TABLE incident_versions;
DROP TABLE incident_sources;
DROP TABLE incident_perpetrators;
DROP TABLE incident_victims;
DROP TABLE incidents;
