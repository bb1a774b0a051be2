//! Time-parallel DES: a long window simulated as consecutive segments on
//! the thread pool, joined into one.
//!
//! The split depends on the scenario only (never on the thread count), so
//! outputs are the same with 1 or 64 threads. Segments meet at edges of
//! the SLO's intervals, so every interval is measured by one segment. Each
//! segment starts a warm-up before its measured part (the window's, or
//! five relaxation times of its slowest station when longer; the first
//! keeps the window's own start), from empty queues, and its burstable
//! instances from the balance the window's expected load leaves by then
//! (`Burst::balance_at`), and an auto scaling group with the fleet the
//! fluid mode's run of the whole window has then (in service and
//! launching), from which the policy goes on through the segment's
//! warm-up. Windows whose state carries over time otherwise stay in one
//! piece: faults (the fleet they break, the primary they move), the
//! serverless path.
//! Each but the last runs on past its end, without new arrivals, until the
//! requests that arrived in it have finished, so nothing is counted in
//! flight in the middle of the window. At an FCFS station a request's wait
//! depends only on those ahead of it, so stopping arrivals changes nothing
//! for them; at a shared station (processor sharing, the USL) the last
//! seconds' requests are served a little faster than with the load going
//! on.

use super::des::{des_window, frame};
use crate::engine::{RngStreams, Simulation};
use crate::error::Error;
use crate::metrics::{Intervals, MinuteRow, WindowCollector, WindowSummary};
use crate::model::{Event, WebModel};
use crate::spec::{Checkpoint, RateProfile, Scenario};
use crate::time::{SimDuration, SimTime};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Expected requests per segment, at least: a window of fewer than twice
/// this runs in one piece (a segment's warm-up is overhead).
const SEGMENT_REQUESTS: f64 = 1.5e6;
/// Most segments per window.
const MAX_SEGMENTS: usize = 8;
/// A segment's drain: checked this often, for at most `DRAIN_MAX`.
const DRAIN_STEP: SimDuration = SimDuration::from_secs(10);
const DRAIN_MAX: SimDuration = SimDuration::from_secs(3600);
const MINUTE: u64 = 60_000_000_000;
/// The last segment before a fault ends at least this long before it.
const FAULT_MARGIN: SimDuration = SimDuration::from_secs(300);

/// The measured spans of `cp`'s segments, in order (one span: no split).
pub fn plan(s: &Scenario, cp: &Checkpoint) -> Vec<(SimTime, SimTime)> {
    let from = cp.start + cp.warmup;
    let end = cp.start + cp.window;
    let whole = vec![(from, end)];
    // What carries state from one part of a window to the next stays in
    // one piece: the serverless path's environments and buffers, a fleet
    // that fails at random. (Credit balances and the size of an auto
    // scaling group are carried; timed faults fall in the last segment.)
    if !s.simulation.segments || s.serverless.is_some() || s.instance_failures().is_some() {
        return whole;
    }
    // Segments meet at the SLO's interval edges; a window judged as one
    // interval is cut at whole hours (the join puts the interval back).
    let iv = Intervals::new(
        from,
        end,
        s.simulation
            .slo
            .over
            .every()
            .or(Some(SimDuration::from_secs(3600))),
    );
    let profile = RateProfile::new(s, cp);
    let expected = profile.expected_requests(cp.start, cp.window);
    let k = ((expected / SEGMENT_REQUESTS) as usize)
        .min(MAX_SEGMENTS)
        .min(iv.len());
    if k < 2 {
        return whole;
    }
    let load: Vec<f64> = (0..iv.len())
        .map(|i| {
            let (a, b) = iv.span(i);
            profile.expected_requests(a, b - a)
        })
        .collect();
    // A fault changes the fleet (and may move the primary) for the rest
    // of the window: the intervals from the last edge at least
    // `FAULT_MARGIN` before the first fault starts are one segment, so
    // that no request a segment measures meets a fault it does not have.
    let first_fault = s.fault_spans(cp).iter().map(|f| f.from).min();
    let Some(first_fault) = first_fault else {
        return cut(&iv, &load, 0..iv.len(), k);
    };
    let head = (0..iv.len())
        .take_while(|&i| iv.span(i).1 + FAULT_MARGIN <= first_fault)
        .count();
    if head == 0 {
        return whole;
    }
    let mut spans = cut(&iv, &load, 0..head, (k - 1).min(head));
    if head < iv.len() {
        spans.push((iv.span(head).0, iv.span(iv.len() - 1).1));
    }
    spans
}

