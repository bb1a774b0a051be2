//! Warnings: values a scenario may hold but real systems rarely show, and
//! adjustments the loader made. A warning never stops a run; it says why
//! the value looks wrong and how to silence it
//! (`simulation.quiet_warnings`, see `docs/scenario-reference.md`).

use crate::spec::{DbPlacement, Scenario, StaticOrigin, plan_checkpoints};
use crate::time::SimDuration;
use std::fmt;

/// Longest plausible mean CPU burst of one web request.
pub const MAX_PLAUSIBLE_WEB_CPU: SimDuration = SimDuration::from_secs(10);
/// Most requests per user per day that real sites see.
pub const MAX_PLAUSIBLE_REQUESTS_PER_USER_PER_DAY: f64 = 5_000.0;
/// A measured window should last at least this many of the slowest
/// request's service time.
pub const MIN_WINDOW_IN_SERVICE_TIMES: f64 = 10.0;

/// One warning.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// The checkpoint it concerns; `None` for the scenario as a whole.
    pub checkpoint: Option<usize>,
    /// The scenario key it is about, `simulation.warmup`, `traffic.mix[0].web_cpu`.
    pub key: String,
    /// Why, and how to silence it.
    pub message: String,
}

impl Warning {
    /// A warning about the scenario as a whole; `why` is followed by the
    /// way to silence it.
    pub fn scenario(key: impl Into<String>, why: impl AsRef<str>) -> Warning {
        Warning::new(None, key.into(), why.as_ref())
    }

    /// A warning about checkpoint `index`.
    pub fn at(index: usize, key: impl Into<String>, why: impl AsRef<str>) -> Warning {
        Warning::new(Some(index), key.into(), why.as_ref())
    }

    fn new(checkpoint: Option<usize>, key: String, why: &str) -> Warning {
        let message = format!("{why}; to silence it, add \"{key}\" to simulation.quiet_warnings");
        Warning {
            checkpoint,
            key,
            message,
        }
    }

