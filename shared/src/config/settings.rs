//! Every setting Hookline reads, declared once: one clap derive names each variable (and the
//! `hookline serve` flag that can stand for it), says what it means (the `--help` text), and
//! parses it. [`crate::config::Config`] is built from what this reads; the template check and
//! `docs/configuration.md` are tested against the list it gives ([`Settings::variables`]).
//!
//! A variable set to nothing (`HOOKLINE_X=`, as the template leaves an optional one) counts as
//! not set.

use std::str::FromStr;

use clap::{Args, CommandFactory, FromArgMatches, Parser};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The heading of the settings only `hookline serve` reads (the Lambda functions need none of
/// them, so the template sets none of them).
pub const LOCAL: &str = "Embedded backend (hookline serve)";

/// A setting's value as given; blank is [`Given::Blank`].
#[derive(Clone, Debug)]
pub enum Given<T> {
    Blank,
    Value(T),
}

impl<T> Given<T> {
    fn get(self) -> Option<T> {
        match self {
            Given::Blank => None,
            Given::Value(v) => Some(v),
        }
    }
}

/// Parses a setting: blank, or a `T`.
fn given<T: FromStr>(s: &str) -> std::result::Result<Given<T>, String> {
    match s.trim() {
        "" => Ok(Given::Blank),
        v => v
            .parse()
            .map(Given::Value)
            .map_err(|_| format!("{v:?} is not {}", what::<T>())),
    }
}

fn what<T>() -> &'static str {
    match std::any::type_name::<T>() {
        "bool" => "true or false",
        "alloc::string::String" => "text",
        _ => "a whole number",
    }
}

/// `true`/`1` or `false`/`0`.
fn flag(s: &str) -> std::result::Result<Given<bool>, String> {
    match s.trim() {
        "" => Ok(Given::Blank),
        "true" | "1" => Ok(Given::Value(true)),
        "false" | "0" => Ok(Given::Value(false)),
        v => Err(format!("{v:?} is not true or false")),
    }
}

fn secret(s: &str) -> std::result::Result<Given<Secret>, String> {
    Ok(match s.trim() {
        "" => Given::Blank,
        v => Given::Value(Secret::new(v.to_string())),
    })
}

