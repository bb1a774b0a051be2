//! The network between the web tier and the database, in the DES.
//!
//! After its query's service (and storage I/O) a request waits one round
//! trip between its web instance's AZ and the server's
//! (`Scenario::query_rtt`), and a write on a Multi-AZ primary also the
//! synchronous commit to its standby (`Scenario::commit_secs`). The wait
//! is a pure delay that keeps the request's worker and connections (it
//! holds no DB server): it runs as the storage I/O's does, through
//! `Event::IoDone` with the request's `io` flag set, so a fault sees the
//! request as it sees one in an I/O. Draws nothing at random.

use super::{At, Event, Job, Observer, WebModel};
use crate::engine::Scheduler;
use crate::spec::{ReadAfterWrite, Scenario};
use crate::time::SimDuration;

/// Round trips by DB server and web AZ, and the Multi-AZ commit.
#[derive(Debug)]
pub(super) struct Net {
    /// `rtt[server][az]`: server 0 the primary, then the replicas; `az`
    /// indexes `web.azs`.
    rtt: Vec<Vec<SimDuration>>,
    commit: SimDuration,
    /// `read_after_write = "primary"`: the reads of a request that writes
    /// go to the primary.
    pub(super) raw_primary: bool,
}

impl Net {
    pub(super) fn new(s: &Scenario, servers: u32) -> Net {
        let azs = s.web.azs.len().max(1);
        Net {
            rtt: (0..servers)
                .map(|k| {
                    (0..azs)
                        .map(|a| SimDuration::from_secs_f64(s.query_rtt(a, k)))
                        .collect()
                })
                .collect(),
            commit: SimDuration::from_secs_f64(s.commit_secs()),
            raw_primary: s
                .database
                .as_ref()
                .is_some_and(|d| d.read_after_write == ReadAfterWrite::Primary),
        }
    }
}

/// Whether a request's reads go to the primary whatever the replicas: its
/// class writes (`writes` left: a request makes its reads first) and
/// `read_after_write = "primary"` (the per-class approximation of a user's
/// reads during the lag window after their write).
pub(super) fn reads_to_primary(net: &Net, writes: u32) -> bool {
    net.raw_primary && writes > 0
}

impl<O: Observer> WebModel<'_, O> {
    /// After its query at a DB server: schedules the end of request `id`'s
    /// network time and returns `true`, or `false` when it has none (a
    /// colocated query, a zero round trip) or has had it.
    pub(super) fn network_delay(&mut self, id: u32, sched: &mut Scheduler<Event>) -> bool {
        let req = self.requests[id as usize];
        let (At::Db(k), Some(db)) = (req.at, &self.db) else {
            return false;
        };
        if req.net_done || req.job == Job::Cpu {
            return false;
        }
        let az = self.instances[req.instance as usize].az as usize;
        let mut delay = db.net.rtt[k as usize][az];
        if k == 0 && req.job == Job::Write {
            delay += db.net.commit;
        }
        if delay == SimDuration::ZERO {
            return false;
        }
        let r = &mut self.requests[id as usize];
        r.net_done = true;
        r.io = true;
        let generation = r.generation;
        sched.schedule_at(sched.now() + delay, Event::IoDone(id, generation));
        true
    }
}