/// The intervals `range` of `iv` in `k` consecutive groups, cut where the
/// expected requests so far pass each k-th of their total, so that the
/// segments take about as long (the daily cycle's busy hours make short
/// segments), leaving every segment an interval.
fn cut(
    iv: &Intervals,
    load: &[f64],
    range: std::ops::Range<usize>,
    k: usize,
) -> Vec<(SimTime, SimTime)> {
    let total: f64 = load[range.clone()].iter().sum();
    let last = range.end - 1;
    let mut spans = Vec::with_capacity(k);
    let (mut first, mut sum) = (range.start, 0.0);
    for i in range.clone() {
        if spans.len() + 1 >= k {
            break;
        }
        sum += load[i];
        let intervals_left = last - i;
        let segments_left = k - spans.len() - 1;
        let reached = sum >= total * (spans.len() + 1) as f64 / k as f64;
        if (reached && intervals_left >= segments_left) || intervals_left == segments_left {
            spans.push((iv.span(first).0, iv.span(i).1));
            first = i + 1;
        }
    }
    spans.push((iv.span(first).0, iv.span(last).1));
    spans
}

/// The windows that simulate `spans` (from [`plan`]): the first opens with
/// `cp`, each other one a warm-up before its span, from empty queues. The
/// warm-up is the window's, or five relaxation times of the slowest
/// station at the load where the span starts when that is longer (an empty
/// start has then settled to within e^-5 of its queue), on a whole minute
/// of the window and never before its start.
pub fn windows(s: &Scenario, cp: &Checkpoint, spans: &[(SimTime, SimTime)]) -> Vec<Checkpoint> {
    spans
        .iter()
        .enumerate()
        .map(|(k, &(a, b))| {
            // Whole minutes after the window's start, so the timelines line up.
            let start = if k == 0 {
                cp.start
            } else {
                let at = Checkpoint {
                    start: a,
                    ..cp.clone()
                };
                let settle = crate::warnings::slowest_relaxation(s, &at)
                    .map_or(0, |(_, tau)| tau.0.saturating_mul(5));
                let back = (a.0 - cp.start.0).saturating_sub(cp.warmup.0.max(settle));
                SimTime(cp.start.0 + back / MINUTE * MINUTE)
            };
            Checkpoint {
                start,
                window: b - start,
                warmup: a - start,
                ..cp.clone()
            }
        })
        .collect()
}

