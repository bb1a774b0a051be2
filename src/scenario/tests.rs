use super::*;
use crate::spec::{
    Burst, Cdn, CreditMode, Database, DbEngine, DbPlacement, Dist, Diurnal, GrowthShape,
    HealthCheck, InitialCredits, InstanceSpec, LbAlgorithm, LbKind, Load, LoadBalancer, Mode,
    Region, RequestClass, Scheduling, Sessions, Simulation, Slo, StaticOrigin, Traffic,
    TrafficEvent, Users, Usl, Web,
};
use crate::time::SimDuration;

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn ok(text: &str) -> Scenario {
    match parse(text, "test.toml") {
        Ok(s) => s,
        Err(d) => panic!("expected a valid scenario, got:\n{d}"),
    }
}

fn errors(text: &str) -> Diagnostics {
    match parse(text, "test.toml") {
        Ok(s) => panic!("expected errors, got {s:?}"),
        Err(d) => d,
    }
}

const MINIMAL: &str = r#"
name = "min"
[traffic]
rate = 10
[web]
instance = "m5.large"
"#;

#[test]
fn minimal_scenario_gets_every_default() {
    let s = ok(MINIMAL);
    let catalog = crate::catalog::Catalog::embedded();
    let m5 = catalog.ec2("m5.large").unwrap();
    let expected = Scenario {
        name: "min".to_string(),
        description: None,
        region: Region::UsEast1,
        simulation: Simulation {
            seed: 1,
            mode: Mode::Auto,
            horizon: None,
            checkpoints: 25,
            window: SimDuration::from_secs(3600),
            window_at: crate::spec::WindowAt::Start,
            warmup: SimDuration::from_secs(300),
            replications: 1,
            des_budget: 20_000_000,
            segments: true,
            slo: Slo {
                p99: ms(500),
                availability: 0.999,
                over: crate::spec::SloOver::Every(SimDuration::from_secs(3600)),
            },
            precision: None,
            quiet_warnings: Vec::new(),
        },
        traffic: Traffic {
            load: Load::Rate(10.0),
            diurnal: None,
            client_rtt: SimDuration::ZERO,
            events: vec![],
            mix: vec![RequestClass::default_class()],
        },
        cdn: None,
        load_balancer: None,
        web: Web {
            instance: InstanceSpec {
                name: "m5.large".to_string(),
                vcpus: 2,
                cpu_speed: m5.cpu_speed.unwrap(),
                threads_per_core: m5.threads_per_core,
                smt_pair: 2.0,
                usd_per_hour: m5.usd_per_hour("us-east-1").unwrap(),
                burst: None,
            },
            count: 1,
            azs: vec!["a".to_string()],
            workers: 8,
            queue_limit: 1024,
            timeout: SimDuration::from_secs(30),
            sessions: Sessions::Local,
            autoscaling: None,
            cpu_scheduling: Scheduling::Fcfs,
            scaling: Usl::LINEAR,
        },
        database: None,
        serverless: None,
        ladder: None,
        faults: Vec::new(),
        billing: crate::spec::Billing::default(),
    };
    assert_eq!(s, expected);
    assert_eq!(s.web.instance.cpu_speed, 1.0);
}

const FULL: &str = r#"
name = "Scale out behind an ALB"
description = "Two AZs, RDS Multi-AZ"
region = "eu-west-1"

[simulation]
seed = 7
mode = "des"
horizon = "365d"
checkpoints = 10
warmup = "10m"
des_budget = 1_000_000
slo = { p99 = "300ms", availability = 0.99 }

[traffic]
users = { start = 10, end = 1e6, shape = "logistic" }
requests_per_user_per_day = 300
diurnal = { peak_to_mean = 2.0, peak_hour = 21 }
client_rtt = "40ms"

[[traffic.events]]
at = "300s"
duration = "60s"
multiplier = 1.76

[[traffic.mix]]
name = "page"
share = 0.25
web_cpu = "80ms"
db_reads = 3
db_writes = 1

[[traffic.mix]]
name = "static"
share = 0.75
bytes = 200_000
cacheable = true
web_cpu = { mean = "1ms", dist = "exponential" }

[cdn]
hit_ratio = 0.95

[load_balancer]
kind = "nlb"
algorithm = "least_outstanding"
health_check = { interval = "10s" }
requests_per_connection = 4
rules = 12

