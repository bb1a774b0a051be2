//! A Poisson arrival stream whose rate follows the day and the events.

use crate::engine::StreamRng;
use crate::spec::RateProfile;
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime, round_nanos};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

/// Non-homogeneous Poisson arrivals by thinning (Lewis and Shedler) against
/// a piecewise-constant bound: within each segment candidates come at the
/// segment's peak rate and are kept with probability rate / peak. Because
/// the exponential is memoryless, restarting at a segment's edge is exact.
/// A candidate drawn under a floor of the rate is kept without working the
/// rate out (a squeeze): the segment's floor, and on a busy stream the
/// tighter floor of the candidate's minute, so that the daily cycle's
/// cosine is seldom evaluated. Which candidates are kept does not depend on
/// the squeeze.
#[derive(Clone, Debug)]
pub(crate) struct Arrivals<'a> {
    profile: RateProfile<'a>,
    /// The last candidate time.
    t: SimTime,
    end: SimTime,
    bound: f64,
    /// Nanoseconds per unit of an exponential draw at the bound: 1e9 / bound.
    ns_per_draw: f64,
    segment_end: SimTime,
    /// The rate equals the bound over the whole segment: keep every candidate.
    flat: bool,
    /// The rate never falls below this over the segment: a candidate drawn
    /// under it is kept without working out the rate.
    floor: f64,
    segment_start: SimTime,
    /// The same over the minute of the last candidate, up to `minute_end`.
    minute_floor: f64,
    minute_end: SimTime,
}

/// Candidates a minute above which a minute's floor pays for its two
/// evaluations of the rate.
const BUSY: f64 = 20.0;
const MINUTE: u64 = 60 * NANOS_PER_SEC;

impl<'a> Arrivals<'a> {
    /// Arrivals over `[start, end)`.
    pub(crate) fn new(profile: RateProfile<'a>, start: SimTime, end: SimTime) -> Self {
        let mut a = Arrivals {
            profile,
            t: start,
            end,
            bound: 0.0,
            ns_per_draw: 0.0,
            segment_end: start,
            flat: true,
            floor: 0.0,
            segment_start: start,
            minute_floor: 0.0,
            minute_end: start,
        };
        a.enter_segment(start);
        a
    }

    fn enter_segment(&mut self, at: SimTime) {
        self.t = at;
        let seg = self.profile.segment(at);
        self.bound = seg.peak;
        self.ns_per_draw = NANOS_PER_SEC as f64 / seg.peak;
        self.segment_end = seg.until.min(self.end);
        self.flat = seg.flat;
        self.floor = seg.floor;
        self.segment_start = at;
        // The segment's floor holds until a busy stream's first candidate.
        self.minute_floor = seg.floor;
        self.minute_end = if seg.peak * 60.0 > BUSY {
            at
        } else {
            self.segment_end
        };
    }

    /// The floor of the minute of candidate `t` (within the segment).
    fn enter_minute(&mut self, t: SimTime) {
        let from = SimTime(t.0 / MINUTE * MINUTE).max(self.segment_start);
        let until = SimTime((t.0 / MINUTE + 1) * MINUTE).min(self.segment_end);
        self.minute_floor = self.floor.max(self.profile.floor_over(from, until));
        self.minute_end = until;
    }

    /// The next arrival time, or `None` once the window is over.
    pub(crate) fn next(&mut self, rng: &mut StreamRng) -> Option<SimTime> {
        loop {
            if self.t >= self.end {
                return None;
            }
            if self.bound <= 0.0 {
                let edge = self.segment_end;
                self.enter_segment(edge);
                continue;
            }
            let gap: f64 = Exp1.sample(rng);
            let t = self.t + SimDuration(round_nanos(gap * self.ns_per_draw));
            if t >= self.segment_end {
                let edge = self.segment_end;
                self.enter_segment(edge);
                continue;
            }
            self.t = t;
            if self.flat {
                return Some(t);
            }
            // Thinning, with the floor as a squeeze: the same draw decides
            // as it would against the rate itself.
            if t >= self.minute_end {
                self.enter_minute(t);
            }
            let u = rng.random::<f64>() * self.bound;
            if u <= self.minute_floor || u <= self.profile.rate(t) {
                return Some(t);
            }
        }
    }
}
