//! The scenario rules: defaults, ranges and cross-field checks, from the
//! spanned TOML tree to [`spec::Scenario`].

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Diagnostic;
use super::reader::{Bounds, Got, Sink, Table, duration_of, number_of, show_duration};
use crate::catalog::Catalog;
use crate::spec::{
    self, Cdn, Database, DbEngine, DbPlacement, Dist, Diurnal, GrowthShape, HealthCheck,
    InstanceSpec, LbAlgorithm, LbKind, Load, LoadBalancer, Mode, Region, RequestClass, Sessions,
    Simulation, Slo, StaticOrigin, Traffic, TrafficEvent, Users, Web,
};
use crate::spec::{Burst, ClassSlo, CreditMode, InitialCredits, Precision, SloOver, WindowAt};
use crate::suggest::did_you_mean;
use crate::time::SimDuration;

const LATER: &str = "it comes in a later release";
const PRICE_HELP: &str = "pick another type or region; see data/SOURCES.md";

/// The scenario, when every rule holds, every problem found, and the
/// warnings about what the loader adjusted.
pub(super) fn build_with_warnings(
    source: &str,
) -> (
    Option<spec::Scenario>,
    Vec<Diagnostic>,
    Vec<crate::warnings::Warning>,
) {
    let (tree, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        // A recovered tree misses whatever the broken lines said, so checking
        // it would only add noise: report the syntax errors alone.
        let mut out: Vec<Diagnostic> = Vec::new();
        for e in errors {
            let d = Diagnostic {
                key: String::new(),
                message: format!("invalid TOML: {}", e.message()),
                help: Some(syntax_help(e.message()).to_string()),
                span: Some(e.span().unwrap_or(0..0)),
            };
            if !out.contains(&d) {
                out.push(d);
            }
        }
        return (None, out, Vec::new());
    }
    let sink = Sink::new(source);
    let scenario = read_scenario(&sink, tree.get_ref());
    let (diagnostics, warnings) = sink.into_parts();
    (scenario, diagnostics, warnings)
}

fn syntax_help(message: &str) -> &'static str {
    if message.contains("duplicate key") {
        "each key and each [section] may appear only once"
    } else {
        "fix the TOML syntax at the marked spot (see https://toml.io)"
    }
}

fn read_scenario<'a>(sink: &'a Sink<'a>, tree: &'a DeTable<'a>) -> Option<spec::Scenario> {
    let mut root = Table::root(sink, tree);

    let name = root.required_str(
        "name",
        "give the scenario a name, e.g. name = \"My scenario\"",
    );
    let description = root.str("description");
    let region = root
        .choice(
            "region",
            "region",
            &[
                ("us-east-1", Region::UsEast1),
                ("eu-west-1", Region::EuWest1),
            ],
        )
        .or(Region::UsEast1);

    let has_lb = root.has("load_balancer");
    let has_db = root.has("database");

    let sim = root.table("simulation");
    let simulation = read_simulation(sim);

    let traffic_t = root.required_table(
        "traffic",
        "add a [traffic] section with rate = 100.0 (requests per second), or users and requests_per_user_per_day",
    );
    let traffic = read_traffic(traffic_t, &simulation, has_db);

    let cdn_t = root.table("cdn");
    let cdn = cdn_t.is_present().then(|| read_cdn(cdn_t));

    let lb_t = root.table("load_balancer");
    let load_balancer = lb_t.is_present().then(|| read_lb(lb_t));

    let web_t = root.required_table("web", "add a [web] section with instance = \"m5.large\"");
    let (web, web_count) = read_web(web_t, region, has_lb);

    let db_t = root.table("database");
    let database = if db_t.is_present() {
        read_database(db_t, region, web_count).map(Some)
    } else {
        Some(None)
    };

    if let Some(v) = root.take("serverless") {
        root.error(
            "serverless",
            "the serverless path is not supported yet",
            format!("remove the [serverless] section; {LATER}"),
            v.span(),
        );
    }
    if let Some(v) = root.take("faults") {
        root.error(
            "faults",
            "fault injection is not supported yet",
            format!("remove the [[faults]] sections; {LATER}"),
            v.span(),
        );
    }
    let ladder = read_ladder(root.table("ladder"));
    let billing = read_billing(root.table("billing"));
    root.finish();

    Some(spec::Scenario {
        name: name.value()?.clone(),
        description: description.value().cloned(),
        region,
        simulation: simulation.value?,
        traffic: traffic?,
        cdn: cdn.flatten(),
        load_balancer: load_balancer.flatten(),
        web: web?,
        database: database?,
        ladder: ladder?,
        billing,
    })
}

/// `[billing]`: free tier, root volumes, Aurora I/Os per query.
fn read_billing(mut t: Table<'_>) -> spec::Billing {
    let d = spec::Billing::default();
    if !t.is_present() {
        return d;
    }
    let free_tier = t.bool("free_tier").or(d.free_tier);
    let root_volume_gb = t
        .num("root_volume_gb", Bounds::at_least(0.0))
        .or(d.root_volume_gb);
    let aurora_ios_per_read = t
        .num("aurora_ios_per_read", Bounds::at_least(0.0))
        .or(d.aurora_ios_per_read);
    let aurora_ios_per_write = t
        .num("aurora_ios_per_write", Bounds::at_least(0.0))
        .or(d.aurora_ios_per_write);
    t.finish();
    spec::Billing {
        free_tier,
        root_volume_gb,
        aurora_ios_per_read,
        aurora_ios_per_write,
    }
}

