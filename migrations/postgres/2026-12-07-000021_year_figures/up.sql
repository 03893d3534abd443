-- The summaries' figures per year, beside those per month: a summary by year reads its whole
-- years from here (a few thousand rows for 25 years of twelve missions), its whole months at
-- the range's edges from the month figures and its edge days from the records. The dead are
-- kept per year by personnel type and by nationality apart: a summary shows them apart, and
-- crossed they would be a row for nearly every pair.
--
-- Rows are written in one order everywhere, so two writers cannot wait on each other in a
-- cycle: per incident, the year's row before the month's; when an incident moves, the side of
-- the lower key (mission, classification, attack type, month) first, its incident figures
-- before its dead; the dead per year by personnel type, then by nationality, then per month,
-- each in the order of its keys.
CREATE TABLE incident_year_figures (
    mission_code TEXT NOT NULL,
    -- `YYYY`, of the time the incident occurred.
    year TEXT NOT NULL,
    classification TEXT NOT NULL,
    attack_type TEXT NOT NULL,
    with_case BOOLEAN NOT NULL,
    slot SMALLINT NOT NULL,
    incidents BIGINT NOT NULL,
    killed BIGINT NOT NULL,
    injured BIGINT NOT NULL,
    abducted BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    PRIMARY KEY (mission_code, year, classification, attack_type, with_case, slot)
);

CREATE TABLE killed_year_by_personnel_type (
    mission_code TEXT NOT NULL,
    year TEXT NOT NULL,
    classification TEXT NOT NULL,
    personnel_type TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    killed BIGINT NOT NULL,
    PRIMARY KEY (mission_code, year, classification, personnel_type, slot)
);

CREATE TABLE killed_year_by_nationality (
    mission_code TEXT NOT NULL,
    year TEXT NOT NULL,
    classification TEXT NOT NULL,
    -- `unknown` when the victim's nationality is not known.
    nationality TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    killed BIGINT NOT NULL,
    PRIMARY KEY (mission_code, year, classification, nationality, slot)
);