[web]
instance = "t3.micro"
count = 4
azs = ["a", "b"]
queue_limit = 0
timeout = "5s"
sessions = "elasticache"

[database]
engine = "postgres"
instance = "db.m5.large"
multi_az = true
read_replicas = 2
read_time = { mean = "3ms", cv = 0.5 }
max_connections = 500
"#;

#[test]
fn full_scenario_resolves_exactly() {
    let s = ok(FULL);
    let catalog = crate::catalog::Catalog::embedded();
    let t3 = catalog.ec2("t3.micro").unwrap();
    let rds = catalog.rds("db.m5.large").unwrap();
    assert_eq!(s.name, "Scale out behind an ALB");
    assert_eq!(s.description.as_deref(), Some("Two AZs, RDS Multi-AZ"));
    assert_eq!(s.region, Region::EuWest1);
    assert_eq!(
        s.simulation,
        Simulation {
            seed: 7,
            mode: Mode::Des,
            horizon: Some(SimDuration::from_secs(365 * 86_400)),
            checkpoints: 10,
            window: SimDuration::from_secs(86_400),
            window_at: crate::spec::WindowAt::Start,
            warmup: SimDuration::from_secs(600),
            replications: 1,
            des_budget: 1_000_000,
            segments: true,
            slo: Slo {
                p99: ms(300),
                availability: 0.99,
                over: crate::spec::SloOver::Every(SimDuration::from_secs(3600)),
            },
            precision: None,
            quiet_warnings: Vec::new(),
        }
    );
    assert_eq!(
        s.traffic,
        Traffic {
            load: Load::Users {
                users: Users::Growing {
                    start: 10.0,
                    end: 1e6,
                    shape: GrowthShape::Logistic,
                },
                requests_per_user_per_day: 300.0,
            },
            diurnal: Some(Diurnal::Sinusoid {
                peak_to_mean: 2.0,
                peak_hour: 21.0,
            }),
            client_rtt: ms(40),
            events: vec![TrafficEvent {
                at: SimDuration::from_secs(300),
                duration: SimDuration::from_secs(60),
                multiplier: 1.76,
            }],
            mix: vec![
                RequestClass {
                    name: "page".to_string(),
                    share: 0.25,
                    bytes: 10_000,
                    cacheable: false,
                    web_cpu: Dist::Lognormal {
                        mean: ms(80),
                        cv: 1.0,
                    },
                    db_reads: 3,
                    db_writes: 1,
                    session: true,
                    slo: None,
                },
                RequestClass {
                    name: "static".to_string(),
                    share: 0.75,
                    bytes: 200_000,
                    cacheable: true,
                    web_cpu: Dist::Exponential { mean: ms(1) },
                    db_reads: 0,
                    db_writes: 0,
                    session: false,
                    slo: None,
                },
            ],
        }
    );
    assert_eq!(
        s.cdn,
        Some(Cdn {
            hit_ratio: 0.95,
            latency: Dist::Deterministic { value: ms(15) },
            static_origin: StaticOrigin::S3,
            s3_latency: Dist::Deterministic { value: ms(30) },
            s3_storage_gb: 0.0,
            s3_prefixes: 1,
        })
    );
    assert_eq!(
        s.load_balancer,
        Some(LoadBalancer {
            kind: LbKind::Nlb,
            algorithm: LbAlgorithm::LeastOutstanding,
            latency: Dist::Deterministic { value: ms(1) },
            health_check: HealthCheck {
                interval: SimDuration::from_secs(10),
                unhealthy_threshold: 2,
                healthy_threshold: 5,
            },
            requests_per_connection: 4.0,
            rules: 12,
        })
    );
    assert_eq!(
        s.web,
        Web {
            instance: InstanceSpec {
                name: "t3.micro".to_string(),
                vcpus: t3.vcpu,
                cpu_speed: t3.cpu_speed.unwrap(),
                threads_per_core: t3.threads_per_core,
                smt_pair: 2.0,
                usd_per_hour: t3.usd_per_hour("eu-west-1").unwrap(),
                burst: Some(Burst {
                    baseline: 0.1,
                    credits_per_hour: 12.0,
                    launch_credits: 0.0,
                    max_credits: 288.0,
                    mode: CreditMode::Unlimited,
                    initial: InitialCredits::Steady,
                }),
            },
            count: 4,
            azs: vec!["a".to_string(), "b".to_string()],
            workers: 4 * t3.vcpu,
            queue_limit: 0,
            timeout: SimDuration::from_secs(5),
            sessions: Sessions::Elasticache,
            autoscaling: None,
            cpu_scheduling: Scheduling::Fcfs,
            scaling: Usl::LINEAR,
        }
    );
    assert_eq!(
        s.database,
        Some(Database {
            engine: DbEngine::Postgres,
            placement: DbPlacement::Rds(InstanceSpec {
                name: "db.m5.large".to_string(),
                vcpus: rds.vcpu,
                cpu_speed: rds.cpu_speed.unwrap(),
                threads_per_core: rds.threads_per_core,
                smt_pair: 2.0,
                usd_per_hour: rds.usd_per_hour("postgres", "eu-west-1").unwrap(),
                burst: None,
            }),
            multi_az: true,
            read_replicas: 2,
            replica: None,
            read_time: Dist::Lognormal {
                mean: ms(3),
                cv: 0.5,
            },
            write_time: Dist::Lognormal {
                mean: ms(6),
                cv: 1.0,
            },
            max_connections: 500,
            working_set_gb: None,
            cache_gb: 4.0, // PostgreSQL: half of db.m5.large's 8 GiB
            storage: None,
            failover_time: SimDuration::from_secs(90),
            replica_lag: ms(100),
            network: crate::spec::DbNetwork::MEASURED,
            read_after_write: crate::spec::ReadAfterWrite::Replica,
            bytes_per_query: 2_000,
            // PostgreSQL's published fit (data/behaviour.csv).
            scaling: Usl {
                contention: 0.0009561,
                coherency: 0.0025427,
            },
        })
    );
}

