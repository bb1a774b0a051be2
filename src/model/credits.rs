//! CPU credits of burstable instances (t2, t3, t3a, db.t2, db.t3).
//!
//! One credit is one vCPU at 100% for one minute. An instance earns
//! `credits_per_hour` all the time and spends what its busy vCPUs use. In
//! standard mode, once the balance is spent each vCPU runs at the baseline
//! share of its speed; in unlimited mode it keeps full speed and the balance
//! goes negative: surplus credits, charged unless earned back.
//!
//! The balance is updated lazily, whenever a service starts or ends on the
//! instance: between those moments the spending rate is constant, so the
//! balance moves in a straight line and clamping at the ends is exact. A
//! service runs at the speed in force when it starts.

use crate::spec::{Burst, CreditMode, InitialCredits};
use crate::time::SimTime;

/// Days of expected load replayed to find a running instance's balance.
const STEADY_DAYS: u64 = 7;

/// The credit state of one instance. Balances are in vCPU-seconds.
#[derive(Clone, Debug)]
pub(crate) struct Credits {
    balance: f64,
    earn: f64,
    max: f64,
    baseline: f64,
    unlimited: bool,
    /// vCPU shares in use now (1 per full-speed service, `baseline` per throttled one).
    spend: f64,
    last: SimTime,
}

impl Credits {
    /// The state at `start`, with the initial balance the spec asks for.
    /// `demand` gives the expected busy vCPUs (at full speed) at a time of
    /// day, for the steady balance; `vcpus` caps it.
    pub(crate) fn new(
        burst: &Burst,
        vcpus: u32,
        start: SimTime,
        demand: impl Fn(SimTime) -> f64,
    ) -> Self {
        let mut c = Credits {
            balance: 0.0,
            earn: burst.credits_per_hour / 60.0,
            max: burst.max_credits * 60.0,
            baseline: burst.baseline,
            unlimited: burst.mode == CreditMode::Unlimited,
            spend: 0.0,
            last: start,
        };
        c.balance = match burst.initial {
            InitialCredits::Launch => burst.launch_credits * 60.0,
            InitialCredits::Full => c.max,
            InitialCredits::Credits(n) => n * 60.0,
            InitialCredits::Steady => c.steady_balance(burst, vcpus, start, demand),
        };
        c
    }

    /// The balance after replaying a week of expected load, minute by
    /// minute, from launch credits up to `start`. Surplus older than the
    /// replay (unlimited mode) is taken as paid: the balance may not sink
    /// below a day's earnings.
    fn steady_balance(
        &self,
        burst: &Burst,
        vcpus: u32,
        start: SimTime,
        demand: impl Fn(SimTime) -> f64,
    ) -> f64 {
        const MINUTE: u64 = 60_000_000_000;
        const DAY: u64 = 86_400_000_000_000;
        let cap = f64::from(vcpus);
        let mut b = burst.launch_credits * 60.0;
        let minutes = STEADY_DAYS * DAY / MINUTE;
        // Time of day of each replayed minute, ending where the window starts.
        let start_of_day = start.0 % DAY;
        for m in 0..minutes {
            let back = (minutes - m) * MINUTE;
            let t = SimTime((start_of_day + STEADY_DAYS * DAY - back) % DAY);
            let d = demand(t).clamp(0.0, cap);
            let spend = if self.unlimited || b > 0.0 {
                d
            } else {
                d.min(cap * self.baseline)
            };
            b = (b + (self.earn - spend) * 60.0).min(self.max);
            b = if self.unlimited {
                b.max(-self.max)
            } else {
                b.max(0.0)
            };
        }
        b
    }

    /// Brings the balance up to `now`.
    #[inline]
    pub(crate) fn update(&mut self, now: SimTime) {
        let dt = (now - self.last).as_secs_f64();
        self.last = now;
        if dt > 0.0 {
            let b = (self.balance + (self.earn - self.spend) * dt).min(self.max);
            self.balance = if self.unlimited { b } else { b.max(0.0) };
        }
    }