/// `[ladder]`: `key` (a dotted key path) and `values` (one run each).
/// `Some(None)` without a ladder, `None` when invalid.
fn read_ladder(mut t: Table<'_>) -> Option<Option<spec::Ladder>> {
    if !t.is_present() {
        return Some(None);
    }
    let key = t.required_str(
        "key",
        "add key = \"web.instance\" (the key each rung changes)",
    );
    let key = match key {
        Got::Ok(k, span) => {
            let parts_ok = !k.is_empty()
                && k.split('.').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if parts_ok && k != "ladder" && !k.starts_with("ladder.") {
                Some(k)
            } else {
                t.error(
                    "key",
                    format!("expected a dotted key path such as web.instance, found \"{k}\""),
                    "name the key a rung changes, e.g. key = \"web.instance\" or key = \"web.count\"",
                    span,
                );
                None
            }
        }
        _ => None,
    };
    let help = "list one value per rung, e.g. values = [\"m5.large\", \"m5.2xlarge\"]";
    let values = match t.take("values") {
        None => {
            t.missing("values", help);
            None
        }
        Some(v) => match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let literal = match item.get_ref() {
                        DeValue::String(s) => Some(format!("{:?}", s.as_ref())),
                        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                            t.sink().snippet(item.span()).into()
                        }
                        _ => None,
                    };
                    match literal {
                        Some(l) => out.push(l),
                        None => t.sink().error(
                            format!("{}[{i}]", t.key_path("values")),
                            format!(
                                "expected a string, number or boolean, found {}",
                                t.sink().found(item)
                            ),
                            Some(help.to_string()),
                            item.span(),
                        ),
                    }
                }
                (out.len() == items.len()).then_some(out)
            }
            _ => {
                let found = t.sink().found(v);
                t.error(
                    "values",
                    format!("expected a non-empty array of values, found {found}"),
                    help,
                    v.span(),
                );
                None
            }
        },
    };
    t.finish();
    Some(Some(spec::Ladder {
        key: key?,
        values: values?,
    }))
}

/// The simulation section as read, with what later rules need to know.
struct SimRead {
    value: Option<Simulation>,
    /// `simulation.horizon` is set (validly or not).
    horizon_given: bool,
}

fn read_simulation(mut t: Table<'_>) -> SimRead {
    let seed = t.u64("seed", 0).or(1);
    let mode = t.choice(
        "mode",
        "mode",
        &[
            ("des", Mode::Des),
            ("fluid", Mode::Fluid),
            ("auto", Mode::Auto),
        ],
    );
    let horizon = t.duration("horizon", true);
    let horizon_given = !horizon.is_absent();
    let checkpoints = t.u32("checkpoints", 1).or(25);
    let window = t.duration("window", true);
    let warmup = t.duration("warmup", false);
    let replications = t.u32("replications", 1).or(1);
    let des_budget = t.u64("des_budget", 1).or(20_000_000);
    let window_at = t
        .choice(
            "window_at",
            "window placement",
            &[("start", WindowAt::Start), ("peak", WindowAt::Peak)],
        )
        .or(WindowAt::Start);
    let quiet_warnings = read_quiet_warnings(&mut t);
    let mut slo_t = t.table("slo");
    let p99 = slo_t
        .duration("p99", true)
        .or(SimDuration::from_millis(500));
    let availability = slo_t
        .num("availability", Bounds::between(0.0, false, 1.0, true))
        .or(0.999);
    let over = read_slo_over(&mut slo_t);
    slo_t.finish();
    let precision = read_precision(&mut t);

    let default_window = if horizon_given {
        SimDuration::from_secs(24 * 3600)
    } else {
        SimDuration::from_secs(3600)
    };
    let window_ok = !window.is_bad();
    let warmup_span = warmup.span();
    let window_span = window.span();
    let window = window.or(default_window);
    let warmup_bad = warmup.is_bad();
    let warmup = warmup.or(SimDuration::from_secs(300));
    if window_ok && !warmup_bad && warmup >= window {
        let span = warmup_span.or(window_span).unwrap_or(t.span());
        let key = if t.has("warmup") { "warmup" } else { "window" };
        t.error(
            key,
            format!(
                "the warm-up ({}) must be shorter than the window ({})",
                show_duration(warmup),
                show_duration(window)
            ),
            "shorten simulation.warmup or lengthen simulation.window",
            span,
        );
    }
    t.finish();
    SimRead {
        value: Some(Simulation {
            seed,
            mode: mode.or(Mode::Auto),
            horizon: horizon.value().copied(),
            checkpoints,
            window,
            window_at,
            warmup,
            replications,
            des_budget,
            slo: Slo {
                p99,
                availability,
                over,
            },
            precision,
            quiet_warnings,
        }),
        horizon_given,
    }
}

/// `slo.over`: `"hour"`, `"window"` or a duration of at least a minute.
fn read_slo_over(t: &mut Table<'_>) -> SloOver {
    const HELP: &str = "write \"hour\" (every clock hour), \"window\" (the whole window) or a duration such as \"5m\"";
    let Some(v) = t.take("over") else {
        return Slo::DEFAULT.over;
    };
    let key = t.key_path("over");
    match v.get_ref() {
        DeValue::String(text) if text.as_ref() == "hour" => {
            SloOver::Every(SimDuration::from_secs(3600))
        }
        DeValue::String(text) if text.as_ref() == "window" => SloOver::Window,
        DeValue::String(_) => match duration_of(t.sink(), &key, v, true) {
            Got::Ok(d, span) if d < SimDuration::from_secs(60) => {
                t.error(
                    "over",
                    format!(
                        "expected an interval of at least a minute, found {}",
                        show_duration(d)
                    ),
                    "percentiles over shorter intervals rest on too few requests; use \"1m\" or longer",
                    span,
                );
                Slo::DEFAULT.over
            }
            Got::Ok(d, _) => SloOver::Every(d),
            _ => Slo::DEFAULT.over,
        },
        _ => {
            let found = t.sink().found(v);
            t.error(
                "over",
                format!("expected \"hour\", \"window\" or a duration, found {found}"),
                HELP,
                v.span(),
            );
            Slo::DEFAULT.over
        }
    }
}

/// `simulation.precision`: `{ confidence, max_replications }` (an empty
/// table for the defaults).
fn read_precision(t: &mut Table<'_>) -> Option<Precision> {
    let mut p = t.table("precision");
    if !p.is_present() {
        return None;
    }
    let d = Precision::default();
    let confidence = p
        .num("confidence", Bounds::between(0.5, true, 1.0, false))
        .or(d.confidence);
    let max_replications = p.u32("max_replications", 2).or(d.max_replications);
    p.finish();
    Some(Precision {
        confidence,
        max_replications,
    })
}

