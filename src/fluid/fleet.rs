//! The fleet as a per-minute input of the fluid mode: auto scaling, faults,
//! health checks and failover as expected values.
//!
//! Each web instance is a record of times (launch requested, in service,
//! died, back, gone); the state at any moment follows from them, and a
//! minute's figures are averages over samples inside it. Where the DES
//! draws, this takes expectations: a dead instance's share of the traffic
//! falls linearly over the health checks' detection window (the detection
//! delay is uniform between `(threshold - 1) x interval` and `threshold x
//! interval`), a restarted one's rises over `healthy_threshold` checks the
//! same way, and random failures (`instance_failures`) are taken in steady
//! state. The scaling decision is the DES's: `Autoscaling::desired` on the
//! minute's metric.

use crate::spec::{
    Autoscaling, Checkpoint, DbPlacement, FaultKind, HealthCheck, RateProfile, ScalingMetric,
    Scenario, Sessions, logged_in,
};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// Samples per minute for the fleet's averages.
const SAMPLES: usize = 12;

#[derive(Clone, Debug)]
struct Inst {
    az: usize,
    /// Launch requested, in service (seconds since the window's start).
    requested: f64,
    born: f64,
    /// Died, and back (infinity: not back in the window).
    died: Option<(f64, f64)>,
    /// Terminated.
    gone: f64,
}

/// The fleet over one minute.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct FleetMinute {
    /// Instances alive and routed to: the capacity the minute's step uses.
    pub(super) serving: f64,
    /// Instances in service, launching, draining (time averages).
    pub(super) in_service: f64,
    pub(super) launching: f64,
    pub(super) draining: f64,
    /// Share of the origin's requests sent to dead, undetected instances.
    pub(super) p_instance_down: f64,
    /// Share of the minute with the DB primary down.
    pub(super) primary_down: f64,
    /// Read replicas up at the minute's middle.
    pub(super) replicas_up: u32,
    /// Users logged out in the minute.
    pub(super) sessions_lost: f64,
}

/// The fleet of one window, minute by minute.
#[derive(Debug)]
pub(super) struct FluidFleet<'a> {
    s: &'a Scenario,
    profile: RateProfile<'a>,
    users: Option<f64>,
    start: SimTime,
    insts: Vec<Inst>,
    azs: usize,
    az_down: Vec<bool>,
    health: Option<HealthCheck>,
    scaling: Option<&'a Autoscaling>,
    desired: u32,
    history: Vec<f64>,
    /// The metric's samples in the current period.
    period: Vec<f64>,
    cooling_until: f64,
    /// Timed faults, seconds since the window's start, not yet started or ended.
    faults: Vec<(f64, f64, &'a FaultKind, u8)>,
    /// Random failures: share of time an instance is down, and the share of
    /// its traffic lost to detection.
    failures: Option<(f64, f64)>,
    /// Primary down intervals, replica down intervals.
    primary_down: Vec<(f64, f64)>,
    replica_down: Vec<(u32, f64, f64)>,
    primary_az: usize,
    standby_az: Option<usize>,
    replica_az: Vec<usize>,
    replicas: u32,
    sessions_lost: f64,
}

/// `0` before `a`, `1` after `b`, linear between.
fn ramp(x: f64, a: f64, b: f64) -> f64 {
    if x <= a {
        0.0
    } else if x >= b {
        1.0
    } else {
        (x - a) / (b - a)
    }
}

