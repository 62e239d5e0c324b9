//! Runtime configuration, read from `HOOKLINE_*` environment variables (or the flags of
//! `hookline serve`): [`settings`] declares and parses each, [`Config`] is what they mean.

#[cfg(feature = "api")]
pub mod jwt;
pub mod settings;

use std::time::Duration;

use crate::error::{Error, Result};
use settings::{Given, Settings, set};

/// Which storage and queue implementation to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite database (store and queue) under a data directory; `durable`: every
    /// commit is flushed before it is acknowledged (`HOOKLINE_SQLITE_DURABILITY=full`).
    Sqlite { data_dir: String, durable: bool },
    /// DynamoDB table and SQS queue; `endpoint`: where both are served, when not AWS's own
    /// endpoints (an emulator: `HOOKLINE_AWS_ENDPOINT_URL`, empty = AWS).
    Aws {
        table: String,
        queue_url: String,
        /// The SQS FIFO queue of ordered (`fifo`) webhooks' deliveries
        /// (`HOOKLINE_FIFO_QUEUE_URL`); without it a webhook cannot be made `fifo`.
        fifo_queue_url: Option<String>,
        endpoint: Option<String>,
    },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Aws { .. } => "aws",
        }
    }

    /// The cargo feature of the `hookline` crate that provides this backend.
    pub fn feature(&self) -> &'static str {
        self.name()
    }
}

/// Every setting Hookline reads. Defaults (see ARCHITECTURE.md): hourly retries for 48 hours,
/// 15 s delivery timeout, 256 KiB payloads, 30 days of retention.
#[derive(Debug, Clone)]
pub struct Config {
    pub backend: Backend,
    pub allow_private_targets: bool,
    pub max_webhooks_per_tenant: u32,
    pub max_payload_bytes: usize,
    pub retry_interval: Duration,
    pub retry_window: Duration,
    pub delivery_timeout: Duration,
    pub delivery_concurrency: usize,
    pub retention: Duration,
    pub delivery_shards: u32,
    /// Deliveries in flight to one webhook, per process.
    pub endpoint_concurrency: usize,
    /// Consecutive failed attempts that open a webhook's circuit breaker.
    pub breaker_threshold: u32,
    /// The first open period of a breaker (doubling on each failed probe, up to the retry
    /// interval).
    pub breaker_open: Duration,
    /// A webhook failing for this long with no success is disabled; zero: never.
    pub auto_disable_after: Duration,
    /// How long a process may use what it read of API keys, the catalogue and webhooks
    /// (changes made in the same process apply at once); zero: no caching.
    pub cache_ttl: Duration,
    /// Requests per principal and minute: management routes, `PATCH`, publishing (0 = off).
    pub rate_limit_per_minute: u64,
    pub rate_limit_patch_per_minute: u64,
    pub rate_limit_publish_per_minute: u64,
    /// The queue's `maxReceiveCount` (its redrive policy): a message received this often moves
    /// to the dead-letter queue, so the delivery function replaces one that nears it.
    pub max_receive_count: u32,
    /// The tenant whose webhooks receive every tenant's operational events (`hookline.*`),
    /// besides the tenant each concerns.
    pub operator_tenant: crate::ids::TenantId,
    /// Which deliveries get a log line of their own on Lambda (`hookline serve` logs all).
    pub log_deliveries: LogDeliveries,
    /// JWT bearer tokens: keys and rules (none configured: tokens are refused).
    #[cfg(feature = "api")]
    pub jwt: Option<std::sync::Arc<jwt::JwtKeys>>,
}

pub use crate::queue::MAX_VISIBILITY;

/// Which deliveries the delivery function logs line by line. A first-try success is in the
/// delivery log, the statistics and the EMF document already: a line of its own (about 470
/// bytes with its span) would be most of what a delivery costs in CloudWatch Logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDeliveries {
    /// Every attempt.
    All,
    /// Attempts that failed, and successes after a failure (retries, manual retries).
    Failures,
}

/// The operator tenant unless `HOOKLINE_OPERATOR_TENANT` names another.
pub const DEFAULT_OPERATOR_TENANT: &str = "operator";