/// `simulation.quiet_warnings`: warning keys not to report.
fn read_quiet_warnings(t: &mut Table<'_>) -> Vec<String> {
    let Some(v) = t.take("quiet_warnings") else {
        return Vec::new();
    };
    let help = "list warning keys as printed, e.g. quiet_warnings = [\"simulation.warmup\", \"traffic.mix\"]";
    let DeValue::Array(items) = v.get_ref() else {
        t.error(
            "quiet_warnings",
            format!(
                "expected an array of warning keys, found {}",
                t.sink().found(v)
            ),
            help,
            v.span(),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.get_ref() {
            DeValue::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
            _ => t.sink().error(
                format!("{}[{i}]", t.key_path("quiet_warnings")),
                format!(
                    "expected a non-empty warning key, found {}",
                    t.sink().found(item)
                ),
                Some(help.to_string()),
                item.span(),
            ),
        }
    }
    out
}

fn read_traffic(mut t: Table<'_>, sim: &SimRead, has_db: bool) -> Option<Traffic> {
    let present = t.is_present();
    let rate = t.num("rate", Bounds::above(0.0));
    let users = read_users(&mut t);
    let rpupd = t.num("requests_per_user_per_day", Bounds::above(0.0));

    let load = match (&rate, &users) {
        (Got::Absent, Got::Absent) => {
            if present {
                t.sink().error(
                    t.path().to_string(),
                    "expected either 'rate' or 'users', found neither",
                    Some(
                        "add rate = 100.0 (requests per second), or users = 5000 with requests_per_user_per_day = 300"
                            .to_string(),
                    ),
                    t.span(),
                );
            }
            None
        }
        (Got::Absent, _) => {
            let load = match (&users, &rpupd) {
                (Got::Ok(u, _), Got::Ok(r, _)) => Some(Load::Users {
                    users: *u,
                    requests_per_user_per_day: *r,
                }),
                _ => None,
            };
            if rpupd.is_absent() {
                t.missing(
                    "requests_per_user_per_day",
                    "with users, add requests_per_user_per_day = 300 (requests one user sends per day)",
                );
            }
            if let Got::Ok(Users::Growing { .. }, span) = &users
                && !sim.horizon_given
            {
                t.error(
                    "users",
                    "a growing population needs simulation.horizon, found none",
                    "add horizon = \"365d\" to [simulation], or make users a constant number",
                    span.clone(),
                );
            }
            load
        }
        (_, Got::Absent) => {
            if let Some(span) = rpupd.span() {
                t.error(
                    "requests_per_user_per_day",
                    "only applies with users, found it with rate",
                    "remove requests_per_user_per_day, or replace rate with users",
                    span,
                );
            }
            rate.value().map(|r| Load::Rate(*r))
        }
        _ => {
            let span = t.take("users").map(|v| v.span()).unwrap_or(t.span());
            t.error(
                "users",
                "'rate' and 'users' are mutually exclusive, found both",
                "keep rate for a fixed request rate, or users with requests_per_user_per_day",
                span,
            );
            None
        }
    };

    let diurnal = read_diurnal(&mut t);
    let client_rtt = t.duration("client_rtt", false).or(SimDuration::ZERO);

    let (event_tables, _) = t.array_of_tables("events");
    let mut events = Some(Vec::new());
    for mut e in event_tables {
        let at = e.duration("at", false);
        let duration = e.duration("duration", true);
        let multiplier = e.num("multiplier", Bounds::above(0.0));
        for (key, absent, help) in [
            (
                "at",
                at.is_absent(),
                "add at = \"300s\" (start, since the start of the window or horizon)",
            ),
            ("duration", duration.is_absent(), "add duration = \"60s\""),
            (
                "multiplier",
                multiplier.is_absent(),
                "add multiplier = 2.0 (rate factor while it lasts)",
            ),
        ] {
            if absent {
                e.missing(key, help);
            }
        }
        match (at, duration, multiplier) {
            (Got::Ok(at, _), Got::Ok(duration, _), Got::Ok(multiplier, _)) => {
                if let Some(ev) = events.as_mut() {
                    ev.push(TrafficEvent {
                        at,
                        duration,
                        multiplier,
                    });
                }
            }
            _ => events = None,
        }
        e.finish();
    }

    let mix = read_mix(&mut t, has_db);
    t.finish();
    Some(Traffic {
        load: load?,
        diurnal: diurnal?,
        client_rtt,
        events: events?,
        mix: mix?,
    })
}

fn read_users(t: &mut Table<'_>) -> Got<Users> {
    let Some(v) = t.take("users") else {
        return Got::Absent;
    };
    let span = v.span();
    if let DeValue::Table(_) = v.get_ref() {
        let mut u = t.table("users");
        let start = u.num("start", Bounds::at_least(1.0));
        let end = u.num("end", Bounds::at_least(1.0));
        let shape = u
            .choice(
                "shape",
                "shape",
                &[
                    ("linear", GrowthShape::Linear),
                    ("exponential", GrowthShape::Exponential),
                    ("logistic", GrowthShape::Logistic),
                ],
            )
            .or(GrowthShape::Exponential);
        if start.is_absent() {
            u.missing("start", "add start = 1 (users at the start of the horizon)");
        }
        if end.is_absent() {
            u.missing(
                "end",
                "add end = 1_000_000 (users at the end of the horizon)",
            );
        }
        u.finish();
        return match (start, end) {
            (Got::Ok(start, _), Got::Ok(end, _)) => {
                Got::Ok(Users::Growing { start, end, shape }, span)
            }
            _ => Got::Bad,
        };
    }
    if number_of(v).is_some() {
        return t.num("users", Bounds::at_least(1.0)).map(Users::Constant);
    }
    t.error(
        "users",
        format!(
            "expected a number >= 1 or a table {{ start, end, shape }}, found {}",
            t.sink().found(v)
        ),
        "write users = 5000, or users = { start = 1, end = 1_000_000, shape = \"exponential\" }",
        span,
    );
    Got::Bad
}

fn read_diurnal(t: &mut Table<'_>) -> Option<Option<Diurnal>> {
    let mut d = t.table("diurnal");
    if !d.is_present() {
        return Some(None);
    }
    let trough_to_mean = d.num("trough_to_mean", Bounds::between(0.0, true, 1.0, true));
    let peak_bounds = if trough_to_mean.is_absent() {
        Bounds::between(1.0, true, 2.0, true)
    } else {
        Bounds::between(1.0, true, 24.0, true)
    };
    let peak_to_mean = d.num("peak_to_mean", peak_bounds);
    let peak_hour = d.num("peak_hour", Bounds::between(0.0, true, 24.0, false));
    let normalize = d.bool("normalize");
    let hourly = read_hourly(&mut d);
    let sinusoid_given =
        !peak_to_mean.is_absent() || !peak_hour.is_absent() || !trough_to_mean.is_absent();
    if let (Some(span), true) = (normalize.span(), hourly.is_absent()) {
        d.error(
            "normalize",
            "only applies to hourly multipliers, found it without hourly",
            "remove normalize, or give hourly = [24 multipliers]",
            span,
        );
    }
    let out = if !hourly.is_absent() {
        if sinusoid_given {
            let span = hourly.span().unwrap_or(d.span());
            d.error(
                "hourly",
                "expected either hourly or peak_to_mean/trough_to_mean/peak_hour, found both",
                "keep hourly = [24 multipliers], or remove it and keep peak_to_mean and peak_hour",
                span,
            );
            None
        } else {
            hourly.value().cloned().map(|mut h| {
                let mean = h.iter().sum::<f64>() / h.len() as f64;
                if normalize.or(true) && (mean - 1.0).abs() > 1e-9 {
                    let factor = 1.0 / mean;
                    for x in &mut h {
                        *x *= factor;
                    }
                    d.sink().warn(
                        d.key_path("hourly"),
                        format!(
                            "the hourly multipliers have mean {}, so they were scaled by {} to mean 1 (the day keeps its requests per user); set normalize = false to use them as given",
                            show_number(mean),
                            show_number(factor)
                        ),
                    );
                }
                Some(Diurnal::Hourly(h))
            })
        }
    } else {
        if peak_to_mean.is_absent() {
            d.missing(
                "peak_to_mean",
                "add peak_to_mean = 1.5 (peak over mean, 1 to 2; up to 24 with trough_to_mean), or give hourly = [24 multipliers]",
            );
        }
        let hour = peak_hour.value().copied().unwrap_or(20.0);
        let peak_span = peak_to_mean.span();
        match (peak_to_mean, trough_to_mean) {
            (Got::Ok(p, _), Got::Absent) if !peak_hour.is_bad() => Some(Some(Diurnal::Sinusoid {
                peak_to_mean: p,
                peak_hour: hour,
            })),
            (Got::Ok(p, _), Got::Ok(tr, tspan)) if !peak_hour.is_bad() => {
                let flat = p == 1.0 && tr == 1.0;
                if !flat && (p <= 1.0 || tr >= 1.0) {
                    d.error(
                        "trough_to_mean",
                        format!(
                            "a day with mean 1 needs a peak above 1 and a trough below it, found peak_to_mean = {} and trough_to_mean = {}",
                            show_number(p),
                            show_number(tr)
                        ),
                        "give peak_to_mean > 1 and trough_to_mean < 1 (both 1 is a flat day)",
                        peak_span.map_or(tspan.clone(), |s| s.start.min(tspan.start)..s.end.max(tspan.end)),
                    );
                    None
                } else {
                    Some(Some(Diurnal::peak_trough(p, tr, hour)))
                }
            }
            _ => None,
        }
    };
    d.finish();
    out
}

fn read_hourly(d: &mut Table<'_>) -> Got<Vec<f64>> {
    let Some(v) = d.take("hourly") else {
        return Got::Absent;
    };
    let help = "give 24 multipliers, hour 0 first, e.g. hourly = [0.2, 0.1, ..., 1.5]";
    let DeValue::Array(items) = v.get_ref() else {
        d.error(
            "hourly",
            format!(
                "expected an array of 24 numbers >= 0, found {}",
                d.sink().found(v)
            ),
            help,
            v.span(),
        );
        return Got::Bad;
    };
    if items.len() != 24 {
        d.error(
            "hourly",
            format!(
                "expected exactly 24 numbers (one per hour), found {}",
                items.len()
            ),
            help,
            v.span(),
        );
        return Got::Bad;
    }
    let mut out = Vec::with_capacity(24);
    let mut bad = false;
    for (i, item) in items.iter().enumerate() {
        match number_of(item) {
            Some(x) if x.is_finite() && x >= 0.0 => out.push(x),
            _ => {
                bad = true;
                d.sink().error(
                    format!("{}[{i}]", d.key_path("hourly")),
                    format!("expected a number >= 0, found {}", d.sink().found(item)),
                    Some("each hourly multiplier is a number >= 0".to_string()),
                    item.span(),
                );
            }
        }
    }
    if bad {
        return Got::Bad;
    }
    if out.iter().all(|x| *x == 0.0) {
        d.error(
            "hourly",
            "expected some hour with traffic, found all 24 multipliers 0",
            "make at least one multiplier positive",
            v.span(),
        );
        return Got::Bad;
    }
    Got::Ok(out, v.span())
}

fn read_mix(t: &mut Table<'_>, has_db: bool) -> Option<Vec<RequestClass>> {
    let (tables, mix_span) = t.array_of_tables("mix");
    if tables.is_empty() && !t.has("mix") {
        return Some(vec![RequestClass::default_class()]);
    }
    let mut classes = Some(Vec::new());
    let mut names: Vec<String> = Vec::new();
    let mut shares_ok = true;
    let mut sum = 0.0;
    let any_class = !tables.is_empty();
    for mut c in tables {
        let name = c.required_str("name", "add name = \"api\" (a unique class name)");
        if let Got::Ok(n, span) = &name {
            if names.contains(n) {
                c.error(
                    "name",
                    format!("duplicate class name '{n}'"),
                    "give every class in traffic.mix its own name",
                    span.clone(),
                );
            } else {
                names.push(n.clone());
            }
        }
        let share = c.num("share", Bounds::between(0.0, false, 1.0, true));
        match &share {
            Got::Ok(s, _) => sum += s,
            Got::Absent => {
                shares_ok = false;
                c.missing("share", "add share = 0.5 (fraction of requests, in (0, 1])");
            }
            Got::Bad => shares_ok = false,
        }
        let bytes = c.u64("bytes", 0).or(10_000);
        let cacheable = c.bool("cacheable").or(false);
        let web_cpu = read_dist(
            &mut c,
            "web_cpu",
            SimDuration::from_millis(50),
            Shape::Service,
        );
        let db_reads = c.u32("db_reads", 0);
        let db_writes = c.u32("db_writes", 0);
        if !has_db {
            for (key, got) in [("db_reads", &db_reads), ("db_writes", &db_writes)] {
                if let Got::Ok(n, span) = got
                    && *n > 0
                {
                    c.error(
                        key,
                        format!("a class makes DB queries, but there is no [database], found {key} = {n}"),
                        "add a [database] section, or set it to 0",
                        span.clone(),
                    );
                }
            }
        }
        let session = c.bool("session").or(!cacheable);
        let mut slo_table = c.table("slo");
        let slo = slo_table.is_present().then(|| {
            let t = &mut slo_table;
            let p99 = t.duration("p99", true).value().copied();
            let availability = t
                .num("availability", Bounds::between(0.0, false, 1.0, true))
                .value()
                .copied();
            ClassSlo { p99, availability }
        });
        slo_table.finish();
        match (name, share, web_cpu, classes.as_mut()) {
            (Got::Ok(name, _), Got::Ok(share, _), Some(web_cpu), Some(list)) => {
                list.push(RequestClass {
                    name,
                    share,
                    bytes,
                    cacheable,
                    web_cpu,
                    db_reads: db_reads.or(0),
                    db_writes: db_writes.or(0),
                    session,
                    slo,
                });
            }
            _ => classes = None,
        }
        c.finish();
    }
    // Every share read: their sum is checked even when a class has another
    // error, so that both are reported at once.
    if shares_ok && any_class && (sum - 1.0).abs() > 1e-6 {
        t.error(
            "mix",
            format!("shares sum to {}, expected 1", show_number(sum)),
            "adjust the shares of the [[traffic.mix]] classes so they add up to 1",
            mix_span.clone(),
        );
    }
    if classes.as_ref().is_some_and(|c| c.is_empty()) && t.has("mix") {
        t.error(
            "mix",
            "expected at least one class, found an empty mix",
            "add a [[traffic.mix]] section, or remove mix for a single default class",
            mix_span,
        );
        return None;
    }
    classes
}

/// A float with at most six decimals, trailing zeros trimmed.
fn show_number(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The default shape of a distribution-valued key.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Service times: lognormal with cv = 1.
    Service,
    /// Network latencies: deterministic.
    Network,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum DistKind {
    Exponential,
    Deterministic,
    Lognormal,
    Gamma,
    Uniform,
}

/// A distribution: a bare duration (the mean, default shape) or a table.
/// `None` when it was reported as invalid.
fn read_dist(
    t: &mut Table<'_>,
    key: &'static str,
    default: SimDuration,
    shape: Shape,
) -> Option<Dist> {
    let with_shape = |mean: SimDuration| match shape {
        Shape::Service => Dist::Lognormal { mean, cv: 1.0 },
        Shape::Network => Dist::Deterministic { value: mean },
    };
    let Some(v) = t.take(key) else {
        return Some(with_shape(default));
    };
    let key_path = t.key_path(key);
    match v.get_ref() {
        DeValue::String(_) => duration_of(t.sink(), &key_path, v, false)
            .value()
            .map(|m| with_shape(*m)),
        DeValue::Table(_) => read_dist_table(t, key, shape),
        _ => {
            t.error(
                key,
                format!(
                    "expected a duration like \"50ms\" or a table {{ mean, dist, cv }}, found {}",
                    t.sink().found(v)
                ),
                format!("write {key} = \"50ms\", or {key} = {{ mean = \"50ms\", dist = \"exponential\" }}"),
                v.span(),
            );
            None
        }
    }
}

fn read_dist_table(t: &mut Table<'_>, key: &'static str, shape: Shape) -> Option<Dist> {
    let mut d = t.table(key);
    let mean = d.duration("mean", false);
    let dist = d.choice(
        "dist",
        "distribution",
        &[
            ("exponential", DistKind::Exponential),
            ("deterministic", DistKind::Deterministic),
            ("lognormal", DistKind::Lognormal),
            ("gamma", DistKind::Gamma),
            ("uniform", DistKind::Uniform),
        ],
    );
    let cv = d.num("cv", Bounds::above(0.0));
    let min = d.duration("min", false);
    let max = d.duration("max", false);
    let kind = match &dist {
        Got::Bad => {
            d.finish();
            return None;
        }
        Got::Ok(k, _) => Some(*k),
        Got::Absent => None,
    };
    let shown = |k: DistKind| format!("{k:?}").to_lowercase();
    let mut ok = true;
    // Keys that the chosen shape does not take.
    let takes_cv = matches!(kind, Some(DistKind::Lognormal | DistKind::Gamma))
        || (kind.is_none() && shape == Shape::Service);
    let is_uniform = kind == Some(DistKind::Uniform);
    let shape_name = kind.map_or_else(
        || match shape {
            Shape::Service => "the default lognormal".to_string(),
            Shape::Network => "the default deterministic".to_string(),
        },
        shown,
    );
    if let (Some(span), false) = (cv.span(), takes_cv) {
        ok = false;
        d.error(
            "cv",
            format!("cv applies only to lognormal and gamma, found it with {shape_name}"),
            "remove cv, or set dist = \"lognormal\" or \"gamma\"",
            span,
        );
    }
    if !is_uniform {
        for (k, got) in [("min", &min), ("max", &max)] {
            if let Some(span) = got.span() {
                ok = false;
                d.error(
                    k,
                    format!("{k} applies only to uniform, found it with {shape_name}"),
                    format!("remove {k}, or set dist = \"uniform\" with min and max and no mean"),
                    span,
                );
            }
        }
        if mean.is_absent() {
            ok = false;
            d.missing("mean", "add mean = \"50ms\"");
        }
    }
    let result = match kind {
        Some(DistKind::Uniform) => {
            if let Some(span) = mean.span() {
                ok = false;
                d.error(
                    "mean",
                    "uniform takes min and max, not mean",
                    "remove mean and give min and max, e.g. { dist = \"uniform\", min = \"10ms\", max = \"30ms\" }",
                    span,
                );
            }
            for (k, got) in [("min", &min), ("max", &max)] {
                if got.is_absent() {
                    ok = false;
                    d.missing(
                        k,
                        "uniform needs both min and max, e.g. min = \"10ms\", max = \"30ms\"",
                    );
                }
            }
            match (&min, &max) {
                (Got::Ok(lo, _), Got::Ok(hi, span)) if lo > hi => {
                    d.error(
                        "max",
                        format!(
                            "expected max >= min ({}), found {}",
                            show_duration(*lo),
                            show_duration(*hi)
                        ),
                        "swap min and max",
                        span.clone(),
                    );
                    None
                }
                (Got::Ok(lo, _), Got::Ok(hi, _)) => Some(Dist::Uniform { min: *lo, max: *hi }),
                _ => None,
            }
        }
        Some(k @ (DistKind::Lognormal | DistKind::Gamma)) => {
            if cv.is_absent() {
                ok = false;
                d.missing("cv", format!("{} needs cv > 0, e.g. cv = 1.0", shown(k)));
            }
            match (mean.value(), cv.value()) {
                (Some(&mean), Some(&cv)) if k == DistKind::Lognormal => {
                    Some(Dist::Lognormal { mean, cv })
                }
                (Some(&mean), Some(&cv)) => Some(Dist::Gamma { mean, cv }),
                _ => None,
            }
        }
        Some(DistKind::Exponential) => mean.value().map(|&mean| Dist::Exponential { mean }),
        Some(DistKind::Deterministic) => mean.value().map(|&value| Dist::Deterministic { value }),
        None => match (shape, mean.value()) {
            (Shape::Service, Some(&mean)) => {
                if cv.is_bad() {
                    None
                } else {
                    Some(Dist::Lognormal {
                        mean,
                        cv: cv.or(1.0),
                    })
                }
            }
            (Shape::Network, Some(&value)) => Some(Dist::Deterministic { value }),
            _ => None,
        },
    };
    d.finish();
    if ok { result } else { None }
}

fn read_cdn(mut t: Table<'_>) -> Option<Cdn> {
    let hit_ratio = t
        .num("hit_ratio", Bounds::between(0.0, true, 1.0, true))
        .or(0.9);
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(15),
        Shape::Network,
    );
    let static_origin = t
        .choice(
            "static_origin",
            "static origin",
            &[("s3", StaticOrigin::S3), ("web", StaticOrigin::Web)],
        )
        .or(StaticOrigin::S3);
    let s3_latency = read_dist(
        &mut t,
        "s3_latency",
        SimDuration::from_millis(30),
        Shape::Network,
    );
    let s3_storage_gb = t.num("s3_storage_gb", Bounds::at_least(0.0)).or(0.0);
    t.finish();
    Some(Cdn {
        hit_ratio,
        latency: latency?,
        static_origin,
        s3_latency: s3_latency?,
        s3_storage_gb,
    })
}

fn read_lb(mut t: Table<'_>) -> Option<LoadBalancer> {
    let kind = t
        .choice(
            "kind",
            "load balancer kind",
            &[
                ("alb", LbKind::Alb),
                ("elb", LbKind::Elb),
                ("nlb", LbKind::Nlb),
            ],
        )
        .or(LbKind::Alb);
    let algorithm = t
        .choice(
            "algorithm",
            "algorithm",
            &[
                ("round_robin", LbAlgorithm::RoundRobin),
                ("random", LbAlgorithm::Random),
                ("least_outstanding", LbAlgorithm::LeastOutstanding),
            ],
        )
        .or(LbAlgorithm::RoundRobin);
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(1),
        Shape::Network,
    );
    let mut hc = t.table("health_check");
    let health_check = HealthCheck {
        interval: hc.duration("interval", true).or(SimDuration::from_secs(30)),
        unhealthy_threshold: hc.u32("unhealthy_threshold", 1).or(2),
        healthy_threshold: hc.u32("healthy_threshold", 1).or(5),
    };
    hc.finish();
    let requests_per_connection = t
        .num("requests_per_connection", Bounds::at_least(1.0))
        .or(1.0);
    let rules = t.u32("rules", 1).or(1);
    t.finish();
    Some(LoadBalancer {
        kind,
        algorithm,
        latency: latency?,
        health_check,
        requests_per_connection,
        rules,
    })
}

