//! Growth replays: the wall by bisection, headroom, replications, common random numbers.

use crate::cli::{repo, simscale};
use crate::support::*;
use simscale::run::{RunOptions, simulate};
use simscale::spec::*;
use simscale::time::{NANOS_PER_SEC, SimTime};

/// Users grow from 100 to 20,000 with one request per 100 users per second
/// (no daily cycle) into one instance with 4 vCPUs serving 40 ms
/// exponential bursts: an M/M/4 whose utilisation is users / 10,000.
fn growing_mm4(p99_ms: f64) -> Scenario {
    let mut s = station(1.0, 4, 100_000, u32::MAX, exp(40.0));
    s.traffic.load = Load::Users {
        users: Users::Growing {
            start: 100.0,
            end: 20_000.0,
            shape: GrowthShape::Exponential,
        },
        requests_per_user_per_day: 864.0,
    };
    s.simulation.horizon = Some(secs(365 * 86_400));
    s.simulation.checkpoints = 8;
    s.simulation.window = secs(1800);
    s.simulation.warmup = secs(120);
    s.simulation.slo = Slo {
        p99: ms(p99_ms),
        availability: 0.999,
        over: SloOver::Window,
    };
    s
}

#[test]
fn the_wall_is_where_theory_puts_it() {
    // Set the SLO at the p99 of the M/M/4 at utilisation 0.8, i.e. at 8,000
    // users: the wall must land there. Near rho = 0.8 the p99 grows about
    // 4% per 1% more load, so the noise of a 30-minute window's p99 (a few
    // percent) moves the wall by about 1%; bisection stops at 2%. 5% is
    // then a safe bound that still fails if the wall were a checkpoint away
    // (checkpoints are 2.1x apart) or the bisection misplaced.
    let slo = 1000.0
        * Mmc {
            c: 4,
            lambda: 80.0,
            mu: 25.0,
        }
        .quantile(0.99);
    let s = growing_mm4(slo);
    let r = simulate(&s, &RunOptions::default()).unwrap();
    let wall = r.wall.as_ref().expect("a wall");
    assert_eq!(wall.reason, "p99");
    assert!(
        rel(wall.users, 8000.0) < 0.05,
        "wall at {} users, theory 8000",
        wall.users
    );
    assert!(wall.missed_at / wall.users <= 1.02 + 1e-9 || wall.probes == 10);
    assert!(wall.probes > 0);
    // Headroom: what the wall leaves above each checkpoint.
    for (i, cp) in r.checkpoints.iter().enumerate() {
        let users = cp.checkpoint.users.unwrap();
        assert_eq!(r.headroom_users(i), Some((wall.users - users).max(0.0)));
    }
    // The bill at the wall: one instance at $0.1/h, plus the data sent out.
    assert!(
        wall.cost_usd_month > 0.1 * 730.56,
        "{}",
        wall.cost_usd_month
    );
}

#[test]
fn no_wall_when_the_slo_holds_throughout() {
    let s = growing_mm4(1e6);
    let r = simulate(
        &s,
        &RunOptions {
            short: true,
            ..RunOptions::default()
        },
    )
    .unwrap();
    // Past 10,000 users the M/M/4 is overloaded, but within a 5-minute
    // window nobody waits anywhere near 1000 s and nothing is refused.
    assert!(r.checkpoints.iter().all(|c| c.slo_met));
    assert_eq!(r.wall, None);
    assert_eq!(r.headroom_users(0), None);
}

#[test]
fn replications_give_confidence_intervals_that_cover_theory() {
    // M/M/4 at rho 0.6, 8 replications of 10 minutes: the 95% interval of the
    // mean response time should contain the Erlang-C value. (A fixed seed
    // makes this deterministic; it passes for this seed and would fail for
    // a biased model or an interval computed without Student's t.)
    let mut s = station(60.0, 4, 100_000, u32::MAX, exp(40.0));
    s.simulation.window = secs(600);
    s.simulation.warmup = secs(60);
    s.simulation.replications = 8;
    let r = simulate(&s, &RunOptions::default()).unwrap();
    let cp = &r.checkpoints[0];
    assert_eq!(cp.replications, 8);
    let e = cp.estimates.mean_ms;
    let theory = 1000.0
        * Mmc {
            c: 4,
            lambda: 60.0,
            mu: 25.0,
        }
        .mean_response();
    assert!(e.ci95 > 0.0 && e.ci95 < 0.05 * theory, "{e:?}");
    assert!((e.mean - theory).abs() <= e.ci95, "{e:?} vs {theory}");
    // Counts are over all replications: about 8 x 540 s x 60/s.
    let expected = 8.0 * 540.0 * 60.0;
    assert!(rel(cp.window.counts.requests as f64, expected) < 0.02);
    assert!(rel(cp.offered_rps, 60.0) < 0.02);
}

