DROP TABLE case_reference_counters;
DROP TABLE case_documents;
DROP TABLE case_accused;
DROP TABLE case_transitions;
DROP TABLE case_incidents;
DROP TABLE cases;
