//! Replications combined: estimates with confidence intervals, and one
//! summary out of several windows.

use super::{IntervalSummary, Latency, MinuteRow, WindowSummary};
use crate::route::PerRoute;

/// Mean and the half-width of its 95% confidence interval (Student t over
/// independent replications; 0 for a single one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95% confidence interval.
    pub ci95: f64,
}

impl Estimate {
    /// The estimate from one value per replication.
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { mean, ci95: 0.0 };
        }
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = student_t_975(n - 1);
        Estimate {
            mean,
            ci95: t * (var / n as f64).sqrt(),
        }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn student_t_975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64).map_or(1.96, |t| t.inverse_cdf(0.975))
}

fn add_routes(into: &mut [PerRoute<u64>], from: &[PerRoute<u64>]) {
    for (a, b) in into.iter_mut().zip(from) {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}

impl WindowSummary {
    /// Independent replications of the same window as one: counts and
    /// measured time add up (so rates and availability are over all of
    /// them), everything else is the mean over replications.
    pub fn combine(runs: &[WindowSummary]) -> Option<WindowSummary> {
        let (first, rest) = runs.split_first()?;
        if rest.is_empty() {
            return Some(first.clone());
        }
        let n = runs.len() as f64;
        let mean = |f: &dyn Fn(&WindowSummary) -> f64| runs.iter().map(f).sum::<f64>() / n;
        let mut w = first.clone();
        for r in rest {
            w.counts.merge(&r.counts);
            add_routes(&mut w.routes.arrived, &r.routes.arrived);
            add_routes(&mut w.routes.served, &r.routes.served);
            w.origin_admitted += r.origin_admitted;
            w.in_transit += r.in_transit;
            w.measured_secs += r.measured_secs;
            w.web_instances_max = w.web_instances_max.max(r.web_instances_max);
        }
        let latencies: Vec<Latency> = runs.iter().map(|r| r.latency).collect();
        w.latency = Latency::mean_of(&latencies).unwrap_or_default();
        w.web_instances_mean = mean(&|r| r.web_instances_mean);
        w.web_billed_mean = mean(&|r| r.web_billed_mean);
        w.sessions_lost = mean(&|r| r.sessions_lost);
        w.web_util = mean(&|r| r.web_util);
        w.web_throttled = mean(&|r| r.web_throttled);
        w.db_util = mean(&|r| r.db_util);
        w.stations =
            super::Stations::mean_of(&runs.iter().map(|r| &r.stations).collect::<Vec<_>>());
        w.mean_in_origin = mean(&|r| r.mean_in_origin);
        w.mean_origin_secs = mean(&|r| r.mean_origin_secs);
        w.surplus_credits = mean(&|r| r.surplus_credits);
        w.db_surplus_credits = mean(&|r| r.db_surplus_credits);
        for (m, row) in w.timeline.iter_mut().enumerate() {
            let rows: Vec<&MinuteRow> = runs.iter().filter_map(|r| r.timeline.get(m)).collect();
            let k = rows.len() as f64;
            let avg = |f: &dyn Fn(&MinuteRow) -> f64| rows.iter().map(|r| f(r)).sum::<f64>() / k;
            let avg_opt = |f: &dyn Fn(&MinuteRow) -> Option<f64>| {
                let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            row.offered_rps = avg(&|r| r.offered_rps);
            row.served_rps = avg(&|r| r.served_rps);
            row.error_rps = avg(&|r| r.error_rps);
            row.web_instances = avg(&|r| r.web_instances);
            row.web_launching = avg(&|r| r.web_launching);
            row.web_draining = avg(&|r| r.web_draining);
            for (k, n) in row.errors_by_cause.iter_mut().enumerate() {
                *n = rows.iter().map(|r| r.errors_by_cause[k]).sum();
            }
            row.web_util = avg(&|r| r.web_util);
            row.db_util = avg(&|r| r.db_util);
            row.web_cpu_credits = avg_opt(&|r| r.web_cpu_credits);
            row.db_cpu_credits = avg_opt(&|r| r.db_cpu_credits);
            let lat: Vec<Latency> = rows.iter().filter_map(|r| r.latency).collect();
            row.latency = Latency::mean_of(&lat);
        }
        let sl: Vec<&super::ServerlessSummary> =
            runs.iter().filter_map(|r| r.serverless.as_ref()).collect();
        w.serverless = super::ServerlessSummary::combine(&sl);
        for (i, row) in w.intervals.iter_mut().enumerate() {
            let rows: Vec<&IntervalSummary> =
                runs.iter().filter_map(|r| r.intervals.get(i)).collect();
            *row = IntervalSummary::combine(&rows);
        }
        Some(w)
    }
}

#[cfg(test)]
mod estimate_tests {
    use super::*;

    #[test]
    fn confidence_interval_uses_student_t() {
        // Values 1..=5: mean 3, sd sqrt(2.5), t(4) = 2.7764.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        assert!(
            (e.ci95 - 2.776_445 * (2.5f64 / 5.0).sqrt()).abs() < 1e-5,
            "{}",
            e.ci95
        );
        assert_eq!(Estimate::of(&[7.0]).ci95, 0.0);
    }
}
