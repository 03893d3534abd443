//! What a server tells its monitoring (`GET /metrics`, in Prometheus' text format): requests and
//! their latencies per route, method and status (so errors by status), how long requests waited
//! for the database and how many are waiting, the pool's connections, failed sign-ins, summaries
//! counted afresh, and the audit trail's length. Each server keeps its own registry: figures are per process, and the
//! monitoring adds the servers up.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Opts, TextEncoder};

/// The prefix of every figure's name.
const NAMESPACE: &str = "registry";

pub struct Metrics {
    /// The middleware that counts and times every request, and the registry all figures are in.
    pub http: PrometheusMetrics,
    /// Seconds a request waited for its database permit and a connection.
    pub database_wait: Histogram,
    /// Requests waiting for a database permit now (see `waiting_for_database`).
    database_waiting: IntGauge,
    /// Sign-ins and password changes waiting for a password check now.
    password_checks_waiting: IntGauge,
    /// Sign-ins refused: unknown account, wrong password, locked or disabled.
    pub failed_sign_ins: IntCounter,
    /// Summaries counted afresh, rather than taken from those already counted.
    pub summaries_counted: IntCounter,
    /// Annual reports counted afresh, likewise.
    pub annual_reports_counted: IntCounter,
    pool_connections: IntGauge,
    pool_idle_connections: IntGauge,
    audit_records: IntGauge,
}

/// What is read when the figures are asked for.
pub struct Snapshot {
    pub pool_connections: u32,
    pub pool_idle_connections: u32,
    /// `None` when the database could not be asked.
    pub audit_records: Option<i64>,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let http = PrometheusMetricsBuilder::new(NAMESPACE)
            // A path no route matched is counted under one name, not under each path tried.
            .mask_unmatched_patterns("unmatched")
            .build()
            .map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        let metrics = Metrics {
            database_wait: Histogram::with_opts(
                HistogramOpts::new(
                    "database_wait_seconds",
                    "How long requests waited for a database permit and connection.",
                )
                .namespace(NAMESPACE)
                .buckets(vec![0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
            )?,
            database_waiting: gauge("database_waiting", "Requests waiting for a database permit.")?,
            password_checks_waiting: gauge(
                "password_checks_waiting",
                "Sign-ins and password changes waiting for a password check.",
            )?,
            failed_sign_ins: IntCounter::with_opts(
                Opts::new("failed_sign_ins_total", "Sign-ins refused.").namespace(NAMESPACE),
            )?,
            summaries_counted: IntCounter::with_opts(
                Opts::new(
                    "summaries_counted_total",
                    "Summaries counted: one per request, or one for the requests that waited for it.",
                )
                .namespace(NAMESPACE),
            )?,
            annual_reports_counted: IntCounter::with_opts(
                Opts::new(
                    "annual_reports_counted_total",
                    "Annual reports counted afresh, because what they count had changed or they were new.",
                )
                .namespace(NAMESPACE),
            )?,
            pool_connections: gauge(
                "database_pool_connections",
                "Database connections the pool holds.",
            )?,
            pool_idle_connections: gauge(
                "database_pool_idle_connections",
                "Database connections in the pool that no request is using.",
            )?,
            audit_records: gauge("audit_records", "Records in the audit trail.")?,
            http,
        };
        let registry = &metrics.http.registry;
        registry.register(Box::new(metrics.database_wait.clone()))?;
        registry.register(Box::new(metrics.database_waiting.clone()))?;
        registry.register(Box::new(metrics.password_checks_waiting.clone()))?;
        registry.register(Box::new(metrics.failed_sign_ins.clone()))?;
        registry.register(Box::new(metrics.summaries_counted.clone()))?;
        registry.register(Box::new(metrics.annual_reports_counted.clone()))?;
        registry.register(Box::new(metrics.pool_connections.clone()))?;
        registry.register(Box::new(metrics.pool_idle_connections.clone()))?;
        registry.register(Box::new(metrics.audit_records.clone()))?;
        Ok(metrics)
    }

    /// Counts a request as waiting for a database permit for as long as the value returned lives:
    /// also one whose client left while it waited.
    pub fn waiting_for_database(&self) -> Waiting {
        self.database_waiting.inc();
        Waiting(self.database_waiting.clone())
    }

    /// Counts a request as waiting for a password check for as long as the value returned lives.
    pub fn waiting_for_password_check(&self) -> Waiting {
        self.password_checks_waiting.inc();
        Waiting(self.password_checks_waiting.clone())
    }

    /// How many requests wait for a database permit now.
    pub fn database_waiting(&self) -> i64 {
        self.database_waiting.get()
    }

    /// How many requests wait for a password check now.
    pub fn password_checks_waiting(&self) -> i64 {
        self.password_checks_waiting.get()
    }

    /// Every figure in Prometheus' text format, with the snapshot's as of now.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, prometheus::Error> {
        self.pool_connections.set(snapshot.pool_connections.into());
        self.pool_idle_connections
            .set(snapshot.pool_idle_connections.into());
        if let Some(audit_records) = snapshot.audit_records {
            self.audit_records.set(audit_records);
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.http.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

fn gauge(name: &str, help: &str) -> Result<IntGauge, prometheus::Error> {
    IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
}

/// A request waiting for a database permit; no longer counted once dropped.
pub struct Waiting(IntGauge);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.dec();
    }
}
