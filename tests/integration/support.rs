//! Scenario builders and queueing formulas shared by the tests.

#![allow(dead_code)]

use simscale::run::{CheckpointResult, RunOptions, simulate};
use simscale::spec::*;
use simscale::time::SimDuration;

pub fn ms(x: f64) -> SimDuration {
    SimDuration::from_secs_f64(x / 1000.0)
}

pub fn secs(x: u64) -> SimDuration {
    SimDuration::from_secs(x)
}

/// One web instance with `vcpus` vCPUs at speed 1, Poisson arrivals at
/// `rate`, one request class with CPU time `cpu`, and no network delays.
pub fn station(rate: f64, vcpus: u32, workers: u32, queue_limit: u32, cpu: Dist) -> Scenario {
    let mut class = RequestClass::default_class();
    class.web_cpu = cpu;
    Scenario {
        name: "theory".into(),
        description: None,
        region: Region::UsEast1,
        simulation: Simulation {
            seed: 1,
            mode: Mode::Des,
            horizon: None,
            checkpoints: 1,
            window: secs(3600),
            window_at: WindowAt::Start,
            warmup: secs(60),
            replications: 1,
            des_budget: 20_000_000,
            segments: true,
            slo: Slo {
                p99: ms(500.0),
                availability: 0.999,
                over: SloOver::Window,
            },
            precision: None,
            quiet_warnings: Vec::new(),
        },
        traffic: Traffic {
            load: Load::Rate(rate),
            diurnal: None,
            client_rtt: SimDuration::ZERO,
            events: vec![],
            mix: vec![class],
        },
        cdn: None,
        load_balancer: None,
        web: Web {
            instance: InstanceSpec {
                name: "test".into(),
                vcpus,
                cpu_speed: 1.0,
                threads_per_core: 1,
                smt_pair: 2.0,
                usd_per_hour: 0.1,
                burst: None,
            },
            count: 1,
            azs: vec!["a".into()],
            workers,
            queue_limit,
            timeout: SimDuration::from_secs(3600),
            sessions: Sessions::Local,
            autoscaling: None,
            cpu_scheduling: Scheduling::Fcfs,
            scaling: Usl::LINEAR,
        },
        database: None,
        ladder: None,
        faults: Vec::new(),
        serverless: None,
        billing: simscale::spec::Billing::default(),
    }
}

pub fn exp(mean_ms: f64) -> Dist {
    Dist::Exponential { mean: ms(mean_ms) }
}

/// Runs `s` with each seed and returns the single checkpoint of each run.
pub fn run_seeds(s: &Scenario, seeds: &[u64]) -> Vec<CheckpointResult> {
    seeds
        .iter()
        .map(|&seed| {
            let opts = RunOptions {
                seed: Some(seed),
                ..RunOptions::default()
            };
            let mut r = simulate(s, &opts).expect("run succeeds");
            assert_eq!(r.checkpoints.len(), 1);
            let cp = r.checkpoints.remove(0);
            assert_conserved(&cp);
            cp
        })
        .collect()
}

/// Every request ends in exactly one state.
pub fn assert_conserved(cp: &CheckpointResult) {
    let c = &cp.window.counts;
    assert_eq!(
        c.requests,
        c.served + c.dropped + c.timed_out + c.errors + c.throttled + c.in_flight(),
    );
    assert!(c.finished() <= c.requests);
}

