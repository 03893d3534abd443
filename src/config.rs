//! Typed settings, layered: built-in defaults < `config/default.toml` (when present) < the file
//! given with `--config` < `PKR_*` environment variables (and plain `DATABASE_URL`, which
//! `PKR_DATABASE_URL` overrides).

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub const DEFAULT_CONFIG_FILE: &str = "config/default.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `postgres://…`, `postgresql://…` or `sqlite://PATH` (relative or absolute).
    pub database_url: String,
    /// Address and port the HTTP server listens on.
    pub listen: String,
    /// Database connections per server.
    pub pool_size: u32,
    /// How long a request waits for the database (a permit and a connection) before it is
    /// answered 503: in an outage clients hear at once that the database is away.
    pub database_timeout_seconds: u32,
    /// On SIGTERM the server stops accepting and lets requests in flight finish for up to
    /// this long before it exits.
    pub shutdown_grace_seconds: u32,
    /// A session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_hours: u32,
    /// Failed sign-ins in a row that lock an account.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    /// How often each server links new audit records into the hash chain.
    pub audit_seal_interval_seconds: u32,
    /// The Ed25519 private key (PKCS#8 PEM, readable by its owner alone) that signs checkpoints
    /// of the audit chain; empty: no checkpoints. Never in the database.
    pub audit_signing_key: String,
    /// Where signed checkpoints are appended (`checkpoints.jsonl`); set with `audit_signing_key`.
    pub audit_checkpoint_folder: String,
    /// How often the server signs the chain head, when it moved since the last checkpoint.
    pub audit_checkpoint_interval_seconds: u32,
    /// Where case documents are kept (one file per SHA-256), outside the database.
    pub document_folder: String,
    /// The largest document accepted, in MiB.
    pub document_max_mib: u32,
    /// Sign-in attempts a minute from one client address, and for one account (0: no limit).
    pub sign_in_per_minute_per_address: u32,
    pub sign_in_per_minute_per_account: u32,
    /// Writes (POST, PATCH, PUT, DELETE) a minute with one session (0: no limit).
    pub writes_per_minute_per_token: u32,
    /// The header a trusted reverse proxy puts the client's address in (`X-Forwarded-For`);
    /// empty: the address is the connection's, and no header is believed.
    pub trusted_proxy_header: String,
    /// An address (with a fixed port) that serves `GET /metrics` to whoever reaches it, and
    /// nothing else; empty: none. Keep it on a private network.
    pub metrics_listen: String,
    /// A secret (32 characters or more) that lets a scraper read `GET /metrics` on the main
    /// address as `Authorization: Bearer …`; empty: not served there.
    pub metrics_token: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Which logs to keep, in `tracing` filter syntax (`info`, `peacekeeper_registry=debug`).
    pub log_filter: String,
    /// The address users reach the registry at (`https://registry.example.org`), for the
    /// absolute links of calendar feeds; empty: no feeds.
    pub public_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://data/registry.sqlite3".to_string(),
            listen: "127.0.0.1:8080".to_string(),
            pool_size: 4,
            database_timeout_seconds: 5,
            shutdown_grace_seconds: 30,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_threshold: 5,
            lockout_minutes: 15,
            audit_seal_interval_seconds: 1,
            audit_signing_key: String::new(),
            audit_checkpoint_folder: String::new(),
            audit_checkpoint_interval_seconds: 60,
            document_folder: "data/documents".to_string(),
            document_max_mib: 25,
            sign_in_per_minute_per_address: 30,
            sign_in_per_minute_per_account: 10,
            writes_per_minute_per_token: 300,
            trusted_proxy_header: String::new(),
            metrics_listen: String::new(),
            metrics_token: String::new(),
            log_format: LogFormat::Text,
            log_filter: "info".to_string(),
            public_url: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(String),
    #[error("bad configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// The names of every setting; each can be set as `PKR_<NAME>` in upper case.
    pub fn names() -> Vec<String> {
        match serde_json::to_value(Settings::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Reads the layers in order; `file` is the `--config` argument.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if Path::new(DEFAULT_CONFIG_FILE).exists() {
            figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE));
        }
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::MissingFile(file.display().to_string()));
            }
            figment = figment.merge(Toml::file(file));
        }
        let settings: Settings = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            // PKR_TEST_* belong to the test suite, not to the service.
            .merge(
                Env::prefixed("PKR_")
                    .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_")),
            )
            .extract()
            .map_err(describe)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |name: &str, why: String| Err(ConfigError::Invalid(format!("setting `{name}`: {why}")));
        if crate::db::backend_of(&self.database_url).is_none() {
            return invalid(
                "database_url",
                "expected postgres://, postgresql:// or sqlite://PATH".to_string(),
            );
        }
        if let Err(e) = self.listen.parse::<SocketAddr>() {
            return invalid(
                "listen",
                format!("`{}` is not an address:port ({e})", self.listen),
            );
        }
        if !self.metrics_listen.is_empty() {
            match self.metrics_listen.parse::<SocketAddr>() {
                Err(e) => {
                    return invalid(
                        "metrics_listen",
                        format!("`{}` is not an address:port ({e})", self.metrics_listen),
                    );
                }
                Ok(addr) if addr.port() == 0 => {
                    return invalid("metrics_listen", "needs a fixed port".to_string());
                }
                Ok(addr) if Some(addr) == self.listen.parse().ok() => {
                    return invalid(
                        "metrics_listen",
                        "must differ from `listen`, which serves everyone".to_string(),
                    );
                }
                Ok(_) => {}
            }
        }
        let public_url_fits = self.public_url.is_empty()
            || ((self.public_url.starts_with("https://")
                || self.public_url.starts_with("http://"))
                && !self.public_url.ends_with('/')
                && !self.public_url.contains(char::is_whitespace));
        if !public_url_fits {
            return invalid(
                "public_url",
                "must be an http(s) address without a trailing slash (or empty)".to_string(),
            );
        }
        if !self.metrics_token.is_empty() && self.metrics_token.chars().count() < 32 {
            return invalid(
                "metrics_token",
                "must be at least 32 characters (or empty)".to_string(),
            );
        }
        let positive = [
            ("pool_size", self.pool_size),
            ("database_timeout_seconds", self.database_timeout_seconds),
            ("session_idle_minutes", self.session_idle_minutes),
            ("session_absolute_hours", self.session_absolute_hours),
            ("lockout_threshold", self.lockout_threshold),
            ("lockout_minutes", self.lockout_minutes),
            (
                "audit_seal_interval_seconds",
                self.audit_seal_interval_seconds,
            ),
            (
                "audit_checkpoint_interval_seconds",
                self.audit_checkpoint_interval_seconds,
            ),
            ("document_max_mib", self.document_max_mib),
        ];
        if self.document_max_mib > 1024 {
            return invalid("document_max_mib", "must be at most 1024".to_string());
        }
        if self.document_folder.trim().is_empty() {
            return invalid("document_folder", "must name a folder".to_string());
        }
        for (name, value) in positive {
            if value == 0 {
                return invalid(name, "must be greater than 0".to_string());
            }
        }
        match (
            self.audit_signing_key.is_empty(),
            self.audit_checkpoint_folder.is_empty(),
        ) {
            (false, true) => {
                return invalid(
                    "audit_checkpoint_folder",
                    "must be set with `audit_signing_key`: checkpoints need both".to_string(),
                );
            }
            (true, false) => {
                return invalid(
                    "audit_signing_key",
                    "must be set with `audit_checkpoint_folder`: checkpoints need both".to_string(),
                );
            }
            _ => {}
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log_filter) {
            return invalid("log_filter", e.to_string());
        }
        Ok(())
    }

    pub fn database_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.database_timeout_seconds.into())
    }

    /// The largest document accepted, in bytes.
    pub fn document_max_bytes(&self) -> usize {
        self.document_max_mib as usize * 1024 * 1024
    }

    /// The address that serves the metrics alone, if any (validate() has checked it).
    pub fn metrics_listen_addr(&self) -> Option<SocketAddr> {
        self.metrics_listen.parse().ok()
    }

    pub fn listen_addr(&self) -> SocketAddr {
        // validate() has checked it; the fallback only keeps this total.
        self.listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

/// Names each bad setting in the words of the settings themselves, and where it came from.
fn describe(error: figment::Error) -> ConfigError {
    let problems: Vec<String> = error
        .into_iter()
        .map(|e| {
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            match e.path.is_empty() {
                true => format!("{}{source}", e.kind),
                false => format!(
                    "setting `{}`: {}{source}",
                    e.path.join(".").to_lowercase(),
                    e.kind
                ),
            }
        })
        .collect();
    ConfigError::Invalid(problems.join("; "))
}
