//! The auto scaling group: each period's metric, the desired count, launches and scale-in.

use super::super::{Event, Instance, WebModel};
use super::{FleetEvent, Life};
use crate::engine::Scheduler;
use crate::spec::{Autoscaling, ScalingMetric};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

impl<O: super::super::Observer> WebModel<'_, O> {
    /// The metric period ends: measure, decide, act.
    pub(super) fn on_tick(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Some(a) = self.fleet.scaling else { return };
        sched.schedule_in(a.period, Event::Fleet(FleetEvent::Tick));
        let period = (now - self.fleet.period_start).as_secs_f64();
        self.fleet.period_start = now;
        let vcpus = f64::from(self.fleet.s.web.instance.vcpus);
        let (mut warm, mut busy, mut requests) = (0u32, 0u128, 0u64);
        for inst in &mut self.instances {
            inst.count_busy(now);
            let in_metric = inst.life == Life::InService && inst.warm_at <= now;
            if in_metric {
                warm += 1;
                busy += inst.busy_ns;
                requests += inst.period_requests;
            }
            inst.busy_ns = 0;
            inst.period_requests = 0;
        }
        let p99 = self.fleet.latency_p99();
        let metric = match a.metric {
            _ if warm == 0 || period <= 0.0 => None,
            ScalingMetric::Cpu => {
                Some(busy as f64 / NANOS_PER_SEC as f64 / (period * vcpus * f64::from(warm)))
            }
            ScalingMetric::RequestsPerTarget => {
                Some(requests as f64 / f64::from(warm) / (period / 60.0))
            }
            ScalingMetric::LatencyP99 => p99,
        };
        if let Some(m) = metric {
            self.fleet.history.push(m);
        }
        self.reconcile(now, sched);
    }

    /// Brings the group to the count its policy wants: launches or drains.
    pub(super) fn reconcile(&mut self, now: SimTime, sched: &mut Scheduler<Event>) {
        let Some(a) = self.fleet.scaling else { return };
        // The group counts a dead instance until the balancer marks it down.
        let current = self
            .instances
            .iter()
            .filter(|i| {
                matches!(i.life, Life::InService | Life::Launching)
                    || (i.life == Life::Down && i.routed)
            })
            .count() as u32;
        // Launched to rebalance, with one to drain once it serves.
        let current = current.saturating_sub(self.fleet.rebalancing);
        let day = SimDuration(now.0 % (86_400 * NANOS_PER_SEC));
        let cooling = now < self.fleet.cooling_until;
        let was = self.fleet.desired;
        let desired = a.desired(&self.fleet.history, was, cooling, day);
        if desired != was {
            self.fleet.desired = desired;
            self.fleet.cooling_until = now + a.cooldown;
        }
        // Lost capacity is replaced to the desired count, cooldown or not.
        if desired > current {
            for _ in current..desired {
                self.launch(now, a, sched);
            }
        } else if desired < current {
            for _ in desired..current {
                self.drain_one(now, a, sched);
            }
        }
    }

    /// Launches one instance in the up AZ with the fewest.
    pub(super) fn launch(&mut self, now: SimTime, a: &Autoscaling, sched: &mut Scheduler<Event>) {
        let azs = self.fleet.az_down.len();
        let mut per_az = vec![0u32; azs];
        for i in &self.instances {
            if matches!(i.life, Life::InService | Life::Launching) {
                per_az[i.az as usize] += 1;
            }
        }
        let az = (0..azs)
            .filter(|&z| !self.fleet.az_down[z])
            .min_by_key(|&z| (per_az[z], z))
            .unwrap_or(0) as u16;
        let s = self.fleet.s;
        let mut inst = Instance::new(s, az, Life::Launching, now);
        if let Some(b) = &s.web.instance.burst {
            let launch = crate::spec::CreditBalance {
                earned: 0.0,
                launch: b.launch_credits,
            };
            inst.cpu.credits = Some(super::super::credits::Credits::new(b, launch, now));
        }
        // Reuse a terminated slot, or add one.
        let i = match self.instances.iter().position(|x| x.life == Life::Gone) {
            Some(k) => {
                let inc = self.instances[k].incarnation + 1;
                inst.incarnation = inc;
                self.instances[k] = inst;
                k as u32
            }
            None => {
                self.instances.push(inst);
                (self.instances.len() - 1) as u32
            }
        };
        let inc = self.instances[i as usize].incarnation;
        sched.schedule_at(
            now + a.launch_time,
            Event::Fleet(FleetEvent::InService(i, inc)),
        );
        self.fleet_changed(now);
    }

    /// Scales in by one: a launching instance is cancelled, else one in
    /// service in the AZ with the most is drained (the newest there).
    pub(super) fn drain_one(
        &mut self,
        now: SimTime,
        a: &Autoscaling,
        sched: &mut Scheduler<Event>,
    ) {
        if let Some(k) = self
            .instances
            .iter()
            .rposition(|i| i.life == Life::Launching)
        {
            self.retire(k as u32, now);
            return;
        }
        self.drain_fullest(now, a, sched);
    }

    /// Drains one instance in service in the AZ with the most (the newest there).
    pub(super) fn drain_fullest(
        &mut self,
        now: SimTime,
        a: &Autoscaling,
        sched: &mut Scheduler<Event>,
    ) {
        let azs = self.fleet.az_down.len();
        let mut per_az = vec![0u32; azs];
        for i in &self.instances {
            if i.life == Life::InService {
                per_az[i.az as usize] += 1;
            }
        }
        let Some(k) = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.life == Life::InService)
            .max_by_key(|(k, i)| (per_az[i.az as usize], *k))
            .map(|(k, _)| k as u32)
        else {
            return;
        };
        let inst = &mut self.instances[k as usize];
        inst.life = Life::Draining;
        inst.routed = false;
        inst.incarnation += 1;
        let inc = inst.incarnation;
        if inst.outstanding == 0 {
            self.retire(k, now);
        } else {
            sched.schedule_at(
                now + a.deregistration_delay,
                Event::Fleet(FleetEvent::DrainEnd(k, inc)),
            );
            self.fleet_changed(now);
        }
    }

    /// After an AZ comes back, AZ rebalancing: while one up AZ has two more
    /// instances than another, launch one where there are fewest, and
    /// drain one where there are most once it is in service (AWS launches
    /// before it terminates, so capacity never dips).
    pub(super) fn rebalance(&mut self, now: SimTime, sched: &mut Scheduler<Event>) {
        let Some(a) = self.fleet.scaling else { return };
        let azs = self.fleet.az_down.len();
        let mut per_az = vec![0i64; azs];
        for i in &self.instances {
            if matches!(i.life, Life::InService | Life::Launching) {
                per_az[i.az as usize] += 1;
            }
        }
        loop {
            let up = (0..azs).filter(|&z| !self.fleet.az_down[z]);
            let (Some(lo), Some(hi)) = (
                up.clone().min_by_key(|&z| (per_az[z], z)),
                up.max_by_key(|&z| (per_az[z], std::cmp::Reverse(z))),
            ) else {
                return;
            };
            if per_az[hi] - per_az[lo] < 2 {
                return;
            }
            self.launch(now, a, sched);
            self.fleet.rebalancing += 1;
            per_az[lo] += 1;
            per_az[hi] -= 1;
        }
    }
}