/// Settings as read; what is not given takes its default in [`crate::config::Config`].
#[derive(Args, Clone, Debug, Default)]
pub struct Settings {
    /// Storage and queue: `sqlite` (embedded) or `aws` (DynamoDB and SQS) [default: sqlite]
    #[arg(long, env = "HOOKLINE_BACKEND", value_parser = given::<String>)]
    pub backend: Option<Given<String>>,
    /// The DynamoDB table (aws backend)
    #[arg(long, env = "HOOKLINE_TABLE", value_parser = given::<String>)]
    pub table: Option<Given<String>>,
    /// The SQS queue's URL (aws backend)
    #[arg(long, env = "HOOKLINE_QUEUE_URL", value_parser = given::<String>)]
    pub queue_url: Option<Given<String>>,
    /// The SQS FIFO queue's URL, for webhooks with `ordering: fifo` (aws backend)
    #[arg(long, env = "HOOKLINE_FIFO_QUEUE_URL", value_parser = given::<String>)]
    pub fifo_queue_url: Option<Given<String>>,
    /// Where DynamoDB and SQS are served, when not AWS's own endpoints (an emulator)
    #[arg(long, env = "HOOKLINE_AWS_ENDPOINT_URL", value_parser = given::<String>)]
    pub aws_endpoint_url: Option<Given<String>>,
    /// The embedded database's directory [default: ./.hookline]
    #[arg(long, env = "HOOKLINE_DATA_DIR", value_parser = given::<String>, help_heading = LOCAL)]
    pub data_dir: Option<Given<String>>,
    /// `full`: every commit is flushed before it is answered; `normal`: not [default: full]
    #[arg(long, env = "HOOKLINE_SQLITE_DURABILITY", value_parser = given::<String>, help_heading = LOCAL)]
    pub sqlite_durability: Option<Given<String>>,
    /// Deliver to loopback and private addresses (tests and demos) [default: false]
    #[arg(long, env = "HOOKLINE_ALLOW_PRIVATE_TARGETS", value_parser = flag)]
    pub allow_private_targets: Option<Given<bool>>,
    /// Webhooks one tenant may have [default: 50]
    #[arg(long, env = "HOOKLINE_MAX_WEBHOOKS_PER_TENANT", value_parser = given::<u64>)]
    pub max_webhooks_per_tenant: Option<Given<u64>>,
    /// The largest event payload accepted, in bytes [default: 262144]
    #[arg(long, env = "HOOKLINE_MAX_PAYLOAD_BYTES", value_parser = given::<u64>)]
    pub max_payload_bytes: Option<Given<u64>>,
    /// Time between automatic attempts, 1 to 43200 (the SQS visibility limit) [default: 3600]
    #[arg(long, env = "HOOKLINE_RETRY_INTERVAL_SECONDS", value_parser = given::<u64>)]
    pub retry_interval_seconds: Option<Given<u64>>,
    /// Retries stop this long after the first attempt [default: 172800]
    #[arg(long, env = "HOOKLINE_RETRY_WINDOW_SECONDS", value_parser = given::<u64>)]
    pub retry_window_seconds: Option<Given<u64>>,
    /// One attempt's HTTP timeout, 1 to 120 [default: 15]
    #[arg(long, env = "HOOKLINE_DELIVERY_TIMEOUT_SECONDS", value_parser = given::<u64>)]
    pub delivery_timeout_seconds: Option<Given<u64>>,
    /// Deliveries in flight per process [default: 16]
    #[arg(long, env = "HOOKLINE_DELIVERY_CONCURRENCY", value_parser = given::<u64>)]
    pub delivery_concurrency: Option<Given<u64>>,
    /// How long events and their deliveries are kept [default: 30]
    #[arg(long, env = "HOOKLINE_RETENTION_DAYS", value_parser = given::<u64>)]
    pub retention_days: Option<Given<u64>>,
    /// Shards of the delivery log's index and statistics, 1 to 64 [default: 8]
    #[arg(long, env = "HOOKLINE_DELIVERY_SHARDS", value_parser = given::<u64>)]
    pub delivery_shards: Option<Given<u64>>,
    /// Deliveries in flight to one webhook, per process [default: 8]
    #[arg(long, env = "HOOKLINE_ENDPOINT_CONCURRENCY", value_parser = given::<u64>)]
    pub endpoint_concurrency: Option<Given<u64>>,
    /// Consecutive failed attempts that open a webhook's circuit breaker [default: 5]
    #[arg(long, env = "HOOKLINE_BREAKER_THRESHOLD", value_parser = given::<u64>)]
    pub breaker_threshold: Option<Given<u64>>,
    /// The breaker's first open period (doubling per failed probe) [default: 30]
    #[arg(long, env = "HOOKLINE_BREAKER_OPEN_SECONDS", value_parser = given::<u64>)]
    pub breaker_open_seconds: Option<Given<u64>>,
    /// A webhook failing this long with no success is disabled; 0: never [default: 432000]
    #[arg(long, env = "HOOKLINE_AUTO_DISABLE_AFTER_SECONDS", value_parser = given::<u64>)]
    pub auto_disable_after_seconds: Option<Given<u64>>,
    /// How long a process may use what it read of keys, catalogue and webhooks [default: 1000]
    #[arg(long, env = "HOOKLINE_CACHE_TTL_MS", value_parser = given::<u64>)]
    pub cache_ttl_ms: Option<Given<u64>>,
    /// Requests per principal and minute on management routes; 0: off [default: 50]
    #[arg(long, env = "HOOKLINE_RATE_LIMIT_PER_MINUTE", value_parser = given::<u64>)]
    pub rate_limit_per_minute: Option<Given<u64>>,
    /// `PATCH` requests per principal and minute; 0: off [default: 100]
    #[arg(long, env = "HOOKLINE_RATE_LIMIT_PATCH_PER_MINUTE", value_parser = given::<u64>)]
    pub rate_limit_patch_per_minute: Option<Given<u64>>,
    /// Publishes per principal and minute; 0: off [default: 0]
    #[arg(long, env = "HOOKLINE_RATE_LIMIT_PUBLISH_PER_MINUTE", value_parser = given::<u64>)]
    pub rate_limit_publish_per_minute: Option<Given<u64>>,
    /// The tenant whose webhooks receive every tenant's operational events (`hookline.*`)
    /// [default: operator]
    #[arg(long, env = "HOOKLINE_OPERATOR_TENANT", value_parser = given::<String>)]
    pub operator_tenant: Option<Given<String>>,
    /// Which deliveries the Lambda delivery function logs line by line: `failures` (failed
    /// attempts and retries; first-try successes are counted in the EMF document) or `all`;
    /// `hookline serve` logs every attempt [default: failures]
    #[arg(long, env = "HOOKLINE_LOG_DELIVERIES", value_parser = given::<String>)]
    pub log_deliveries: Option<Given<String>>,
    /// The queue's maxReceiveCount, 10 to 1000 [default: 500]
    #[arg(long, env = "HOOKLINE_MAX_RECEIVE_COUNT", value_parser = given::<u64>)]
    pub max_receive_count: Option<Given<u64>>,
    #[command(flatten)]
    pub jwt: JwtSettings,
}

