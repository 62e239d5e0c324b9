//! Logging set-up: JSON lines on Lambda (CloudWatch), readable text or JSON locally.

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

pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
    });
    // Colours only for a person at a terminal, not in files and pipes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Lambda => builder.json().without_time().try_init(),
    };
}
