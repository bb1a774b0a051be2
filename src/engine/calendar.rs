//! The pending-event set, ordered by (time, insertion sequence).

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Events waiting to happen, popped in time order; events at the same instant
/// come out in the order they were scheduled, so runs never depend on heap
/// internals.
///
/// A binary heap keyed on one `u128` (time in the high half, sequence in the
/// low half) is the fastest calendar measured for the small pending sets a
/// queueing model keeps (`docs/bench-log/`).
#[derive(Debug)]
pub struct EventCalendar<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: `BinaryHeap` is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<E> Default for EventCalendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventCalendar<E> {
    /// An empty calendar.
    pub fn new() -> Self {
        EventCalendar {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Adds `event` at time `at`.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let key = (u128::from(at.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap
            .pop()
            .map(|e| (SimTime((e.key >> 64) as u64), e.event))
    }

    /// Removes and returns the earliest event if it comes strictly before `end`.
    #[inline]
    pub fn pop_before(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        if (self.heap.peek()?.key >> 64) as u64 >= end.0 {
            return None;
        }
        self.pop()
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_with_ties_in_schedule_order() {
        let mut c = EventCalendar::new();
        for (t, id) in [(5, 'a'), (1, 'b'), (5, 'c'), (0, 'd'), (5, 'e'), (1, 'f')] {
            c.schedule(SimTime(t), id);
        }
        let order: String = std::iter::from_fn(|| c.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, "dbface");
        assert!(c.is_empty());
    }

    #[test]
    fn extreme_times_keep_their_order() {
        let mut c = EventCalendar::new();
        c.schedule(SimTime(u64::MAX), 2);
        c.schedule(SimTime(0), 1);
        assert_eq!(c.peek_time(), Some(SimTime(0)));
        assert_eq!(c.pop(), Some((SimTime(0), 1)));
        assert_eq!(c.pop(), Some((SimTime(u64::MAX), 2)));
    }
}
