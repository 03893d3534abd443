-- The summaries count the submitted and verified incidents by mission, period and attack type.
-- SQLite keeps each incident whole in one row, narrative and all, so counting by reading the
-- table reads every narrative too; this index holds only what is counted, and only for counted
-- incidents, so drafts being written do not maintain it. (PostgreSQL reads the table faster
-- than it would keep the index up to date under writes, so it has none.)
CREATE INDEX incidents_counted ON incidents
    (status, classification, mission_code, occurred_at, attack_type,
     killed, injured, abducted, missing, id)
    WHERE status IN ('submitted', 'verified');
