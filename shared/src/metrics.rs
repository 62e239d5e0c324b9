//! Operational metrics of one process: what an operator watches (publishes, attempts and their
//! outcome, retries, breaker openings, attempt latency, how late deliveries start).
//!
//! Two ways out, from the same counters:
//! - `GET /metrics` on `hookline serve`, in the Prometheus text format (totals since start);
//! - on Lambda, one CloudWatch Embedded Metric Format document per invocation
//!   ([`Metrics::emf`]: what changed since the previous document), printed on its own line so
//!   that CloudWatch Logs turns it into metrics without a `PutMetricData` call.
//!
//! No tenant or webhook labels: their number is unbounded, and per-webhook figures are in the
//! stats API and the webhook's `health`.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Raw values kept per EMF document (CloudWatch takes at most 100 per metric).
const EMF_VALUES: usize = 100;

/// The EMF counts, in the order of [`Metrics::counters`].
const EMF_COUNTS: [&str; 7] = [
    "EventsPublished",
    "DeliveriesSucceeded",
    "RetriesScheduled",
    "DeliveriesFailed",
    "DeliveriesDeferred",
    "DeliveriesCancelled",
    "BreakerOpened",
];
const EMF_LATENCY: &str = "AttemptLatency";
const EMF_LAG: &str = "DeliveryLag";

/// Every metric name the EMF documents may carry (namespace `Hookline`, dimension `Function`):
/// the template's dashboard may show only these.
pub fn emf_metric_names() -> Vec<&'static str> {
    let mut names = EMF_COUNTS.to_vec();
    names.extend([EMF_LATENCY, EMF_LAG]);
    names
}

/// What became of one processed delivery message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    /// The endpoint answered 2xx.
    Succeeded,
    /// The attempt failed and another is scheduled.
    RetryScheduled,
    /// The attempt failed and the retry window is over (or it was a manual attempt).
    Failed,
    /// Put off without a request: the endpoint's circuit breaker is open.
    Deferred,
    /// Not sent: the webhook is gone or disabled, or the event expired.
    Cancelled,
}

#[derive(Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], then the overflow bucket.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// The counters of one process (shared by its API and its delivery engine).
#[derive(Default)]
pub struct Metrics {
    published: AtomicU64,
    succeeded: AtomicU64,
    retries: AtomicU64,
    failed: AtomicU64,
    deferred: AtomicU64,
    cancelled: AtomicU64,
    breaker_opened: AtomicU64,
    attempt_latency: Histogram,
    lag: Histogram,
    /// For the next EMF document: the raw latencies and lags since the last one, and the
    /// counters as they were then.
    emf: Mutex<EmfState>,
    /// Where EMF documents go instead of stdout, once a test asks for them.
    captured: Mutex<Option<Vec<Value>>>,
}

#[derive(Default)]
struct EmfState {
    latencies_ms: Vec<f64>,
    max_lag_ms: Option<f64>,
    last: [u64; 7],
}

impl Metrics {
    /// Events accepted by a publish (each once, a replay not again).
    pub fn published(&self, events: u64) {
        self.published.fetch_add(events, Ordering::Relaxed);
    }

