//! The DynamoDB stream, the second function and Firehose: records polled in
//! batches, buffered, and delivered to S3 as objects.

use super::{SlEvent, SlRecord, billed};
use crate::engine::{Scheduler, StreamRng};
use crate::model::sampler::Sampler;
use crate::model::{Event, Observer};
use crate::spec::{Pipeline, STREAM_POLL};
use crate::time::{SimDuration, SimTime};

/// The pipeline's state for one window.
#[derive(Debug)]
pub(super) struct PipelineRt {
    window_start: SimTime,
    batch_size: usize,
    record_bytes: u64,
    billed_record_bytes: u64,
    duration: Sampler,
    buffer_limit: u64,
    interval: SimDuration,
    /// Arrival times of requests whose records wait in the stream.
    pending: Vec<SimTime>,
    poll_scheduled: bool,
    /// Records on their way to Firehose, per poll.
    in_transit: Vec<Vec<SimTime>>,
    free_transit: Vec<u32>,
    buffer: Vec<SimTime>,
    buffer_bytes: u64,
    flush_scheduled: bool,
}

/// The first point of the grid `start + k * grid` after `now`.
fn next_on_grid(start: SimTime, now: SimTime, grid: SimDuration) -> SimTime {
    let grid = grid.as_nanos().max(1);
    let since = (now - start).as_nanos();
    start + SimDuration((since / grid + 1) * grid)
}

impl PipelineRt {
    /// An empty pipeline for a window starting at `start`.
    pub(super) fn new(p: &Pipeline, start: SimTime) -> PipelineRt {
        PipelineRt {
            window_start: start,
            batch_size: p.batch_size.max(1) as usize,
            record_bytes: p.record_bytes,
            billed_record_bytes: p.billed_record_bytes(),
            duration: Sampler::new(&p.duration),
            buffer_limit: p.buffer_bytes.max(1),
            interval: p.buffer_interval,
            pending: Vec::new(),
            poll_scheduled: false,
            in_transit: Vec::new(),
            free_transit: Vec::new(),
            buffer: Vec::new(),
            buffer_bytes: 0,
            flush_scheduled: false,
        }
    }

    /// The record of a request that arrived at `arrived` lands in the
    /// stream at `now`; the next poll is on the 250 ms grid.
    pub(super) fn record(&mut self, arrived: SimTime, now: SimTime, sched: &mut Scheduler<Event>) {
        self.pending.push(arrived);
        if !self.poll_scheduled {
            self.poll_scheduled = true;
            let at = next_on_grid(self.window_start, now, STREAM_POLL);
            sched.schedule_at(at, Event::Serverless(SlEvent::Poll));
        }
    }

    /// The stream is polled: its records go in batches to the second
    /// function, and on to Firehose when the slowest batch is done.
    pub(super) fn poll<O: Observer>(
        &mut self,
        now: SimTime,
        rng: &mut StreamRng,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
    ) {
        self.poll_scheduled = false;
        if self.pending.is_empty() {
            return;
        }
        let records = std::mem::take(&mut self.pending);
        let mut slowest = SimDuration::ZERO;
        for _ in 0..records.len().div_ceil(self.batch_size) {
            let d = self.duration.sample(rng);
            slowest = slowest.max(d);
            obs.serverless(now, SlRecord::StreamInvocation { billed: billed(d) });
        }
        let slot = match self.free_transit.pop() {
            Some(k) => {
                self.in_transit[k as usize] = records;
                k
            }
            None => {
                self.in_transit.push(records);
                (self.in_transit.len() - 1) as u32
            }
        };
        sched.schedule_at(now + slowest, Event::Serverless(SlEvent::Delivered(slot)));
    }

    /// The records of poll batch `slot` are put into Firehose.
    pub(super) fn delivered<O: Observer>(
        &mut self,
        slot: u32,
        now: SimTime,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
    ) {
        let records = std::mem::take(&mut self.in_transit[slot as usize]);
        self.free_transit.push(slot);
        for arrived in records {
            obs.serverless(
                now,
                SlRecord::FirehoseRecord {
                    billed_bytes: self.billed_record_bytes,
                },
            );
            self.buffer.push(arrived);
            self.buffer_bytes += self.record_bytes;
            if self.buffer_bytes >= self.buffer_limit || self.interval.is_zero() {
                self.flush(now, obs);
            }
        }
        if !self.buffer.is_empty() && !self.flush_scheduled {
            // Firehose delivers at the end of every buffer interval.
            self.flush_scheduled = true;
            let at = next_on_grid(self.window_start, now, self.interval);
            sched.schedule_at(at, Event::Serverless(SlEvent::Flush));
        }
    }

    /// A buffer interval ends.
    pub(super) fn interval_end<O: Observer>(&mut self, now: SimTime, obs: &mut O) {
        self.flush_scheduled = false;
        if !self.buffer.is_empty() {
            self.flush(now, obs);
        }
    }

    /// Firehose writes its buffer to S3 as one object.
    fn flush<O: Observer>(&mut self, now: SimTime, obs: &mut O) {
        obs.s3_object(now, &self.buffer, self.buffer_bytes);
        self.buffer.clear();
        self.buffer_bytes = 0;
    }
}