CREATE OR REPLACE FUNCTION add_incident_figures(i incidents, has_case BOOLEAN, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_year_figures AS f
    VALUES (i.mission_code, to_char(i.occurred_at, 'YYYY'), i.classification, i.attack_type,
            has_case, figures_slot(), sign, sign * i.killed, sign * i.injured,
            sign * i.abducted, sign * i.missing)
    ON CONFLICT (mission_code, year, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = f.incidents + EXCLUDED.incidents, killed = f.killed + EXCLUDED.killed,
        injured = f.injured + EXCLUDED.injured, abducted = f.abducted + EXCLUDED.abducted,
        missing = f.missing + EXCLUDED.missing;
    INSERT INTO incident_month_figures AS f
    VALUES (i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, i.attack_type,
            has_case, figures_slot(), sign, sign * i.killed, sign * i.injured,
            sign * i.abducted, sign * i.missing)
    ON CONFLICT (mission_code, month, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = f.incidents + EXCLUDED.incidents, killed = f.killed + EXCLUDED.killed,
        injured = f.injured + EXCLUDED.injured, abducted = f.abducted + EXCLUDED.abducted,
        missing = f.missing + EXCLUDED.missing;
END $$;

-- Adds the dead of a counted incident (`i`), each of a personnel type, nationality (`unknown`
-- when not known) and sign (1 added, -1 taken away), netted per row.
CREATE FUNCTION add_killed_figures(i incidents, personnel TEXT[], nationalities TEXT[], signs INTEGER[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO killed_year_by_personnel_type AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY'), i.classification, k.personnel_type,
           figures_slot(), SUM(k.sign)
    FROM unnest(personnel, signs) AS k(personnel_type, sign)
    GROUP BY k.personnel_type ORDER BY k.personnel_type
    ON CONFLICT (mission_code, year, classification, personnel_type, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
    INSERT INTO killed_year_by_nationality AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY'), i.classification, k.nationality,
           figures_slot(), SUM(k.sign)
    FROM unnest(nationalities, signs) AS k(nationality, sign)
    GROUP BY k.nationality ORDER BY k.nationality
    ON CONFLICT (mission_code, year, classification, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
    INSERT INTO killed_month_figures AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification, k.personnel_type,
           k.nationality, figures_slot(), SUM(k.sign)
    FROM unnest(personnel, nationalities, signs) AS k(personnel_type, nationality, sign)
    GROUP BY k.personnel_type, k.nationality ORDER BY k.personnel_type, k.nationality
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
END $$;

CREATE OR REPLACE FUNCTION add_dead_figures(i incidents, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    personnel TEXT[];
    nationalities TEXT[];
BEGIN
    SELECT array_agg(v.personnel_type), array_agg(COALESCE(v.nationality, 'unknown'))
    INTO personnel, nationalities
    FROM incident_victims v
    WHERE v.incident_id = i.id AND v.outcome = 'killed';
    IF personnel IS NOT NULL THEN
        PERFORM add_killed_figures(i, personnel, nationalities, array_fill(sign, ARRAY[cardinality(personnel)]));
    END IF;
END $$;

-- Taken away as it was, added as it is: its incident figures, then its dead, each side of the
-- lower key first (the dead of both sides are the same victims).
CREATE OR REPLACE FUNCTION incident_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    linked BOOLEAN := incident_linked(NEW.id);
    was_counted BOOLEAN := OLD.status IN ('submitted', 'verified');
    is_counted BOOLEAN := NEW.status IN ('submitted', 'verified');
    new_first BOOLEAN := (NEW.mission_code, NEW.classification, NEW.attack_type, to_char(NEW.occurred_at, 'YYYY-MM'))
                       < (OLD.mission_code, OLD.classification, OLD.attack_type, to_char(OLD.occurred_at, 'YYYY-MM'));
    new_dead_first BOOLEAN := (NEW.mission_code, NEW.classification, to_char(NEW.occurred_at, 'YYYY-MM'))
                            < (OLD.mission_code, OLD.classification, to_char(OLD.occurred_at, 'YYYY-MM'));
BEGIN
    IF is_counted AND new_first THEN
        PERFORM add_incident_figures(NEW, linked, 1);
    END IF;
    IF was_counted THEN
        PERFORM add_incident_figures(OLD, linked, -1);
    END IF;
    IF is_counted AND NOT new_first THEN
        PERFORM add_incident_figures(NEW, linked, 1);
    END IF;
    IF is_counted AND new_dead_first THEN
        PERFORM add_dead_figures(NEW, 1);
    END IF;
    IF was_counted THEN
        PERFORM add_dead_figures(OLD, -1);
    END IF;
    IF is_counted AND NOT new_dead_first THEN
        PERFORM add_dead_figures(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

-- A victim killed, or no longer, of a counted incident (`sign` 1 or -1): the incident's three
-- columns only, and one row of each table (a load writes a million victims this way).
CREATE OR REPLACE FUNCTION add_killed_victim(victim incident_victims, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    mission TEXT;
    occurred TIMESTAMP;
    classified TEXT;
    of_nationality TEXT := COALESCE(victim.nationality, 'unknown');
BEGIN
    SELECT i.mission_code, i.occurred_at, i.classification INTO mission, occurred, classified
    FROM incidents i WHERE i.id = victim.incident_id AND i.status IN ('submitted', 'verified');
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO killed_year_by_personnel_type AS f
    VALUES (mission, to_char(occurred, 'YYYY'), classified, victim.personnel_type, figures_slot(), sign)
    ON CONFLICT (mission_code, year, classification, personnel_type, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
    INSERT INTO killed_year_by_nationality AS f
    VALUES (mission, to_char(occurred, 'YYYY'), classified, of_nationality, figures_slot(), sign)
    ON CONFLICT (mission_code, year, classification, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
    INSERT INTO killed_month_figures AS f
    VALUES (mission, to_char(occurred, 'YYYY-MM'), classified, victim.personnel_type, of_nationality,
            figures_slot(), sign)
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
END $$;

-- A victim changed: as it was taken away and as it is added in one change, so that its rows
-- are written in the order of their keys.
CREATE OR REPLACE FUNCTION victim_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i incidents;
BEGIN
    IF OLD.outcome = 'killed' AND NEW.outcome = 'killed' AND OLD.incident_id = NEW.incident_id THEN
        SELECT * INTO i FROM incidents
        WHERE id = NEW.incident_id AND status IN ('submitted', 'verified');
        IF FOUND THEN
            PERFORM add_killed_figures(
                i, ARRAY[OLD.personnel_type, NEW.personnel_type],
                ARRAY[COALESCE(OLD.nationality, 'unknown'), COALESCE(NEW.nationality, 'unknown')],
                ARRAY[-1, 1]);
        END IF;
        RETURN NULL;
    END IF;
    IF OLD.outcome = 'killed' THEN
        PERFORM add_killed_victim(OLD, -1);
    END IF;
    IF NEW.outcome = 'killed' THEN
        PERFORM add_killed_victim(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

-- What the month figures count now, by year (`summary rebuild` does the same).
INSERT INTO incident_year_figures
SELECT mission_code, substr(month, 1, 4), classification, attack_type, with_case, 0,
       SUM(incidents), SUM(killed), SUM(injured), SUM(abducted), SUM(missing)
FROM incident_month_figures GROUP BY 1, 2, 3, 4, 5;
INSERT INTO killed_year_by_personnel_type
SELECT mission_code, substr(month, 1, 4), classification, personnel_type, 0, SUM(killed)
FROM killed_month_figures GROUP BY 1, 2, 3, 4;
INSERT INTO killed_year_by_nationality
SELECT mission_code, substr(month, 1, 4), classification, nationality, 0, SUM(killed)
FROM killed_month_figures GROUP BY 1, 2, 3, 4;
