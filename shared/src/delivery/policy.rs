//! The retry schedule: attempts at `first + k * interval` for as long as that stays inside
//! `first + window` (by default hourly for 48 hours: 49 attempts); and the last call of a
//! delivery the circuit breaker holds back, so that none ends without an attempt.

use std::time::Duration;

use chrono::TimeDelta;

use crate::model::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub interval: Duration,
    pub window: Duration,
}

impl RetryPolicy {
    /// The most automatic attempts a delivery can get.
    pub fn max_attempts(&self) -> u64 {
        self.window.as_secs() / self.interval.as_secs().max(1) + 1
    }

    /// After `attempts_made` automatic attempts (the first at `first`), how long until the next
    /// one, or `None` when the window is exhausted. A `Retry-After` may push the next attempt
    /// later, but never beyond the window.
    pub fn next_delay(
        &self,
        first: Timestamp,
        attempts_made: usize,
        now: Timestamp,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let interval = TimeDelta::from_std(self.interval).ok()?;
        let deadline = first + TimeDelta::from_std(self.window).ok()?;
        let slot = first + interval * i32::try_from(attempts_made).ok()?;
        if slot > deadline {
            return None;
        }
        let mut at = slot.max(now);
        if let Some(ra) = retry_after.and_then(|r| TimeDelta::from_std(r).ok()) {
            at = at.max(now + ra).min(deadline.max(now));
        }
        Some(
            (at - now)
                .to_std()
                .unwrap_or_default()
                .max(Duration::from_secs(1)),
        )
    }
}

impl RetryPolicy {
    /// The longest a last call is spread past the window's end: the retry interval, at most a
    /// minute.
    pub fn spread(&self) -> Duration {
        self.interval.min(Duration::from_secs(60))
    }

    /// When a delivery the breaker holds back gets its last attempt anyway: at the end of its
    /// window (counted from `start`, its first attempt or its creation), plus a share of
    /// [`Self::spread`] fixed by `key` (its id), so that the deliveries of a dead endpoint do not
    /// all come due at the same moment. A delivery therefore fails no later than its window's
    /// end, plus the spread, plus one attempt's timeout, and never without an attempt.
    pub fn last_call(&self, start: Timestamp, key: &str) -> Timestamp {
        let spread = self.spread().as_millis() as u64;
        // FNV-1a: the same share in every process and build.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let share = if spread == 0 { 0 } else { hash % spread };
        let window = TimeDelta::from_std(self.window).unwrap_or(TimeDelta::MAX);
        start + window + TimeDelta::milliseconds(share as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn hourly() -> RetryPolicy {
        RetryPolicy {
            interval: Duration::from_secs(3600),
            window: Duration::from_secs(48 * 3600),
        }
    }

    #[test]
    fn hourly_for_two_days_is_49_attempts() {
        let p = hourly();
        assert_eq!(p.max_attempts(), 49);
        let t0 = Utc::now();
        // After the first attempt: one hour.
        assert_eq!(
            p.next_delay(t0, 1, t0, None),
            Some(Duration::from_secs(3600))
        );
        // The schedule is anchored on the first attempt, so slow attempts do not drift it.
        let late = t0 + TimeDelta::seconds(3600 + 20);
        assert_eq!(
            p.next_delay(t0, 2, late, None),
            Some(Duration::from_secs(3600 - 20))
        );
        // The 49th attempt (at 48 h) is the last one.
        let at48 = t0 + TimeDelta::hours(47);
        assert_eq!(
            p.next_delay(t0, 48, at48, None),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(p.next_delay(t0, 49, t0 + TimeDelta::hours(48), None), None);
    }

    #[test]
    fn retry_after_lengthens_but_never_passes_the_window() {
        let p = hourly();
        let t0 = Utc::now();
        assert_eq!(
            p.next_delay(t0, 1, t0, Some(Duration::from_secs(7200))),
            Some(Duration::from_secs(7200))
        );
        // A shorter Retry-After does not shorten the schedule.
        assert_eq!(
            p.next_delay(t0, 1, t0, Some(Duration::from_secs(5))),
            Some(Duration::from_secs(3600))
        );
        let now = t0 + TimeDelta::hours(47);
        let d = p
            .next_delay(t0, 48, now, Some(Duration::from_secs(10 * 3600)))
            .unwrap();
        assert_eq!(
            d,
            Duration::from_secs(3600),
            "capped at the end of the window"
        );
    }

    #[test]
    fn last_calls_are_spread_after_the_window_by_id() {
        let p = hourly();
        let t0 = Utc::now();
        let end = t0 + TimeDelta::hours(48);
        let calls: Vec<Timestamp> = (0..200)
            .map(|i| p.last_call(t0, &format!("dlv_{i}")))
            .collect();
        assert!(
            calls
                .iter()
                .all(|c| *c >= end && *c < end + TimeDelta::seconds(60))
        );
        let distinct: std::collections::BTreeSet<_> = calls.iter().collect();
        assert!(
            distinct.len() > 150,
            "spread, not bunched: {}",
            distinct.len()
        );
        assert_eq!(
            p.last_call(t0, "dlv_1"),
            p.last_call(t0, "dlv_1"),
            "fixed by the id"
        );
    }
}
