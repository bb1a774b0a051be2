//! Confidence bounds on an SLO interval's p99 and availability: the order
//! statistics of independent requests, widened by batch means over the
//! interval's minutes where consecutive responses are correlated.

use super::Counts;
use super::collector::Minute;
use super::confidence::{quantile_ranks, t_of, wilson};
use hdrhistogram::Histogram;

/// Bounds on the p99 of the `n` served latencies recorded in `h`, ms: the
/// wider of the order-statistic interval (independent requests) and the
/// batch-means interval over the interval's minutes, which sees the
/// correlation between consecutive responses that a busy queue creates.
pub(super) fn p99_bounds<C: hdrhistogram::Counter>(
    h: &Histogram<C>,
    n: u64,
    minutes: &[&Minute],
    confidence: f64,
) -> (f64, f64) {
    if n == 0 {
        return (0.0, f64::INFINITY);
    }
    let at = |q: f64| h.median_equivalent(h.value_at_quantile(q.clamp(0.0, 1.0))) as f64 / 1000.0;
    let (lo, hi) = quantile_ranks(n, 0.99, confidence);
    let mut low = if lo == 0 {
        0.0
    } else {
        at(lo as f64 / n as f64)
    };
    let mut high = if hi > n {
        f64::INFINITY
    } else {
        at(hi as f64 / n as f64)
    };
    // The share of each batch's requests at or below the point estimate:
    // its spread over batches bounds the level the estimate stands at.
    let x = h.value_at_quantile(0.99);
    let batches = batched(minutes, |m| {
        let below = m.hist.as_ref().map_or(0, |mh| mh.count_between(0, x));
        (below as f64, m.served as f64)
    });
    if let Some((_, half)) = ratio_half_width(&batches, confidence) {
        low = low.min(at(0.99 - half));
        if 0.99 + half >= 1.0 - 0.5 / n as f64 {
            high = f64::INFINITY;
        } else {
            high = high.max(at(0.99 + half));
        }
    }
    (low, high)
}

/// The bounds on an interval's p99 and availability from its latency
/// histogram, its counts and its measured minutes (the batches of the
/// batch-means intervals).
pub(super) fn interval_bounds(
    hist: Option<&Histogram<u64>>,
    counts: &Counts,
    minutes: &[&Minute],
    confidence: f64,
) -> ((f64, f64), (f64, f64)) {
    let served = counts.served;
    let p99 = match hist {
        Some(h) => p99_bounds(h, served, minutes, confidence),
        None => (0.0, f64::INFINITY),
    };
    let (wl, wh) = wilson(served, counts.finished(), confidence);
    let batches: Vec<(f64, f64)> =
        batched(minutes, |m| (m.served as f64, (m.served + m.other) as f64));
    let availability = match ratio_half_width(&batches, confidence) {
        Some((a, h)) => (wl.min(a - h).max(0.0), wh.max(a + h).min(1.0)),
        None => (wl, wh),
    };
    (p99, availability)
}

/// Batches of about a twentieth of `minutes` each (at least one minute),
/// as `(y, n)` sums of `f` over their minutes; empty batches are left out.
fn batched(minutes: &[&Minute], f: impl Fn(&Minute) -> (f64, f64)) -> Vec<(f64, f64)> {
    let size = minutes.len().div_ceil(20).max(1);
    minutes
        .chunks(size)
        .map(|chunk| {
            chunk.iter().fold((0.0, 0.0), |(y, n), m| {
                let (a, b) = f(m);
                (y + a, n + b)
            })
        })
        .filter(|(_, n)| *n > 0.0)
        .collect()
}

/// The ratio `sum y / sum n` over batches and the half-width of its
/// Student t interval, with at least two batches. The ratio estimator's
/// variance comes from second differences of the batches' residuals
/// `y - r n` (`E[(e[j+1] - 2 e[j] + e[j-1])^2] = 6 var(e)` for independent
/// batches), so that a load that rises or falls across the interval (the
/// daily cycle) is not mistaken for noise.
pub(super) fn ratio_half_width(batches: &[(f64, f64)], confidence: f64) -> Option<(f64, f64)> {
    let b = batches.len();
    if b < 2 {
        return None;
    }
    let (sy, sn) = batches
        .iter()
        .fold((0.0, 0.0), |(sy, sn), (y, n)| (sy + y, sn + n));
    let r = sy / sn;
    let e: Vec<f64> = batches.iter().map(|(y, n)| y - r * n).collect();
    let (var_e, df) = if b >= 3 {
        let ss: f64 = e
            .windows(3)
            .map(|w| (w[2] - 2.0 * w[1] + w[0]).powi(2))
            .sum();
        (ss / (6.0 * (b - 2) as f64), b - 2)
    } else {
        (e.iter().map(|x| x * x).sum::<f64>(), 1)
    };
    let var = b as f64 * var_e / (sn * sn);
    Some((r, t_of(df, confidence) * var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_means_see_noise_but_not_a_trend() {
        // Served shares drifting steadily from 0.98 to 0.999 over 20
        // batches: second differences see no noise.
        let trend: Vec<(f64, f64)> = (0..20)
            .map(|j| (1000.0 * (0.98 + 0.001 * j as f64), 1000.0))
            .collect();
        let (r, h) = ratio_half_width(&trend, 0.95).unwrap();
        assert!((r - 0.9895).abs() < 1e-12);
        assert!(h < 1e-9, "{h}");
        // Shares alternating 0.98 / 1.0: e = -+10 per batch, second
        // differences of 40, var(e) = 1600 / 6, sd of r = sqrt(20 var) / 20000.
        let noisy: Vec<(f64, f64)> = (0..20)
            .map(|j| (if j % 2 == 0 { 980.0 } else { 1000.0 }, 1000.0))
            .collect();
        let (r, h) = ratio_half_width(&noisy, 0.95).unwrap();
        assert!((r - 0.99).abs() < 1e-12);
        let sd = (20.0 * 1600.0 / 6.0f64).sqrt() / 20_000.0;
        assert!((h - 2.101 * sd).abs() < 1e-3 * sd, "{h} vs {}", 2.101 * sd);
        assert_eq!(ratio_half_width(&noisy[..1], 0.95), None);
    }
}
