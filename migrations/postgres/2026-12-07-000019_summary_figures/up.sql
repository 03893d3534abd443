-- The summaries' incident figures, added up per mission, month, classification and attack type
-- (and whether a case covers the incident), and the dead per mission, month, classification,
-- personnel type and nationality: a summary reads these few rows for its whole months instead
-- of counting a million incidents. Like an index, the database keeps them: triggers on the
-- incidents, their victims and their cases' links add and take away each change in its own
-- transaction, whichever way the rows arrive (the service, an import, a load), so a figure is
-- never ahead of or behind what it counts. `summary check` compares them with a recount, and
-- `summary rebuild` counts them again from the records.
--
-- Two writers of the same mission and month would wait for each other on one row: each
-- connection adds to rows of its own `slot`, and a summary adds the slots up. A change that
-- moves an incident from one row to another touches the two in the order of their keys, so two
-- changes moving incidents in opposite directions cannot deadlock.
CREATE TABLE incident_month_figures (
    mission_code TEXT NOT NULL,
    -- `YYYY-MM`, of the time the incident occurred.
    month TEXT NOT NULL,
    classification TEXT NOT NULL,
    attack_type TEXT NOT NULL,
    with_case BOOLEAN NOT NULL,
    slot SMALLINT NOT NULL,
    incidents BIGINT NOT NULL,
    killed BIGINT NOT NULL,
    injured BIGINT NOT NULL,
    abducted BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    PRIMARY KEY (mission_code, month, classification, attack_type, with_case, slot)
);

CREATE TABLE killed_month_figures (
    mission_code TEXT NOT NULL,
    month TEXT NOT NULL,
    classification TEXT NOT NULL,
    personnel_type TEXT NOT NULL,
    -- `unknown` when the victim's nationality is not known.
    nationality TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    killed BIGINT NOT NULL,
    PRIMARY KEY (mission_code, month, classification, personnel_type, nationality, slot)
);

-- The connection's slot: the connections of a pool, opened together, mostly have their own.
CREATE FUNCTION figures_slot() RETURNS SMALLINT LANGUAGE sql STABLE AS $$
    SELECT CAST(pg_backend_pid() % 16 AS SMALLINT)
$$;

