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

/// The prefix of an ordered group's name (a FIFO webhook's scheduled deliveries): only its
/// oldest message may be received, and only once nothing of it is in flight, so the next waits
/// while the one before waits for a retry.
pub const ORDERED: &str = "fifo:";

/// The most message bodies kept in memory for their first receive ([`Schedule::keep`]). A
/// backlog beyond it is read from the table when its turn comes, as after a restart.
pub const FRESH_BYTES: usize = 4 << 20;

#[derive(Debug)]
struct Meta {
    group: Arc<str>,
    /// When the message becomes (or became) visible; its key in `timeline` unless ready.
    visible_at: i64,
    in_flight: bool,
    /// Times received (kept in the table only when a retry delay is written).
    receives: u32,
    /// Which receive may settle it: the number in its receipt handle.
    token: u64,
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
    /// Every message of each ordered group, oldest first: only the first may be ready. The
    /// others, once visible, are parked (in no line and not on the timeline) until it goes.
    ordered: HashMap<Arc<str>, BTreeSet<Seq>>,
    next_token: u64,
    /// The bodies of messages this process sent, until their first receive (at most
    /// [`FRESH_BYTES`] in all): a receive then reads nothing from the table.
    fresh: HashMap<Seq, String>,
    fresh_bytes: usize,
    /// Changes with every change, so that an answer of [`Self::next_visible`] can be kept
    /// while it is the same (the embedded queue then skips asking again).
    version: u64,
}

impl Schedule {
    /// Adds a message that becomes visible at `visible_at` (in flight until then if
    /// `in_flight`), received `receives` times so far.
    pub fn add(&mut self, seq: Seq, group: &str, visible_at: i64, in_flight: bool, receives: u32) {
        self.version += 1;
        let group: Arc<str> = match self.ready.get_key_value(group) {
            Some((g, _)) => g.clone(),
            None => Arc::from(group),
        };
        if in_flight {
            *self.in_flight.entry(group.clone()).or_default() += 1;
        }
        if group.starts_with(ORDERED) {
            self.ordered.entry(group.clone()).or_default().insert(seq);
        }
        self.timeline.insert((visible_at, seq));
        self.msgs.insert(
            seq,
            Meta {
                group,
                visible_at,
                in_flight,
                receives,
                token: 0,
            },
        );
    }

    /// Adds messages just sent, visible at `at`.
    pub fn add_all(&mut self, added: Vec<(Seq, String)>, at: i64) {
        for (seq, group) in added {
            self.add(seq, &group, at, false, 0);
        }
    }

    /// Keeps the bodies of messages just added (while there is room): at a light load each
    /// is received a moment later, and reading it back took a transaction of its own.
    pub fn keep(&mut self, bodies: impl IntoIterator<Item = (Seq, String)>) {
        for (seq, body) in bodies {
            if self.fresh_bytes + body.len() > FRESH_BYTES || !self.msgs.contains_key(&seq) {
                continue;
            }
            self.fresh_bytes += body.len();
            if let Some(old) = self.fresh.insert(seq, body) {
                self.fresh_bytes -= old.len();
            }
        }
    }

    /// The body of `seq` if it is still kept (once: it is dropped here).
    pub fn fresh_body(&mut self, seq: Seq) -> Option<String> {
        let body = self.fresh.remove(&seq)?;
        self.fresh_bytes -= body.len();
        Some(body)
    }

    fn forget(&mut self, seq: Seq) {
        if let Some(body) = self.fresh.remove(&seq) {
            self.fresh_bytes -= body.len();
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
            let group = m.group.clone();
            let waits_its_turn = self
                .ordered
                .get(&group)
                .is_some_and(|members| members.first() != Some(&seq));
            if !waits_its_turn {
                self.make_ready(group, seq);
            }
        }
    }

    fn make_ready(&mut self, group: Arc<str>, seq: Seq) {
        let line = self.ready.entry(group.clone()).or_default();
        if line.is_empty() {
            self.rotation.push_back(group);
        }
        line.push_back(seq);
    }

    /// The oldest message of an ordered group became its first: ready, if it is parked.
    fn next_in_order(&mut self, group: &Arc<str>) {
        let Some(&next) = self.ordered.get(group).and_then(|m| m.first()) else {
            self.ordered.remove(group);
            return;
        };
        let Some(m) = self.msgs.get(&next) else {
            return;
        };
        let parked = !m.in_flight && !self.timeline.contains(&(m.visible_at, next));
        if parked {
            self.make_ready(group.clone(), next);
        }
    }

