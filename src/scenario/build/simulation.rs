//! `[simulation]`: mode, windows, seeds, the SLO and its intervals.

use toml::de::DeValue;

use crate::scenario::reader::{Bounds, Got, Table, duration_of, show_duration};
use crate::spec::{Mode, Simulation, Slo};
use crate::spec::{Precision, SloOver, WindowAt};
use crate::time::SimDuration;

/// The simulation section as read, with what later rules need to know.
pub(super) struct SimRead {
    pub(super) value: Option<Simulation>,
    /// `simulation.horizon` is set (validly or not).
    pub(super) horizon_given: bool,
}

pub(super) fn read_simulation(mut t: Table<'_>) -> SimRead {
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
    let segments = t.bool("segments").or(true);
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
            segments,
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
pub(super) fn read_slo_over(t: &mut Table<'_>) -> SloOver {
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
pub(super) fn read_precision(t: &mut Table<'_>) -> Option<Precision> {
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
pub(super) fn read_quiet_warnings(t: &mut Table<'_>) -> Vec<String> {
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
