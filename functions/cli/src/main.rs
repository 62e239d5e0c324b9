//! `hookline`: the local server and operator tasks, on the embedded or the AWS backend.

use anyhow::Context;
use clap::{Parser, Subcommand};
use hookline::auth::api_key::{generate_key, new_api_key, parse_scopes};
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::config::settings::{ServeSettings, Settings, set};
use hookline::ids::{ApiKeyId, TenantId};
use hookline::server;

mod listen;

/// mimalloc, not glibc's malloc: flat out, allocating and freeing were about a tenth of the
/// server's CPU, and with mimalloc a delivery cost a quarter less CPU and the server delivered
/// a quarter more a second (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hookline",
    version,
    about = "Webhooks as a service: local server and operator tasks"
)]
struct Cli {
    /// How log lines are written: `pretty` (text for people) or `json` (one object per line,
    /// for log collectors).
    #[arg(
        long,
        global = true,
        env = "HOOKLINE_LOG_FORMAT",
        value_enum,
        default_value = "pretty"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the delivery worker locally. Every setting is a flag or its
    /// environment variable (docs/configuration.md says more; RUST_LOG filters the log).
    Serve {
        #[command(flatten)]
        serve: ServeSettings,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Receive webhooks on this machine and print a line for each (a receiver to try Hookline
    /// with: create a webhook to its address).
    Listen(listen::ListenArgs),
    /// Manage API keys (on the backend HOOKLINE_BACKEND names).
    #[command(subcommand)]
    Keys(Keys),
    /// Group tenants under partners (on the backend HOOKLINE_BACKEND names).
    #[command(subcommand)]
    Partners(Partners),
}

#[derive(Subcommand)]
enum Partners {
    /// Add a tenant to a partner (made with its first tenant).
    AddTenant {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        tenant: String,
    },
    /// Remove a tenant from a partner.
    RemoveTenant {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        tenant: String,
    },
    /// List the partners and their tenants.
    List,
}

#[derive(Subcommand)]
enum Keys {
    /// Mint a key and print it once.
    Create {
        /// The tenant the key acts for (e.g. `default`, the one `hookline serve` makes).
        #[arg(long, required_unless_present = "partner", conflicts_with = "partner")]
        tenant: Option<String>,
        /// A partner key instead: it acts on any tenant of the partner (naming it with
        /// `tenant_id`) and lists across them.
        #[arg(long)]
        partner: Option<String>,
        /// Comma-separated: webhooks:read, webhooks:write, events:publish, deliveries:retry,
        /// admin.
        #[arg(long)]
        scopes: String,
        /// `live` (default) or `test`: the key sees and delivers only objects of its mode.
        #[arg(long, default_value = "live")]
        mode: String,
        /// A label shown by `keys list` (what the key is for).
        #[arg(long)]
        name: Option<String>,
        /// Register this key (16+ characters) instead of generating one, e.g. the key the
        /// sample events in events/ carry.
        #[arg(long)]
        key: Option<String>,
    },
    /// List a tenant's keys (never the keys themselves).
    List {
        /// The tenant whose keys to list.
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key's id (`key_…`), as `keys list` shows it.
        id: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // `serve` sizes its runtime (HOOKLINE_WORKER_THREADS); the other commands take tokio's.
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Command::Serve { serve, settings } = &cli.command {
        match serve.worker_threads(settings.embedded()) {
            Ok(Some(n)) => runtime.worker_threads(n),
            Ok(None) => &mut runtime,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
    }
    let runtime = match runtime.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(cli_main(cli))
}

async fn cli_main(cli: Cli) -> std::process::ExitCode {
    hookline::telemetry::init(match cli.log_format {
        LogFormat::Pretty => hookline::telemetry::LogFormat::Pretty,
        LogFormat::Json => hookline::telemetry::LogFormat::Json,
    });
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // What went wrong and why, on one line; no stack trace (RUST_BACKTRACE or not).
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // The receiver needs no store.
    if let Command::Listen(args) = &cli.command {
        return listen::run(args).await;
    }
    let config = match &cli.command {
        Command::Serve { settings, .. } => Config::from_settings(settings.as_ref().clone())?,
        _ => Config::from_env()?,
    };
    let app = Hookline::from_config(config).await?;
    match cli.command {
        Command::Serve { serve, .. } => {
            let fixed = set(serve.local_api_key.clone());
            let fixed = fixed.as_ref().map(|k| k.expose());
            let created = server::bootstrap(&app, fixed).await?;
            let listen = &serve.listen;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let url = format!("http://{}", listener.local_addr()?);
            match (created, fixed) {
                (Some(key), _) => println!(
                    "Created tenant {:?} and its admin API key (shown once):\n\n  {key}\n\n\
                     To use it from this shell:\n\n  export HOOKLINE={url} KEY={key}\n",
                    server::DEFAULT_TENANT
                ),
                (None, Some(_)) => println!(
                    "The admin key of tenant {:?} is HOOKLINE_LOCAL_API_KEY.\n",
                    server::DEFAULT_TENANT
                ),
                (None, None) => println!(
                    "Keys were made on an earlier start (`hookline keys list --tenant {t}`); \
                     to mint another:\n\n  hookline keys create --tenant {t} --scopes admin\n",
                    t = server::DEFAULT_TENANT
                ),
            }
            println!("{}", settings(&app.config));
            let report = commit_report(&app);
            let running = server::start_with(app, listener, listener_limits(&serve)?).await?;
            println!("Hookline listening on http://{}", running.addr);
            stopped().await?;
            running.stop().await;
            report();
        }
        Command::Keys(Keys::Create {
            tenant,
            partner,
            scopes,
            mode,
            name,
            key,
        }) => {
            let mode = hookline::model::Mode::parse(&mode)
                .with_context(|| format!("--mode must be live or test, not {mode:?}"))?;
            let partner = partner
                .map(|p| hookline::ids::PartnerId::field("--partner", &p))
                .transpose()?;
            // A partner key is filed under its partner's id (it has no tenant of its own).
            let tenant = match (&tenant, &partner) {
                (Some(t), _) => TenantId::field("--tenant", t)?,
                (None, Some(p)) => TenantId::field("--partner", p.as_str())?,
                (None, None) => anyhow::bail!("give --tenant or --partner"),
            }
            .in_mode(mode);
            let key = match key {
                Some(k) if k.len() < 16 => anyhow::bail!("--key must be at least 16 characters"),
                Some(k) => k,
                None => generate_key(),
            };
            let mut record =
                new_api_key(&key, &tenant, parse_scopes(&scopes)?, name, app.clock.now());
            record.partner_id = partner.clone();
            app.store.put_key(&record).await?;
            println!("{key}");
            let whose = match &partner {
                Some(p) => format!("partner {p}"),
                None => format!("tenant {}", tenant.base()),
            };
            eprintln!(
                "key id {} for {whose} in {} mode; the key is not stored and cannot be shown again",
                record.id,
                mode.as_str()
            );
        }
        Command::Partners(Partners::AddTenant { partner, tenant }) => {
            let p = hookline::service::partners::add_tenant(
                &app,
                &hookline::ids::PartnerId::field("--partner", &partner)?,
                &TenantId::field("--tenant", &tenant)?,
            )
            .await?;
            println!("{}\t{}", p.id, join(&p.tenants));
        }
        Command::Partners(Partners::RemoveTenant { partner, tenant }) => {
            let p = hookline::service::partners::remove_tenant(
                &app,
                &hookline::ids::PartnerId::field("--partner", &partner)?,
                &TenantId::field("--tenant", &tenant)?,
            )
            .await?;
            println!("{}\t{}", p.id, join(&p.tenants));
        }
        Command::Partners(Partners::List) => {
            println!("PARTNER\tTENANTS");
            for p in app.store.list_partners().await? {
                println!("{}\t{}", p.id, join(&p.tenants));
            }
        }
        Command::Listen(_) => unreachable!("handled above"),
        Command::Keys(Keys::List { tenant }) => {
            let tenant = TenantId::field("--tenant", &tenant)?;
            println!("ID\tSTATE\tMODE\tSCOPES\tCREATED\tNAME");
            for k in app.store.list_keys(&tenant).await? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let state = match k.expires_at {
                    Some(t) if t <= app.clock.now() && state == "active" => "expired",
                    _ => state,
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    k.id,
                    state,
                    k.mode.as_str(),
                    scopes.join(","),
                    k.created_at.to_rfc3339(),
                    k.name.unwrap_or_default()
                );
            }
        }
        Command::Keys(Keys::Revoke { id }) => {
            let id = ApiKeyId::field("id", &id)?;
            let mut k = app
                .store
                .get_key(&id)
                .await?
                .with_context(|| format!("no key {id}"))?;
            let now = app.clock.now();
            k.revoked_at.get_or_insert(now);
            app.store.put_key(&k).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// Tenant ids, comma-separated.
fn join(tenants: &[TenantId]) -> String {
    tenants
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Until Ctrl-C (SIGINT) or SIGTERM (what `docker stop`, systemd and `kill` send).
async fn stopped() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}

/// Logs, when the server stops, how well the embedded database grouped its commits (with
/// `full` durability, one flush per commit that wrote something a caller waits on), and how
/// many operations ran on their callers' threads.
#[cfg(feature = "sqlite")]
fn commit_report(app: &Hookline) -> impl FnOnce() + use<> {
    let db = app.sqlite.clone();
    let started = std::time::Instant::now();
    move || {
        let Some(db) = db else { return };
        let c = db.commits();
        let secs = started.elapsed().as_secs_f64();
        tracing::info!(
            target: "hookline::commits",
            flushes = c.flushes,
            commits = c.writes,
            operations = c.operations,
            inline = c.inline,
            operations_per_commit =
                format!("{:.1}", c.operations as f64 / c.writes.max(1) as f64),
            "stopped: the database flushed {} times ({:.0}/s) in {} commits that wrote",
            c.flushes,
            c.flushes as f64 / secs,
            c.writes
        );
    }
}

#[cfg(not(feature = "sqlite"))]
fn commit_report(_: &Hookline) -> impl FnOnce() + use<> {
    || {}
}

/// The local listener's limits (`HOOKLINE_MAX_CONNECTIONS`, `HOOKLINE_HEADER_TIMEOUT_SECONDS`),
/// the connection cap kept below the file descriptors this process may open.
fn listener_limits(serve: &ServeSettings) -> anyhow::Result<server::Limits> {
    let positive = |v: Option<u64>, name: &str, default: u64| match v {
        Some(0) => anyhow::bail!("{name} must be a positive whole number, not 0"),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let defaults = server::Limits::default();
    let wanted = positive(
        set(serve.max_connections.clone()),
        "HOOKLINE_MAX_CONNECTIONS",
        defaults.connections as u64,
    )? as usize;
    // Soft limits are often 1,024 while the hard limit is far higher: take what is allowed.
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024) as usize;
    // Outgoing deliveries, the database and the logs need descriptors too.
    let connections = wanted.min(files.saturating_sub(256).max(16));
    if connections < wanted {
        tracing::warn!(
            "this process may open only {files} files: serving at most {connections} connections at once"
        );
    }
    Ok(server::Limits {
        connections,
        header_timeout: std::time::Duration::from_secs(positive(
            set(serve.header_timeout_seconds.clone()),
            "HOOKLINE_HEADER_TIMEOUT_SECONDS",
            defaults.header_timeout.as_secs(),
        )?),
        ..defaults
    })
}

/// What `hookline serve` runs with, in a few lines.
fn settings(c: &Config) -> String {
    let backend = match &c.backend {
        hookline::config::Backend::Sqlite { data_dir, durable } => format!(
            "embedded SQLite in {data_dir} (durability {})",
            if *durable { "full" } else { "normal" }
        ),
        hookline::config::Backend::Aws {
            table,
            queue_url,
            fifo_queue_url,
            ..
        } => {
            let fifo = fifo_queue_url
                .as_deref()
                .unwrap_or("none: no fifo webhooks");
            format!("DynamoDB table {table}, SQS queue {queue_url}, FIFO queue {fifo}")
        }
    };
    let private = if c.allow_private_targets {
        "allowed (HOOKLINE_ALLOW_PRIVATE_TARGETS=true)"
    } else {
        "refused (HOOKLINE_ALLOW_PRIVATE_TARGETS=true allows them, for tests and demos)"
    };
    let tokens = match &c.jwt {
        Some(j) => format!("JWT bearer tokens accepted ({})", j.summary()),
        None => "API keys only (HOOKLINE_JWT_HS256_SECRET or _JWKS_FILE add JWTs)".into(),
    };
    format!(
        "  storage     {backend}\n  retries     every {} for {}, {} timeout per attempt\n  \
         auth        {tokens}\n  private and loopback targets {private}",
        human(c.retry_interval),
        human(c.retry_window),
        human(c.delivery_timeout),
    )
}

/// `3600s` as `1h`, `90s` as `90s`: the largest whole unit.
fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}
