//! The published contract: the OpenAPI document is generated from the code, kept as a snapshot
//! (`docs/openapi.json`) so that any change to it shows in review, describes every route of the
//! API and nothing else, and is served with its interactive reference from the binary alone.
//!
//! After an intended change to the API: `UPDATE_SNAPSHOTS=1 cargo test --test it contract`, then
//! read the difference of `docs/openapi.json` before committing it.

use crate::common;

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use serde_json::Value;

use common::{Backend, TestApp};
use peacekeeper_registry::api::openapi::document_json;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(document_json()).expect("the document is JSON")
}

/// (METHOD, path) of every operation the document describes.
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            operations.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    operations
}

#[test]
fn the_document_matches_its_snapshot() {
    let generated = format!("{}\n", document_json());
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &generated).expect("write the snapshot");
        return;
    }
    let kept = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if kept != generated {
        let fresh = concat!(env!("CARGO_MANIFEST_DIR"), "/target/openapi.generated.json");
        std::fs::write(fresh, &generated).expect("write the generated document");
        panic!(
            "The API's contract changed. Compare docs/openapi.json with {fresh}; if the change \
             is intended, run `UPDATE_SNAPSHOTS=1 cargo test --test it contract` and commit it."
        );
    }
}

#[test]
fn the_document_describes_every_route_and_only_those() {
    let document = document();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1."),
        "OpenAPI 3.1"
    );
    // The reference's own pages are not part of the API it describes.
    let routes: BTreeSet<(String, String)> = common::declared_routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/api/docs"))
        .collect();
    let documented = documented_operations(&document);
    let ids: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().expect("an operation id"))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique: {ids:?}");
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let imaginary: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        imaginary.is_empty(),
        "documented but not served: {imaginary:?}"
    );
}

#[test]
fn every_operation_states_its_security_answers_and_problems() {
    let document = document();
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        serde_json::json!({ "type": "http", "scheme": "bearer" })
    );
    assert_eq!(document["security"], serde_json::json!([{ "bearer": [] }]));
    let public = [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/api/v1/auth/login",
        // Its own token, not a session's: to anyone else it does not exist (404).
        "/metrics",
        // A calendar feed: its address is its secret.
        "/api/v1/calendar/{secret}",
    ];
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(operation["summary"].is_string(), "{name}: no summary");
            let responses = operation["responses"].as_object().expect(&name);
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{name}: no success answer"
            );
            // Every failure is problem+json, with the one schema.
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{name} {status}"
                    );
                }
            }
            for status in ["414", "500"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
            if public.contains(&path.as_str()) {
                assert_eq!(operation["security"], serde_json::json!([{}]), "{name}");
                // No token to refuse; only a failed sign-in is 401.
                let refuses = responses.contains_key("401");
                assert_eq!(refuses, path == "/api/v1/auth/login", "{name}");
            } else {
                assert!(
                    operation.get("security").is_none(),
                    "{name}: the bearer token applies"
                );
                assert!(responses.contains_key("401"), "{name}: no 401");
                // Only what any signed-in account may use is never refused; of those, what
                // checks the password again is refused while the account is locked.
                let own_account =
                    path.starts_with("/api/v1/me") || path.starts_with("/api/v1/auth/");
                let checks_password = matches!(
                    path.as_str(),
                    "/api/v1/me/password" | "/api/v1/me/second-factor"
                );
                assert_eq!(
                    responses.contains_key("403"),
                    !own_account || checks_password,
                    "{name}: 403"
                );
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{name}: no 404");
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{name}: no {status}");
                }
            }
            if method != "get" && !public.contains(&path.as_str()) {
                let throttled = &responses["429"];
                assert!(
                    throttled["headers"]["Retry-After"].is_object(),
                    "{name}: 429"
                );
            }
        }
    }
}

on_both_backends!(the_document_and_its_reference_are_served_from_the_binary);

async fn the_document_and_its_reference_are_served_from_the_binary(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;

    let served = api.get("/api/v1/openapi.json", None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.content_type(), "application/json");
    assert_eq!(served.bytes, document_json().as_bytes());

    let home = api.get("/api/docs", None).await;
    assert_eq!(home.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(home.header("location"), Some("/api/docs/"));

    let page = api.get("/api/docs/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.bytes).into_owned();
    assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    // Nothing is fetched from elsewhere: the page names no other origin, and its policy lets
    // scripts and styles come from this server only.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");

    let bundle = api.get("/api/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(bundle.status, StatusCode::OK);
    assert!(bundle.content_type().contains("javascript"));
    assert!(bundle.bytes.len() > 500_000, "the whole of Swagger UI");

    let start = api.get("/api/docs/swagger-initializer.js", None).await;
    assert_eq!(start.status, StatusCode::OK);
    let script = String::from_utf8_lossy(&start.bytes).into_owned();
    assert!(script.contains("\"/api/v1/openapi.json\""), "{script}");

    // A method a route does not serve: 405, with the ones it does as the document lists them.
    for (method, path, allow) in [
        ("DELETE", "/api/v1/users", "GET, POST"),
        (
            "PUT",
            "/api/v1/incidents/0190c0de-0000-7000-8000-000000000000",
            "GET, PATCH",
        ),
        ("TRACE", "/api/v1/auth/login", "POST"),
        ("POST", "/api/docs/index.html", "GET"),
    ] {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let request = actix_web::test::TestRequest::default()
            .method(method)
            .uri(path);
        let refused = api.send(request).await;
        refused.assert_problem(405);
        assert_eq!(refused.header("allow"), Some(allow), "{path}");
    }

    api.get("/api/docs/not-a-file.js", None)
        .await
        .assert_problem(404);
    api.get("/api/docs/../Cargo.toml", None)
        .await
        .assert_problem(404);
}

/// Every type of the document has a name of its own: two types of one name would be one
/// schema in the document (the last one read), describing the other's answers wrongly.
#[test]
fn no_two_schema_types_share_a_name() {
    fn rust_files(folder: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder)
            .expect("a source folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut twice = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let mut derives_schema = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives_schema = line.contains("ToSchema");
                continue;
            }
            let declared = ["pub struct ", "struct ", "pub enum ", "enum "]
                .iter()
                .find_map(|keyword| line.strip_prefix(keyword));
            if let Some(rest) = declared.filter(|_| derives_schema) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if let Some(other) = seen.insert(name.clone(), file.display().to_string()) {
                    twice.push(format!("{name}: {other} and {}", file.display()));
                }
            }
            if !line.starts_with("#[") && !line.starts_with("///") && !line.is_empty() {
                derives_schema = false;
            }
        }
    }
    assert!(twice.is_empty(), "schema types named twice: {twice:?}");
}