/// One window of `cp`, in segments when [`plan`] splits it; the second
/// value is the number of events handled.
pub(crate) fn des_segmented(
    s: &Scenario,
    cp: &Checkpoint,
    streams: &RngStreams,
) -> Result<(WindowSummary, u64), Error> {
    let spans = plan(s, cp);
    if spans.len() < 2 {
        return des_window(s, cp, streams);
    }
    // A fault at the peak strikes at the whole window's busiest moment.
    let fixed;
    let s = if s.faults.is_empty() {
        s
    } else {
        fixed = s.faults_fixed_in(cp);
        &fixed
    };
    let n = spans.len();
    // The fleet an auto scaling group has at each segment's start: the
    // fluid mode's, by minute of the window.
    let fleet = s.web.autoscaling.is_some().then(|| {
        crate::fluid::evaluate(s, cp)
            .timeline
            .iter()
            .map(|r| (r.web_instances + r.web_launching).round().max(0.0) as u32)
            .collect::<Vec<u32>>()
    });
    let segments = windows(s, cp, &spans);
    // Each worker takes the next segment, the longest first (by expected
    // requests), so that the window ends soon after its longest segment
    // does (intervals make segments uneven: 9 hours in 8 segments give one
    // of two hours). Which worker runs a segment changes nothing in it.
    let profile = RateProfile::new(s, cp);
    let load: Vec<f64> = segments
        .iter()
        .map(|g| profile.expected_requests(g.start, g.window))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| load[y].total_cmp(&load[x]).then(x.cmp(&y)));
    let next = AtomicUsize::new(0);
    type Done = (usize, Result<(WindowSummary, u64), Error>);
    let mut done: Vec<Done> = (0..n)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            let k = order[next.fetch_add(1, Ordering::Relaxed)];
            let streams = streams.child("segment", k as u64);
            let g = &segments[k];
            let opening = fleet.as_ref().filter(|_| k > 0).and_then(|f| {
                let minute = ((g.start.0 - cp.start.0) / MINUTE) as usize;
                f.get(minute).copied()
            });
            (k, segment(s, g, cp.start, k + 1 == n, opening, &streams))
        })
        .collect();
    done.sort_by_key(|d| d.0);
    let parts: Vec<(WindowSummary, u64, SimTime)> = done
        .into_iter()
        .map(|(k, r)| r.map(|(w, e)| (w, e, segments[k].start)))
        .collect::<Result<_, Error>>()?;
    // The timeline: the first segment's warm-up, then each one's measured minutes.
    let mut timeline: Vec<MinuteRow> = Vec::new();
    for (k, (w, _, start)) in parts.iter().enumerate() {
        let keep_from = if k == 0 { cp.start } else { spans[k].0 };
        let keep_to = spans[k].1;
        for row in &w.timeline {
            let t = SimTime(start.0 + row.minute * MINUTE);
            if t >= keep_from && t < keep_to {
                timeline.push(MinuteRow {
                    minute: (t.0 - cp.start.0) / MINUTE,
                    ..row.clone()
                });
            }
        }
    }
    let events = parts.iter().map(|p| p.1).sum();
    let windows: Vec<WindowSummary> = parts.into_iter().map(|p| p.0).collect();
    Ok((
        WindowSummary::join(windows, timeline, s.simulation.confidence()),
        events,
    ))
}

/// Segment `seg` (measured from its warm-up's end to its window's end) of a
/// window opened at `opened`: the last as a plain window, the others
/// drained; its web tier opens with `fleet` instances when given.
fn segment(
    s: &Scenario,
    seg: &Checkpoint,
    opened: SimTime,
    last: bool,
    fleet: Option<u32>,
    streams: &RngStreams,
) -> Result<(WindowSummary, u64), Error> {
    let from = seg.start + seg.warmup;
    let end = seg.start + seg.window;
    let collector = WindowCollector::new(seg.start, seg.window, seg.warmup, frame(s, seg));
    let collector = if last {
        collector.joinable()
    } else {
        collector.draining()
    };
    let collector = if s.simulation.slo.over.every().is_none() {
        collector.keeping_minutes()
    } else {
        collector
    };
    // Arrivals stop at the segment's end; the drain only finishes what is
    // inside (FCFS stations serve those the same either way; the next
    // segment's warm-up carries the load on).
    let mut model = WebModel::with_fleet(s, seg, streams, collector, fleet);
    model.carry_credits_from(s, seg, opened);
    let first = model.start(seg.start);
    let fleet_events = model.fleet_events();
    let mut sim = Simulation::new(model, seg.start);
    if let Some(t) = first {
        sim.schedule_at(t, Event::Arrival);
    }
    for (t, e) in fleet_events {
        sim.schedule_at(t, e);
    }
    sim.run_until(end);
    if !last {
        let mut t = end;
        while sim.model().inside_between(from, end) > 0 && t < end + DRAIN_MAX {
            t += DRAIN_STEP;
            sim.run_until(t);
        }
    }
    let events = sim.events_handled();
    let model = sim.into_model();
    let inside = model.inside_between(from, end);
    let window = model.into_observer().finish();
    let counts = window.counts;
    if inside + window.in_transit != counts.in_flight() {
        return Err(Error::Internal(format!(
            "checkpoint {}: a segment leaves {} requests unaccounted for",
            seg.index,
            counts.in_flight() as i128 - (inside + window.in_transit) as i128,
        )));
    }
    Ok((window, events))
}
