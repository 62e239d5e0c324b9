//! The time every rule reads. Production uses the system clock; tests use a [`ManualClock`]
//! and advance it, instead of sleeping until a retry, an expiry or a grace period comes due.

use std::sync::{Arc, Mutex};

use chrono::{TimeDelta, Utc};

/// A point in time, as every record and rule reads it.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    at: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock standing at the current wall-clock time.
    pub fn new() -> Self {
        Self::at(Utc::now())
    }

    pub fn at(t: Timestamp) -> Self {
        ManualClock {
            at: Arc::new(Mutex::new(t)),
        }
    }

    pub fn advance(&self, by: std::time::Duration) {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        *at += TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The wall clock moved forward by a jump the test chooses: time runs on (a worker's polls, a
/// receiver's timeouts and SQS's timers stay real), and a test that needs an hour between two
/// publishes jumps instead of sleeping.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock {
    ahead: Arc<Mutex<TimeDelta>>,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn jump(&self, by: std::time::Duration) {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        *ahead += TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Utc::now() + *self.ahead.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let c = ManualClock::new();
        let t = c.now();
        assert_eq!(c.now(), t);
        c.advance(std::time::Duration::from_secs(3600));
        assert_eq!(c.now() - t, TimeDelta::hours(1));
    }

    #[test]
    fn a_shifted_clock_runs_on_from_where_it_jumped() {
        let c = ShiftedClock::new();
        let before = Utc::now();
        c.jump(std::time::Duration::from_secs(3600));
        let t = c.now();
        assert!(t - before >= TimeDelta::hours(1));
        assert!(t - Utc::now() <= TimeDelta::hours(1));
        assert!(c.now() >= t, "it runs on");
    }
}
