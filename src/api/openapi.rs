//! The API's contract: an OpenAPI 3.1 document generated from the handlers and their types,
//! served at `/api/v1/openapi.json`, and the interactive reference at `/api/docs/`, whose
//! assets are built into the binary.

use std::sync::{Arc, LazyLock};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayItems, Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, KnownFormat, OpenApi as Document, RefOr, SchemaFormat};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::domain::access::Clearance;
use crate::domain::case::{
    ACCUSED_STATUSES, CLOSURE_REASONS, CaseStatus, DOCUMENT_KINDS, SENTENCE_TYPES, VERDICTS,
};
use crate::domain::incident::{
    ACTOR_TYPES, ATTACK_TYPES, ATTRIBUTIONS, GENDERS, GEO_PRECISIONS, LOCATION_TYPES, OUTCOMES,
    PERSONNEL_TYPES, RELIABILITIES, SOURCE_TYPES, Status, TIME_PRECISIONS, WEAPONS,
};
use crate::error::{AppError, PROBLEM_JSON, Problem};

use super::{
    assistance, audit, auth, calendar, cases, exports, health, imports, incidents, metrics,
    missions, proposals, reports, state, summary, users,
};

/// The name of the bearer scheme in the document (spelled out again in `security` below, which
/// takes only a literal).
const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Peacekeeper Safety Incident Registry",
        description = "Attacks on peacekeepers and every case that follows them to justice. \
            Sign in with `POST /api/v1/auth/login` and send the token as \
            `Authorization: Bearer <token>`. Errors are `application/problem+json` (RFC 9457); \
            invalid fields are each named in `errors`. Changes need the version they are \
            based on (`If-Match` or `version`); a stale one is answered 409."
    ),
    paths(
        health::alive,
        health::ready,
        metrics::metrics,
        document,
        auth::login,
        auth::logout,
        auth::logout_all,
        auth::sessions,
        auth::me,
        auth::change_password,
        auth::enrol_second_factor,
        auth::confirm_second_factor,
        users::list,
        users::create,
        users::get,
        users::update,
        missions::list,
        missions::create,
        missions::get,
        missions::update,
        incidents::list,
        incidents::create,
        exports::export,
        incidents::get,
        incidents::update,
        incidents::submit,
        incidents::verify,
        incidents::withdraw,
        incidents::history,
        cases::list,
        cases::create,
        cases::get,
        cases::update,
        cases::transition,
        cases::share_step,
        cases::add_accused,
        cases::update_accused,
        cases::add_document,
        cases::download_document,
        cases::share_document,
        proposals::propose,
        proposals::list,
        proposals::queue,
        proposals::accept,
        proposals::decline,
        proposals::download_document,
        assistance::list,
        assistance::create,
        assistance::get,
        assistance::update,
        assistance::history,
        reports::annual,
        reports::state_annual,
        reports::issue,
        reports::issued,
        calendar::create,
        calendar::revoke,
        calendar::feed,
        imports::un_fatalities,
        summary::summary,
        summary::stalled,
        state::incidents,
        state::cases,
        state::summary,
        audit::list,
        audit::verify,
    ),
    components(schemas(Problem)),
    security(("bearer" = [])),
    modifiers(&BearerScheme, &ProblemAnswers, &RequiredFields, &CodeLists, &OperationIds),
    tags(
        (name = "health", description = "Is the service up, and can it reach its database."),
        (name = "contract", description = "This document."),
        (name = "auth", description = "Signing in and out; one's own account and sessions."),
        (name = "users", description = "Accounts, for administrators."),
        (name = "missions", description = "Peacekeeping missions."),
        (name = "incidents", description = "Attacks on peacekeepers, as security officers record them."),
        (name = "cases", description = "Accountability cases, from referral to final judgment."),
        (name = "proposals", description = "Progress a host State reports on a case, until a legal officer accepts or declines it."),
        (name = "assistance", description = "The support the UN gave host States' investigations and prosecutions."),
        (name = "reports", description = "The annual accountability report."),
        (name = "imports", description = "The UN's official fatalities dataset."),
        (name = "summary", description = "Accountability summaries for leadership."),
        (name = "state", description = "A Member State's part of the record, for its focal points."),
        (name = "audit", description = "The tamper-evident audit trail."),
    )
)]
pub struct ApiDoc;

/// The document, generated once: it depends on the code alone.
static DOCUMENT: LazyLock<Document> = LazyLock::new(ApiDoc::openapi);
static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| {
    DOCUMENT
        .to_pretty_json()
        .unwrap_or_else(|_| String::from("{}"))
});

/// The methods the document gives a route, as `Allow` names them: `GET, PATCH`.
pub fn methods_of(pattern: &str) -> Option<String> {
    let item = DOCUMENT.paths.paths.get(pattern)?;
    let methods: Vec<&str> = [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, served)| served.then_some(method))
    .collect();
    Some(methods.join(", "))
}

