-- Reference data: the missions peacekeepers serve in.
CREATE TABLE missions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    host_country TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

INSERT INTO missions (code, name, host_country, active) VALUES
    ('MINUSCA', 'United Nations Multidimensional Integrated Stabilization Mission in the Central African Republic', 'CAF', TRUE),
    ('MONUSCO', 'United Nations Organization Stabilization Mission in the Democratic Republic of the Congo', 'COD', TRUE),
    ('UNMISS', 'United Nations Mission in the Republic of South Sudan', 'SSD', TRUE),
    ('UNIFIL', 'United Nations Interim Force in Lebanon', 'LBN', TRUE),
    ('UNISFA', 'United Nations Interim Security Force for Abyei', 'SDN', TRUE),
    ('UNDOF', 'United Nations Disengagement Observer Force', 'SYR', TRUE),
    ('MINURSO', 'United Nations Mission for the Referendum in Western Sahara', 'ESH', TRUE),
    ('UNFICYP', 'United Nations Peacekeeping Force in Cyprus', 'CYP', TRUE),
    ('UNMIK', 'United Nations Interim Administration Mission in Kosovo', 'SRB', TRUE),
    ('UNTSO', 'United Nations Truce Supervision Organization', 'ISR', TRUE),
    ('UNMOGIP', 'United Nations Military Observer Group in India and Pakistan', 'PAK', TRUE),
    ('MINUSMA', 'United Nations Multidimensional Integrated Stabilization Mission in Mali', 'MLI', FALSE),
    ('UNAMID', 'African Union-United Nations Hybrid Operation in Darfur', 'SDN', FALSE),
    ('MINUSTAH', 'United Nations Stabilization Mission in Haiti', 'HTI', FALSE),
    ('MONUC', 'United Nations Organization Mission in the Democratic Republic of the Congo', 'COD', FALSE);

-- Accounts. Roles and clearances are the codes of the domain; the database refuses others.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'security_officer', 'legal_officer', 'leadership', 'auditor')),
    clearance TEXT NOT NULL CHECK (clearance IN ('unclassified', 'confidential', 'strictly_confidential')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The missions a user works on; no row means all missions (headquarters).
CREATE TABLE user_missions (
    user_id TEXT NOT NULL REFERENCES users (id),
    mission_code TEXT NOT NULL REFERENCES missions (code),
    PRIMARY KEY (user_id, mission_code)
);

-- Sign-in sessions. Only the SHA-256 of the bearer token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- The audit trail. Writers only insert here (and into audit_pending); the chain of hashes is
-- added afterwards by the sealer in audit_chain, so concurrent writers never wait on a chain head.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT,
    actor_username TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    request_id TEXT,
    client_addr TEXT,
    details TEXT NOT NULL,
    record_hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at, id);

-- Records written but not yet chained: a small work queue for the sealer, filled by a trigger so
-- that no record can be written without being queued, at no extra round trip for the writer.
CREATE TABLE audit_pending (
    audit_id BIGINT PRIMARY KEY REFERENCES audit_log (id)
);

-- The hash chain, in the order records were sealed.
CREATE TABLE audit_chain (
    seq BIGINT PRIMARY KEY,
    audit_id BIGINT NOT NULL UNIQUE REFERENCES audit_log (id),
    chain_hash TEXT NOT NULL
);

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE FUNCTION queue_audit_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (audit_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_log_queue AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION queue_audit_record();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