/// The scenario MINIMAL with `web_cpu = <value>` in a one-class mix.
fn web_cpu(value: &str) -> Result<Dist, Diagnostics> {
    let text = format!("{MINIMAL}\n[[traffic.mix]]\nname = \"x\"\nshare = 1\nweb_cpu = {value}\n");
    parse(&text, "test.toml").map(|s| s.traffic.mix[0].web_cpu)
}

/// The scenario MINIMAL with a CDN whose `latency = <value>`.
fn cdn_latency(value: &str) -> Result<Dist, Diagnostics> {
    let text = format!("{MINIMAL}\n[cdn]\nlatency = {value}\n");
    parse(&text, "test.toml").map(|s| s.cdn.unwrap().latency)
}

#[test]
fn every_distribution_form() {
    let lognormal = |mean, cv| Dist::Lognormal { mean, cv };
    assert_eq!(web_cpu("\"20ms\"").unwrap(), lognormal(ms(20), 1.0));
    assert_eq!(
        web_cpu("{ mean = \"20ms\" }").unwrap(),
        lognormal(ms(20), 1.0)
    );
    assert_eq!(
        web_cpu("{ mean = \"20ms\", cv = 2.5 }").unwrap(),
        lognormal(ms(20), 2.5)
    );
    assert_eq!(
        web_cpu("{ mean = \"20ms\", dist = \"lognormal\", cv = 0.3 }").unwrap(),
        lognormal(ms(20), 0.3)
    );
    assert_eq!(
        web_cpu("{ mean = \"20ms\", dist = \"gamma\", cv = 2 }").unwrap(),
        Dist::Gamma {
            mean: ms(20),
            cv: 2.0
        }
    );
    assert_eq!(
        web_cpu("{ mean = \"20ms\", dist = \"exponential\" }").unwrap(),
        Dist::Exponential { mean: ms(20) }
    );
    assert_eq!(
        web_cpu("{ mean = \"20ms\", dist = \"deterministic\" }").unwrap(),
        Dist::Deterministic { value: ms(20) }
    );
    assert_eq!(
        web_cpu("{ dist = \"uniform\", min = \"10ms\", max = \"30ms\" }").unwrap(),
        Dist::Uniform {
            min: ms(10),
            max: ms(30)
        }
    );
    // Network latencies default to deterministic.
    assert_eq!(
        cdn_latency("\"7ms\"").unwrap(),
        Dist::Deterministic { value: ms(7) }
    );
    assert_eq!(
        cdn_latency("{ mean = \"7ms\", dist = \"gamma\", cv = 0.5 }").unwrap(),
        Dist::Gamma {
            mean: ms(7),
            cv: 0.5
        }
    );

    // And the broken forms.
    let first_message = |r: Result<Dist, Diagnostics>| {
        let d = r.expect_err("should be rejected");
        let first = d.iter().next().unwrap();
        format!("{}: {}", first.key, first.message)
    };
    assert_eq!(
        first_message(web_cpu("{ mean = \"20ms\", dist = \"lognormal\" }")),
        "traffic.mix[0].web_cpu.cv: missing required key in traffic.mix[0].web_cpu"
    );
    assert_eq!(
        first_message(web_cpu(
            "{ mean = \"20ms\", dist = \"uniform\", min = \"1ms\", max = \"2ms\" }"
        )),
        "traffic.mix[0].web_cpu.mean: uniform takes min and max, not mean"
    );
    assert_eq!(
        first_message(web_cpu(
            "{ dist = \"uniform\", min = \"3ms\", max = \"2ms\" }"
        )),
        "traffic.mix[0].web_cpu.max: expected max >= min (3ms), found 2ms"
    );
    assert_eq!(
        first_message(web_cpu(
            "{ mean = \"20ms\", dist = \"exponential\", cv = 2 }"
        )),
        "traffic.mix[0].web_cpu.cv: cv applies only to lognormal and gamma, found it with exponential"
    );
    assert_eq!(
        first_message(cdn_latency("{ mean = \"7ms\", cv = 2 }")),
        "cdn.latency.cv: cv applies only to lognormal and gamma, found it with the default deterministic"
    );
    assert_eq!(
        first_message(web_cpu("12")),
        "traffic.mix[0].web_cpu: expected a duration like \"50ms\" or a table { mean, dist, cv }, found integer 12"
    );
    assert_eq!(
        first_message(web_cpu("{ mean = \"20ms\", dist = \"normal\" }")),
        "traffic.mix[0].web_cpu.dist: unknown distribution 'normal', expected one of exponential | deterministic | lognormal | gamma | uniform"
    );
}

