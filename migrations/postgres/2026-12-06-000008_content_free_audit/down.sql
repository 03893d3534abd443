DROP TABLE audit_content_free;
DROP TABLE audit_baseline_pending;
DROP TABLE case_versions;
