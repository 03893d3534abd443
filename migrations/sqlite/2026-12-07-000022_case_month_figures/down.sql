-- The case figures' trigger as `000020` wrote it.
DROP TRIGGER case_figures_recounted;

CREATE TRIGGER case_figures_recounted INSTEAD OF INSERT ON case_figures_recounts
BEGIN
    INSERT OR REPLACE INTO case_figures
    SELECT * FROM case_figures_counted WHERE case_id = NEW.case_id;
    DELETE FROM case_figures
    WHERE case_id = NEW.case_id AND NOT EXISTS (SELECT 1 FROM cases WHERE id = NEW.case_id);
END;

DROP TRIGGER case_month_figures_changed;
DROP VIEW case_month_figure_changes;
DROP TABLE case_month_figures;
DROP VIEW case_figures_by_clearance;
