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
        language -> Nullable<Text>,
        all_missions -> Bool,
        state -> Nullable<Text>,
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

diesel::table! {
    incidents (id) {
        id -> Text,
        reference -> Nullable<Text>,
        mission_code -> Text,
        status -> Text,
        classification -> Text,
        occurred_at -> Timestamp,
        time_precision -> Text,
        occurred_until -> Nullable<Timestamp>,
        reported_at -> Timestamp,
        reported_by -> Text,
        place_name -> Nullable<Text>,
        admin1 -> Nullable<Text>,
        admin2 -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        geo_precision -> Text,
        location_type -> Text,
        attack_type -> Text,
        weapons -> Text,
        summary -> Text,
        narrative -> Text,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        withdrawn_reason -> Nullable<Text>,
        killed -> Integer,
        injured -> Integer,
        abducted -> Integer,
        missing -> Integer,
        search_text -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_verified_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    incident_victims (incident_id, position) {
        incident_id -> Text,
        position -> Integer,
        personnel_type -> Text,
        nationality -> Nullable<Text>,
        gender -> Text,
        outcome -> Text,
        casualty_id -> Nullable<Text>,
        name -> Nullable<Text>,
        unit -> Nullable<Text>,
    }
}

diesel::table! {
    /// One row per incident and nationality of its victims, kept by the database (see its
    /// migration): what a State's list of the incidents with its nationals reads in order.
    incident_nationalities (incident_id, nationality) {
        incident_id -> Text,
        nationality -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    incident_perpetrators (incident_id, position) {
        incident_id -> Text,
        position -> Integer,
        actor_name -> Nullable<Text>,
        actor_type -> Text,
        attribution -> Text,
        claimed_responsibility -> Bool,
    }
}

diesel::table! {
    incident_sources (incident_id, position) {
        incident_id -> Text,
        position -> Integer,
        source_type -> Text,
        description -> Text,
        received_at -> Nullable<Timestamp>,
        reliability -> Text,
        credibility -> Integer,
    }
}

diesel::table! {
    incident_versions (incident_id, version) {
        incident_id -> Text,
        version -> BigInt,
        action -> Text,
        changed_at -> Timestamp,
        changed_by -> Text,
        reason -> Nullable<Text>,
        changes -> Text,
        snapshot -> Text,
    }
}

diesel::table! {
    incident_reference_counters (mission_code, year) {
        mission_code -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        resource_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        reference -> Text,
        mission_code -> Text,
        status -> Text,
        jurisdiction -> Text,
        jurisdiction_state -> Nullable<Text>,
        authority -> Nullable<Text>,
        lead_officer -> Text,
        next_action -> Nullable<Text>,
        next_action_due -> Nullable<Date>,
        next_action_shared -> Bool,
        urgency -> Date,
        notes -> Nullable<Text>,
        closure_reason -> Nullable<Text>,
        opened_on -> Date,
        last_moved_on -> Date,
        search_text -> Text,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reaching_classification -> Nullable<Text>,
    }
}

diesel::table! {
    case_incidents (case_id, incident_id) {
        case_id -> Text,
        incident_id -> Text,
    }
}

diesel::table! {
    case_transitions (case_id, position) {
        case_id -> Text,
        position -> Integer,
        from_status -> Nullable<Text>,
        to_status -> Text,
        effective_on -> Date,
        note -> Nullable<Text>,
        closure_reason -> Nullable<Text>,
        entered_by -> Text,
        entered_at -> Timestamp,
        note_shared -> Bool,
        proposal_id -> Nullable<Text>,
    }
}

diesel::table! {
    case_accused (id) {
        id -> Text,
        case_id -> Text,
        name -> Text,
        affiliation -> Nullable<Text>,
        status -> Text,
        charges -> Nullable<Text>,
        verdict -> Text,
        sentence_type -> Nullable<Text>,
        sentence_months -> Nullable<Integer>,
        sentence_details -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        verdict_on -> Nullable<Date>,
    }
}

diesel::table! {
    case_documents (id) {
        id -> Text,
        case_id -> Text,
        title -> Text,
        kind -> Text,
        document_date -> Nullable<Date>,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        file_name -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        shared_with -> Text,
        version -> BigInt,
        proposal_id -> Nullable<Text>,
    }
}

diesel::table! {
    case_proposals (id) {
        id -> Text,
        case_id -> Text,
        state -> Text,
        kind -> Text,
        content -> Text,
        status -> Text,
        proposed_by -> Text,
        proposed_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        applied_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    case_reference_counters (mission_code, year) {
        mission_code -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    second_factors (user_id) {
        user_id -> Text,
        secret -> Binary,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(user_missions -> users (user_id));
diesel::joinable!(user_missions -> missions (mission_code));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(second_factors -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(audit_chain -> audit_log (audit_id));
diesel::joinable!(case_incidents -> cases (case_id));
diesel::joinable!(case_proposals -> cases (case_id));
diesel::joinable!(incident_victims -> incidents (incident_id));
diesel::joinable!(incident_nationalities -> incidents (incident_id));
diesel::joinable!(case_incidents -> incidents (incident_id));

diesel::table! {
    case_versions (case_id, version) {
        case_id -> Text,
        version -> BigInt,
        action -> Text,
        changed_at -> Timestamp,
        changed_by -> Text,
        snapshot -> Text,
    }
}

diesel::table! {
    audit_baseline_pending (entity_type, entity_id) {
        entity_type -> Text,
        entity_id -> Text,
    }
}

diesel::table! {
    audit_content_free (first_record) {
        first_record -> BigInt,
    }
}

diesel::table! {
    assistance (id) {
        id -> Text,
        assistance_type -> Text,
        state -> Text,
        mission_code -> Text,
        from_on -> Date,
        to_on -> Nullable<Date>,
        provider -> Text,
        description -> Nullable<Text>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assistance_cases (assistance_id, case_id) {
        assistance_id -> Text,
        case_id -> Text,
    }
}

diesel::table! {
    assistance_versions (assistance_id, version) {
        assistance_id -> Text,
        version -> BigInt,
        action -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
        snapshot -> Text,
    }
}

diesel::table! {
    issued_reports (id) {
        id -> Text,
        period_from -> Date,
        period_to -> Date,
        edition -> Text,
        missions -> Text,
        classification -> Text,
        body -> Text,
        sha256 -> Text,
        with_names -> Bool,
        issued_by -> Text,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Text,
        secret_sha256 -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(assistance_cases -> assistance (assistance_id));

diesel::allow_tables_to_appear_in_same_query!(
    assistance,
    assistance_cases,
    assistance_versions,
    issued_reports,
    calendar_feeds,
    incident_nationalities,
    missions,
    users,
    user_missions,
    sessions,
    audit_log,
    audit_pending,
    audit_chain,
    incidents,
    incident_victims,
    incident_perpetrators,
    incident_sources,
    incident_versions,
    incident_reference_counters,
    idempotency_keys,
    cases,
    case_incidents,
    case_transitions,
    case_accused,
    case_documents,
    case_proposals,
    case_reference_counters,
    case_versions,
    audit_baseline_pending,
    audit_content_free,
    second_factors,
    recovery_codes,
);