/// JWT bearer tokens: keys and rules (none configured: tokens are refused).
#[derive(Args, Clone, Debug, Default)]
pub struct JwtSettings {
    /// A shared HS256 secret, 32 characters or more
    #[arg(long, env = "HOOKLINE_JWT_HS256_SECRET", value_parser = secret, hide_env_values = true)]
    pub jwt_hs256_secret: Option<Given<Secret>>,
    /// A JWKS document (RS256, ES256, EdDSA keys by `kid`), inline
    #[arg(long, env = "HOOKLINE_JWT_JWKS", value_parser = given::<String>)]
    pub jwt_jwks: Option<Given<String>>,
    /// A JWKS document, read from this file
    #[arg(long, env = "HOOKLINE_JWT_JWKS_FILE", value_parser = given::<String>, help_heading = LOCAL)]
    pub jwt_jwks_file: Option<Given<String>>,
    /// The `iss` tokens must carry
    #[arg(long, env = "HOOKLINE_JWT_ISSUER", value_parser = given::<String>)]
    pub jwt_issuer: Option<Given<String>>,
    /// The `aud` tokens must carry
    #[arg(long, env = "HOOKLINE_JWT_AUDIENCE", value_parser = given::<String>)]
    pub jwt_audience: Option<Given<String>>,
}

/// A value that was given and not blank.
pub fn set<T>(v: Option<Given<T>>) -> Option<T> {
    v.and_then(Given::get)
}

/// The command that parses [`Settings`] alone.
#[derive(Parser)]
#[command(name = "hookline", no_binary_name = true)]
struct Only {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// Whether `HOOKLINE_BACKEND` names the embedded backend (`sqlite`, the default).
    pub fn embedded(&self) -> bool {
        set(self.backend.clone()).is_none_or(|b| b == "sqlite")
    }

    /// Reads the settings through `get` (the environment, or a map in tests): each variable
    /// `get` answers is passed as its flag; nothing else is read.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut argv = Vec::new();
        // clap reads each argument's variable when the command is built: point them all at
        // one no process sets, so that only what `get` answers counts.
        let cmd = Only::command().mut_args(|a| a.env("NOT_A_SETTING_READ_THROUGH_A_LOOKUP"));
        for (long, var) in flags() {
            if let Some(v) = get(&var) {
                argv.push(format!("--{long}={v}"));
            }
        }
        let matches = cmd
            .try_get_matches_from(argv)
            .map_err(|e| Error::Config(explain(e)))?;
        Only::from_arg_matches(&matches)
            .map(|o| o.settings)
            .map_err(|e| Error::Config(explain(e)))
    }

    /// Every variable, with whether only `hookline serve` reads it.
    pub fn variables() -> Vec<(String, bool)> {
        Only::command()
            .get_arguments()
            .filter_map(|a| {
                let var = a.get_env()?.to_str()?.to_string();
                Some((var, a.get_help_heading() == Some(LOCAL)))
            })
            .collect()
    }
}

/// Each setting's flag and variable.
fn flags() -> Vec<(String, String)> {
    Only::command()
        .get_arguments()
        .filter_map(|a| {
            let var = a.get_env()?.to_str()?.to_string();
            Some((a.get_long()?.to_string(), var))
        })
        .collect()
}

/// A parse error, naming the variable as well as the flag.
fn explain(e: clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let text = first.trim().trim_start_matches("error: ").to_string();
    for (long, var) in flags() {
        if text.contains(&format!("'--{long} ")) || text.contains(&format!("'--{long}'")) {
            return format!("{var}: {text}");
        }
    }
    text
}

