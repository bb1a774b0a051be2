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
/// queueing model keeps (`docs/bench-log/`). Beside it, one slot holds the
/// pending event of a self-renewing stream (the next arrival, see
/// [`EventCalendar::schedule_stream`]): that stream would otherwise cost a
/// heap push and pop on every one of its events. And each of a few timers
/// holds at most one event that its owner moves or cancels (a shared
/// station's next completion, moved whenever its rate changes): moving it
/// costs no heap operation and leaves no stale event behind.
#[derive(Debug)]
pub struct EventCalendar<E> {
    heap: BinaryHeap<Entry<E>>,
    stream: Option<Entry<E>>,
    timers: Vec<Option<Entry<E>>>,
    /// The timer holding the earliest event, if any does.
    first_timer: Option<usize>,
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

/// Where an event waits.
#[derive(Clone, Copy, Debug)]
enum Place {
    Heap,
    Stream,
    Timer(usize),
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
            stream: None,
            timers: Vec::new(),
            first_timer: None,
            next_seq: 0,
        }
    }

    /// The ordering key of an event scheduled now at `at`.
    #[inline]
    fn entry(&mut self, at: SimTime, event: E) -> Entry<E> {
        let key = (u128::from(at.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        Entry { key, event }
    }

    /// Adds `event` at time `at`.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let entry = self.entry(at, event);
        self.heap.push(entry);
    }

    /// Adds `event` at time `at` as the next event of the one stream that
    /// renews itself each time it fires (each arrival schedules the next).
    /// It keeps its sequence number, so the order of events is exactly what
    /// [`EventCalendar::schedule`] would give. A second stream event while
    /// one is pending goes to the heap.
    #[inline]
    pub fn schedule_stream(&mut self, at: SimTime, event: E) {
        let entry = self.entry(at, event);
        if let Some(older) = self.stream.replace(entry) {
            self.heap.push(older);
        }
    }

    /// Sets timer `k` to fire `event` at `at`, replacing what it held.
    pub fn set_timer(&mut self, k: usize, at: SimTime, event: E) {
        let entry = self.entry(at, event);
        if self.timers.len() <= k {
            self.timers.resize_with(k + 1, || None);
        }
        let key = entry.key;
        self.timers[k] = Some(entry);
        match self.first_timer {
            Some(f) if f == k => self.find_first_timer(),
            Some(f) if self.timers[f].as_ref().is_some_and(|e| e.key < key) => {}
            _ => self.first_timer = Some(k),
        }
    }

    /// Empties timer `k`.
    pub fn cancel_timer(&mut self, k: usize) {
        if let Some(t) = self.timers.get_mut(k)
            && t.take().is_some()
            && self.first_timer == Some(k)
        {
            self.find_first_timer();
        }
    }

    fn find_first_timer(&mut self) {
        self.first_timer = self
            .timers
            .iter()
            .enumerate()
            .filter_map(|(k, t)| t.as_ref().map(|e| (e.key, k)))
            .min()
            .map(|(_, k)| k);
    }

    /// Where the earliest event waits, and its key.
    #[inline]
    fn first(&self) -> Option<(u128, Place)> {
        let mut best = match (self.heap.peek(), &self.stream) {
            (Some(h), Some(s)) if s.key < h.key => Some((s.key, Place::Stream)),
            (Some(h), _) => Some((h.key, Place::Heap)),
            (None, Some(s)) => Some((s.key, Place::Stream)),
            (None, None) => None,
        };
        if let Some(f) = self.first_timer {
            self.earlier_timer(f, &mut best);
        }
        best
    }

    /// Timer `f` when it beats `best`.
    #[inline(never)]
    fn earlier_timer(&self, f: usize, best: &mut Option<(u128, Place)>) {
        if let Some(t) = &self.timers[f]
            && best.is_none_or(|(k, _)| t.key < k)
        {
            *best = Some((t.key, Place::Timer(f)));
        }
    }

    /// Takes the event waiting at `place`.
    #[inline]
    fn take(&mut self, place: Place) -> Option<(SimTime, E)> {
        let e = match place {
            Place::Heap => self.heap.pop(),
            Place::Stream => self.stream.take(),
            Place::Timer(k) => {
                let e = self.timers[k].take();
                self.find_first_timer();
                e
            }
        };
        e.map(|e| (SimTime((e.key >> 64) as u64), e.event))
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (_, place) = self.first()?;
        self.take(place)
    }

    /// Removes and returns the earliest event if it comes strictly before `end`.
    #[inline]
    pub fn pop_before(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        let (key, place) = self.first()?;
        if (key >> 64) as u64 >= end.0 {
            return None;
        }
        self.take(place)
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.first().map(|(key, _)| SimTime((key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
            + usize::from(self.stream.is_some())
            + self.timers.iter().filter(|t| t.is_some()).count()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    #[test]
    fn the_stream_slot_keeps_the_order_the_heap_would_give() {
        // The same schedule through the heap alone and with every 'a'..'c'
        // event in the stream slot pops in the same order, ties included.
        let plan = [
            (5, 'a', true),
            (1, 'x', false),
            (5, 'y', false),
            (0, 'b', true),
        ];
        let mut plain = EventCalendar::new();
        let mut slotted = EventCalendar::new();
        for (t, id, stream) in plan {
            plain.schedule(SimTime(t), id);
            if stream {
                slotted.schedule_stream(SimTime(t), id);
            } else {
                slotted.schedule(SimTime(t), id);
            }
        }
        slotted.schedule_stream(SimTime(5), 'c');
        plain.schedule(SimTime(5), 'c');
        assert_eq!(slotted.len(), 5);
        let order = |c: &mut EventCalendar<char>| -> String {
            std::iter::from_fn(|| c.pop().map(|(_, e)| e)).collect()
        };
        assert_eq!(order(&mut slotted), order(&mut plain));
        assert!(slotted.is_empty());
    }

    #[test]
    fn timers_fire_what_they_hold_last_in_order_with_the_rest() {
        let mut c = EventCalendar::new();
        c.schedule(SimTime(5), 'h');
        c.set_timer(2, SimTime(3), 'x');
        c.set_timer(0, SimTime(4), 'y');
        // Moved later: it now fires after 'y' and the tie at 5 goes to the
        // heap's event, scheduled first.
        c.set_timer(2, SimTime(5), 'z');
        c.set_timer(1, SimTime(1), 'w');
        c.cancel_timer(1);
        c.schedule_stream(SimTime(4), 's');
        assert_eq!(c.len(), 4);
        assert_eq!(c.peek_time(), Some(SimTime(4)));
        let order: String = std::iter::from_fn(|| c.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, "yshz");
        assert!(c.is_empty());
    }
}