#[test]
fn two_designs_see_the_same_users_common_random_numbers() {
    // Same seed, different instance: the arrival stream is shared, so the
    // request counts are identical and only the service differs.
    let a = station(50.0, 2, 100, 100, exp(20.0));
    let mut b = a.clone();
    b.web.instance.vcpus = 4;
    let ra = simulate(&a, &RunOptions::default()).unwrap();
    let rb = simulate(&b, &RunOptions::default()).unwrap();
    assert_eq!(
        ra.checkpoints[0].window.counts.requests,
        rb.checkpoints[0].window.counts.requests
    );
    assert!(ra.checkpoints[0].window.latency.mean_ms > rb.checkpoints[0].window.latency.mean_ms);
}

#[test]
fn replications_and_summary_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        let o = simscale(&[
            "run",
            &repo("scenarios/01-day-one.toml"),
            "--short",
            "--quiet",
            "--replications",
            "3",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        [
            "checkpoints.csv",
            "timeline.csv",
            "costs.csv",
            "summary.csv",
        ]
        .map(|f| std::fs::read_to_string(out.join(f)).unwrap())
    };
    let one = run("1");
    assert_eq!(one, run("2"), "byte-identical whatever the thread count");
    let header = one[0].lines().next().unwrap();
    for col in [
        "availability_ci95",
        "mean_ms_ci95",
        "p50_ms_ci95",
        "p95_ms_ci95",
        "p99_ms_ci95",
        "cost_usd_month_ci95",
        "cost_usd_per_1k_users_month_ci95",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "{col} missing from {header}"
        );
    }
    let summary = &one[3];
    assert!(summary.starts_with(
        "scenario,wall_users,wall_reason,cost_usd_month_at_wall,max_users_simulated,slo_p99_ms,slo_availability"
    ));
    assert_eq!(summary.lines().count(), 2);
    assert!(summary.contains("Day one: a single t2.micro,"), "{summary}");
}

