//! The run loop: pop the earliest event, hand it to the model, repeat.

use super::EventCalendar;
use crate::time::{SimDuration, SimTime};

/// A simulated system: it reacts to its own events and schedules new ones.
pub trait Model {
    /// What can happen to it.
    type Event;

    /// Reacts to `event`, which happens at `sched.now()`.
    fn handle(&mut self, event: Self::Event, sched: &mut Scheduler<Self::Event>);
}

/// The clock and the calendar, as a model sees them while it handles an event.
#[derive(Debug)]
pub struct Scheduler<E> {
    now: SimTime,
    calendar: EventCalendar<E>,
}

impl<E> Scheduler<E> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.calendar.schedule(self.now + delay, event);
    }

    /// Schedules `event` at `at`, which must not be in the past.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        self.calendar.schedule(at.max(self.now), event);
    }

    /// Schedules `event` at `at` as the next of the self-renewing stream
    /// (see [`super::EventCalendar::schedule_stream`]).
    #[inline]
    pub fn schedule_stream_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        self.calendar.schedule_stream(at.max(self.now), event);
    }

    /// Sets timer `k` to fire `event` after `delay` from now, replacing
    /// what it held (see [`super::EventCalendar::set_timer`]).
    #[inline]
    pub fn set_timer_in(&mut self, k: usize, delay: SimDuration, event: E) {
        self.calendar.set_timer(k, self.now + delay, event);
    }

    /// Empties timer `k`.
    #[inline]
    pub fn cancel_timer(&mut self, k: usize) {
        self.calendar.cancel_timer(k);
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.calendar.len()
    }
}

/// A model together with its clock and calendar.
#[derive(Debug)]
pub struct Simulation<M: Model> {
    model: M,
    sched: Scheduler<M::Event>,
    events: u64,
}

impl<M: Model> Simulation<M> {
    /// A simulation of `model` whose clock starts at `start`.
    pub fn new(model: M, start: SimTime) -> Self {
        Simulation {
            model,
            sched: Scheduler {
                now: start,
                calendar: EventCalendar::new(),
            },
            events: 0,
        }
    }

    /// Schedules an event from outside the model (the first arrival, say).
    pub fn schedule_at(&mut self, at: SimTime, event: M::Event) {
        self.sched.schedule_at(at, event);
    }

    /// Handles every event strictly before `end`, then sets the clock to `end`.
    /// Events at or after `end` stay pending.
    pub fn run_until(&mut self, end: SimTime) {
        while let Some((t, event)) = self.sched.calendar.pop_before(end) {
            self.sched.now = t;
            self.events += 1;
            self.model.handle(event, &mut self.sched);
        }
        self.sched.now = self.sched.now.max(end);
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.sched.now
    }

    /// Events handled so far.
    pub fn events_handled(&self) -> u64 {
        self.events
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, mutably.
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.sched.pending()
    }

    /// Gives the model back.
    pub fn into_model(self) -> M {
        self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each event at t schedules one at t + 3 until t >= 10, recording times.
    struct Ticker(Vec<u64>);
    impl Model for Ticker {
        type Event = u32;
        fn handle(&mut self, id: u32, s: &mut Scheduler<u32>) {
            self.0.push(s.now().0 * 10 + u64::from(id));
            if s.now().0 < 10 {
                s.schedule_in(SimDuration(3), id);
            }
        }
    }

    #[test]
    fn runs_until_the_end_and_keeps_later_events() {
        let mut sim = Simulation::new(Ticker(vec![]), SimTime::ZERO);
        sim.schedule_at(SimTime(0), 1);
        sim.schedule_at(SimTime(0), 2);
        sim.run_until(SimTime(6));
        assert_eq!(sim.model().0, vec![1, 2, 31, 32]);
        assert_eq!(sim.now(), SimTime(6));
        assert_eq!(sim.pending(), 2);
        sim.run_until(SimTime(100));
        assert_eq!(sim.model().0.len(), 10);
        assert_eq!(sim.events_handled(), 10);
        // Ties still come out in scheduling order after a stop at 6.
        assert_eq!(&sim.model().0[4..6], &[61, 62]);
    }
}