    /// The share of full speed a service starting now gets, counted as spending.
    #[inline]
    pub(crate) fn start_service(&mut self, now: SimTime) -> f64 {
        self.update(now);
        let share = if !self.unlimited && self.balance <= 0.0 {
            self.baseline
        } else {
            1.0
        };
        self.spend += share;
        share
    }

    /// A service that ran at `share` ends now.
    #[inline]
    pub(crate) fn end_service(&mut self, now: SimTime, share: f64) {
        self.update(now);
        self.spend = (self.spend - share).max(0.0);
    }

    /// Balance in credits (negative: surplus credits owed, unlimited mode).
    pub(crate) fn balance_credits(&self) -> f64 {
        self.balance / 60.0
    }

    /// Net change of the balance in credits per second, while nothing starts or ends.
    pub(crate) fn net_credits_per_sec(&self) -> f64 {
        (self.earn - self.spend) / 60.0
    }

    /// Bounds of the balance in credits.
    pub(crate) fn bounds_credits(&self) -> (f64, f64) {
        let lo = if self.unlimited {
            f64::NEG_INFINITY
        } else {
            0.0
        };
        (lo, self.max / 60.0)
    }
}

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

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn spending_above_baseline_drains_at_the_net_rate() {
        let mut c = Credits::new(&micro(InitialCredits::Launch), 1, SimTime::ZERO, |_| 0.0);
        assert_eq!(c.balance_credits(), 30.0);
        // One vCPU fully busy: spends 60 credits/h, earns 6: 30 credits last 2000 s.
        assert_eq!(c.start_service(SimTime::ZERO), 1.0);
        c.update(secs(1000));
        assert!((c.balance_credits() - 15.0).abs() < 1e-9);
        c.end_service(secs(2000), 1.0);
        assert_eq!(c.balance_credits(), 0.0);
        // Now throttled: a new service runs at the baseline share.
        assert_eq!(c.start_service(secs(2000)), 0.1);
        c.end_service(secs(3000), 0.1);
        // Spending 0.1 of a vCPU while earning 0.1: the balance stays at 0.
        assert!(c.balance_credits().abs() < 1e-9);
        // Idle for an hour earns 6 credits, and full speed is back.
        c.update(secs(3000 + 3600));
        assert!((c.balance_credits() - 6.0).abs() < 1e-9);
        assert_eq!(c.start_service(secs(3000 + 3600)), 1.0);
    }

    #[test]
    fn the_balance_is_capped_and_unlimited_goes_negative() {
        let mut c = Credits::new(&micro(InitialCredits::Full), 1, SimTime::ZERO, |_| 0.0);
        c.update(secs(86_400));
        assert_eq!(c.balance_credits(), 144.0);
        let mut b = micro(InitialCredits::Credits(1.0));
        b.mode = CreditMode::Unlimited;
        let mut c = Credits::new(&b, 1, SimTime::ZERO, |_| 0.0);
        assert_eq!(c.start_service(SimTime::ZERO), 1.0);
        c.update(secs(3600));
        // 1 + 6 earned - 60 spent.
        assert!((c.balance_credits() + 53.0).abs() < 1e-9);
        assert_eq!(
            c.start_service(secs(3600)),
            1.0,
            "unlimited never throttles"
        );
    }

    #[test]
    fn steady_balance_reflects_the_daily_load() {
        // Below baseline all day: the balance sits at the cap.
        let c = Credits::new(&micro(InitialCredits::Steady), 1, SimTime::ZERO, |_| 0.05);
        assert!((c.balance_credits() - 144.0).abs() < 1e-9);
        // Above baseline all day: spent.
        let c = Credits::new(&micro(InitialCredits::Steady), 1, SimTime::ZERO, |_| 0.2);
        assert_eq!(c.balance_credits(), 0.0);
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
        let c = Credits::new(&micro(InitialCredits::Steady), 1, SimTime::ZERO, evening);
        assert!(
            (c.balance_credits() - 72.0).abs() < 1e-6,
            "{}",
            c.balance_credits()
        );
    }
}