impl Default for Config {
    fn default() -> Self {
        Config {
            backend: Backend::Sqlite {
                data_dir: "./.hookline".into(),
                durable: true,
            },
            allow_private_targets: false,
            max_webhooks_per_tenant: 50,
            max_payload_bytes: 256 * 1024,
            retry_interval: Duration::from_secs(3600),
            retry_window: Duration::from_secs(48 * 3600),
            delivery_timeout: Duration::from_secs(15),
            delivery_concurrency: 16,
            retention: Duration::from_secs(30 * 86400),
            delivery_shards: 8,
            endpoint_concurrency: 8,
            breaker_threshold: 5,
            breaker_open: Duration::from_secs(30),
            auto_disable_after: Duration::from_secs(5 * 86400),
            cache_ttl: Duration::from_secs(1),
            rate_limit_per_minute: 50,
            rate_limit_patch_per_minute: 100,
            rate_limit_publish_per_minute: 0,
            max_receive_count: 500,
            operator_tenant: crate::ids::TenantId::parse(DEFAULT_OPERATOR_TENANT)
                .expect("a valid tenant id"),
            log_deliveries: LogDeliveries::Failures,
            #[cfg(feature = "api")]
            jwt: None,
        }
    }
}

impl Config {
    /// When what is created at `t` (an event, its deliveries) expires.
    pub fn expires_after(&self, t: crate::model::Timestamp) -> crate::model::Timestamp {
        t + chrono::TimeDelta::from_std(self.retention).unwrap_or(chrono::TimeDelta::days(30))
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        Self::from_settings(Settings::from_lookup(get)?)
    }