/// Resolves a catalog entry's speed and price, reporting what is missing.
fn resolve_instance(
    t: &Table<'_>,
    name: &str,
    vcpus: u32,
    cpu_speed: Option<f64>,
    price: Option<f64>,
    region: Region,
    span: Range<usize>,
) -> Option<InstanceSpec> {
    let Some(cpu_speed) = cpu_speed else {
        t.error(
            "instance",
            format!("no CPU speed for '{name}' in the catalog"),
            PRICE_HELP,
            span,
        );
        return None;
    };
    let Some(usd_per_hour) = price else {
        t.error(
            "instance",
            format!("no {} price for '{name}' in the catalog", region.code()),
            PRICE_HELP,
            span,
        );
        return None;
    };
    Some(InstanceSpec {
        name: name.to_string(),
        vcpus,
        cpu_speed,
        usd_per_hour,
        burst: None,
    })
}

/// The CPU credit keys of a web or database section (`credits`,
/// `initial_credits`), applied to its instance type's catalog facts.
/// `Err(())` when something was reported.
fn read_burst(t: &mut Table<'_>, name: Option<&str>) -> Result<Option<Burst>, ()> {
    let mode = t.choice(
        "credits",
        "credit mode",
        &[
            ("standard", CreditMode::Standard),
            ("unlimited", CreditMode::Unlimited),
        ],
    );
    let initial = read_initial_credits(t);
    let Some(name) = name else {
        return Ok(None);
    };
    let Some(facts) = Catalog::embedded().burst(name) else {
        for (key, span) in [
            ("credits", mode.span()),
            ("initial_credits", initial.span()),
        ] {
            if let Some(span) = span {
                t.error(
                    key,
                    format!("'{name}' is not a burstable type, found {key}"),
                    "CPU credits apply to t2, t3, t3a, db.t2 and db.t3 types; remove the key",
                    span,
                );
            }
        }
        return match (&mode, &initial) {
            (Got::Absent, Got::Absent) => Ok(None),
            _ => Err(()),
        };
    };
    if let Got::Ok(InitialCredits::Credits(c), span) = &initial
        && *c > facts.max_credits.max(facts.launch_credits)
    {
        t.error(
            "initial_credits",
            format!(
                "'{name}' holds at most {} credits, found {c}",
                facts.max_credits
            ),
            format!("use a number from 0 to {}", facts.max_credits),
            span.clone(),
        );
        return Err(());
    }
    if matches!(mode, Got::Bad) || matches!(initial, Got::Bad) {
        return Err(());
    }
    let default_mode = if facts.unlimited_by_default {
        CreditMode::Unlimited
    } else {
        CreditMode::Standard
    };
    Ok(Some(Burst {
        baseline: facts.baseline,
        credits_per_hour: facts.credits_per_hour,
        launch_credits: facts.launch_credits,
        max_credits: facts.max_credits,
        mode: mode.or(default_mode),
        initial: initial.or(InitialCredits::Steady),
    }))
}

