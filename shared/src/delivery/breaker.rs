//! The circuit breaker of an endpoint: when it opens, closes and probes (ARCHITECTURE.md §4).
//! Pure rules over [`Health`]; the engine stores the result with the webhook, so every Lambda
//! instance sees it with the read it already makes.

use std::time::Duration;

use chrono::TimeDelta;

use crate::model::{Attempt, AttemptError, Health, Timestamp};

/// What the breaker says about a due delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send it.
    Closed,
    /// Defer it, without a request, until then.
    Open { until: Timestamp },
    /// The open period is over: one delivery may go as the probe.
    ProbeDue,
}

#[derive(Debug, Clone, Copy)]
pub struct Breaker {
    /// Consecutive failed attempts that open the breaker.
    pub threshold: u32,
    /// The first open period; each failed probe doubles it.
    pub first_open: Duration,
    /// The longest open period (the retry interval: no endpoint waits longer than that).
    pub max_open: Duration,
    /// How stale `last_success_at` may get on a healthy endpoint before a success writes it.
    pub refresh: Duration,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Breaker {
    pub fn gate(&self, h: &Health, now: Timestamp) -> Gate {
        match h.open_until {
            None => Gate::Closed,
            Some(until) if until > now => Gate::Open { until },
            Some(_) => Gate::ProbeDue,
        }
    }

    /// The health while a probe is out: open for one more period, so that every other
    /// delivery keeps deferring until the probe has answered.
    pub fn claim_probe(&self, h: &Health, now: Timestamp) -> Health {
        let period = Duration::from_secs(h.open_seconds.max(1)).min(self.max_open);
        Health {
            open_until: Some(now + delta(period)),
            rev: h.rev + 1,
            ..h.clone()
        }
    }

    /// After a successful attempt: closed again, with the run of failures forgotten. `None` when
    /// nothing changed (a healthy endpoint costs no write).
    pub fn on_success(&self, h: &Health, now: Timestamp) -> Option<Health> {
        let fresh = h
            .last_success_at
            .is_some_and(|at| now - at < delta(self.refresh));
        if h.consecutive_failures == 0 && h.open_until.is_none() && fresh {
            return None;
        }
        Some(Health {
            consecutive_failures: 0,
            open_until: None,
            open_seconds: 0,
            last_success_at: Some(now),
            failing_since: None,
            rev: h.rev + 1,
            ..h.clone()
        })
    }

    /// After a failed attempt: one more failure; the breaker opens at the threshold, and a
    /// failed probe opens it for twice as long (at most `max_open`).
    pub fn on_failure(&self, h: &Health, now: Timestamp) -> Health {
        let failures = h.consecutive_failures.saturating_add(1);
        let (open_until, open_seconds) = if h.open_until.is_some() {
            let next = Duration::from_secs(h.open_seconds.saturating_mul(2).max(1))
                .max(self.first_open)
                .min(self.max_open);
            (Some(now + delta(next)), next.as_secs())
        } else if failures >= self.threshold {
            let first = self.first_open.min(self.max_open);
            (Some(now + delta(first)), first.as_secs())
        } else {
            (None, 0)
        };
        Health {
            consecutive_failures: failures,
            open_until,
            open_seconds,
            last_failure_at: Some(now),
            failing_since: h.failing_since.or(Some(now)),
            rev: h.rev + 1,
            ..h.clone()
        }
    }
}

/// Does this attempt count against the endpoint? Timeouts, connection and DNS errors, refused
/// addresses, 5xx, 408 and 429 do; any other answer shows a live endpoint and changes nothing.
pub fn counts_as_failure(a: &Attempt) -> bool {
    match a.status_code {
        Some(code) => code >= 500 || code == 408 || code == 429,
        None => !matches!(a.error_kind, Some(AttemptError::InvalidUrl)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker {
            threshold: 3,
            first_open: Duration::from_secs(30),
            max_open: Duration::from_secs(100),
            refresh: Duration::from_secs(60),
        }
    }

    #[test]
    fn opens_at_the_threshold_probes_doubles_and_closes() {
        let b = breaker();
        let t0 = chrono::Utc::now();
        let mut h = Health::default();
        for _ in 0..2 {
            h = b.on_failure(&h, t0);
            assert_eq!(b.gate(&h, t0), Gate::Closed);
        }
        h = b.on_failure(&h, t0);
        let until = t0 + TimeDelta::seconds(30);
        assert_eq!(b.gate(&h, t0), Gate::Open { until });
        assert_eq!(h.failing_since, Some(t0));
        let t1 = until;
        assert_eq!(b.gate(&h, t1), Gate::ProbeDue);
        let probing = b.claim_probe(&h, t1);
        assert!(
            matches!(b.gate(&probing, t1), Gate::Open { .. }),
            "others defer"
        );
        // A failed probe doubles the open period, up to the maximum.
        let h2 = b.on_failure(&probing, t1);
        assert_eq!(h2.open_seconds, 60);
        let h3 = b.on_failure(&b.claim_probe(&h2, t1), t1);
        assert_eq!(h3.open_seconds, 100, "capped at the retry interval");
        let closed = b.on_success(&h3, t1).unwrap();
        assert_eq!(b.gate(&closed, t1), Gate::Closed);
        assert_eq!(
            (closed.consecutive_failures, closed.failing_since),
            (0, None)
        );
        assert!(closed.rev > h3.rev);
        assert_eq!(b.on_success(&closed, t1), None, "no write while healthy");
        let later = t1 + TimeDelta::seconds(61);
        assert_eq!(
            b.on_success(&closed, later).map(|h| h.last_success_at),
            Some(Some(later)),
            "last_success_at is refreshed once a minute"
        );
    }

    #[test]
    fn only_endpoint_failures_count() {
        let attempt = |code: Option<u16>, kind: Option<AttemptError>| Attempt {
            at: chrono::Utc::now(),
            status_code: code,
            duration_ms: 1,
            response_excerpt: None,
            error_kind: kind,
            error: None,
            manual: false,
            retry_id: None,
            key_id: None,
            rule: None,
            request_headers: None,
        };
        assert!(counts_as_failure(&attempt(
            Some(503),
            Some(AttemptError::HttpStatus)
        )));
        assert!(counts_as_failure(&attempt(
            Some(429),
            Some(AttemptError::HttpStatus)
        )));
        assert!(counts_as_failure(&attempt(
            None,
            Some(AttemptError::Timeout)
        )));
        assert!(counts_as_failure(&attempt(
            None,
            Some(AttemptError::Connection)
        )));
        assert!(!counts_as_failure(&attempt(
            Some(404),
            Some(AttemptError::HttpStatus)
        )));
        assert!(!counts_as_failure(&attempt(Some(200), None)));
    }
}