    /// Whether `quiet` (the entries of `simulation.quiet_warnings`)
    /// silences it: an entry equal to its key, or a prefix of it ending
    /// where a key part ends (`traffic.mix` silences `traffic.mix[1].web_cpu`).
    pub fn is_silenced_by(&self, quiet: &[String]) -> bool {
        quiet.iter().any(|q| {
            self.key == *q
                || self
                    .key
                    .strip_prefix(q.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.checkpoint {
            Some(i) => write!(f, "warning: checkpoint {i}: {}: {}", self.key, self.message),
            None => write!(f, "warning: {}: {}", self.key, self.message),
        }
    }
}

/// `warnings` without those `s`'s `simulation.quiet_warnings` silences.
pub fn unsilenced(s: &Scenario, warnings: Vec<Warning>) -> Vec<Warning> {
    warnings
        .into_iter()
        .filter(|w| !w.is_silenced_by(&s.simulation.quiet_warnings))
        .collect()
}

/// The plausibility warnings of a validated scenario, silenced ones left
/// out: scenario-wide ones first, then per checkpoint.
pub fn plausibility(s: &Scenario) -> Vec<Warning> {
    let mut out = Vec::new();
    for (i, class) in s.traffic.mix.iter().enumerate() {
        let mean = class.web_cpu.mean();
        if mean > MAX_PLAUSIBLE_WEB_CPU {
            out.push(Warning::scenario(
                format!("traffic.mix[{i}].web_cpu"),
                format!(
                    "class '{}' takes {mean} of CPU per request on average; web requests rarely take more than {MAX_PLAUSIBLE_WEB_CPU} (is the unit right: \"ms\"?)",
                    class.name
                ),
            ));
        }
    }
    if let crate::spec::Load::Users {
        requests_per_user_per_day: r,
        ..
    } = &s.traffic.load
        && *r > MAX_PLAUSIBLE_REQUESTS_PER_USER_PER_DAY
    {
        out.push(Warning::scenario(
            "traffic.requests_per_user_per_day",
            format!(
                "{r} requests per user per day is more than real users send (over {MAX_PLAUSIBLE_REQUESTS_PER_USER_PER_DAY}, one every 17 s for a whole day)"
            ),
        ));
    }
    let sim = &s.simulation;
    let measured = SimDuration(sim.window.0.saturating_sub(sim.warmup.0));
    let slowest = slowest_service_time(s);
    if measured.as_secs_f64() < MIN_WINDOW_IN_SERVICE_TIMES * slowest.as_secs_f64() {
        out.push(Warning::scenario(
            "simulation.window",
            format!(
                "the measured window ({measured}, after the warm-up) is shorter than {MIN_WINDOW_IN_SERVICE_TIMES} times the slowest request's service time ({slowest}): few requests finish in it and its statistics are rough"
            ),
        ));
    }
    for (i, e) in s.traffic.events.iter().enumerate() {
        if sim.horizon.is_none() {
            if e.at.0 >= sim.window.0 {
                out.push(Warning::scenario(
                    format!("traffic.events[{i}]"),
                    format!(
                        "the event at {} starts after the window ends ({}), so no checkpoint sees it",
                        e.at, sim.window
                    ),
                ));
            }
            continue;
        }
        // The plan puts a checkpoint on every event that starts within the
        // horizon; one that starts after it is never seen.
        let seen = plan_checkpoints(s)
            .iter()
            .any(|cp| crate::spec::measures(cp, e));
        if !seen {
            out.push(Warning::scenario(
                format!("traffic.events[{i}]"),
                format!(
                    "the event at {} starts after the horizon ({}), so no checkpoint sees it",
                    e.at,
                    sim.horizon.unwrap_or_default()
                ),
            ));
        }
    }
    for cp in plan_checkpoints(s) {
        let peak = crate::run::peak_rps(s, &cp);
        for l in crate::run::edge::limit_loads(s, &cp, peak) {
            if l.load < 1.0 {
                continue;
            }
            out.push(match l.name {
                "cdn_origin" => Warning::at(
                    cp.index,
                    "cdn.s3_prefixes",
                    format!(
                        "CloudFront sends S3 {:.0} GET/s at the busiest minute, {:.0}% of the 5,500 a second each partitioned prefix takes for sure; S3 answers 503 Slow Down above it until it partitions (30-60 min), which the model does not show: spread the static objects over more prefixes",
                        peak * crate::run::edge::s3_origin_share(s),
                        100.0 * l.load
                    ),
                ),
                _ => Warning::at(
                    cp.index,
                    "load_balancer",
                    format!(
                        "traffic rises {:.0}% within five minutes, faster than the 50% Elastic Load Balancing absorbs by scaling on its own; without a pre-warmed load balancer it answers 503s during the surge, which the model does not show",
                        100.0 * l.load * crate::run::edge::LB_RISE_PER_5_MIN
                    ),
                ),
            });
        }
        if let Some((station, tau)) = slowest_relaxation(s, &cp)
            && sim.warmup < tau
        {
            out.push(Warning::at(
                cp.index,
                "simulation.warmup",
                format!(
                    "the warm-up ({}) is shorter than the {station}'s relaxation time (about {tau} at this checkpoint's load), so the measured window starts before its queue settles",
                    sim.warmup
                ),
            ));
        }
    }
    unsilenced(s, out)
}

/// The mean time one request of the slowest class spends in service: its
/// web CPU at the instance's speed plus its DB queries at the DB's speed.
pub fn slowest_service_time(s: &Scenario) -> SimDuration {
    let web_speed = s.web.instance.cpu_speed.max(1e-9);
    let (read, write) = match &s.database {
        Some(db) => {
            let speed = match &db.placement {
                DbPlacement::Rds(i) => i.cpu_speed,
                DbPlacement::Colocated => web_speed,
            }
            .max(1e-9);
            // Reads on the slower of the primary and the replicas' class.
            let read_speed = db
                .distinct_replica_class()
                .map_or(speed, |r| r.cpu_speed.max(1e-9).min(speed));
            (
                db.read_time.mean().as_secs_f64() / read_speed,
                db.write_time.mean().as_secs_f64() / speed,
            )
        }
        None => (0.0, 0.0),
    };
    let secs = s
        .traffic
        .mix
        .iter()
        .map(|c| {
            c.web_cpu.mean().as_secs_f64() / web_speed
                + f64::from(c.db_reads) * read
                + f64::from(c.db_writes) * write
        })
        .fold(0.0, f64::max);
    SimDuration::from_secs_f64(secs)
}

/// The station with the longest relaxation time at checkpoint `cp`'s load
/// (at the window's start, where the warm-up is) and that time, when some
/// station is below saturation. The relaxation time of a station of `c`
/// servers with mean service time `S` at utilisation `rho` is estimated as
/// Morse's M/M/1 result scaled by the servers, `S / (c (1 - sqrt(rho))^2)`:
/// the time its queue takes to forget an empty start.
pub fn slowest_relaxation(
    s: &Scenario,
    cp: &crate::spec::Checkpoint,
) -> Option<(&'static str, SimDuration)> {
    let rate = crate::spec::RateProfile::new(s, cp).rate(cp.start);
    // Share of requests reaching the web tier (not answered by the CDN or S3).
    let reach = |cacheable: bool| match (&s.cdn, cacheable) {
        (Some(cdn), true) => {
            if cdn.static_origin == StaticOrigin::Web {
                1.0 - cdn.hit_ratio
            } else {
                0.0
            }
        }
        _ => 1.0,
    };
    let web_speed = s.web.instance.cpu_speed.max(1e-9);
    let mut web_visits = 0.0;
    let mut web_work = 0.0;
    let mut db_visits = 0.0;
    let mut db_work = 0.0;
    // With replicas of a class of their own, the work at each class's speed.
    let mut db_time = 0.0;
    let speeds = s.database.as_ref().and_then(|d| {
        let r = d.distinct_replica_class()?;
        Some((
            d.primary_class()?.cpu_speed.max(1e-9),
            r.cpu_speed.max(1e-9),
        ))
    });
    let (read, write) = s.database.as_ref().map_or((0.0, 0.0), |db| {
        (
            db.read_time.mean().as_secs_f64(),
            db.write_time.mean().as_secs_f64(),
        )
    });
    for c in &s.traffic.mix {
        let r = rate * c.share * reach(c.cacheable);
        web_visits += r;
        web_work += r * c.web_cpu.mean().as_secs_f64() / web_speed;
        db_visits += r * f64::from(c.db_reads + c.db_writes);
        db_work += r * (f64::from(c.db_reads) * read + f64::from(c.db_writes) * write);
        if let Some((p, q)) = speeds {
            db_time += r * (f64::from(c.db_reads) * read / q + f64::from(c.db_writes) * write / p);
        }
    }
    let web_servers = f64::from(s.web.count * s.web.instance.vcpus);
    let mut stations: Vec<(&'static str, f64, f64, f64)> = Vec::new();
    match s.database.as_ref().map(|d| &d.placement) {
        Some(DbPlacement::Rds(i)) => {
            stations.push(("web tier", web_visits, web_work, web_servers));
            let servers = f64::from(s.database.as_ref().map_or(i.vcpus, |d| d.rds_vcpus()));
            stations.push((
                "database",
                db_visits,
                if speeds.is_some() {
                    db_time
                } else {
                    db_work / i.cpu_speed.max(1e-9)
                },
                servers,
            ));
        }
        Some(DbPlacement::Colocated) => stations.push((
            "web tier",
            web_visits + db_visits,
            web_work + db_work / web_speed,
            web_servers,
        )),
        None => stations.push(("web tier", web_visits, web_work, web_servers)),
    }
    stations
        .into_iter()
        .filter(|(_, visits, work, c)| *visits > 0.0 && *work > 0.0 && *c > 0.0)
        .filter_map(|(name, visits, work, c)| {
            let rho = work / c;
            if rho >= 1.0 {
                return None;
            }
            let service = work / visits;
            let tau = service / (c * (1.0 - rho.sqrt()).powi(2));
            // Shown rounded up: to the second, or the millisecond below one.
            let shown = if tau >= 1.0 {
                SimDuration::from_secs(tau.ceil() as u64)
            } else {
                SimDuration::from_millis((tau * 1000.0).ceil() as u64)
            };
            Some((name, shown))
        })
        .max_by_key(|(_, tau)| *tau)
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse_with_warnings;

    /// Every warning of a scenario text, as the terminal prints them.
    fn warnings(text: &str) -> String {
        let (s, mut w) = parse_with_warnings(text, "w.toml").unwrap();
        w.extend(super::plausibility(&s));
        crate::report::warnings::warnings_text(&w)
    }

    const WEB: &str = "[web]\ninstance = \"m5.large\"\n";

    #[test]
    fn a_cpu_burst_over_ten_seconds() {
        let text = format!(
            "name = \"w\"\n[simulation]\nwindow = \"2h\"\n[traffic]\nrate = 0.01\n\
             [[traffic.mix]]\nname = \"report\"\nshare = 1.0\nweb_cpu = \"12s\"\n{WEB}"
        );
        insta::assert_snapshot!(warnings(&text));
    }

    #[test]
    fn over_5000_requests_per_user_per_day() {
        let text =
            format!("name = \"w\"\n[traffic]\nusers = 10\nrequests_per_user_per_day = 6000\n{WEB}");
        insta::assert_snapshot!(warnings(&text));
    }

    #[test]
    fn a_window_under_ten_service_times() {
        let text = format!(
            "name = \"w\"\n[simulation]\nwindow = \"70s\"\nwarmup = \"10s\"\n[traffic]\nrate = 0.1\n\
             [[traffic.mix]]\nname = \"slow\"\nshare = 1.0\nweb_cpu = \"8s\"\n{WEB}"
        );
        insta::assert_snapshot!(warnings(&text));
    }

    #[test]
    fn a_warmup_shorter_than_the_relaxation_time() {
        // m5.large: 2 vCPUs, 50 ms per request, 38 requests/s: rho = 0.95,
        // relaxation 0.05 / (2 (1 - sqrt 0.95)^2) = 37.9 s > 10 s.
        let text =
            format!("name = \"w\"\n[simulation]\nwarmup = \"10s\"\n[traffic]\nrate = 38\n{WEB}");
        insta::assert_snapshot!(warnings(&text));
        let quiet = format!(
            "name = \"w\"\n[simulation]\nwarmup = \"10s\"\nquiet_warnings = [\"simulation.warmup\"]\n\
             [traffic]\nrate = 38\n{WEB}"
        );
        assert_eq!(warnings(&quiet), "");
    }

    #[test]
    fn an_event_outside_every_window() {
        let text = format!(
            "name = \"w\"\n[simulation]\nhorizon = \"30d\"\ncheckpoints = 2\nwindow = \"1h\"\n\
             [traffic]\nusers = {{ start = 10, end = 100 }}\nrequests_per_user_per_day = 100\n\
             [[traffic.events]]\nat = \"40d\"\nduration = \"1h\"\nmultiplier = 3\n{WEB}"
        );
        insta::assert_snapshot!(warnings(&text));
        // Within the horizon, the plan gives the event a checkpoint.
        assert_eq!(warnings(&text.replace("40d", "10d")), "");
    }

    #[test]
    fn an_hourly_profile_scaled_to_mean_one() {
        let hourly = vec!["2.0"; 24].join(", ");
        let text = format!(
            "name = \"w\"\n[traffic]\nrate = 1\ndiurnal = {{ hourly = [{hourly}] }}\n{WEB}"
        );
        insta::assert_snapshot!(warnings(&text));
        let (s, w) = parse_with_warnings(&text, "w.toml").unwrap();
        assert_eq!(
            s.traffic.diurnal,
            Some(crate::spec::Diurnal::Hourly(vec![1.0; 24]))
        );
        assert_eq!(w.len(), 1);
        let as_given = format!(
            "name = \"w\"\n[traffic]\nrate = 1\ndiurnal = {{ hourly = [{hourly}], normalize = false }}\n{WEB}"
        );
        let (s, w) = parse_with_warnings(&as_given, "w.toml").unwrap();
        assert_eq!(
            s.traffic.diurnal,
            Some(crate::spec::Diurnal::Hourly(vec![2.0; 24]))
        );
        assert!(w.is_empty());
    }

    #[test]
    fn quiet_warnings_silence_a_key_and_what_is_under_it() {
        let w = super::Warning::scenario("traffic.mix[1].web_cpu", "why");
        assert!(w.message.ends_with(
            "why; to silence it, add \"traffic.mix[1].web_cpu\" to simulation.quiet_warnings"
        ));
        for (quiet, silenced) in [
            ("traffic.mix[1].web_cpu", true),
            ("traffic.mix", true),
            ("traffic", true),
            ("traffic.mi", false),
            ("traffic.mix[1].web", false),
        ] {
            assert_eq!(w.is_silenced_by(&[quiet.to_string()]), silenced, "{quiet}");
        }
    }

    #[test]
    fn the_day_one_scenarios_warn_of_nothing_odd_in_their_values() {
        for f in ["01-day-one", "03-split-database"] {
            let path = format!("{}/scenarios/{f}.toml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            let (s, w) = parse_with_warnings(&text, &path).unwrap();
            assert!(w.is_empty(), "{w:?}");
            let p = super::plausibility(&s);
            assert!(p.iter().all(|w| w.key == "simulation.warmup"), "{p:?}");
        }
    }
}
