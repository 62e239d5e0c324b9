//! Logging set-up: JSON lines on Lambda (CloudWatch), readable text or JSON locally.
//!
//! Every byte Hookline logs, log lines and EMF metrics documents alike, goes through one
//! writer that counts it: on Lambda that is what CloudWatch Logs bills as ingested, and the
//! cost benchmark reads the count ([`logged_bytes`]) instead of guessing it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tracing_subscriber::filter::Targets;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Text for people (colours at a terminal).
    Pretty,
    /// One JSON object per line, with its time (log collectors).
    Json,
    /// One JSON object per line without a time: CloudWatch stamps each line itself.
    Lambda,
}

static LOGGED: AtomicU64 = AtomicU64::new(0);
static DISCARD: AtomicBool = AtomicBool::new(false);

/// Bytes this process has logged so far (lines and EMF documents).
pub fn logged_bytes() -> u64 {
    LOGGED.load(Ordering::Relaxed)
}

/// What is logged unless `RUST_LOG` says otherwise: the SDK's own lines only from warnings up.
const DEFAULT_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn";

pub fn init(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // `RUST_LOG` as comma-separated `level` and `target=level` directives. A target filter,
    // not tracing-subscriber's EnvFilter: that one's span and field matching brought regular
    // expression engines into the Lambda functions (0.2 MiB) for directives nobody sets here.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| DEFAULT_FILTER.parse().expect("the default filter parses"));
    // Colours only for a person at a terminal, not in files and pipes.
    let ansi = format == LogFormat::Pretty && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(|| Counted { stdout: false });
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Pretty => registry.with(layer).try_init(),
        LogFormat::Json => registry.with(layer.json()).try_init(),
        LogFormat::Lambda => registry.with(layer.json().without_time()).try_init(),
    };
}

/// [`init`], with every line counted and dropped: the cost benchmark measures what the
/// functions would log without printing it.
pub fn init_counted_only(format: LogFormat) {
    DISCARD.store(true, Ordering::Relaxed);
    init(format);
}

/// Writes one line on stdout (where Lambda's log capture picks it up), counted.
pub fn emit_line(line: &str) {
    let mut out = Counted { stdout: true };
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
}

/// stderr for log lines, stdout for EMF documents; each byte counted.
struct Counted {
    stdout: bool,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGGED.fetch_add(buf.len() as u64, Ordering::Relaxed);
        if DISCARD.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match self.stdout {
            true => std::io::stdout().write(buf),
            false => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.stdout {
            true => std::io::stdout().flush(),
            false => std::io::stderr().flush(),
        }
    }
}