    /// A delivery message processed, and what became of it.
    pub fn processed(&self, what: Processed) {
        let c = match what {
            Processed::Succeeded => &self.succeeded,
            Processed::RetryScheduled => &self.retries,
            Processed::Failed => &self.failed,
            Processed::Deferred => &self.deferred,
            Processed::Cancelled => &self.cancelled,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt's duration (request sent to answer, or to the failure).
    pub fn attempt(&self, took: Duration) {
        self.attempt_latency.observe(took);
        let mut s = self.emf.lock().unwrap_or_else(|p| p.into_inner());
        if s.latencies_ms.len() < EMF_VALUES {
            s.latencies_ms.push(took.as_secs_f64() * 1000.0);
        }
    }

    /// How late an attempt started after its delivery was due (publish, or the scheduled
    /// retry): the queue's backlog as a delivery sees it.
    pub fn lag(&self, late: Duration) {
        self.lag.observe(late);
        let ms = late.as_secs_f64() * 1000.0;
        let mut s = self.emf.lock().unwrap_or_else(|p| p.into_inner());
        s.max_lag_ms = Some(s.max_lag_ms.map_or(ms, |m: f64| m.max(ms)));
    }

    /// A webhook's circuit breaker opened.
    pub fn breaker_opened(&self) {
        self.breaker_opened.fetch_add(1, Ordering::Relaxed);
    }

    fn counters(&self) -> [u64; 7] {
        [
            &self.published,
            &self.succeeded,
            &self.retries,
            &self.failed,
            &self.deferred,
            &self.cancelled,
            &self.breaker_opened,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let [
            published,
            succeeded,
            retries,
            failed,
            deferred,
            cancelled,
            opened,
        ] = self.counters();
        let mut out = String::with_capacity(4096);
        let mut counter = |name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, v) in rows {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        counter(
            "hookline_events_published_total",
            "Events accepted by publishes (replays not counted).",
            &[("", published)],
        );
        counter(
            "hookline_deliveries_processed_total",
            "Delivery messages processed, by what became of them.",
            &[
                ("{outcome=\"succeeded\"}", succeeded),
                ("{outcome=\"retry_scheduled\"}", retries),
                ("{outcome=\"failed\"}", failed),
                ("{outcome=\"deferred\"}", deferred),
                ("{outcome=\"cancelled\"}", cancelled),
            ],
        );
        counter(
            "hookline_breaker_opened_total",
            "Times a webhook's circuit breaker opened.",
            &[("", opened)],
        );
        self.attempt_latency.render(
            &mut out,
            "hookline_attempt_duration_seconds",
            "Duration of delivery attempts, request to answer.",
        );
        self.lag.render(
            &mut out,
            "hookline_delivery_lag_seconds",
            "How late attempts started after their delivery was due.",
        );
        out
    }

    /// The CloudWatch EMF document of what happened since the previous one (namespace
    /// `Hookline`, dimension `Function`), or nothing when nothing did.
    pub fn emf(&self, function: &str, now_ms: i64) -> Option<Value> {
        let now = self.counters();
        let mut s = self.emf.lock().unwrap_or_else(|p| p.into_inner());
        let delta: Vec<u64> = now
            .iter()
            .zip(s.last)
            .map(|(n, l)| n.saturating_sub(l))
            .collect();
        if delta.iter().all(|d| *d == 0) && s.latencies_ms.is_empty() && s.max_lag_ms.is_none() {
            return None;
        }
        s.last = now;
        let mut doc = Map::new();
        let mut metrics = Vec::new();
        for (name, v) in EMF_COUNTS.iter().zip(&delta) {
            metrics.push(json!({"Name": name, "Unit": "Count"}));
            doc.insert((*name).into(), json!(v));
        }
        let latencies = std::mem::take(&mut s.latencies_ms);
        if !latencies.is_empty() {
            metrics.push(json!({"Name": EMF_LATENCY, "Unit": "Milliseconds"}));
            doc.insert(EMF_LATENCY.into(), json!(latencies));
        }
        if let Some(lag) = s.max_lag_ms.take() {
            metrics.push(json!({"Name": EMF_LAG, "Unit": "Milliseconds"}));
            doc.insert(EMF_LAG.into(), json!(lag));
        }
        doc.insert("Function".into(), json!(function));
        doc.insert(
            "_aws".into(),
            json!({
                "Timestamp": now_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "Hookline",
                    "Dimensions": [["Function"]],
                    "Metrics": metrics,
                }],
            }),
        );
        Some(Value::Object(doc))
    }
}

impl Metrics {
    /// Prints the EMF document of what happened since the last one, if anything did, as one
    /// line on stdout (where Lambda's log capture picks it up).
    pub fn print_emf(&self, function: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        if let Some(doc) = self.emf(function, now) {
            let mut captured = self.captured.lock().unwrap_or_else(|p| p.into_inner());
            match captured.as_mut() {
                Some(docs) => docs.push(doc),
                None => crate::telemetry::emit_line(&doc.to_string()),
            }
        }
    }