pub fn mean_of(xs: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.into_iter().collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// Relative difference.
pub fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

/// Erlang B: blocking of M/M/c/c with offered load `a` Erlangs.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: probability of waiting in M/M/c.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// M/M/c response time: mean and the survival function.
pub struct Mmc {
    pub c: u32,
    pub lambda: f64,
    pub mu: f64,
}

impl Mmc {
    pub fn wait_probability(&self) -> f64 {
        erlang_c(self.c, self.lambda / self.mu)
    }

    pub fn mean_response(&self) -> f64 {
        let theta = f64::from(self.c) * self.mu - self.lambda;
        self.wait_probability() / theta + 1.0 / self.mu
    }

    /// P(T > t): T = S + Wq, S ~ Exp(mu), Wq = 0 w.p. 1 - C, else Exp(c mu - lambda).
    pub fn survival(&self, t: f64) -> f64 {
        let (mu, theta) = (self.mu, f64::from(self.c) * self.mu - self.lambda);
        let c = self.wait_probability();
        let hypo = if (theta - mu).abs() < 1e-9 * mu {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - c) * (-mu * t).exp() + c * hypo
    }

    pub fn quantile(&self, q: f64) -> f64 {
        bisect(|t| 1.0 - self.survival(t) - q)
    }
}

/// Root of an increasing function on (0, 1e6).
pub fn bisect(f: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1e6);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// M/M/c/K: (blocking probability, mean number in system).
pub fn mmck(c: u32, k: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let a = lambda / mu;
    let mut p = vec![1.0f64];
    for n in 1..=k {
        let servers = f64::from(n.min(c));
        let prev = p[n as usize - 1];
        p.push(prev * a / servers);
    }
    let total: f64 = p.iter().sum();
    let block = p[k as usize] / total;
    let l = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum::<f64>() / total;
    (block, l)
}

/// A t2.micro at `util` of its one vCPU, 0.1 ms of work per request at full
/// speed, starting with its 30 launch credits.
pub fn t2_micro(util: f64) -> String {
    let speed = simscale::catalog::Catalog::embedded()
        .ec2("t2.micro")
        .unwrap()
        .cpu_speed
        .unwrap();
    let rate = util / 0.0001;
    format!(
        r#"
name = "t2.micro credits"
[simulation]
mode = "des"
window = "6h"
warmup = "1m"
des_budget = 100_000_000
[traffic]
rate = {rate}
[[traffic.mix]]
name = "default"
share = 1.0
web_cpu = {{ mean = "{cpu_ns}ns", dist = "exponential" }}
[web]
instance = "t2.micro"
initial_credits = "launch"
workers = 100
queue_limit = 1000
"#,
        cpu_ns = (100_000.0 * speed).round()
    )
}

/// An ALB dispatching by `algorithm`, adding `latency_ms` to each request,
/// with the default health checks.
pub fn alb(algorithm: LbAlgorithm, latency_ms: f64) -> LoadBalancer {
    LoadBalancer {
        kind: LbKind::Alb,
        algorithm,
        latency: Dist::constant(ms(latency_ms)),
        health_check: HealthCheck {
            interval: secs(30),
            unhealthy_threshold: 2,
            healthy_threshold: 5,
        },
        requests_per_connection: 1.0,
        rules: 1,
    }
}

/// The first checkpoint of `s` run in `mode`, its requests accounted for.
pub fn run_in(s: &Scenario, mode: Mode) -> CheckpointResult {
    let mut s = s.clone();
    s.simulation.mode = mode;
    let mut r = simulate(&s, &RunOptions::default()).unwrap();
    let cp = r.checkpoints.remove(0);
    assert_conserved(&cp);
    cp
}

/// The first checkpoint of `s` in the DES and in the fluid mode.
pub fn both(s: &Scenario) -> [CheckpointResult; 2] {
    [Mode::Des, Mode::Fluid].map(|mode| run_in(s, mode))
}

/// A MySQL RDS server of `vcpus` at m5 speed, linear, with no network
/// delay, 2 ms reads and 6 ms writes (exponential), no replica and
/// connections to spare: tests override what they study.
pub fn test_db(vcpus: u32) -> Database {
    Database {
        engine: DbEngine::Mysql,
        placement: DbPlacement::Rds(InstanceSpec {
            name: "db.test".into(),
            vcpus,
            cpu_speed: 1.0,
            threads_per_core: 1,
            smt_pair: 2.0,
            usd_per_hour: 0.2,
            burst: None,
        }),
        multi_az: false,
        read_replicas: 0,
        replica: None,
        read_time: exp(2.0),
        write_time: exp(6.0),
        max_connections: 1_000_000,
        working_set_gb: None,
        cache_gb: 8.0,
        storage: None,
        failover_time: secs(90),
        replica_lag: ms(100.0),
        network: DbNetwork::ZERO,
        read_after_write: ReadAfterWrite::Replica,
        bytes_per_query: 2_000,
        scaling: Usl::LINEAR,
    }
}