#[test]
fn the_scale_up_ladder_raises_the_wall_until_it_stops_paying() {
    // The shipped ladder, short: each rung's windows sit at the daily peak.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ladder");
    let o = simscale(&[
        "run",
        &repo("scenarios/02-scale-up.toml"),
        "--short",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut r = csv::Reader::from_path(out.join("ladder.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let get = |value: &str, column: &str| -> f64 {
        let row = rows.iter().find(|row| &row[col("value")] == value).unwrap();
        row[col(column)].parse().unwrap()
    };
    let wall = |v: &str| get(v, "wall_users");
    // More vCPUs, a higher wall: 1 < 2 = 2 < 8 < 36 < 96 vCPUs.
    assert!(wall("t2.micro") < wall("t2.medium").min(wall("m5.large")));
    assert!(wall("t2.medium").max(wall("m5.large")) < wall("m5.2xlarge"));
    assert!(wall("m5.2xlarge") < wall("c5.9xlarge"));
    assert!(wall("c5.9xlarge") < wall("m5.24xlarge"));
    // The biggest box costs more per user than the one before it: the
    // ladder stops paying before it ends.
    let per_user = |v: &str| get(v, "instance_cost_usd_per_1k_users_month");
    assert!(per_user("m5.24xlarge") > per_user("c5.9xlarge"), "{rows:?}");
    for v in ["t2.micro", "m5.24xlarge"] {
        assert!(out.join(v).join("summary.csv").exists());
    }
}

#[test]
fn an_event_day_is_simulated_and_can_be_the_wall() {
    // Black Friday on day 300 quadruples the traffic for 4 hours. Without
    // it the M/M/4 holds to the end (7,000 users: rho 0.7, p99 far under
    // the 5 s bound); on day 300 (about 3,300 users, rho 0.33) it is
    // offered 1.3 times its capacity, so that day's checkpoint misses and
    // the wall lies at or below its users.
    for mode in [Mode::Des, Mode::Fluid] {
        let mut s = growing_mm4(5000.0);
        s.traffic.load = Load::Users {
            users: Users::Growing {
                start: 100.0,
                end: 7_000.0,
                shape: GrowthShape::Exponential,
            },
            requests_per_user_per_day: 864.0,
        };
        s.simulation.mode = mode;
        s.simulation.checkpoints = 4;
        let day300 = secs(300 * 86_400);
        let quiet = simulate(&s, &RunOptions::default()).unwrap();
        assert_eq!(quiet.checkpoints.len(), 4);
        assert!(quiet.wall.is_none(), "{mode:?}: no wall without the event");
        s.traffic.events = vec![TrafficEvent {
            at: day300,
            duration: secs(4 * 3600),
            multiplier: 4.0,
        }];
        let r = simulate(&s, &RunOptions::default()).unwrap();
        assert_eq!(r.checkpoints.len(), 5, "{mode:?}");
        let on = r
            .checkpoints
            .iter()
            .find(|c| c.checkpoint.start.0 / (86_400 * 1_000_000_000) == 300)
            .expect("a checkpoint on day 300");
        assert_conserved(on);
        let users = on.checkpoint.users.unwrap();
        assert!(
            rel(on.offered_rps, 4.0 * users / 100.0) < 0.05,
            "{mode:?}: {} req/s at {users} users",
            on.offered_rps
        );
        assert_eq!(on.verdict(), simscale::run::Verdict::Missed, "{mode:?}");
        let wall = r.wall.as_ref().expect("the event day makes a wall");
        assert!(wall.missed_at <= users * 1.0001, "{mode:?}: {wall:?}");
    }
}

fn growth_with_an_event(at_days: u64, hours: u64, window_at: WindowAt) -> Scenario {
    let text = format!(
        "name = \"e\"\n[simulation]\nhorizon = \"365d\"\ncheckpoints = 4\nwindow = \"1h\"\nwarmup = \"5m\"\n\
         [traffic]\nusers = {{ start = 1000, end = 100000 }}\nrequests_per_user_per_day = 100\n\
         diurnal = {{ peak_to_mean = 2, peak_hour = 20 }}\n\
         [[traffic.events]]\nat = \"{at_days}d 9h\"\nduration = \"{hours}h\"\nmultiplier = 3\n\
         [web]\ninstance = \"m5.large\"\n"
    );
    let mut s = simscale::scenario::parse(&text, "e.toml").expect("valid");
    s.simulation.window_at = window_at;
    s
}

#[test]
fn every_event_on_the_horizon_gets_a_checkpoint() {
    const DAY: u64 = 86_400 * NANOS_PER_SEC;
    for window_at in [WindowAt::Peak, WindowAt::Start] {
        // A 2-hour event at 9h on day 300: the evening peak misses it,
        // so the measured 55 minutes are its first 55; a window at the
        // event's start measures it from 9h05.
        let s = growth_with_an_event(300, 2, window_at);
        let plan = plan_checkpoints(&s);
        assert_eq!(plan.len(), 5);
        let e = &s.traffic.events[0];
        let on = plan.iter().filter(|cp| measures(cp, e)).count();
        assert_eq!(on, 1, "{plan:?}");
        let cp = plan.iter().find(|cp| measures(cp, e)).unwrap();
        assert_eq!(cp.start.0 / DAY, 300);
        let nine = 300 * DAY + 9 * 3600 * NANOS_PER_SEC;
        let want = match window_at {
            WindowAt::Peak => nine,
            _ => nine + 300 * NANOS_PER_SEC,
        };
        assert_eq!((cp.start + cp.warmup).0, want);
        // Numbered in time order, users on the growth curve there.
        assert!(plan.windows(2).all(|w| w[0].start < w[1].start));
        assert!(plan.iter().enumerate().all(|(k, cp)| cp.index == k));
        let want = GrowthShape::Exponential.users_at(
            1000.0,
            100_000.0,
            cp.start.0 as f64 / (365 * DAY) as f64,
        );
        assert!((cp.users.unwrap() - want).abs() < 1e-6 * want);
        assert_eq!(cp.base_rate, s.traffic.base_rate(want));
    }
    // A whole-day event: the usual evening peak window measures it.
    let s = growth_with_an_event(300, 24, WindowAt::Peak);
    let plan = plan_checkpoints(&s);
    let cp = plan
        .iter()
        .find(|cp| measures(cp, &s.traffic.events[0]))
        .unwrap();
    assert_eq!(cp.start, place_window(&s, SimTime(300 * DAY)));
    // An event after the horizon adds nothing.
    let s = growth_with_an_event(400, 2, WindowAt::Peak);
    assert_eq!(plan_checkpoints(&s).len(), 4);
}