fn users_scenario(users: &str, horizon: bool) -> Result<Scenario, Diagnostics> {
    let sim = if horizon {
        "[simulation]\nhorizon = \"30d\"\n"
    } else {
        ""
    };
    let text = format!(
        "name = \"u\"\n{sim}[traffic]\nusers = {users}\nrequests_per_user_per_day = 86.4\n[web]\ninstance = \"m5.large\"\n"
    );
    parse(&text, "test.toml")
}

#[test]
fn users_constant_or_growing() {
    let s = users_scenario("5000", false).unwrap();
    assert_eq!(
        s.traffic.load,
        Load::Users {
            users: Users::Constant(5000.0),
            requests_per_user_per_day: 86.4,
        }
    );
    assert_eq!(s.traffic.base_rate(5000.0), 5.0);
    assert_eq!(s.simulation.window, SimDuration::from_secs(3600));

    let s = users_scenario("{ start = 1, end = 1_000 }", true).unwrap();
    assert_eq!(
        s.traffic.load,
        Load::Users {
            users: Users::Growing {
                start: 1.0,
                end: 1000.0,
                shape: GrowthShape::Exponential,
            },
            requests_per_user_per_day: 86.4,
        }
    );
    assert_eq!(s.simulation.window, SimDuration::from_secs(86_400));

    let d = users_scenario("{ start = 1, end = 1_000 }", false).unwrap_err();
    assert_eq!(d.len(), 1);
    let first = d.iter().next().unwrap();
    assert_eq!(first.key, "traffic.users");
    assert!(first.help.as_deref().unwrap().contains("horizon"));

    let d = users_scenario("0.5", false).unwrap_err();
    assert_eq!(
        d.iter().next().unwrap().message,
        "expected a number >= 1, found 0.5"
    );
    let d = users_scenario("{ start = 1, end = 10, shape = \"expo\" }", true).unwrap_err();
    assert_eq!(
        d.iter().next().unwrap().help.as_deref(),
        Some("did you mean 'exponential'?")
    );
}