/// `initial_credits`: "steady", "launch", "full" or a number >= 0.
fn read_initial_credits(t: &mut Table<'_>) -> Got<InitialCredits> {
    let Some(v) = t.take("initial_credits") else {
        return Got::Absent;
    };
    let initial = match v.get_ref() {
        DeValue::String(s) => match s.as_ref() {
            "steady" => Some(InitialCredits::Steady),
            "launch" => Some(InitialCredits::Launch),
            "full" => Some(InitialCredits::Full),
            _ => None,
        },
        _ => number_of(v)
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(InitialCredits::Credits),
    };
    match initial {
        Some(i) => Got::Ok(i, v.span()),
        None => {
            let found = t.sink().found(v);
            t.error(
                "initial_credits",
                format!(
                    "expected \"steady\", \"launch\", \"full\" or a number >= 0, found {found}"
                ),
                "write \"steady\", \"launch\", \"full\" or a number of credits >= 0",
                v.span(),
            );
            Got::Bad
        }
    }
}

/// The web tier, and its instance count (for rules elsewhere).
fn read_web(mut t: Table<'_>, region: Region, has_lb: bool) -> (Option<Web>, Got<u32>) {
    let catalog = Catalog::embedded();
    let instance = match t.required_str(
        "instance",
        "add instance = \"m5.large\" (an EC2 type from the catalog)",
    ) {
        Got::Ok(name, span) => match catalog.ec2(&name) {
            Some(ty) => resolve_instance(
                &t,
                &name,
                ty.vcpu,
                ty.cpu_speed,
                ty.usd_per_hour(region.code()),
                region,
                span,
            ),
            None => {
                let help = match did_you_mean(
                    &name,
                    catalog.ec2_types().iter().map(|e| e.name.as_str()),
                ) {
                    Some(s) => format!("did you mean '{s}'?"),
                    None => {
                        "pick an EC2 type from data/ec2-instances.csv, e.g. 'm5.large'".to_string()
                    }
                };
                t.error(
                    "instance",
                    format!("unknown instance type '{name}'"),
                    help,
                    span,
                );
                None
            }
        },
        _ => None,
    };
    let burst = read_burst(&mut t, instance.as_ref().map(|i| i.name.as_str()));
    let instance = match (instance, burst) {
        (Some(i), Ok(burst)) => Some(InstanceSpec { burst, ..i }),
        _ => None,
    };
    let count = t.u32("count", 1);
    let azs = read_azs(&mut t);
    let workers = t.u32("workers", 1);
    let queue_limit = t.u32("queue_limit", 0).or(1024);
    let timeout = t.duration("timeout", true).or(SimDuration::from_secs(30));
    let sessions = t
        .choice(
            "sessions",
            "session store",
            &[
                ("local", Sessions::Local),
                ("dynamodb", Sessions::Dynamodb),
                ("elasticache", Sessions::Elasticache),
            ],
        )
        .or(Sessions::Local);
    if let Some(v) = t.take("autoscaling") {
        t.error(
            "autoscaling",
            "auto scaling is not supported yet",
            format!("remove the [web.autoscaling] section and set web.count; {LATER}"),
            v.span(),
        );
    }
    if let Got::Ok(n, span) = &count
        && *n > 1
        && !has_lb
    {
        t.error(
            "count",
            format!("{n} instances need a load balancer in front, found no [load_balancer]"),
            "add a [load_balancer] section, or set count = 1",
            span.clone(),
        );
    }
    t.finish();
    let web = match (instance, azs) {
        (Some(instance), Some(azs)) => Some(Web {
            workers: workers.or(instance.vcpus.saturating_mul(4)),
            instance,
            count: count.clone().or(1),
            azs,
            queue_limit,
            timeout,
            sessions,
        }),
        _ => None,
    };
    (web, count)
}