-- Adds (`sign` 1) or takes away (-1) a counted incident. (No parameter takes a column's name:
-- PL/pgSQL would read it in the conflict target.)
CREATE FUNCTION add_incident_figures(i incidents, has_case BOOLEAN, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_month_figures AS f
    VALUES (i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, i.attack_type,
            has_case, figures_slot(), sign, sign * i.killed, sign * i.injured,
            sign * i.abducted, sign * i.missing)
    ON CONFLICT (mission_code, month, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = f.incidents + EXCLUDED.incidents, killed = f.killed + EXCLUDED.killed,
        injured = f.injured + EXCLUDED.injured, abducted = f.abducted + EXCLUDED.abducted,
        missing = f.missing + EXCLUDED.missing;
END $$;

-- Adds or takes away the dead of a counted incident, where the incident stands (`i`), when it
-- moves. A victim written or removed is counted by its own trigger: an incident written with
-- its victims in one statement has its triggers run after the statement, when they are all
-- there, and counting them here too would count them twice.
CREATE FUNCTION add_dead_figures(i incidents, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO killed_month_figures AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, v.personnel_type,
           COALESCE(v.nationality, 'unknown'), figures_slot(), sign * COUNT(*)
    FROM incident_victims v
    WHERE v.incident_id = i.id AND v.outcome = 'killed'
    GROUP BY v.personnel_type, COALESCE(v.nationality, 'unknown')
    ORDER BY 4, 5
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot) DO UPDATE SET
        killed = f.killed + EXCLUDED.killed;
END $$;

CREATE FUNCTION incident_linked(incident_id TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM case_incidents WHERE case_incidents.incident_id = $1)
$$;

CREATE FUNCTION incident_figures_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('submitted', 'verified') THEN
        PERFORM add_incident_figures(NEW, incident_linked(NEW.id), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_figures_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('submitted', 'verified') THEN
        PERFORM add_incident_figures(OLD, incident_linked(OLD.id), -1);
    END IF;
    RETURN NULL;
END $$;

-- Taken away as it was, added as it is, with its dead: the rows of the lower key first.
CREATE FUNCTION incident_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    linked BOOLEAN := incident_linked(NEW.id);
    was_counted BOOLEAN := OLD.status IN ('submitted', 'verified');
    is_counted BOOLEAN := NEW.status IN ('submitted', 'verified');
    new_first BOOLEAN := (NEW.mission_code, to_char(NEW.occurred_at, 'YYYY-MM'), NEW.classification, NEW.attack_type)
                       < (OLD.mission_code, to_char(OLD.occurred_at, 'YYYY-MM'), OLD.classification, OLD.attack_type);
BEGIN
    IF is_counted AND new_first THEN
        PERFORM add_incident_figures(NEW, linked, 1);
        PERFORM add_dead_figures(NEW, 1);
    END IF;
    IF was_counted THEN
        PERFORM add_incident_figures(OLD, linked, -1);
        PERFORM add_dead_figures(OLD, -1);
    END IF;
    IF is_counted AND NOT new_first THEN
        PERFORM add_incident_figures(NEW, linked, 1);
        PERFORM add_dead_figures(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

-- A victim killed, or no longer, of a counted incident (`sign` 1 or -1).
CREATE FUNCTION add_killed_victim(victim incident_victims, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO killed_month_figures AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification,
           victim.personnel_type, COALESCE(victim.nationality, 'unknown'), figures_slot(), sign
    FROM incidents i WHERE i.id = victim.incident_id AND i.status IN ('submitted', 'verified')
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
END $$;

CREATE FUNCTION victim_figures_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.outcome = 'killed' THEN
        PERFORM add_killed_victim(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION victim_figures_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.outcome = 'killed' THEN
        PERFORM add_killed_victim(OLD, -1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION victim_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.outcome = 'killed' THEN
        PERFORM add_killed_victim(OLD, -1);
    END IF;
    IF NEW.outcome = 'killed' THEN
        PERFORM add_killed_victim(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

-- How many cases cover each incident: a link that makes it 1, or 0, moves the incident between
-- `with_case` rows. Two cases linking the same incident at once both add to its row here, one
-- after the other, so only one of them sees the first link. (A row lock, not a lock of the
-- lock table: a bulk load of a hundred thousand links holds them all until it commits.)
CREATE TABLE incident_case_links (
    incident_id TEXT PRIMARY KEY,
    cases INTEGER NOT NULL
);

CREATE FUNCTION move_linked_incident(incident_id TEXT, linked BOOLEAN) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    i incidents;
BEGIN
    SELECT * INTO i FROM incidents
    WHERE id = move_linked_incident.incident_id AND status IN ('submitted', 'verified');
    IF FOUND THEN
        PERFORM add_incident_figures(i, false, CASE WHEN linked THEN -1 ELSE 1 END);
        PERFORM add_incident_figures(i, true, CASE WHEN linked THEN 1 ELSE -1 END);
    END IF;
END $$;

CREATE FUNCTION link_figures_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covering INTEGER;
BEGIN
    INSERT INTO incident_case_links AS l VALUES (NEW.incident_id, 1)
    ON CONFLICT (incident_id) DO UPDATE SET cases = l.cases + 1
    RETURNING cases INTO covering;
    IF covering = 1 THEN
        PERFORM move_linked_incident(NEW.incident_id, true);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION link_figures_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covering INTEGER;
BEGIN
    UPDATE incident_case_links SET cases = cases - 1 WHERE incident_id = OLD.incident_id
    RETURNING cases INTO covering;
    IF covering = 0 THEN
        DELETE FROM incident_case_links WHERE incident_id = OLD.incident_id;
        PERFORM move_linked_incident(OLD.incident_id, false);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_figures_added AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_figures_added();
CREATE TRIGGER incidents_figures_removed AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_figures_removed();
CREATE TRIGGER incidents_figures_changed
    AFTER UPDATE OF status, mission_code, occurred_at, classification, attack_type, killed, injured, abducted, missing
    ON incidents FOR EACH ROW
    WHEN ((OLD.status, OLD.mission_code, OLD.occurred_at, OLD.classification, OLD.attack_type,
           OLD.killed, OLD.injured, OLD.abducted, OLD.missing)
          IS DISTINCT FROM
          (NEW.status, NEW.mission_code, NEW.occurred_at, NEW.classification, NEW.attack_type,
           NEW.killed, NEW.injured, NEW.abducted, NEW.missing))
    EXECUTE FUNCTION incident_figures_changed();
CREATE TRIGGER incident_victims_figures_added AFTER INSERT ON incident_victims
    FOR EACH ROW EXECUTE FUNCTION victim_figures_added();
CREATE TRIGGER incident_victims_figures_removed AFTER DELETE ON incident_victims
    FOR EACH ROW EXECUTE FUNCTION victim_figures_removed();
CREATE TRIGGER incident_victims_figures_changed AFTER UPDATE ON incident_victims
    FOR EACH ROW EXECUTE FUNCTION victim_figures_changed();
CREATE TRIGGER case_incidents_figures_added AFTER INSERT ON case_incidents
    FOR EACH ROW EXECUTE FUNCTION link_figures_added();
CREATE TRIGGER case_incidents_figures_removed AFTER DELETE ON case_incidents
    FOR EACH ROW EXECUTE FUNCTION link_figures_removed();

-- What the incidents count now (`summary rebuild` runs the same).
INSERT INTO incident_case_links
SELECT incident_id, COUNT(*) FROM case_incidents GROUP BY incident_id;
INSERT INTO incident_month_figures
SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, i.attack_type,
       incident_linked(i.id), 0, COUNT(*), SUM(i.killed), SUM(i.injured), SUM(i.abducted), SUM(i.missing)
FROM incidents i WHERE i.status IN ('submitted', 'verified')
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO killed_month_figures
SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, v.personnel_type,
       COALESCE(v.nationality, 'unknown'), 0, COUNT(*)
FROM incident_victims v JOIN incidents i ON i.id = v.incident_id
WHERE v.outcome = 'killed' AND i.status IN ('submitted', 'verified')
GROUP BY 1, 2, 3, 4, 5;
