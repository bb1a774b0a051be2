//! What a burstable instance's credit balance starts a window with.

use super::{Burst, Checkpoint, CreditMode, DbPlacement, InitialCredits, Scenario, StaticOrigin};
use crate::time::SimTime;

/// Days of expected load replayed to find a running instance's balance.
const STEADY_DAYS: u64 = 7;

/// Expected busy vCPU-seconds (at full speed) per offered request, per
/// station: what a burstable instance's steady credit balance follows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StationWork {
    /// One web instance (its share of the fleet's work, a colocated DB's included).
    pub web: f64,
    /// The DB primary.
    pub primary: f64,
    /// One read replica.
    pub replica: f64,
    /// Requests that reach the load balancer and the web tier.
    pub origin: f64,
}

impl StationWork {
    /// The work of `s`'s stations per offered request.
    pub fn of(s: &Scenario) -> Self {
        let web_speed = s.web.instance.cpu_speed;
        let count = f64::from(s.web.count);
        let (colocated, db_speed, replica_speed, replicas) = match s.database.as_ref() {
            Some(d) => match (&d.placement, d.replica_class()) {
                (DbPlacement::Rds(i), Some(r)) => {
                    (false, i.cpu_speed, r.cpu_speed, d.read_replicas)
                }
                _ => (true, web_speed, web_speed, 0),
            },
            None => (false, 1.0, 1.0, 0),
        };
        let (read, write) = s.database.as_ref().map_or((0.0, 0.0), |d| {
            (
                d.read_time.mean().as_secs_f64(),
                d.write_time.mean().as_secs_f64(),
            )
        });
        let mut w = StationWork::default();
        for c in &s.traffic.mix {
            let to_origin = match &s.cdn {
                Some(cdn) if c.cacheable => {
                    (1.0 - cdn.hit_ratio)
                        * f64::from(u8::from(cdn.static_origin == StaticOrigin::Web))
                }
                _ => 1.0,
            };
            let share = c.share * to_origin;
            w.origin += share;
            let reads = f64::from(c.db_reads) * read / db_speed;
            let writes = f64::from(c.db_writes) * write / db_speed;
            w.web += share * c.web_cpu.mean().as_secs_f64() / web_speed / count;
            if colocated {
                w.web += share * (reads + writes) / count;
            } else if replicas == 0 {
                w.primary += share * (reads + writes);
            } else {
                w.primary += share * writes;
                let replica_reads = f64::from(c.db_reads) * read / replica_speed;
                w.replica += share * replica_reads / f64::from(replicas);
            }
        }
        w
    }

    /// Expected busy vCPUs of a station doing `per_request` of work, at a
    /// time of day, at checkpoint `cp`'s load (daily cycle, no events).
    pub fn demand<'a>(
        &self,
        s: &'a Scenario,
        cp: &Checkpoint,
        per_request: f64,
    ) -> impl Fn(SimTime) -> f64 + 'a {
        let base = cp.base_rate;
        move |t: SimTime| {
            base * s.traffic.diurnal.as_ref().map_or(1.0, |d| d.factor(t)) * per_request
        }
    }
}

/// A burstable instance's balance as AWS keeps it: earned credits, capped
/// at the maximum, and launch credits, which sit outside that cap and are
/// spent first. Units are the caller's (credits or vCPU-seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CreditBalance {
    /// Earned credits (negative: surplus or debt).
    pub earned: f64,
    /// Launch credits left.
    pub launch: f64,
}

impl CreditBalance {
    /// Earned and launch credits together.
    pub fn total(self) -> f64 {
        self.earned + self.launch
    }

    /// The balance after `dt` of earning `earn` and spending `spend` per
    /// unit of time: launch credits pay the spending first, earned credits
    /// grow up to `max` and sink no lower than `floor`.
    #[inline]
    pub fn advance(self, earn: f64, spend: f64, dt: f64, max: f64, floor: f64) -> CreditBalance {
        let used = self.launch.min(spend * dt);
        let paid_for = if spend > 0.0 { used / spend } else { dt };
        let earned = (self.earned + earn * paid_for).min(max.max(self.earned));
        let earned = (earned + (earn - spend) * (dt - paid_for))
            .min(max.max(earned))
            .max(floor);
        CreditBalance {
            earned,
            launch: self.launch - used,
        }
    }
}

