//! From one window's usage to a month's: how the bill integrates the daily
//! profile whatever window was simulated.
//!
//! A checkpoint simulates one window of one day. The month it is billed for
//! is 30.44 days like that checkpoint's day: the same users and the same
//! daily cycle. Instance-hours are time-based and are billed per month
//! whatever the window. Volumes (requests, bytes, surplus credits) measured
//! over the window are scaled to the month by the ratio of a day's expected
//! requests to the measured window's expected requests (both from
//! [`RateProfile::expected_requests`]), so a five-minute window at the
//! daily peak bills the day's traffic, not the peak's all day. Per-second
//! quantities (the load balancer's capacity units) are scaled to the day's
//! mean rate the same way. Flash crowds and campaigns are one-off: the
//! month's days have the daily cycle and no events. A measured span of a day
//! or more is scaled by time, as it covers the cycle itself.

use crate::spec::{Checkpoint, RateProfile, Scenario, WindowAt};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

use super::SECONDS_PER_MONTH;

const DAY_SECS: u64 = 86_400;

/// How a checkpoint's window is scaled to a month.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthScale {
    /// Multiplies a count over the measured part of the window into a count
    /// per month.
    pub per_month: f64,
    /// Multiplies a mean over the measured part of the window (a rate per
    /// second, a time-average in flight) into the day's mean.
    pub to_daily_mean: f64,
    /// How the scale was obtained, for people.
    pub basis: String,
    /// Web instances billed on average over the month (`None`: the
    /// window's own average).
    pub web_instances: Option<f64>,
}

impl MonthScale {
    /// The old rule: counts over `measured_secs` times the month's seconds
    /// over them, means unchanged. Right for a window of whole flat days.
    pub fn by_time(measured_secs: f64) -> MonthScale {
        MonthScale {
            per_month: if measured_secs > 0.0 {
                SECONDS_PER_MONTH / measured_secs
            } else {
                0.0
            },
            to_daily_mean: 1.0,
            basis: "Billed by time: the measured window's usage extrapolated to a 30.44-day month"
                .to_string(),
            web_instances: None,
        }
    }

    /// The scale of checkpoint `cp` of `s`: a month of days like the
    /// checkpoint's, integrated over its daily profile.
    pub fn for_checkpoint(s: &Scenario, cp: &Checkpoint) -> MonthScale {
        let mut m = MonthScale::for_checkpoint_usage(s, cp);
        let whole_day = cp.window.0.saturating_sub(cp.warmup.0) >= DAY_SECS * NANOS_PER_SEC;
        if s.web.autoscaling.is_some() && whole_day {
            // The window covers the daily cycle: its own instance-seconds.
            m.basis.push_str(
                "; the auto scaling group billed at the instance-seconds it ran in the window",
            );
            return m;
        }
        m.web_instances = Some(daily_fleet(s, cp));
        if s.web.autoscaling.is_some() {
            m.basis.push_str(&format!(
                "; the auto scaling group billed at the {:.2} instances its policy holds on average over such a day",
                m.web_instances.unwrap_or(0.0)
            ));
        }
        m
    }

    fn for_checkpoint_usage(s: &Scenario, cp: &Checkpoint) -> MonthScale {
        let measured = SimDuration(cp.window.0.saturating_sub(cp.warmup.0));
        let measured_secs = measured.as_secs_f64();
        let days = 30.44;
        let len = describe_len(measured);
        if measured_secs >= DAY_SECS as f64 {
            let mut m = MonthScale::by_time(measured_secs);
            m.basis = format!(
                "Billed as a month of days like this checkpoint's, scaled by time from a {len} window covering the daily cycle"
            );
            return m;
        }
        let profile = RateProfile::new(s, cp).cycle_only();
        let start = SimTime(cp.start.0 + cp.warmup.0);
        let in_window = profile.expected_requests(start, measured);
        let day_start = SimTime(start.0 / (DAY_SECS * NANOS_PER_SEC) * DAY_SECS * NANOS_PER_SEC);
        let in_day = profile.expected_requests(day_start, SimDuration::from_secs(DAY_SECS));
        let with_events = RateProfile::new(s, cp).expected_requests(start, measured);
        if with_events <= 0.0 || in_day <= 0.0 {
            let mut m = MonthScale::by_time(measured_secs);
            m.basis = format!(
                "Billed by time: the {len} window expects no traffic, so its usage cannot be scaled by the daily profile"
            );
            return m;
        }
        // Requests per day over requests in the measured window (events
        // included there, as the window's counts include them).
        let ratio = in_day / with_events;
        let place = match (s.simulation.window_at, &s.traffic.diurnal) {
            (_, None) => "",
            (WindowAt::Peak, Some(_)) => " peak",
            (WindowAt::Start, Some(_)) => "",
        };
        let events = if (with_events - in_window).abs() > 1e-9 * in_window.max(1.0) {
            ", its traffic events left out as one-offs"
        } else {
            ""
        };
        let profile_name = if s.traffic.diurnal.is_some() {
            "the daily profile"
        } else {
            "flat traffic"
        };
        MonthScale {
            per_month: ratio * days,
            to_daily_mean: ratio * measured_secs / DAY_SECS as f64,
            web_instances: None,
            basis: format!(
                "Billed as a month of days like this checkpoint's, scaled from a {len}{place} window by {profile_name} (a day expects {ratio:.2} times the window's requests{events})"
            ),
        }
    }
}

/// Web instances over checkpoint `cp`'s day, on average: `web.count`, or
/// with auto scaling the size its policy settles at for each five minutes'
/// load ([`Scenario::settled_fleet`], the function the window starts from).
fn daily_fleet(s: &Scenario, cp: &Checkpoint) -> f64 {
    if s.web.autoscaling.is_none() {
        return f64::from(s.web.count);
    }
    const STEP: u64 = 300;
    let day = cp.start.0 / (DAY_SECS * NANOS_PER_SEC) * DAY_SECS * NANOS_PER_SEC;
    let n = DAY_SECS / STEP;
    (0..n)
        .map(|k| {
            let t = SimTime(day + (k * STEP + STEP / 2) * NANOS_PER_SEC);
            f64::from(s.settled_fleet(cp, t))
        })
        .sum::<f64>()
        / n as f64
}

/// A duration as a report names a window: "5-minute", "1-hour", "23h 55m".
fn describe_len(d: SimDuration) -> String {
    let secs = d.0 / NANOS_PER_SEC;
    if d.0.is_multiple_of(NANOS_PER_SEC) {
        if secs.is_multiple_of(3600) {
            return format!("{}-hour", secs / 3600);
        }
        if secs < 3600 && secs.is_multiple_of(60) {
            return format!("{}-minute", secs / 60);
        }
    }
    d.to_string()
}
