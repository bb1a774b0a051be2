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
//! balance moves in a straight line and clamping at the cap is exact. A
//! service runs at the speed in force when it starts. In standard mode a
//! full-speed service that outlasts the balance still pays for all it uses:
//! the debt (at most one service per vCPU) is kept and services run at the
//! baseline share until it is earned back, so a spent instance does exactly
//! its baseline's work on average and no more.

use crate::spec::{Burst, CreditBalance, CreditMode};
use crate::time::SimTime;

/// The credit state of one instance. Balances are in vCPU-seconds.
#[derive(Clone, Debug)]
pub(crate) struct Credits {
    balance: CreditBalance,
    earn: f64,
    max: f64,
    baseline: f64,
    unlimited: bool,
    /// vCPU shares in use now (1 per full-speed service, `baseline` per throttled one).
    spend: f64,
    last: SimTime,
}

impl Credits {
    /// The state of an instance of `burst` holding `initial` credits at `start`.
    pub(crate) fn new(burst: &Burst, initial: CreditBalance, start: SimTime) -> Self {
        Credits {
            balance: CreditBalance {
                earned: initial.earned * 60.0,
                launch: initial.launch * 60.0,
            },
            earn: burst.credits_per_hour / 60.0,
            max: burst.max_credits * 60.0,
            baseline: burst.baseline,
            unlimited: burst.mode == CreditMode::Unlimited,
            spend: 0.0,
            last: start,
        }
    }

    /// Brings the balance up to `now`.
    #[inline]
    pub(crate) fn update(&mut self, now: SimTime) {
        let dt = (now - self.last).as_secs_f64();
        self.last = now;
        if dt > 0.0 {
            self.balance =
                self.balance
                    .advance(self.earn, self.spend, dt, self.max, f64::NEG_INFINITY);
        }
    }

    /// The share of full speed a service starting now gets, counted as spending.
    #[inline]
    pub(crate) fn start_service(&mut self, now: SimTime) -> f64 {
        self.update(now);
        let share = if !self.unlimited && self.balance.total() <= 0.0 {
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

    /// `threads` vCPUs busy from now on, all at the speed the balance
    /// allows now (a station whose speed is shared decides it at every
    /// change of its busy threads): the share of full speed they get.
    #[inline]
    pub(crate) fn set_threads(&mut self, now: SimTime, threads: u32) -> f64 {
        self.update(now);
        let share = if !self.unlimited && self.balance.total() <= 0.0 {
            self.baseline
        } else {
            1.0
        };
        self.spend = f64::from(threads) * share;
        share
    }

    /// Balance in credits (negative: surplus credits owed, unlimited mode;
    /// a standard-mode debt reads as a spent balance).
    pub(crate) fn balance_credits(&self) -> f64 {
        let b = self.balance.total();
        if self.unlimited {
            b / 60.0
        } else {
            b.max(0.0) / 60.0
        }
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
        (lo, (self.max + self.balance.launch) / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::InitialCredits;

    fn micro() -> Burst {
        Burst {
            baseline: 0.1,
            credits_per_hour: 6.0,
            launch_credits: 30.0,
            max_credits: 144.0,
            mode: CreditMode::Standard,
            initial: InitialCredits::Launch,
        }
    }

    fn earned(credits: f64) -> CreditBalance {
        CreditBalance {
            earned: credits,
            launch: 0.0,
        }
    }

    #[test]
    fn launch_credits_sit_outside_the_cap_and_are_spent_first() {
        // A fresh t2.micro (30 launch credits) idle for a day earns up to
        // the 144 cap on top of them: 174 in all.
        let launch = CreditBalance {
            earned: 0.0,
            launch: 30.0,
        };
        let mut c = Credits::new(&micro(), launch, SimTime::ZERO);
        c.update(secs(86_400));
        assert!((c.balance_credits() - 174.0).abs() < 1e-9);
        assert_eq!(c.bounds_credits().1, 174.0);
        // One vCPU busy for 30 minutes spends the launch credits first
        // (30) while earning 3, which the cap throws away: 144 left.
        c.start_service(secs(86_400));
        c.update(secs(86_400 + 1800));
        assert!((c.balance_credits() - 144.0).abs() < 1e-9);
        assert_eq!(c.bounds_credits().1, 144.0);
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn spending_above_baseline_drains_at_the_net_rate() {
        let mut c = Credits::new(&micro(), earned(30.0), SimTime::ZERO);
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
    fn a_full_speed_service_past_the_balance_is_paid_back_at_baseline() {
        // 0.01 credits (0.6 vCPU-seconds), then 10 s at full speed: 9.4
        // vCPU-seconds more than the balance and what those 10 s earn (1).
        let mut c = Credits::new(&micro(), earned(0.01), SimTime::ZERO);
        assert_eq!(c.start_service(SimTime::ZERO), 1.0);
        c.end_service(secs(10), 1.0);
        assert_eq!(c.balance_credits(), 0.0, "a debt reads as spent");
        assert_eq!(c.start_service(secs(10)), 0.1, "throttled while in debt");
        c.end_service(secs(20), 0.1);
        // Earning 0.1 vCPU-seconds a second from 20 s: the 8.4 owed are
        // paid at 104 s.
        c.update(secs(100));
        assert_eq!(c.start_service(secs(100)), 0.1);
        c.end_service(secs(100), 0.1);
        c.update(secs(110));
        assert!((c.balance_credits() - 0.6 / 60.0).abs() < 1e-9);
        assert_eq!(c.start_service(secs(110)), 1.0);
    }

    #[test]
    fn the_balance_is_capped_and_unlimited_goes_negative() {
        let mut c = Credits::new(&micro(), earned(144.0), SimTime::ZERO);
        c.update(secs(86_400));
        assert_eq!(c.balance_credits(), 144.0);
        let mut b = micro();
        b.mode = CreditMode::Unlimited;
        let mut c = Credits::new(&b, earned(1.0), SimTime::ZERO);
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
}
