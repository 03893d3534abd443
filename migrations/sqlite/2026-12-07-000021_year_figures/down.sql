-- The figures' changes as they were added before the figures per year.

DROP TRIGGER incident_figure_changes_added;
CREATE TRIGGER incident_figure_changes_added INSTEAD OF INSERT ON incident_figure_changes
BEGIN
    INSERT INTO incident_month_figures
    VALUES (NEW.mission_code, NEW.month, NEW.classification, NEW.attack_type, NEW.with_case, 0,
            NEW.incidents, NEW.killed, NEW.injured, NEW.abducted, NEW.missing)
    ON CONFLICT (mission_code, month, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = incidents + excluded.incidents, killed = killed + excluded.killed,
        injured = injured + excluded.injured, abducted = abducted + excluded.abducted,
        missing = missing + excluded.missing;
END;

DROP TRIGGER killed_figure_changes_added;
CREATE TRIGGER killed_figure_changes_added INSTEAD OF INSERT ON killed_figure_changes
BEGIN
    INSERT INTO killed_month_figures
    VALUES (NEW.mission_code, NEW.month, NEW.classification, NEW.personnel_type,
            NEW.nationality, 0, NEW.killed)
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = killed + excluded.killed;
END;

DROP TABLE killed_year_by_nationality;
DROP TABLE killed_year_by_personnel_type;
DROP TABLE incident_year_figures;