impl<'a> FluidFleet<'a> {
    pub(super) fn new(s: &'a Scenario, cp: &Checkpoint) -> Self {
        let az_index = |name: &str| s.az_index(name);
        let azs = s.web.azs.len().max(1);
        let n = s.settled_fleet(cp, cp.start);
        let secs = |t: SimTime| (t.0 as f64 - cp.start.0 as f64) / NANOS_PER_SEC as f64;
        let faults = s
            .fault_spans(cp)
            .into_iter()
            .map(|f| (secs(f.from), secs(f.until), f.kind, 0))
            .collect();
        let health = s.load_balancer.as_ref().map(|lb| lb.health_check);
        let scaling = s.web.autoscaling.as_ref();
        let failures = s.instance_failures().map(|(mtbf, mttr)| {
            let mtbf = mtbf.as_secs_f64();
            let (detect, back) = match health {
                Some(h) => {
                    let i = h.interval.as_secs_f64();
                    (
                        (f64::from(h.unhealthy_threshold) - 0.5) * i,
                        (f64::from(h.healthy_threshold) - 0.5) * i,
                    )
                }
                None => (mttr.as_secs_f64(), 0.0),
            };
            // Out of service per failure: a fixed fleet's repair and its
            // checks back in; a group's detection and launch.
            let out = match scaling {
                Some(a) => detect + a.launch_time.as_secs_f64(),
                None => mttr.as_secs_f64() + back,
            };
            (out / (mtbf + out), detect / (mtbf + out))
        });
        let (multi_az, replicas, rds) = s.database.as_ref().map_or((false, 0, false), |d| {
            (
                d.multi_az,
                d.read_replicas,
                d.placement != DbPlacement::Colocated,
            )
        });
        FluidFleet {
            s,
            profile: RateProfile::new(s, cp),
            users: cp.users,
            start: cp.start,
            insts: (0..n as usize)
                .map(|i| Inst {
                    az: i % azs,
                    requested: f64::NEG_INFINITY,
                    born: f64::NEG_INFINITY,
                    died: None,
                    gone: f64::INFINITY,
                })
                .collect(),
            azs,
            az_down: vec![false; azs],
            health,
            scaling,
            desired: n,
            history: Vec::new(),
            period: Vec::new(),
            cooling_until: f64::NEG_INFINITY,
            faults,
            failures,
            primary_down: Vec::new(),
            replica_down: Vec::new(),
            primary_az: az_index(s.db_primary_az()),
            standby_az: (multi_az && rds).then(|| az_index(s.db_standby_az())),
            replica_az: (0..replicas)
                .map(|k| az_index(s.db_replica_az(k)))
                .collect(),
            replicas: if rds { replicas } else { 0 },
            sessions_lost: 0.0,
        }
    }

    /// Detection: the share of a dead instance's traffic still sent to it
    /// `x` seconds after its death.
    fn still_routed(&self, x: f64) -> f64 {
        match self.health {
            Some(h) if self.s.load_balancer.is_some() => {
                let i = h.interval.as_secs_f64();
                let t = f64::from(h.unhealthy_threshold);
                1.0 - ramp(x, (t - 1.0) * i, t * i)
            }
            _ => 1.0,
        }
    }

    /// The share of a restarted instance's traffic it gets `x` seconds after.
    fn back_in(&self, x: f64) -> f64 {
        match self.health {
            Some(h) if self.s.load_balancer.is_some() => {
                let i = h.interval.as_secs_f64();
                let t = f64::from(h.healthy_threshold);
                ramp(x, (t - 1.0) * i, t * i)
            }
            _ => 1.0,
        }
    }

    /// The expected detection delay.
    fn detection(&self) -> f64 {
        match self.health {
            Some(h) => (f64::from(h.unhealthy_threshold) - 0.5) * h.interval.as_secs_f64(),
            None => 0.0,
        }
    }

    /// (in service, launching, serving weight, dead-routed weight) at `t`.
    fn state(&self, t: f64) -> (f64, f64, f64, f64) {
        let (mut in_service, mut launching, mut serving, mut dead) = (0.0, 0.0, 0.0, 0.0);
        for i in &self.insts {
            if t < i.requested {
                continue;
            }
            if let Some((died, back)) = i.died
                && t >= died
            {
                dead += self.still_routed(t - died);
                if t < back || t >= i.gone {
                    continue;
                }
                in_service += 1.0;
                serving += self.back_in(t - back);
                continue;
            }
            if t >= i.gone {
                continue;
            }
            if t < i.born {
                launching += 1.0;
            } else {
                in_service += 1.0;
                serving += 1.0;
            }
        }
        (in_service, launching, serving, dead)
    }

    fn alive_at(&self, t: f64) -> usize {
        let (n, ..) = self.state(t);
        n as usize
    }

    /// One of the instances alive at `t` goes: its share of the local
    /// sessions is lost.
    fn lose_sessions(&mut self, t: f64) {
        let alive = self.alive_at(t).max(1) as f64;
        if self.s.web.sessions == Sessions::Local
            && let Some(users) = self.users
        {
            let rate = self.profile.rate(SimTime(self.start.0 + (t * 1e9) as u64));
            self.sessions_lost += logged_in(users, rate) / alive;
        }
    }

