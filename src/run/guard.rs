//! Guard rails: runs that would not end in reasonable time, or whose
//! per-minute series would not fit in memory, are refused before they start.

use super::{RunOptions, choose_mode};
use crate::error::Error;
use crate::spec::{Mode, RateProfile, Scenario, plan_checkpoints};

/// Requests per second one core simulates through a whole scenario (CDN,
/// load balancer, web tier and database), the slowest measured on the
/// shipped scenarios (docs/bench-log/): estimates err on the long side.
pub const DES_REQUESTS_PER_SEC_PER_CORE: f64 = 2.0e6;
/// Longest a run may be expected to take without `--force`, seconds.
pub const MAX_EXPECTED_SECS: f64 = 600.0;
/// Most memory the per-minute series of a run may be expected to take.
pub const MAX_SERIES_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;
/// Per simulated minute: a timeline row kept for the report.
const ROW_BYTES: f64 = 400.0;
/// Per simulated minute while a DES window runs: the minute's counters and
/// its latency histogram (2 significant digits up to 28 hours).
const DES_MINUTE_BYTES: f64 = 16.5 * 1024.0;
/// Per SLO interval while a DES window runs: its latency histogram (3
/// significant digits up to 28 hours).
const DES_INTERVAL_BYTES: f64 = 230.0 * 1024.0;

/// Refuses `s` when its per-minute series would not fit in memory, or when
/// its DES windows would take more than ten minutes at the measured speed
/// (unless `options.force`).
pub fn check(s: &Scenario, options: &RunOptions) -> Result<(), Error> {
    let sim = &s.simulation;
    let plan = plan_checkpoints(s);
    let threads = options
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .max(1) as f64;
    let minutes = (sim.window.as_nanos() as f64 / 60e9).ceil();
    let windows = plan.len() as f64 * f64::from(sim.replications.max(1));
    let des_live = match sim.mode {
        Mode::Fluid => 0.0,
        _ => threads.min(windows),
    };
    let intervals = match sim.slo.over.every() {
        Some(d) => (sim.window.as_nanos() as f64 / d.as_nanos() as f64).ceil(),
        None => 1.0,
    };
    let bytes = minutes * (ROW_BYTES * plan.len() as f64 + DES_MINUTE_BYTES * des_live)
        + intervals * DES_INTERVAL_BYTES * des_live;
    if bytes > MAX_SERIES_BYTES {
        return Err(Error::Usage {
            message: format!(
                "simulation.window: {} minutes per window would keep about {} of per-minute series in memory (at most {} allowed)",
                minutes,
                gib(bytes),
                gib(MAX_SERIES_BYTES)
            ),
            help: "shorten simulation.window (a day is usually enough: the growth is along simulation.horizon)".into(),
        });
    }
    if options.force {
        return Ok(());
    }
    let mut requests = 0.0;
    for cp in &plan {
        if choose_mode(s, cp).0 == Mode::Des {
            requests += RateProfile::new(s, cp).expected_requests(cp.start, cp.window);
        }
    }
    requests *= f64::from(sim.replications.max(1));
    let secs = requests / (DES_REQUESTS_PER_SEC_PER_CORE * threads);
    if secs > MAX_EXPECTED_SECS {
        return Err(Error::Usage {
            message: format!(
                "the DES would simulate about {requests:.3e} requests, about {} at {:.0e} requests/s on each of {} threads",
                humane(secs),
                DES_REQUESTS_PER_SEC_PER_CORE,
                threads
            ),
            help: "set simulation.mode = \"auto\" (the fluid mode takes windows past des_budget), shorten simulation.window, or pass --force to run it anyway".into(),
        });
    }
    Ok(())
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / (1024.0 * 1024.0 * 1024.0))
}

/// A long time in the unit that reads best.
fn humane(secs: f64) -> String {
    const UNITS: [(f64, &str); 5] = [
        (365.25 * 86_400.0, "years"),
        (86_400.0, "days"),
        (3600.0, "hours"),
        (60.0, "minutes"),
        (1.0, "seconds"),
    ];
    let (size, name) = UNITS
        .iter()
        .find(|(size, _)| secs >= *size)
        .copied()
        .unwrap_or((1.0, "seconds"));
    format!("{:.3} {name}", secs / size)
}