/// The contract as pretty JSON, as served (and as the snapshot test keeps it).
pub fn document_json() -> &'static str {
    &DOCUMENT_JSON
}

/// This document: the API's contract, OpenAPI 3.1.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "contract", security(()),
    responses((status = 200, description = "This document.", content_type = "application/json")))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

/// `/api/docs`: the reference lives under `/api/docs/`, where its assets are relative.
pub async fn docs_home() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

/// Swagger UI's files, built into the binary, reading the document served above.
static DOCS_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    // No validator badge: it would be an image from elsewhere.
    let config = utoipa_swagger_ui::Config::from("/api/v1/openapi.json").validator_url("none");
    Arc::new(config)
});

/// The reference's page runs Swagger UI's own scripts and styles, from this server only.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";

pub async fn docs_file(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let file = req.match_info().query("file");
    let found = utoipa_swagger_ui::serve(file, DOCS_CONFIG.clone())
        .map_err(|error| AppError::internal(error.to_string()))?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(found.content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_POLICY))
        .body(found.bytes.into_owned()))
}

/// The body of a handler that takes some fields out of it before reading the rest as `T`:
/// the fields of `T` and the `extra` ones, described as `description`.
pub fn extended<T: ToSchema>(description: &str, extra: &[(&str, Object)]) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut schema)) = T::schema() else {
        return T::schema();
    };
    schema.description = Some(description.to_string());
    for (name, property) in extra {
        schema.properties.insert(
            (*name).to_string(),
            RefOr::T(Schema::Object(property.clone())),
        );
    }
    RefOr::T(Schema::Object(schema))
}

/// A patch: like `extended`, with no field required (what is left out stays as stored).
pub fn patch_of<T: ToSchema>(description: &str, extra: &[(&str, Object)]) -> RefOr<Schema> {
    let mut schema = extended::<T>(description, extra);
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        object.required.clear();
    }
    schema
}

/// An optional field of `kind` (it may also be `null`), for `extended` and `patch_of`.
pub fn optional_field(kind: Type, format: Option<KnownFormat>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![kind, Type::Null]))
        .format(format.map(SchemaFormat::KnownFormat))
        .description(Some(description))
        .build()
}

/// The `version` a change is based on, when `If-Match` is not sent.
pub fn version_field() -> Object {
    optional_field(
        Type::Integer,
        Some(KnownFormat::Int64),
        "The version the change is based on (or send `If-Match`).",
    )
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The error answers every operation can give, added to each where they apply, so that the
/// handlers' annotations list only what is particular to them (409, say).
struct ProblemAnswers;

/// Operations any signed-in account may use, even one that must change its password first
/// (their handlers take `SignedIn`): they never refuse the account (those that check its
/// password again say so themselves: 403 while it is locked).
const SIGNED_IN_IS_ENOUGH: [&str; 8] = [
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-all",
    "/api/v1/me",
    "/api/v1/me/sessions",
    "/api/v1/me/password",
    "/api/v1/me/second-factor",
    "/api/v1/me/second-factor/confirm",
    "/api/v1/me/calendar",
];

impl ProblemAnswers {
    fn answers(
        path: &str,
        method: &str,
        operation: &Operation,
    ) -> Vec<(&'static str, &'static str)> {
        let public = operation.security.as_ref().is_some_and(|requirements| {
            // `security(())`: the empty requirement, no token needed.
            requirements
                .iter()
                .all(|r| *r == SecurityRequirement::default())
        });
        // A path that does not parse names nothing: 404, never 400.
        let reads_input = operation.request_body.is_some()
            || operation.parameters.iter().flatten().any(|parameter| {
                !matches!(
                    parameter.parameter_in,
                    utoipa::openapi::path::ParameterIn::Path
                )
            });
        let mut answers = vec![
            ("414", "The query string is longer than 4 KiB."),
            (
                "500",
                "A fault on the registry's side; the request id names it in the logs.",
            ),
        ];
        if path != "/healthz" && path != "/api/v1/openapi.json" {
            answers.push(("503", "The database cannot be reached just now; try again."));
        }
        if !public {
            answers.push(("401", "Not signed in, or the session has ended."));
        }
        if !public && !SIGNED_IN_IS_ENOUGH.contains(&path) {
            answers.push((
                "403",
                "Not allowed to this account, or its password must be changed first.",
            ));
        }
        if path.contains('{') {
            answers.push(("404", "No such record, or not one this account may see."));
        }
        if reads_input {
            answers.push((
                "400",
                "The request cannot be read (malformed JSON, a bad query).",
            ));
            answers.push(("422", "Invalid values; `errors` names each field."));
        }
        if operation.request_body.is_some() {
            answers.push(("413", "The body is larger than its limit."));
            answers.push((
                "415",
                "The body is not of the media type this operation reads.",
            ));
        }
        if path == "/api/v1/auth/login" || (!public && method != "get") {
            answers.push((
                "429",
                "Too many requests; `Retry-After` says when to try again.",
            ));
        }
        answers
    }
}

impl Modify for ProblemAnswers {
    fn modify(&self, openapi: &mut Document) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("patch", &mut item.patch),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                for (status, description) in Self::answers(path, method, operation) {
                    let responses = &mut operation.responses.responses;
                    if responses.contains_key(status) {
                        continue;
                    }
                    let mut answer = ResponseBuilder::new().description(description).content(
                        PROBLEM_JSON,
                        Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "Problem",
                        )))),
                    );
                    let header = |description: &str| {
                        utoipa::openapi::header::HeaderBuilder::new()
                            .schema(String::schema())
                            .description(Some(description))
                            .build()
                    };
                    answer = match status {
                        "401" => answer.header("WWW-Authenticate", header("`Bearer`.")),
                        "429" | "503" => answer.header("Retry-After", header("Seconds to wait.")),
                        _ => answer,
                    };
                    responses.insert(status.to_string(), RefOr::T(answer.build()));
                }
            }
        }
    }
}