    /// Instance `k` dies at `t` (back at `back`, or never).
    fn kill(&mut self, k: usize, t: f64, back: f64) {
        self.lose_sessions(t);
        self.insts[k].died = Some((t, back));
        if self.scaling.is_some() {
            // The group replaces it once the balancer marks it unhealthy.
            let at = t + self.detection();
            self.insts[k].gone = at;
            self.launch(at);
        }
    }

    /// Launches one instance at `t` in the up AZ with the fewest.
    fn launch(&mut self, t: f64) {
        let Some(a) = self.scaling else { return };
        let mut per_az = vec![0u32; self.azs];
        for i in &self.insts {
            if i.gone > t && i.died.is_none_or(|(d, b)| t < d || t >= b) {
                per_az[i.az] += 1;
            }
        }
        let az = (0..self.azs)
            .filter(|&z| !self.az_down[z])
            .min_by_key(|&z| (per_az[z], z))
            .unwrap_or(0);
        self.insts.push(Inst {
            az,
            requested: t,
            born: t + a.launch_time.as_secs_f64(),
            died: None,
            gone: f64::INFINITY,
        });
    }

    /// Applies the faults that start or end before `t1`.
    fn apply_faults(&mut self, t1: f64) {
        for f in 0..self.faults.len() {
            let (from, until, kind, done) = self.faults[f];
            if done == 0 && from < t1 {
                self.faults[f].3 = 1;
                self.fault_start(kind, from, until);
            }
            if done <= 1 && until < t1 {
                self.faults[f].3 = 2;
                if let FaultKind::AzOutage { az } = kind {
                    let z = self.s.az_index(az);
                    self.az_down[z] = false;
                }
            }
        }
    }

    fn fault_start(&mut self, kind: &FaultKind, from: f64, until: f64) {
        let failover = self
            .s
            .database
            .as_ref()
            .map_or(0.0, |d| d.failover_time.as_secs_f64());
        match kind {
            FaultKind::AzOutage { az } => {
                let z = self.s.az_index(az);
                self.az_down[z] = true;
                for k in 0..self.insts.len() {
                    let i = &self.insts[k];
                    let alive = i.gone > from && i.died.is_none_or(|(d, b)| from < d || from >= b);
                    if i.az == z && alive {
                        if i.born > from {
                            // A launch there fails.
                            self.insts[k].gone = from;
                        } else {
                            self.kill(k, from, until);
                        }
                    }
                }
                if self.standby_az == Some(z) && self.primary_az != z {
                    self.standby_az = None;
                }
                if self.primary_az == z {
                    self.primary_lost(from, until, failover);
                }
                for r in 0..self.replica_az.len() {
                    if self.replica_az[r] == z {
                        self.replica_down.push((r as u32, from, until));
                    }
                }
                if self.scaling.is_some() {
                    self.reconcile(from);
                }
            }
            FaultKind::DbPrimaryFailure => self.primary_lost(from, until, failover),
            FaultKind::ReplicaFailure { replica } => {
                self.replica_down.push((*replica, from, until));
            }
            FaultKind::InstanceFailures { .. } => {}
        }
    }

    fn primary_lost(&mut self, from: f64, until: f64, failover: f64) {
        if self
            .s
            .database
            .as_ref()
            .is_none_or(|d| d.placement == DbPlacement::Colocated)
        {
            return;
        }
        match self.standby_az {
            Some(z) if !self.az_down[z] => {
                self.primary_down.push((from, from + failover));
                let old = self.primary_az;
                self.primary_az = z;
                self.standby_az = Some(old);
            }
            _ => self.primary_down.push((from, until)),
        }
    }

    /// Launches or cancels to the desired count at `t`.
    fn reconcile(&mut self, t: f64) {
        // The group counts a dead instance until the balancer marks it down.
        let current = self
            .insts
            .iter()
            .filter(|i| i.requested <= t && i.gone > t)
            .count() as u32;
        for _ in current..self.desired {
            self.launch(t);
        }
        if current > self.desired {
            for _ in self.desired..current {
                self.scale_in_one(t);
            }
        }
    }

