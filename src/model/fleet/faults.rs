//! Faults: AZ outages, the DB primary and its failover, read replicas.

use super::super::{At, Event, WebModel};
use super::{FleetEvent, Life};
use crate::engine::Scheduler;
use crate::route::ErrorCause;
use crate::spec::{DbPlacement, FaultKind};
use crate::time::SimTime;

impl<O: super::super::Observer> WebModel<'_, O> {
    pub(super) fn fault_start(&mut self, k: usize, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let kind = self.fleet.faults[k].2;
        match kind {
            FaultKind::AzOutage { az } => {
                let z = self.fleet.s.az_index(az);
                self.fleet.az_down[z] = true;
                for i in 0..self.instances.len() as u32 {
                    if self.instances[i as usize].az as usize == z {
                        if self.instances[i as usize].life == Life::Launching {
                            self.retire(i, now);
                        } else {
                            self.kill(i, now, sched);
                        }
                    }
                }
                let z = z as u16;
                if self.fleet.standby_az == Some(z) && self.fleet.primary_az != z {
                    // The standby is lost: the primary carries on alone.
                    self.fleet.standby_az = None;
                }
                if self.fleet.primary_az == z {
                    self.primary_down(now, sched);
                }
                for r in 0..self.fleet.replica_az.len() {
                    if self.fleet.replica_az[r] == z {
                        self.db_kill(1 + r as u32, now, sched);
                    }
                }
                self.reconcile(now, sched);
            }
            FaultKind::DbPrimaryFailure => self.primary_down(now, sched),
            FaultKind::ReplicaFailure { replica } => self.db_kill(1 + replica, now, sched),
            FaultKind::InstanceFailures { .. } => {}
        }
    }

    pub(super) fn fault_end(&mut self, k: usize, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        match self.fleet.faults[k].2 {
            FaultKind::AzOutage { az } => {
                let z = self.fleet.s.az_index(az);
                self.fleet.az_down[z] = false;
                if self.fleet.scaling.is_none() {
                    for i in 0..self.instances.len() as u32 {
                        let inst = &self.instances[i as usize];
                        if inst.az as usize == z && inst.life == Life::Down {
                            self.restart(i, now, sched);
                        }
                    }
                } else {
                    self.rebalance(now, sched);
                }
                let z = z as u16;
                for r in 0..self.fleet.replica_az.len() {
                    if self.fleet.replica_az[r] == z {
                        self.set_db_up(1 + r as u32, true, now);
                    }
                }
                if self.fleet.primary_az == z && !self.fleet.failing_over {
                    self.set_db_up(0, true, now);
                } else if self.fleet.standby_az.is_none()
                    && self.fleet.s.database.as_ref().is_some_and(|d| d.multi_az)
                {
                    // The lost standby is back beside the primary.
                    self.fleet.standby_az = Some(z);
                }
            }
            FaultKind::DbPrimaryFailure => {
                if !self.fleet.failing_over {
                    self.set_db_up(0, true, now);
                }
            }
            FaultKind::ReplicaFailure { replica } => self.set_db_up(1 + replica, true, now),
            FaultKind::InstanceFailures { .. } => {}
        }
    }

    /// The primary is lost: Multi-AZ fails over to the standby (if it is
    /// up) after `failover_time`; otherwise it is down until its fault ends.
    pub(super) fn primary_down(&mut self, now: SimTime, sched: &mut Scheduler<Event>) {
        let Some(d) = self.fleet.s.database.as_ref() else {
            return;
        };
        if d.placement == DbPlacement::Colocated {
            return;
        }
        self.db_kill(0, now, sched);
        if let Some(z) = self.fleet.standby_az
            && !self.fleet.az_down[z as usize]
            && !self.fleet.failing_over
        {
            self.fleet.failing_over = true;
            sched.schedule_at(now + d.failover_time, Event::Fleet(FleetEvent::Failover));
        }
    }

    /// DB server `k` dies: its queries fail.
    pub(super) fn db_kill(&mut self, k: u32, now: SimTime, sched: &mut Scheduler<Event>) {
        let Some(db) = &self.db else { return };
        if db.colocated || !db.up.get(k as usize).copied().unwrap_or(false) {
            return;
        }
        let queued: Vec<u32> = db.servers[k as usize].queue.iter().copied().collect();
        let mut victims = Vec::new();
        let mut in_service = Vec::new();
        for id in 0..self.requests.len() as u32 {
            let r = self.requests[id as usize];
            if r.live && r.at == At::Db(k) {
                if !queued.contains(&id) && !r.io {
                    in_service.push(id);
                }
                victims.push(id);
            }
        }
        self.clear_station(At::Db(k), now, &in_service);
        self.set_db_up(k, false, now);
        for id in victims {
            // A completion still scheduled for it is stale.
            let r = &mut self.requests[id as usize];
            r.generation = r.generation.wrapping_add(1);
            if self.requests[id as usize].orphan {
                self.free(id);
            } else {
                self.complete(id, Some(ErrorCause::DbDown), sched);
            }
        }
    }

    pub(super) fn set_db_up(&mut self, k: u32, up: bool, now: SimTime) {
        if let Some(db) = &mut self.db
            && let Some(u) = db.up.get_mut(k as usize)
        {
            if *u == up {
                return;
            }
            *u = up;
            if up && let Some(c) = &mut db.servers[k as usize].credits {
                c.update(now);
            }
            self.report_fleet(now);
        }
    }
}
