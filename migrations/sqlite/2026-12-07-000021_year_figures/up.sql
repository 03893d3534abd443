-- The summaries' figures per year, beside those per month: a summary by year reads its whole
-- years from here (a few thousand rows for 25 years of twelve missions), its whole months at
-- the range's edges from the month figures and its edge days from the records. The dead are
-- kept per year by personnel type and by nationality apart: a summary shows them apart, and
-- crossed they would be a row for nearly every pair. Every change to the month figures passes
-- through `incident_figure_changes` and `killed_figure_changes`: they now add it to the year's
-- rows too.
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

DROP TRIGGER incident_figure_changes_added;
CREATE TRIGGER incident_figure_changes_added INSTEAD OF INSERT ON incident_figure_changes
BEGIN
    INSERT INTO incident_year_figures
    VALUES (NEW.mission_code, substr(NEW.month, 1, 4), NEW.classification, NEW.attack_type,
            NEW.with_case, 0, NEW.incidents, NEW.killed, NEW.injured, NEW.abducted, NEW.missing)
    ON CONFLICT (mission_code, year, classification, attack_type, with_case, slot) DO UPDATE SET
        incidents = incidents + excluded.incidents, killed = killed + excluded.killed,
        injured = injured + excluded.injured, abducted = abducted + excluded.abducted,
        missing = missing + excluded.missing;
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
    INSERT INTO killed_year_by_personnel_type
    VALUES (NEW.mission_code, substr(NEW.month, 1, 4), NEW.classification, NEW.personnel_type,
            0, NEW.killed)
    ON CONFLICT (mission_code, year, classification, personnel_type, slot)
    DO UPDATE SET killed = killed + excluded.killed;
    INSERT INTO killed_year_by_nationality
    VALUES (NEW.mission_code, substr(NEW.month, 1, 4), NEW.classification, NEW.nationality,
            0, NEW.killed)
    ON CONFLICT (mission_code, year, classification, nationality, slot)
    DO UPDATE SET killed = killed + excluded.killed;
    INSERT INTO killed_month_figures
    VALUES (NEW.mission_code, NEW.month, NEW.classification, NEW.personnel_type,
            NEW.nationality, 0, NEW.killed)
    ON CONFLICT (mission_code, month, classification, personnel_type, nationality, slot)
    DO UPDATE SET killed = killed + excluded.killed;
END;

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
