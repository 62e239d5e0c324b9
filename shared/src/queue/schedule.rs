//! The embedded queue's schedule, kept in memory beside its table: which messages are ready,
//! per fairness group, served round-robin; which are waiting for a time; which are in flight.
//!
//! The table stays the record (it survives restarts); the schedule is rebuilt from it at the
//! first queue call and then changed in step with it, under the same lock. It makes a receive
//! cost what it takes, not a scan of everything waiting, and it is what gives every group its
//! turn: a group with its share in flight waits, and a backlog of one webhook never delays
//! the first message of another.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

pub type Seq = i64;

#[derive(Debug)]
struct Meta {
    group: Arc<str>,
    /// When the message becomes (or became) visible; its key in `timeline` unless ready.
    visible_at: i64,
    in_flight: bool,
}

#[derive(Debug, Default)]
pub struct Schedule {
    pub loaded: bool,
    /// Messages not ready yet (delayed, or hidden while in flight), by visibility time.
    timeline: BTreeSet<(i64, Seq)>,
    msgs: HashMap<Seq, Meta>,
    /// Ready messages per group, oldest first.
    ready: HashMap<Arc<str>, VecDeque<Seq>>,
    /// Groups with ready messages, the next to serve first.
    rotation: VecDeque<Arc<str>>,
    in_flight: HashMap<Arc<str>, usize>,
}

impl Schedule {
    /// Adds a message that becomes visible at `visible_at` (in flight until then if
    /// `in_flight`).
    pub fn add(&mut self, seq: Seq, group: &str, visible_at: i64, in_flight: bool) {
        let group: Arc<str> = match self.ready.get_key_value(group) {
            Some((g, _)) => g.clone(),
            None => Arc::from(group),
        };
        if in_flight {
            *self.in_flight.entry(group.clone()).or_default() += 1;
        }
        self.timeline.insert((visible_at, seq));
        self.msgs.insert(
            seq,
            Meta {
                group,
                visible_at,
                in_flight,
            },
        );
    }

    /// Adds messages just sent, visible at `at`.
    pub fn add_all(&mut self, added: Vec<(Seq, String)>, at: i64) {
        for (seq, group) in added {
            self.add(seq, &group, at, false);
        }
    }

    /// Moves every message visible at `now` to its group's ready line; an in-flight message
    /// whose visibility ran out (its consumer died) is no longer in flight.
    fn promote(&mut self, now: i64) {
        while let Some(&(at, seq)) = self.timeline.first() {
            if at > now {
                break;
            }
            self.timeline.pop_first();
            let Some(m) = self.msgs.get_mut(&seq) else {
                continue;
            };
            if m.in_flight {
                m.in_flight = false;
                if let Some(n) = self.in_flight.get_mut(&m.group) {
                    *n = n.saturating_sub(1);
                }
            }
            let line = self.ready.entry(m.group.clone()).or_default();
            if line.is_empty() {
                self.rotation.push_back(m.group.clone());
            }
            line.push_back(seq);
        }
    }

    /// Picks up to `max` ready messages, one group at a time in turn, skipping groups that
    /// have `share` in flight; marks them in flight until `visible_at`.
    pub fn take(&mut self, now: i64, max: usize, share: usize, visible_at: i64) -> Vec<Seq> {
        self.promote(now);
        let mut picked = Vec::new();
        let mut idle_turns = 0;
        while picked.len() < max && idle_turns < self.rotation.len() {
            let Some(group) = self.rotation.pop_front() else {
                break;
            };
            let busy = self.in_flight.get(&group).copied().unwrap_or(0) >= share;
            let line = self.ready.entry(group.clone()).or_default();
            // Skip messages deleted while waiting in line.
            while line.front().is_some_and(|s| !self.msgs.contains_key(s)) {
                line.pop_front();
            }
            let next = if busy { None } else { line.pop_front() };
            let more = !line.is_empty();
            if !more {
                self.ready.remove(&group);
            }
            match next {
                Some(seq) => {
                    idle_turns = 0;
                    *self.in_flight.entry(group.clone()).or_default() += 1;
                    let m = self.msgs.get_mut(&seq).expect("a ready message is known");
                    m.in_flight = true;
                    m.visible_at = visible_at;
                    self.timeline.insert((visible_at, seq));
                    picked.push(seq);
                }
                None => idle_turns += 1,
            }
            if more {
                self.rotation.push_back(group);
            }
        }
        picked
    }

    /// A message was deleted.
    pub fn remove(&mut self, seq: Seq) {
        if let Some(m) = self.msgs.remove(&seq) {
            self.timeline.remove(&(m.visible_at, seq));
            if m.in_flight
                && let Some(n) = self.in_flight.get_mut(&m.group)
            {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// A received message waits until `visible_at` (its retry delay): no longer in flight.
    pub fn delay(&mut self, seq: Seq, visible_at: i64) {
        if let Some(m) = self.msgs.get_mut(&seq) {
            self.timeline.remove(&(m.visible_at, seq));
            if m.in_flight {
                m.in_flight = false;
                if let Some(n) = self.in_flight.get_mut(&m.group) {
                    *n = n.saturating_sub(1);
                }
            }
            m.visible_at = visible_at;
            self.timeline.insert((visible_at, seq));
        }
    }

    /// When the next waiting message becomes visible, if any waits; `Some(now)` or earlier
    /// when something is ready already.
    pub fn next_visible(&self) -> Option<i64> {
        if self.rotation.is_empty() {
            self.timeline.first().map(|(at, _)| *at)
        } else {
            Some(i64::MIN)
        }
    }

    pub fn clear(&mut self) {
        *self = Schedule::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_take_turns_and_wait_at_their_share() {
        let mut s = Schedule::default();
        // A backlog of 10 for group a, then 2 for b and 1 for c.
        for seq in 0..10 {
            s.add(seq, "a", 0, false);
        }
        s.add(10, "b", 0, false);
        s.add(11, "b", 0, false);
        s.add(12, "c", 0, false);
        let got = s.take(0, 5, 2, 100);
        assert_eq!(got, vec![0, 10, 12, 1, 11], "one of each group in turn");
        for seq in [10, 11, 12] {
            s.remove(seq);
        }
        // a has its share (2) in flight: only others would be served, and none are left.
        assert_eq!(s.take(0, 5, 2, 100), Vec::<Seq>::new());
        s.remove(0);
        assert_eq!(
            s.take(0, 5, 2, 100),
            vec![2],
            "a's turn again once one settles"
        );
        // A retry delay: the message returns when its time comes, and not before.
        s.delay(1, 50);
        assert_eq!(s.take(49, 5, 2, 100), vec![3]);
        s.remove(2);
        s.remove(3);
        assert_eq!(
            s.take(50, 5, 2, 150),
            vec![4, 5],
            "1 is back, behind its group's line"
        );
        assert_eq!(
            s.next_visible(),
            Some(i64::MIN),
            "ready messages wait for a's share"
        );
        // In flight past its visibility (a crashed consumer): visible again, at the back.
        assert_eq!(s.take(150, 10, 2, 300), vec![6, 7]);
        for seq in [6, 7, 8, 9] {
            s.remove(seq);
        }
        assert_eq!(s.take(150, 10, 2, 300), vec![1, 4]);
    }
}
