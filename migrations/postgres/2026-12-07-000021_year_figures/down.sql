-- The functions as they were before the figures per year.

CREATE OR REPLACE FUNCTION add_incident_figures(i incidents, has_case BOOLEAN, sign INTEGER) RETURNS void
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

CREATE OR REPLACE FUNCTION add_dead_figures(i incidents, sign INTEGER) RETURNS void
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

CREATE OR REPLACE FUNCTION incident_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION add_killed_victim(victim incident_victims, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO killed_month_figures AS f
    SELECT i.mission_code, to_char(i.occurred_at, 'YYYY-MM'), i.classification,
           victim.personnel_type, COALESCE(victim.nationality, 'unknown'), figures_slot(), sign
    FROM incidents i WHERE i.id = victim.incident_id AND i.status IN ('submitted', 'verified')
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = f.killed + EXCLUDED.killed;
END $$;

CREATE OR REPLACE FUNCTION victim_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.outcome = 'killed' THEN
        PERFORM add_killed_victim(OLD, -1);
    END IF;
    IF NEW.outcome = 'killed' THEN
        PERFORM add_killed_victim(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

DROP FUNCTION add_killed_figures(incidents, TEXT[], TEXT[], INTEGER[]);
DROP TABLE killed_year_by_nationality;
DROP TABLE killed_year_by_personnel_type;
DROP TABLE incident_year_figures;