    /// From now on, keeps the EMF documents this process would print instead (tests read
    /// them with [`Self::captured_emf`]).
    pub fn capture_emf(&self) {
        let mut captured = self.captured.lock().unwrap_or_else(|p| p.into_inner());
        captured.get_or_insert_with(Vec::new);
    }

    /// The EMF documents kept since [`Self::capture_emf`] or the last call, taken.
    pub fn captured_emf(&self) -> Vec<Value> {
        let mut captured = self.captured.lock().unwrap_or_else(|p| p.into_inner());
        captured.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of the exposition text, by series (name with labels).
    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    #[test]
    fn prometheus_text_counts_and_buckets() {
        let m = Metrics::default();
        m.published(3);
        m.processed(Processed::Succeeded);
        m.processed(Processed::Succeeded);
        m.processed(Processed::RetryScheduled);
        m.attempt(Duration::from_millis(3));
        m.attempt(Duration::from_millis(200));
        m.attempt(Duration::from_secs(60));
        let text = m.prometheus();
        assert_eq!(value(&text, "hookline_events_published_total"), 3.0);
        let processed = "hookline_deliveries_processed_total";
        assert_eq!(
            value(&text, &format!("{processed}{{outcome=\"succeeded\"}}")),
            2.0
        );
        assert_eq!(
            value(
                &text,
                &format!("{processed}{{outcome=\"retry_scheduled\"}}")
            ),
            1.0
        );
        assert_eq!(
            value(&text, &format!("{processed}{{outcome=\"failed\"}}")),
            0.0
        );
        let h = "hookline_attempt_duration_seconds";
        assert_eq!(value(&text, &format!("{h}_bucket{{le=\"0.005\"}}")), 1.0);
        assert_eq!(value(&text, &format!("{h}_bucket{{le=\"0.25\"}}")), 2.0);
        assert_eq!(value(&text, &format!("{h}_bucket{{le=\"30\"}}")), 2.0);
        assert_eq!(value(&text, &format!("{h}_bucket{{le=\"+Inf\"}}")), 3.0);
        assert_eq!(value(&text, &format!("{h}_count")), 3.0);
        assert!((value(&text, &format!("{h}_sum")) - 60.203).abs() < 1e-6);
        // Every sample line belongs to a declared family.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {family} "))
                    || text.contains(&format!("# TYPE {name} ")),
                "{line}"
            );
        }
    }

    #[test]
    fn one_emf_document_per_invocation_with_what_changed() {
        let m = Metrics::default();
        assert!(
            m.emf("deliver", 1).is_none(),
            "nothing happened: no document"
        );
        m.processed(Processed::Succeeded);
        m.processed(Processed::Deferred);
        m.attempt(Duration::from_millis(12));
        m.lag(Duration::from_millis(40));
        m.lag(Duration::from_millis(7));
        let doc = m.emf("deliver", 1_700_000_000_000).unwrap();
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], 1_700_000_000_000_i64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Hookline");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(doc["Function"], "deliver");
        // Every declared metric has its value at the top level.
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc.get(name).is_some(), "{name} declared without a value");
        }
        assert_eq!(doc["DeliveriesSucceeded"], 1);
        assert_eq!(doc["DeliveriesDeferred"], 1);
        assert_eq!(doc["EventsPublished"], 0);
        assert_eq!(doc["AttemptLatency"], json!([12.0]));
        assert_eq!(doc["DeliveryLag"], json!(40.0));
        // The next invocation reports only its own.
        m.processed(Processed::Failed);
        let next = m.emf("deliver", 2).unwrap();
        assert_eq!(next["DeliveriesSucceeded"], 0);
        assert_eq!(next["DeliveriesFailed"], 1);
        assert!(next.get("AttemptLatency").is_none());
        assert!(m.emf("deliver", 3).is_none());
    }
}
