//! The production files agree with what the service reads, and the binary carries its own
//! database client libraries.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use peacekeeper_registry::config::Settings;

fn compose() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"))
        .expect("docker-compose.yml");
    serde_yaml_ng::from_str(&text).expect("docker-compose.yml is YAML")
}

/// `${NAME:?message}` and `${NAME}` as compose would fill them, with a stand-in value.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${…}") + start;
        out.push_str("stand-in-secret");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_mapping()
        .expect("environment as a mapping")
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
            };
            (k.as_str().unwrap().to_string(), interpolate(&value))
        })
        .collect()
}

#[test]
fn compose_agrees_with_the_settings_the_service_reads() {
    let compose = compose();
    let services = &compose["services"];
    let db = &services["db"];
    let registry = &services["registry"];

    assert!(db["image"].as_str().unwrap().starts_with("postgres:16"));
    assert!(
        db["healthcheck"]["test"].is_sequence(),
        "the database has a health check"
    );
    let volume = db["volumes"][0]
        .as_str()
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_string();
    assert!(
        compose["volumes"]
            .as_mapping()
            .unwrap()
            .contains_key(volume.as_str()),
        "named volume {volume} is declared"
    );
    assert_eq!(
        registry["depends_on"]["db"]["condition"], "service_healthy",
        "the service waits for the database"
    );
    assert!(registry["healthcheck"]["test"].is_sequence());

    // Every variable given to the service is a setting it reads.
    let env = environment(registry);
    let names = Settings::names();
    for key in env.keys() {
        let name = key
            .strip_prefix("PKR_")
            .unwrap_or_else(|| panic!("{key} is not a PKR_ setting"))
            .to_lowercase();
        assert!(
            names.contains(&name),
            "{key} is not a setting the service reads ({names:?})"
        );
    }

    // The values make valid settings.
    let mut settings = serde_json::to_value(Settings::default()).unwrap();
    for (key, value) in &env {
        let name = key.trim_start_matches("PKR_").to_lowercase();
        settings[name.as_str()] =
            serde_json::from_str(value).unwrap_or(serde_json::Value::String(value.clone()));
    }
    let settings: Settings = serde_json::from_value(settings).expect("compose values are settings");
    settings.validate().expect("compose values are valid");

    // The database URL reaches the db service with its user and database.
    let url = url::Url::parse(&settings.database_url).unwrap();
    let db_env = environment(db);
    assert_eq!(url.scheme(), "postgres");
    assert_eq!(url.host_str(), Some("db"));
    assert_eq!(url.port(), Some(5432));
    assert_eq!(url.username(), db_env["POSTGRES_USER"]);
    assert_eq!(url.password(), Some(db_env["POSTGRES_PASSWORD"].as_str()));
    assert_eq!(url.path().trim_start_matches('/'), db_env["POSTGRES_DB"]);

    // The published port is the one the service listens on, and the image exposes it.
    let listen_port = settings.listen_addr().port().to_string();
    let published = registry["ports"][0].as_str().unwrap();
    assert!(
        published.ends_with(&format!(":{listen_port}")),
        "{published} publishes {listen_port}"
    );
    let dockerfile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert!(dockerfile.contains(&format!("EXPOSE {listen_port}")));
    assert!(
        !settings.listen_addr().ip().is_loopback(),
        "reachable from outside the container"
    );
}

#[test]
fn the_image_builds_in_stages_and_runs_as_a_plain_user() {
    let dockerfile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert_eq!(
        dockerfile
            .lines()
            .filter(|l| l.starts_with("FROM "))
            .count(),
        2
    );
    let user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("a USER line");
    assert_ne!(user.trim(), "root");
    assert_ne!(user.trim(), "0");
}

/// The database client libraries are built in: nothing to install beside the binary.
#[test]
#[cfg(target_os = "linux")]
fn the_binary_links_no_database_library_dynamically() {
    let output = std::process::Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_peacekeeper-registry"))
        .output()
        .expect("ldd runs");
    let libraries = String::from_utf8_lossy(&output.stdout);
    assert!(
        libraries.contains("libc.so"),
        "ldd listed the libraries: {libraries}"
    );
    assert!(!libraries.contains("libpq"), "{libraries}");
    assert!(!libraries.contains("libsqlite3"), "{libraries}");
}