    /// What the settings mean: each one not given takes its default.
    pub fn from_settings(s: Settings) -> Result<Self> {
        let d = Config::default();
        let num = |v: Option<Given<u64>>, default: u64| set(v).unwrap_or(default);
        let secs = |v: Option<Given<u64>>, default: Duration| {
            Duration::from_secs(num(v, default.as_secs()))
        };
        let backend = match set(s.backend.clone()).as_deref() {
            _ if s.embedded() => Backend::Sqlite {
                data_dir: set(s.data_dir).unwrap_or_else(|| "./.hookline".into()),
                durable: match set(s.sqlite_durability).as_deref() {
                    None | Some("full") => true,
                    Some("normal") => false,
                    Some(other) => {
                        return Err(Error::Config(format!(
                            "HOOKLINE_SQLITE_DURABILITY must be full or normal, got {other:?}"
                        )));
                    }
                },
            },
            Some("aws") | Some("dynamodb") => Backend::Aws {
                table: set(s.table).ok_or_else(|| {
                    Error::Config("HOOKLINE_TABLE is required with the aws backend".into())
                })?,
                queue_url: set(s.queue_url).ok_or_else(|| {
                    Error::Config("HOOKLINE_QUEUE_URL is required with the aws backend".into())
                })?,
                fifo_queue_url: set(s.fifo_queue_url),
                endpoint: set(s.aws_endpoint_url),
            },
            // (No name at all is the embedded backend, above.)
            other => {
                return Err(Error::Config(format!(
                    "HOOKLINE_BACKEND must be sqlite or aws, got {:?}",
                    other.unwrap_or_default()
                )));
            }
        };
        let cfg = Config {
            backend,
            allow_private_targets: set(s.allow_private_targets).unwrap_or(false),
            max_webhooks_per_tenant: num(
                s.max_webhooks_per_tenant,
                d.max_webhooks_per_tenant.into(),
            ) as u32,
            max_payload_bytes: num(s.max_payload_bytes, d.max_payload_bytes as u64) as usize,
            retry_interval: secs(s.retry_interval_seconds, d.retry_interval),
            retry_window: secs(s.retry_window_seconds, d.retry_window),
            delivery_timeout: secs(s.delivery_timeout_seconds, d.delivery_timeout),
            delivery_concurrency: num(s.delivery_concurrency, d.delivery_concurrency as u64)
                as usize,
            retention: Duration::from_secs(
                86400 * num(s.retention_days, d.retention.as_secs() / 86400),
            ),
            delivery_shards: num(s.delivery_shards, d.delivery_shards.into()) as u32,
            endpoint_concurrency: num(s.endpoint_concurrency, d.endpoint_concurrency as u64)
                as usize,
            breaker_threshold: num(s.breaker_threshold, d.breaker_threshold.into()) as u32,
            breaker_open: secs(s.breaker_open_seconds, d.breaker_open),
            auto_disable_after: secs(s.auto_disable_after_seconds, d.auto_disable_after),
            cache_ttl: Duration::from_millis(num(s.cache_ttl_ms, d.cache_ttl.as_millis() as u64)),
            rate_limit_per_minute: num(s.rate_limit_per_minute, d.rate_limit_per_minute),
            rate_limit_patch_per_minute: num(
                s.rate_limit_patch_per_minute,
                d.rate_limit_patch_per_minute,
            ),
            rate_limit_publish_per_minute: num(
                s.rate_limit_publish_per_minute,
                d.rate_limit_publish_per_minute,
            ),
            max_receive_count: num(s.max_receive_count, d.max_receive_count.into()).clamp(10, 1000)
                as u32,
            operator_tenant: match set(s.operator_tenant) {
                None => d.operator_tenant,
                Some(t) => crate::ids::TenantId::parse(&t)
                    .map_err(|e| Error::Config(format!("HOOKLINE_OPERATOR_TENANT: {e}")))?,
            },
            log_deliveries: match set(s.log_deliveries).as_deref() {
                None | Some("failures") => LogDeliveries::Failures,
                Some("all") => LogDeliveries::All,
                Some(other) => {
                    return Err(Error::Config(format!(
                        "HOOKLINE_LOG_DELIVERIES must be all or failures, got {other:?}"
                    )));
                }
            },
            #[cfg(feature = "api")]
            jwt: jwt::JwtKeys::from_settings(s.jwt)?.map(std::sync::Arc::new),
        };
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Config(m.to_string()));
        if self.retry_interval.is_zero() || self.retry_interval > MAX_VISIBILITY {
            return bad(
                "HOOKLINE_RETRY_INTERVAL_SECONDS must be between 1 and 43200 (the SQS visibility limit)",
            );
        }
        if self.delivery_timeout.is_zero() || self.delivery_timeout > Duration::from_secs(120) {
            return bad("HOOKLINE_DELIVERY_TIMEOUT_SECONDS must be between 1 and 120");
        }
        if self.delivery_concurrency == 0 {
            return bad("HOOKLINE_DELIVERY_CONCURRENCY must be at least 1");
        }
        if self.max_payload_bytes == 0 || self.max_payload_bytes > 1024 * 1024 {
            return bad("HOOKLINE_MAX_PAYLOAD_BYTES must be between 1 and 1048576");
        }
        if self.delivery_shards == 0 || self.delivery_shards > 64 {
            return bad("HOOKLINE_DELIVERY_SHARDS must be between 1 and 64");
        }
        if self.endpoint_concurrency == 0 {
            return bad("HOOKLINE_ENDPOINT_CONCURRENCY must be at least 1");
        }
        if self.breaker_threshold == 0 {
            return bad("HOOKLINE_BREAKER_THRESHOLD must be at least 1");
        }
        if self.breaker_open.is_zero() {
            return bad("HOOKLINE_BREAKER_OPEN_SECONDS must be at least 1");
        }
        if self.retention.is_zero() {
            return bad("HOOKLINE_RETENTION_DAYS must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_are_hourly_for_two_days() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.retry_interval, Duration::from_secs(3600));
        assert_eq!(c.retry_window, Duration::from_secs(172800));
        assert_eq!(
            c.backend,
            Backend::Sqlite {
                data_dir: "./.hookline".into(),
                durable: true,
            }
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_name() {
        let e = cfg(&[("HOOKLINE_RETRY_INTERVAL_SECONDS", "soon")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("HOOKLINE_RETRY_INTERVAL_SECONDS"), "{e}");
        let e = cfg(&[("HOOKLINE_BACKEND", "aws")]).unwrap_err().to_string();
        assert!(e.contains("HOOKLINE_TABLE"), "{e}");
        assert!(cfg(&[("HOOKLINE_RETRY_INTERVAL_SECONDS", "50000")]).is_err());
    }

    #[test]
    fn an_empty_aws_endpoint_means_aws_itself() {
        let aws = |endpoint: &str| {
            cfg(&[
                ("HOOKLINE_BACKEND", "aws"),
                ("HOOKLINE_TABLE", "t"),
                ("HOOKLINE_QUEUE_URL", "q"),
                ("HOOKLINE_AWS_ENDPOINT_URL", endpoint),
            ])
            .unwrap()
            .backend
        };
        // The template sets it empty; `sam local` runs set an emulator.
        assert!(matches!(aws(""), Backend::Aws { endpoint: None, .. }));
        assert!(
            matches!(aws("http://172.17.0.1:4566"), Backend::Aws { endpoint: Some(e), .. } if e == "http://172.17.0.1:4566")
        );
    }
}
