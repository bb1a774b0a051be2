//! Distribution-valued keys: a bare duration or a table with a shape.

use toml::de::DeValue;

use crate::scenario::reader::{Bounds, Got, Table, duration_of, show_duration};
use crate::spec::Dist;
use crate::time::SimDuration;

/// A float with at most six decimals, trailing zeros trimmed.
pub(super) fn show_number(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The default shape of a distribution-valued key.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Shape {
    /// Service times: lognormal with cv = 1.
    Service,
    /// Network latencies: deterministic.
    Network,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum DistKind {
    Exponential,
    Deterministic,
    Lognormal,
    Gamma,
    Uniform,
}

/// A distribution: a bare duration (the mean, default shape) or a table.
/// `None` when it was reported as invalid.
pub(super) fn read_dist(
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

pub(super) fn read_dist_table(t: &mut Table<'_>, key: &'static str, shape: Shape) -> Option<Dist> {
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