    /// Picks up to `max` ready messages, one group at a time in turn, skipping groups that
    /// have `share` in flight; marks them in flight until `visible_at`. Each comes with the
    /// token of this receive and how often it has been received.
    pub fn take(
        &mut self,
        now: i64,
        max: usize,
        share: usize,
        visible_at: i64,
    ) -> Vec<(Seq, u64, u32)> {
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
                    self.version += 1;
                    *self.in_flight.entry(group.clone()).or_default() += 1;
                    self.next_token += 1;
                    let m = self.msgs.get_mut(&seq).expect("a ready message is known");
                    m.in_flight = true;
                    m.visible_at = visible_at;
                    m.receives += 1;
                    m.token = self.next_token;
                    self.timeline.insert((visible_at, seq));
                    picked.push((seq, m.token, m.receives));
                }
                None => idle_turns += 1,
            }
            if more {
                self.rotation.push_back(group);
            }
        }
        picked
    }

    /// Whether `token` is the latest receive of a message still in flight (or waiting for its
    /// retry): whether that receive may settle it.
    pub fn holds(&self, seq: Seq, token: u64) -> bool {
        self.msgs.get(&seq).is_some_and(|m| m.token == token)
    }

    /// How often a message has been received.
    pub fn receives(&self, seq: Seq) -> u32 {
        self.msgs.get(&seq).map_or(0, |m| m.receives)
    }

    /// A message was deleted.
    pub fn remove(&mut self, seq: Seq) {
        self.version += 1;
        self.forget(seq);
        if let Some(m) = self.msgs.remove(&seq) {
            self.timeline.remove(&(m.visible_at, seq));
            if m.in_flight
                && let Some(n) = self.in_flight.get_mut(&m.group)
            {
                *n = n.saturating_sub(1);
            }
            if let Some(members) = self.ordered.get_mut(&m.group) {
                let was_first = members.first() == Some(&seq);
                members.remove(&seq);
                if was_first {
                    self.next_in_order(&m.group);
                }
            }
        }
    }

    /// A received message waits until `visible_at` (its retry delay): no longer in flight.
    pub fn delay(&mut self, seq: Seq, visible_at: i64) {
        self.version += 1;
        self.forget(seq);
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

    /// When a receive could next pick something, if anything waits: `Some(i64::MIN)` when a
    /// group with a ready message has less than `share` in flight, otherwise when the next
    /// waiting message becomes visible. A group at its share is served again once one of its
    /// messages settles (the queue signals that) or its visibility runs out (on the timeline).
    /// Counting it as ready made an idle consumer spin: every receive came back empty, and
    /// every wait ended at once, until a delivery finished.
    pub fn next_visible(&self, share: usize) -> Option<i64> {
        let served = self
            .rotation
            .iter()
            .any(|g| self.in_flight.get(g).copied().unwrap_or(0) < share);
        match served {
            true => Some(i64::MIN),
            false => self.timeline.first().map(|(at, _)| *at),
        }
    }

    /// Whether ready messages wait only for their groups' shares (a settle frees them).
    pub fn held_back(&self) -> bool {
        !self.rotation.is_empty()
    }

    /// The schedule's version: the same as long as nothing was added, taken, settled or
    /// delayed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Messages in flight now, in every group.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.values().sum()
    }

    /// Forgets everything but the receipt counter, so that no receipt handed out before can
    /// settle a message received after.
    pub fn clear(&mut self) {
        let (next_token, version) = (self.next_token, self.version);
        *self = Schedule::default();
        self.next_token = next_token;
        self.version = version + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies are kept for a first receive only, within [`FRESH_BYTES`], and not for a
    /// message that is gone or delayed.
    #[test]
    fn fresh_bodies_are_kept_once_and_within_their_bound() {
        let mut s = Schedule::default();
        s.add_all((0..4).map(|seq| (seq, "g".to_string())).collect(), 0);
        let big = "x".repeat(FRESH_BYTES / 2 + 1);
        s.keep([
            (0, big.clone()),
            (1, big.clone()),
            (2, "two".into()),
            (3, "three".into()),
        ]);
        s.keep([(9, "not on the queue".into())]);
        assert!(s.fresh_body(0) == Some(big.clone()), "kept");
        assert!(s.fresh_body(0).is_none(), "once");
        let past = s.fresh_body(1).map(|b| b.len());
        assert_eq!(past, None, "past the bound: read from the table");
        assert_eq!(s.fresh_body(9), None);
        s.remove(2);
        s.delay(3, 10);
        assert_eq!((s.fresh_body(2), s.fresh_body(3)), (None, None));
        assert_eq!(s.fresh_bytes, 0);
        s.keep([(1, big.clone())]);
        s.clear();
        let kept = (s.fresh_body(1).map(|b| b.len()), s.fresh_bytes);
        assert_eq!(kept, (None, 0), "a reload forgets them");
    }

    #[test]
    fn an_ordered_group_serves_its_oldest_only_and_waits_for_its_retry() {
        let mut s = Schedule::default();
        let g = format!("{ORDERED}wh_1");
        for seq in 0..4 {
            s.add(seq, &g, 0, false, 0);
        }
        s.add(10, "other", 0, false, 0);
        let seqs = |v: Vec<(Seq, u64, u32)>| v.into_iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(seqs(s.take(0, 10, 8, 100)), vec![0, 10], "one at a time");
        s.remove(10);
        // The head waits for a retry: the ones behind it wait too, without a receive.
        s.delay(0, 50);
        assert!(seqs(s.take(10, 10, 8, 100)).is_empty());
        assert_eq!(
            s.next_visible(8),
            Some(50),
            "nothing to serve before the retry"
        );
        assert_eq!(
            seqs(s.take(50, 10, 8, 150)),
            vec![0],
            "the head again, first"
        );
        s.remove(0);
        assert_eq!(
            seqs(s.take(50, 10, 8, 150)),
            vec![1],
            "then the next, in order"
        );
        // In flight past its visibility: it is still the head.
        assert!(seqs(s.take(100, 10, 8, 200)).is_empty());
        assert_eq!(seqs(s.take(150, 10, 8, 300)), vec![1]);
        s.remove(1);
        assert_eq!(seqs(s.take(150, 10, 8, 300)), vec![2]);
    }

    #[test]
    fn groups_take_turns_and_wait_at_their_share() {
        let mut s = Schedule::default();
        // A backlog of 10 for group a, then 2 for b and 1 for c.
        for seq in 0..10 {
            s.add(seq, "a", 0, false, 0);
        }
        s.add(10, "b", 0, false, 0);
        s.add(11, "b", 0, false, 0);
        s.add(12, "c", 0, false, 0);
        let seqs = |v: Vec<(Seq, u64, u32)>| v.into_iter().map(|p| p.0).collect::<Vec<_>>();
        let got = seqs(s.take(0, 5, 2, 100));
        assert_eq!(got, vec![0, 10, 12, 1, 11], "one of each group in turn");
        for seq in [10, 11, 12] {
            s.remove(seq);
        }
        // a has its share (2) in flight: only others would be served, and none are left.
        assert_eq!(seqs(s.take(0, 5, 2, 100)), Vec::<Seq>::new());
        s.remove(0);
        assert_eq!(
            seqs(s.take(0, 5, 2, 100)),
            vec![2],
            "a's turn again once one settles"
        );
        // A retry delay: the message returns when its time comes, and not before.
        s.delay(1, 50);
        assert_eq!(seqs(s.take(49, 5, 2, 100)), vec![3]);
        s.remove(2);
        s.remove(3);
        assert_eq!(
            seqs(s.take(50, 5, 2, 150)),
            vec![4, 5],
            "1 is back, behind its group's line"
        );
        assert_eq!(
            s.next_visible(2),
            Some(150),
            "a's ready messages wait for its share: until one settles or 4 and 5 time out"
        );
        assert_eq!(
            s.next_visible(3),
            Some(i64::MIN),
            "with a larger share, now"
        );
        // In flight past its visibility (a crashed consumer): visible again, at the back.
        assert_eq!(seqs(s.take(150, 10, 2, 300)), vec![6, 7]);
        for seq in [6, 7, 8, 9] {
            s.remove(seq);
        }
        let again = s.take(150, 10, 2, 300);
        assert_eq!(seqs(again.clone()), vec![1, 4]);
        assert_eq!(again[0].2, 2, "1 was received twice");
        assert!(
            s.holds(1, again[0].1) && !s.holds(1, again[0].1 - 1),
            "only the latest receive settles it"
        );
    }
}
