DROP INDEX cases_open_by_last_step;
