DROP TABLE audit_chain;
DROP TABLE audit_pending;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE user_missions;
DROP TABLE users;
DROP TABLE missions;