#[test]
fn every_error_is_reported_at_once_in_file_order() {
    let text = r#"name = "many"
[web]
count = 0
isntance = "m5.large"
[traffic]
rate = -1
[simulation]
mode = "dse"
window = 60
"#;
    let d = errors(text);
    let found: Vec<(&str, usize)> = d
        .iter()
        .map(|d| (d.key.as_str(), d.span.clone().unwrap().start))
        .collect();
    let keys: Vec<&str> = found.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "web.count",
            "web.isntance",
            "traffic.rate",
            "simulation.mode",
            "simulation.window",
        ]
    );
    assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "{found:?}");
    let unknown = d.iter().find(|d| d.key == "web.isntance").unwrap();
    // The misspelling stands for the missing required key: one error, not two.
    assert_eq!(
        unknown.help.as_deref(),
        Some("did you mean 'instance'? it is required")
    );
    let rendered = d.to_string();
    assert!(
        rendered.ends_with("error: could not load scenario 'test.toml' (5 errors)"),
        "{rendered}"
    );
}

#[test]
fn rendering_points_at_the_value() {
    let text = "name = \"x\"\n[traffic]\nrate = 1\n[web]\ninstance = \"m5.larg\"\n";
    let d = errors(text);
    assert_eq!(
        d.to_string(),
        "error: web.instance: unknown instance type 'm5.larg'
 --> x.toml:5:12
  |
5 | instance = \"m5.larg\"
  |            ^^^^^^^^^
  = help: did you mean 'm5.large'?

error: could not load scenario 'test.toml' (1 error)"
            .replace("x.toml", "test.toml")
    );
}

#[test]
fn load_names_the_path_and_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = load(&missing).unwrap_err();
    assert!(matches!(err, ScenarioError::Io { .. }));
    assert!(err.to_string().starts_with("cannot read scenario '"));

    let path = dir.path().join("ok.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    assert_eq!(load(&path).unwrap().name, "min");

    std::fs::write(&path, "name = 3").unwrap();
    let err = load(&path).unwrap_err();
    let ScenarioError::Invalid(d) = &err else {
        panic!("{err}")
    };
    assert_eq!(d.origin(), path.display().to_string());
}

#[test]
fn invalid_scenarios_snapshot() {
    insta::glob!("../../tests/data/invalid", "*.toml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let origin = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let d = parse(&text, &origin).expect_err("an invalid scenario must be rejected");
        insta::assert_snapshot!(d.to_string());
    });
}

#[test]
fn never_panics_on_truncations_and_mutations() {
    let inputs = [FULL, MINIMAL];
    for text in inputs {
        let bytes = text.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            let s = String::from_utf8_lossy(&bytes[..cut]);
            let _ = parse(&s, "cut.toml");
        }
        let replacements: &[u8] = b"\"=[]{}.,#\n0-_ae\\'\t\x7f";
        for (i, pos) in (0..bytes.len()).step_by(5).enumerate() {
            let mut m = bytes.to_vec();
            m[pos] = replacements[i % replacements.len()];
            let s = String::from_utf8_lossy(&m);
            let _ = parse(&s, "mutated.toml");
            let mut dup = bytes.to_vec();
            dup.insert(pos, b'\n');
            let _ = parse(&String::from_utf8_lossy(&dup), "mutated.toml");
        }
    }
    // Odd values in valid TOML.
    for value in [
        "-9223372036854775808",
        "99999999999999999999999",
        "0x7fffffffffffffff",
        "nan",
        "-inf",
        "1e308",
        "\"999999999999999999999999h\"",
        "\"18446744073709551615s\"",
        "\"\"",
        "[]",
        "{}",
        "1979-05-27",
    ] {
        for key in [
            "simulation.seed",
            "simulation.window",
            "traffic.rate",
            "traffic.users",
            "web.count",
            "web.azs",
            "traffic.diurnal",
        ] {
            let (section, k) = key.split_once('.').unwrap();
            let text = format!(
                "name = \"x\"\n[traffic]\nrate = 1\n[web]\ninstance = \"m5.large\"\ncount = 2\n[load_balancer]\n[database]\ninstance = \"colocated\"\n[{section}2]\n{k} = {value}\n"
            );
            let _ = parse(&text, "odd.toml");
            let text = format!("name = \"x\"\n{section}.{k} = {value}\n");
            let _ = parse(&text, "odd.toml");
        }
    }
}

