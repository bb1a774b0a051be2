//! `[traffic]`: users, growth, the daily shape, events and the request mix.

use toml::de::DeValue;

use crate::scenario::reader::{Bounds, Got, Table, number_of};
use crate::spec::ClassSlo;
use crate::spec::{Diurnal, GrowthShape, Load, RequestClass, Traffic, TrafficEvent, Users};
use crate::time::SimDuration;

use super::*;

pub(super) fn read_traffic(mut t: Table<'_>, sim: &SimRead, has_db: bool) -> Option<Traffic> {
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

pub(super) fn read_users(t: &mut Table<'_>) -> Got<Users> {
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

pub(super) fn read_diurnal(t: &mut Table<'_>) -> Option<Option<Diurnal>> {
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
    let measured = d.choice(
        "measured",
        "measured day",
        &[
            (
                "wisc-2000",
                &["diurnal_uwcs_2000_11_28", "diurnal_uwcs_2000_11_29"][..],
            ),
            ("wisc-1997", &["diurnal_uwcs_1997"][..]),
        ],
    );
    if let Some(span) = measured.span() {
        let out = if sinusoid_given || !hourly.is_absent() || !normalize.is_absent() {
            d.error(
                "measured",
                "expected a measured day alone, found other diurnal keys beside it",
                "keep measured = \"wisc-2000\" alone, or remove it and keep the others",
                span,
            );
            None
        } else {
            measured.value().map(|days| Some(measured_day(days)))
        };
        d.finish();
        return out;
    }
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

/// A measured day from `data/behaviour.csv` (rows `<day>_h00` to `_h23`,
/// requests per hour), the days added hour by hour, scaled to mean 1.
fn measured_day(days: &[&str]) -> Diurnal {
    let catalog = crate::catalog::Catalog::embedded();
    let h: Vec<f64> = (0..24)
        .map(|k| {
            days.iter()
                .map(|day| {
                    catalog
                        .behaviour_value(&format!("{day}_h{k:02}"))
                        .unwrap_or(0.0)
                })
                .sum()
        })
        .collect();
    let mean = h.iter().sum::<f64>() / 24.0;
    Diurnal::Hourly(h.iter().map(|x| x / mean.max(f64::MIN_POSITIVE)).collect())
}

pub(super) fn read_hourly(d: &mut Table<'_>) -> Got<Vec<f64>> {
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

pub(super) fn read_mix(t: &mut Table<'_>, has_db: bool) -> Option<Vec<RequestClass>> {
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