/// What `hookline serve` reads besides [`Settings`]: its listener and first-start key.
#[derive(Args, Clone, Debug)]
pub struct ServeSettings {
    /// The address to serve on
    #[arg(long, env = "HOOKLINE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
    /// A fixed admin API key of the default tenant, 16 characters or more (without it, one is
    /// made and shown on the first start)
    #[arg(long, env = "HOOKLINE_LOCAL_API_KEY", value_parser = secret, hide_env_values = true)]
    pub local_api_key: Option<Given<Secret>>,
    /// Connections served at once [default: 4096]
    #[arg(long, env = "HOOKLINE_MAX_CONNECTIONS", value_parser = given::<u64>)]
    pub max_connections: Option<Given<u64>>,
    /// Connections that send no request head within this long are closed [default: 10]
    #[arg(long, env = "HOOKLINE_HEADER_TIMEOUT_SECONDS", value_parser = given::<u64>)]
    pub header_timeout_seconds: Option<Given<u64>>,
    /// Threads that serve requests and make deliveries [default: one per core, less the
    /// embedded database's own]
    #[arg(long, env = "HOOKLINE_WORKER_THREADS", value_parser = given::<u64>)]
    pub worker_threads: Option<Given<u64>>,
}

impl ServeSettings {
    /// The threads to run requests and deliveries on: as set; otherwise, on the embedded
    /// backend, one per core less one (at least one), since the database thread that flushes
    /// the publishes takes a core of its own; on AWS, one per core (tokio's default).
    ///
    /// Why one less: on 2 cores, once the database's reads and bookkeeping ran on the
    /// workers' threads, one worker beside the database thread spent less CPU per delivery
    /// than two at every load (flat out about a quarter less, and delivered more a second;
    /// 1,000/s 18 % less; 200/s about the same), since a worker left idle is woken to steal
    /// work and the two compete with the database thread for the cores (docs/benchmarks.md).
    pub fn worker_threads(&self, embedded: bool) -> std::result::Result<Option<usize>, String> {
        match set(self.worker_threads.clone()) {
            Some(0) => Err("HOOKLINE_WORKER_THREADS must be a positive whole number, not 0".into()),
            Some(n) => Ok(Some(n as usize)),
            None if embedded => Ok(Some(beside_the_database(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ))),
            None => Ok(None),
        }
    }
}

/// Worker threads on `cores` beside the embedded database's thread.
fn beside_the_database(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_database_leaves_the_workers_one_core_less() {
        assert_eq!(beside_the_database(1), 1);
        assert_eq!(beside_the_database(2), 1);
        assert_eq!(beside_the_database(8), 7);
        let serve = |threads: Option<Given<u64>>| ServeSettings {
            listen: "127.0.0.1:3000".into(),
            local_api_key: None,
            max_connections: None,
            header_timeout_seconds: None,
            worker_threads: threads,
        };
        assert_eq!(
            serve(None).worker_threads(false),
            Ok(None),
            "AWS: tokio's default"
        );
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(
            serve(None).worker_threads(true),
            Ok(Some(beside_the_database(cores)))
        );
        assert_eq!(
            serve(Some(Given::Value(3))).worker_threads(true),
            Ok(Some(3)),
            "as set"
        );
    }
}

/// Variables read by the `hookline` command's own flags (its log format, and the secret of
/// `hookline listen`).
pub const COMMAND_VARS: &[&str] = &["HOOKLINE_LOG_FORMAT", "HOOKLINE_LISTEN_SECRET"];

#[derive(Parser)]
#[command(name = "hookline", no_binary_name = true)]
struct Serve {
    #[command(flatten)]
    serve: ServeSettings,
}

/// Every variable the Lambda functions read (the SAM template must set each).
pub fn lambda_variables() -> Vec<String> {
    Settings::variables()
        .into_iter()
        .filter(|(_, local)| !local)
        .map(|(v, _)| v)
        .collect()
}

/// Every variable only the local `hookline` command reads.
pub fn local_variables() -> Vec<String> {
    let serve = Serve::command();
    let serve = serve
        .get_arguments()
        .filter_map(|a| Some(a.get_env()?.to_str()?.to_string()));
    Settings::variables()
        .into_iter()
        .filter(|(_, local)| *local)
        .map(|(v, _)| v)
        .chain(serve)
        .chain(COMMAND_VARS.iter().map(|v| v.to_string()))
        .collect()
}