fn read_azs(t: &mut Table<'_>) -> Option<Vec<String>> {
    let Some(v) = t.take("azs") else {
        return Some(vec!["a".to_string()]);
    };
    let help = "list AZ letters, e.g. azs = [\"a\", \"b\"]";
    let DeValue::Array(items) = v.get_ref() else {
        t.error(
            "azs",
            format!(
                "expected an array of AZ letters, found {}",
                t.sink().found(v)
            ),
            help,
            v.span(),
        );
        return None;
    };
    if items.is_empty() {
        t.error(
            "azs",
            "expected at least one AZ letter, found an empty array",
            "list at least one AZ, e.g. azs = [\"a\"], or remove azs",
            v.span(),
        );
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let key = format!("{}[{i}]", t.key_path("azs"));
        let letter = match item.get_ref() {
            DeValue::String(s) if s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase()) => {
                Some(s.to_string())
            }
            _ => None,
        };
        match letter {
            Some(l) if out.contains(&l) => {
                ok = false;
                t.sink().error(
                    key,
                    format!("duplicate AZ '{l}'"),
                    Some("list each AZ once".to_string()),
                    item.span(),
                );
            }
            Some(l) => out.push(l),
            None => {
                ok = false;
                t.sink().error(
                    key,
                    format!(
                        "expected a single AZ letter a-z, found {}",
                        t.sink().found(item)
                    ),
                    Some("write the letter only, e.g. \"a\" for us-east-1a".to_string()),
                    item.span(),
                );
            }
        }
    }
    ok.then_some(out)
}