/// Fields and parameters that take a code from one of the rules' fixed lists: the document
/// lists the codes, taken from the rules themselves, so that it says exactly what is accepted.
/// The fields the server requires in a request body, stated as required and never `null`.
/// The inputs are read with every field optional so that all problems are named at once; the
/// document still says what a valid request holds. A patch's list of victims or sources
/// replaces the stored one whole, so each entry needs its required fields there too.
struct RequiredFields;

impl RequiredFields {
    const FIELDS: &[(&str, &[&str])] = &[
        (
            "IncidentCreate",
            &["mission", "occurred_at", "attack_type", "summary"],
        ),
        ("VictimInput", &["personnel_type", "outcome"]),
        (
            "SourceInput",
            &["source_type", "description", "reliability", "credibility"],
        ),
        ("Withdrawal", &["reason"]),
        ("CaseCreate", &["incident_ids", "jurisdiction"]),
        ("AccusedInput", &["name"]),
        ("TransitionInput", &["to", "effective_on"]),
        ("Sentence", &["type"]),
        (
            "AssistanceInput",
            &["type", "state", "mission", "from", "provider"],
        ),
    ];
}

impl Modify for RequiredFields {
    fn modify(&self, openapi: &mut Document) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, fields) in Self::FIELDS {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) else {
                continue;
            };
            for field in *fields {
                if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(*field)
                    && let SchemaType::Array(types) = &property.schema_type
                    && let [kind] = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect::<Vec<_>>()
                        .as_slice()
                {
                    property.schema_type = SchemaType::Type(kind.clone());
                }
                if !object.required.iter().any(|r| r == field) {
                    object.required.push(field.to_string());
                }
            }
        }
    }
}

struct CodeLists;

impl CodeLists {
    /// (schemas, property, codes) for request bodies.
    fn properties() -> Vec<(&'static [&'static str], &'static str, Vec<&'static str>)> {
        const INCIDENT: &[&str] = &["IncidentCreate", "IncidentPatch"];
        const ACCUSED: &[&str] = &["AccusedInput", "AccusedPatch"];
        vec![
            (INCIDENT, "classification", clearances()),
            (INCIDENT, "time_precision", TIME_PRECISIONS.to_vec()),
            (INCIDENT, "geo_precision", GEO_PRECISIONS.to_vec()),
            (INCIDENT, "location_type", LOCATION_TYPES.to_vec()),
            (INCIDENT, "attack_type", ATTACK_TYPES.to_vec()),
            (INCIDENT, "weapons", WEAPONS.to_vec()),
            (&["PerpetratorInput"], "actor_type", ACTOR_TYPES.to_vec()),
            (&["PerpetratorInput"], "attribution", ATTRIBUTIONS.to_vec()),
            (&["VictimInput"], "personnel_type", PERSONNEL_TYPES.to_vec()),
            (&["VictimInput"], "gender", GENDERS.to_vec()),
            (&["VictimInput"], "outcome", OUTCOMES.to_vec()),
            (&["SourceInput"], "source_type", SOURCE_TYPES.to_vec()),
            (&["SourceInput"], "reliability", RELIABILITIES.to_vec()),
            (&["TransitionInput"], "to", case_statuses()),
            (
                &["TransitionInput"],
                "closure_reason",
                CLOSURE_REASONS.to_vec(),
            ),
            (ACCUSED, "status", ACCUSED_STATUSES.to_vec()),
            (ACCUSED, "verdict", VERDICTS.to_vec()),
            (&["Sentence"], "type", SENTENCE_TYPES.to_vec()),
            (&["DocumentUpload"], "kind", DOCUMENT_KINDS.to_vec()),
            (
                &["AssistanceInput", "AssistancePatch", "AssistanceView"],
                "type",
                crate::domain::assistance::ASSISTANCE_TYPES.to_vec(),
            ),
        ]
    }

    /// (paths, query parameter, codes).
    fn parameters() -> Vec<(&'static [&'static str], &'static str, Vec<&'static str>)> {
        const INCIDENTS: &[&str] = &["/api/v1/incidents", "/api/v1/incidents/export"];
        const SUMMARIES: &[&str] = &["/api/v1/summary", "/api/v1/summary/stalled"];
        vec![
            (
                INCIDENTS,
                "status",
                Status::ALL.iter().map(|s| s.code()).collect(),
            ),
            (INCIDENTS, "attack_type", ATTACK_TYPES.to_vec()),
            (INCIDENTS, "classification", clearances()),
            (
                &["/api/v1/incidents/export"],
                "format",
                vec!["csv", "geojson"],
            ),
            (&["/api/v1/cases"], "status", case_statuses()),
            (
                &["/api/v1/summary"],
                "group",
                vec!["year", "quarter", "month"],
            ),
            (SUMMARIES, "format", vec!["json", "csv"]),
        ]
    }
}

