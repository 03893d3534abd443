DROP INDEX incidents_counted;