/// The database; `None` when invalid.
fn read_database(mut t: Table<'_>, region: Region, web_count: Got<u32>) -> Option<Database> {
    let catalog = Catalog::embedded();
    let engine = t
        .choice(
            "engine",
            "engine",
            &[
                ("mysql", DbEngine::Mysql),
                ("postgres", DbEngine::Postgres),
                ("aurora-mysql", DbEngine::AuroraMysql),
                ("aurora-postgresql", DbEngine::AuroraPostgresql),
            ],
        )
        .or(DbEngine::Mysql);
    let instance = t.required_str(
        "instance",
        "add instance = \"db.m5.large\" (an RDS class) or instance = \"colocated\"",
    );
    let instance_span = instance.span();
    let placement = match instance {
        Got::Ok(name, _) if name == "colocated" => Some(DbPlacement::Colocated),
        Got::Ok(name, span) => match catalog.rds(&name) {
            Some(ty) if ty.usd_per_hour(engine.code(), region.code()).is_none() => {
                let priced: Vec<&str> = catalog
                    .rds_types()
                    .iter()
                    .filter(|r| r.usd_per_hour(engine.code(), region.code()).is_some())
                    .map(|r| r.name.as_str())
                    .collect();
                t.error(
                    "instance",
                    format!(
                        "no {} price for '{name}' with engine = \"{}\" in the catalog",
                        region.code(),
                        engine.code()
                    ),
                    format!(
                        "classes priced for {} in {}: {}; see data/SOURCES.md",
                        engine.code(),
                        region.code(),
                        priced.join(", ")
                    ),
                    span,
                );
                None
            }
            Some(ty) => resolve_instance(
                &t,
                &name,
                ty.vcpu,
                ty.cpu_speed,
                ty.usd_per_hour(engine.code(), region.code()),
                region,
                span,
            )
            .map(DbPlacement::Rds),
            None => {
                let names = catalog
                    .rds_types()
                    .iter()
                    .map(|r| r.name.as_str())
                    .chain(std::iter::once("colocated"));
                let help = match did_you_mean(&name, names) {
                    Some(s) => format!("did you mean '{s}'?"),
                    None => "pick an RDS class from data/rds-instances.csv, e.g. 'db.m5.large', or \"colocated\"".to_string(),
                };
                t.error(
                    "instance",
                    format!("unknown RDS instance class '{name}'"),
                    help,
                    span,
                );
                None
            }
        },
        _ => None,
    };
    let rds_name = match &placement {
        Some(DbPlacement::Rds(i)) => Some(i.name.clone()),
        _ => None,
    };
    let burst = read_burst(&mut t, rds_name.as_deref());
    let placement = match (placement, burst) {
        (Some(DbPlacement::Rds(i)), Ok(burst)) => {
            Some(DbPlacement::Rds(InstanceSpec { burst, ..i }))
        }
        (Some(DbPlacement::Rds(_)), Err(())) => None,
        (p, _) => p,
    };
    let multi_az = t.bool("multi_az");
    let read_replicas = t
        .int("read_replicas", 0, 15)
        .map(|n| u32::try_from(n).unwrap_or(0));
    let read_time = read_dist(
        &mut t,
        "read_time",
        SimDuration::from_millis(2),
        Shape::Service,
    );
    let write_time = read_dist(
        &mut t,
        "write_time",
        SimDuration::from_millis(6),
        Shape::Service,
    );
    let max_connections = t.u32("max_connections", 1).or(1000);
    let bytes_per_query = t.u64("bytes_per_query", 0).or(2_000);
    let failover_time = t
        .duration("failover_time", false)
        .or(SimDuration::from_secs(90));
    let replica_lag = t
        .duration("replica_lag", false)
        .or(SimDuration::from_millis(100));
    if engine.is_aurora()
        && let Got::Ok(true, span) = &multi_az
    {
        t.error(
            "multi_az",
            format!(
                "{} has no Multi-AZ standby, found multi_az = true",
                engine.code()
            ),
            "Aurora keeps its storage in three AZs and fails over to a replica: remove multi_az and set read_replicas = 1 (or more)",
            span.clone(),
        );
    }
    if engine.is_aurora() && placement == Some(DbPlacement::Colocated) {
        t.error(
            "engine",
            format!("a colocated database cannot be {}", engine.code()),
            "set engine = \"mysql\" or \"postgres\", or set instance to an Aurora class such as 'db.r6g.large'",
            instance_span.clone().unwrap_or(0..0),
        );
    }
    if placement == Some(DbPlacement::Colocated) {
        if let Got::Ok(true, span) = &multi_az {
            t.error(
                "multi_az",
                "a colocated database has no standby, found multi_az = true",
                "set instance to an RDS class such as 'db.m5.large', or remove multi_az",
                span.clone(),
            );
        }
        if let Got::Ok(n, span) = &read_replicas
            && *n > 0
        {
            t.error(
                "read_replicas",
                format!("a colocated database has no replicas, found read_replicas = {n}"),
                "set instance to an RDS class such as 'db.m5.large', or set read_replicas = 0",
                span.clone(),
            );
        }
        if let (Got::Ok(n, _), Some(span)) = (&web_count, instance_span)
            && *n > 1
        {
            t.error(
                "instance",
                format!(
                    "a colocated database lives on the one web instance, found web.count = {n}"
                ),
                "set web.count = 1, or move the database to an RDS class such as 'db.m5.large'",
                span,
            );
        }
    }
    t.finish();
    Some(Database {
        engine,
        placement: placement?,
        multi_az: multi_az.or(false),
        read_replicas: read_replicas.or(0),
        read_time: read_time?,
        write_time: write_time?,
        max_connections,
        failover_time,
        replica_lag,
        bytes_per_query,
    })
}
