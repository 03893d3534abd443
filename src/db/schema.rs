//! The tables, written by hand once for both backends (column types the common connection supports).

diesel::table! {
    missions (code) {
        code -> Text,
        name -> Text,
        host_country -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        clearance -> Text,
        disabled -> Bool,
        must_change_password -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_missions (user_id, mission_code) {
        user_id -> Text,
        mission_code -> Text,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_username -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        details -> Text,
        record_hash -> Text,
    }
}

diesel::table! {
    audit_pending (audit_id) {
        audit_id -> BigInt,
    }
}

diesel::table! {
    audit_chain (seq) {
        seq -> BigInt,
        audit_id -> BigInt,
        chain_hash -> Text,
    }
}

diesel::joinable!(user_missions -> users (user_id));
diesel::joinable!(user_missions -> missions (mission_code));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(audit_chain -> audit_log (audit_id));

diesel::allow_tables_to_appear_in_same_query!(
    missions,
    users,
    user_missions,
    sessions,
    audit_log,
    audit_pending,
    audit_chain,
);