fn clearances() -> Vec<&'static str> {
    Clearance::ALL.iter().map(|c| c.code()).collect()
}

fn case_statuses() -> Vec<&'static str> {
    CaseStatus::ALL.iter().map(|s| s.code()).collect()
}

/// Limits a text schema (or the items of a list of texts) to `codes`; `null` stays allowed
/// where it was.
fn restrict_to(schema: &mut RefOr<Schema>, codes: &[&str]) {
    match schema {
        RefOr::T(Schema::Object(object)) => {
            let mut values: Vec<serde_json::Value> = codes
                .iter()
                .map(|code| serde_json::Value::from(*code))
                .collect();
            if matches!(&object.schema_type, SchemaType::Array(types) if types.contains(&Type::Null))
            {
                values.push(serde_json::Value::Null);
            }
            object.enum_values = Some(values);
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                restrict_to(items, codes);
            }
        }
        _ => {}
    }
}

impl Modify for CodeLists {
    fn modify(&self, openapi: &mut Document) {
        if let Some(components) = openapi.components.as_mut() {
            for (schemas, property, codes) in Self::properties() {
                for name in schemas {
                    if let Some(RefOr::T(Schema::Object(object))) =
                        components.schemas.get_mut(*name)
                        && let Some(field) = object.properties.get_mut(property)
                    {
                        restrict_to(field, &codes);
                    }
                }
            }
        }
        for (paths, name, codes) in Self::parameters() {
            for path in paths {
                let Some(operation) = openapi
                    .paths
                    .paths
                    .get_mut(*path)
                    .and_then(|item| item.get.as_mut())
                else {
                    continue;
                };
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.name == name
                        && let Some(schema) = parameter.schema.as_mut()
                    {
                        restrict_to(schema, &codes);
                    }
                }
            }
        }
    }
}

/// Operation ids must be unique in a document; handlers' names are unique only within their
/// resource (`create` of users, of missions, ...). Each id is its tag and the handler's name:
/// `users.create`.
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let tag = operation.tags.iter().flatten().next().cloned();
                if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                    *id = format!("{tag}.{id}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of the code lists names a field or parameter the document has: a renamed
    /// one would otherwise lose its codes without a word.
    #[test]
    fn every_code_list_finds_its_field() {
        let document = ApiDoc::openapi();
        let schemas = &document.components.as_ref().unwrap().schemas;
        for (names, property, _) in CodeLists::properties() {
            for name in names {
                let Some(RefOr::T(Schema::Object(object))) = schemas.get(*name) else {
                    panic!("no schema {name}");
                };
                let field = object.properties.get(property);
                let restricted = match field {
                    Some(RefOr::T(Schema::Object(o))) => o.enum_values.is_some(),
                    Some(RefOr::T(Schema::Array(a))) => matches!(
                        &a.items,
                        ArrayItems::RefOrSchema(items)
                            if matches!(items.as_ref(), RefOr::T(Schema::Object(o)) if o.enum_values.is_some())
                    ),
                    _ => false,
                };
                assert!(restricted, "{name}.{property} has no codes");
            }
        }
        for (paths, name, _) in CodeLists::parameters() {
            for path in paths {
                let operation = document.paths.paths[*path].get.as_ref().unwrap();
                let found = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.name == name);
                assert!(found, "{path} has no parameter {name}");
            }
        }
    }
}