impl Burst {
    /// The balance, that a window starting at `start` begins
    /// with on an instance of `vcpus` whose expected busy vCPUs at a time
    /// of day are `demand`: as the spec asks, or for `steady`, what a week
    /// of that load leaves, replayed minute by minute from the launch
    /// credits. Surplus older than the replay (unlimited mode) is taken as
    /// paid: the balance does not sink below a day's earnings.
    pub fn initial_balance(
        &self,
        vcpus: u32,
        start: SimTime,
        demand: impl Fn(SimTime) -> f64,
    ) -> CreditBalance {
        let earned = |earned| CreditBalance {
            earned,
            launch: 0.0,
        };
        match self.initial {
            InitialCredits::Launch => {
                return CreditBalance {
                    earned: 0.0,
                    launch: self.launch_credits,
                };
            }
            InitialCredits::Full => return earned(self.max_credits),
            InitialCredits::Credits(n) => return earned(n),
            InitialCredits::Steady => {}
        }
        const DAY: u64 = 86_400_000_000_000;
        let launched = CreditBalance {
            earned: 0.0,
            launch: self.launch_credits,
        };
        let minutes = STEADY_DAYS * DAY / MINUTE;
        let start_of_day = start.0 % DAY;
        self.replay(launched, vcpus, minutes, &|m| {
            let back = (minutes - m) * MINUTE;
            demand(SimTime((start_of_day + STEADY_DAYS * DAY - back) % DAY))
        })
    }

    /// The balance at `at` of a window opened at `opened` with
    /// [`Burst::initial_balance`]: the expected load replayed minute by
    /// minute in between (the balance a segment of a long window starts
    /// from, `run::segments`).
    pub fn balance_at(
        &self,
        vcpus: u32,
        opened: SimTime,
        at: SimTime,
        demand: impl Fn(SimTime) -> f64,
    ) -> CreditBalance {
        let b = self.initial_balance(vcpus, opened, &demand);
        let minutes = at.0.saturating_sub(opened.0) / MINUTE;
        self.replay(b, vcpus, minutes, &|m| {
            demand(SimTime(opened.0 + m * MINUTE + MINUTE / 2))
        })
    }

    /// `b` after `minutes` minutes in which `vcpus` vCPUs are on average
    /// `demand(m)` busy in minute `m` (capped at the vCPUs): per minute,
    /// earn `credits_per_hour / 60` and spend the busy vCPUs, or no more
    /// than the baseline once a standard-mode balance is spent.
    fn replay(
        &self,
        mut b: CreditBalance,
        vcpus: u32,
        minutes: u64,
        demand: &dyn Fn(u64) -> f64,
    ) -> CreditBalance {
        let unlimited = self.mode == CreditMode::Unlimited;
        let cap = f64::from(vcpus);
        let earn = self.credits_per_hour / 60.0;
        let floor = if unlimited { -self.max_credits } else { 0.0 };
        for m in 0..minutes {
            let d = demand(m).clamp(0.0, cap);
            let spend = if unlimited || b.total() > 0.0 {
                d
            } else {
                d.min(cap * self.baseline)
            };
            b = b.advance(earn, spend, 1.0, self.max_credits, floor);
        }
        b
    }
}

/// One minute, in nanoseconds.
const MINUTE: u64 = 60_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn micro(initial: InitialCredits) -> Burst {
        Burst {
            baseline: 0.1,
            credits_per_hour: 6.0,
            launch_credits: 30.0,
            max_credits: 144.0,
            mode: CreditMode::Standard,
            initial,
        }
    }

    #[test]
    fn steady_balance_reflects_the_daily_load() {
        let b = micro(InitialCredits::Steady);
        // Below baseline all day: the balance sits at the cap.
        assert!((b.initial_balance(1, SimTime::ZERO, |_| 0.05).total() - 144.0).abs() < 1e-9);
        // Above baseline all day: spent.
        assert_eq!(b.initial_balance(1, SimTime::ZERO, |_| 0.2).total(), 0.0);
        // Idle until 18:00 (earning 6/h: +108), then 30% busy until midnight
        // (spending 18/h: net -12/h, -72). From 30 launch credits: 138 at
        // 18:00, 66 at midnight; then the cap: 144 at 18:00, 72 at midnight
        // every day after. The window starts at midnight.
        let evening = |t: SimTime| {
            if t.0 >= 18 * 3_600_000_000_000 {
                0.3
            } else {
                0.0
            }
        };
        assert!((b.initial_balance(1, SimTime::ZERO, evening).total() - 72.0).abs() < 1e-6);
        assert_eq!(
            micro(InitialCredits::Launch)
                .initial_balance(1, SimTime::ZERO, |_| 0.0)
                .total(),
            30.0
        );
        assert_eq!(
            micro(InitialCredits::Full)
                .initial_balance(1, SimTime::ZERO, |_| 0.0)
                .total(),
            144.0
        );
    }
}