    /// Removes one instance at `t`: a launching one, else one in service in
    /// the AZ with the most (its requests finish within the minute).
    fn scale_in_one(&mut self, t: f64) {
        let live = |i: &Inst| i.gone > t && i.died.is_none_or(|(d, b)| t < d || t >= b);
        if let Some(k) = self.insts.iter().rposition(|i| live(i) && i.born > t) {
            self.insts[k].gone = t;
            return;
        }
        let mut per_az = vec![0u32; self.azs];
        for i in self.insts.iter().filter(|i| live(i)) {
            per_az[i.az] += 1;
        }
        if let Some((k, _)) = self
            .insts
            .iter()
            .enumerate()
            .filter(|(_, i)| live(i))
            .max_by_key(|(k, i)| (per_az[i.az], *k))
        {
            self.lose_sessions(t);
            self.insts[k].gone = t;
        }
    }

    /// The fleet over the minute `[t0, t1)` (seconds since the window's start).
    pub(super) fn minute(&mut self, t0: f64, t1: f64) -> FleetMinute {
        self.apply_faults(t1);
        let before = self.sessions_lost;
        let (mut in_service, mut launching, mut serving) = (0.0, 0.0, 0.0);
        let mut p_down = 0.0;
        for k in 0..SAMPLES {
            let t = t0 + (t1 - t0) * (k as f64 + 0.5) / SAMPLES as f64;
            let (n, l, sv, d) = self.state(t);
            in_service += n;
            launching += l;
            serving += sv;
            let routed = sv + d;
            p_down += if routed > 0.0 { d / routed } else { 1.0 };
        }
        let k = SAMPLES as f64;
        let (mut serving, mut p_down) = (serving / k, p_down / k);
        if let Some((down, lost)) = self.failures {
            serving *= 1.0 - down;
            p_down = 1.0 - (1.0 - p_down) * (1.0 - lost);
        }
        let overlap = |a: f64, b: f64| ((b.min(t1) - a.max(t0)).max(0.0)) / (t1 - t0);
        let mid = (t0 + t1) / 2.0;
        let replicas_down = (0..self.replicas)
            .filter(|r| {
                self.replica_down
                    .iter()
                    .any(|&(k, a, b)| k == *r && a <= mid && mid < b)
            })
            .count() as u32;
        FleetMinute {
            serving,
            in_service: in_service / k,
            launching: launching / k,
            draining: 0.0,
            p_instance_down: p_down,
            primary_down: self
                .primary_down
                .iter()
                .map(|&(a, b)| overlap(a, b))
                .sum::<f64>()
                .min(1.0),
            replicas_up: self.replicas - replicas_down,
            sessions_lost: self.sessions_lost - before,
        }
    }

    /// After the minute ending at `t1`: the scaling metric's value for it
    /// (the CPU of the instances in service, requests per target per
    /// minute, or the minute's p99 in seconds), and the group's decision
    /// at each period's end.
    pub(super) fn decide(&mut self, t1: f64, cpu: f64, origin_rps: f64, p99: Option<f64>) {
        let Some(a) = self.scaling else { return };
        let (in_service, ..) = self.state(t1 - 1e-9);
        let value = match a.metric {
            ScalingMetric::Cpu => Some(cpu),
            ScalingMetric::RequestsPerTarget => {
                (in_service > 0.0).then(|| origin_rps * 60.0 / in_service)
            }
            ScalingMetric::LatencyP99 => p99,
        };
        if let Some(v) = value {
            self.period.push(v);
        }
        let period = a.period.as_secs_f64();
        let ends = (t1 / period - (t1 / period).round()).abs() < 1e-9;
        if !ends {
            return;
        }
        if !self.period.is_empty() {
            let mean = self.period.iter().sum::<f64>() / self.period.len() as f64;
            self.history.push(mean);
            self.period.clear();
        }
        let day = SimDuration(((self.start.0 as f64 + t1 * 1e9) as u64) % (86_400 * NANOS_PER_SEC));
        let cooling = t1 < self.cooling_until;
        let desired = a.desired(&self.history, self.desired, cooling, day);
        if desired != self.desired {
            self.desired = desired;
            self.cooling_until = t1 + a.cooldown.as_secs_f64();
        }
        self.reconcile(t1);
    }
}