#[test]
fn diurnal_takes_a_trough_and_rejects_a_peak_below_the_mean() {
    let s = ok(&MINIMAL.replace(
        "rate = 10",
        "rate = 10\ndiurnal = { peak_to_mean = 3.0, trough_to_mean = 0.3, peak_hour = 19 }",
    ));
    assert!(matches!(
        s.traffic.diurnal,
        Some(Diurnal::PeakTrough {
            peak_to_mean: 3.0,
            trough_to_mean: 0.3,
            ..
        })
    ));
    let d = errors(&MINIMAL.replace(
        "rate = 10",
        "rate = 10\ndiurnal = { peak_to_mean = 1.0, trough_to_mean = 0.5 }",
    ));
    assert!(
        d.to_string()
            .contains("traffic.diurnal.trough_to_mean: a day with mean 1 needs a peak above 1"),
        "{d}"
    );
    // Without a trough the sinusoid's bound of 2 stays.
    let d = errors(&MINIMAL.replace("rate = 10", "rate = 10\ndiurnal = { peak_to_mean = 3.0 }"));
    assert!(d.to_string().contains("peak_to_mean"), "{d}");
    let d = errors(&MINIMAL.replace(
        "rate = 10",
        "rate = 10\ndiurnal = { peak_to_mean = 1.5, normalize = false }",
    ));
    assert!(
        d.to_string().contains("only applies to hourly multipliers"),
        "{d}"
    );
}

#[test]
fn a_measured_day_is_read_from_the_data_and_scaled_to_mean_1() {
    let s = parse(
        &MINIMAL.replace(
            "rate = 10",
            "rate = 10\ndiurnal = { measured = \"wisc-1997\" }",
        ),
        "m.toml",
    )
    .unwrap();
    let Some(Diurnal::Hourly(h)) = &s.traffic.diurnal else {
        panic!("{:?}", s.traffic.diurnal)
    };
    // 56,389 pages over the day: 2,349.5 an hour on average; the busiest
    // hour (06:00, 4,229 pages) is 1.80 times that, the quietest (03:00,
    // 980) 0.417.
    assert_eq!(h.len(), 24);
    assert!((h.iter().sum::<f64>() - 24.0).abs() < 1e-9);
    assert!((h[6] - 4229.0 / (56_389.0 / 24.0)).abs() < 1e-9, "{h:?}");
    assert!((h[3] - 980.0 / (56_389.0 / 24.0)).abs() < 1e-9);
    // Two weekdays of November 2000, added hour by hour (238,304 pages,
    // 9,929.3 an hour): 16:00 is the busiest (14,733 pages, 1.48 times the
    // mean), 06:00 the quietest (6,356, 0.64).
    let s = parse(
        &MINIMAL.replace(
            "rate = 10",
            "rate = 10\ndiurnal = { measured = \"wisc-2000\" }",
        ),
        "m.toml",
    )
    .unwrap();
    let Some(Diurnal::Hourly(h)) = &s.traffic.diurnal else {
        panic!("{:?}", s.traffic.diurnal)
    };
    let mean = 238_304.0 / 24.0;
    assert!((h.iter().sum::<f64>() - 24.0).abs() < 1e-9);
    assert!((h[16] - 14_733.0 / mean).abs() < 1e-9, "{h:?}");
    assert!((h[6] - 6_356.0 / mean).abs() < 1e-9, "{h:?}");
    let d = errors(&MINIMAL.replace(
        "rate = 10",
        "rate = 10\ndiurnal = { measured = \"wisc-1997\", peak_to_mean = 1.5 }",
    ));
    assert!(d.to_string().contains("a measured day alone"), "{d}");
    let d = errors(&MINIMAL.replace(
        "rate = 10",
        "rate = 10\ndiurnal = { measured = \"wikipedia\" }",
    ));
    assert!(d.to_string().contains("wisc-2000"), "{d}");
}

#[test]
fn a_share_sum_error_is_reported_beside_other_class_errors() {
    let d = errors(
        r#"
name = "x"
[traffic]
rate = 10.0
[[traffic.mix]]
name = "a"
share = 0.5
web_cpu = "fast"
[[traffic.mix]]
name = "b"
share = 0.4
[web]
instance = "m5.large"
"#,
    );
    let text = d.to_string();
    assert!(text.contains("traffic.mix[0].web_cpu"), "{text}");
    assert!(text.contains("shares sum to 0.9, expected 1"), "{text}");
}
