//! Confidence intervals that need no replications: distribution-free bounds
//! on a quantile from order statistics, and Wilson's interval for a
//! proportion.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal, StudentsT};

/// The two-sided standard normal quantile for `confidence` (1.96 for 0.95).
pub fn z_of(confidence: f64) -> f64 {
    let alpha = (1.0 - confidence).clamp(1e-12, 1.0);
    Normal::standard().inverse_cdf(1.0 - alpha / 2.0)
}

/// The two-sided Student t quantile with `df` degrees of freedom.
pub fn t_of(df: usize, confidence: f64) -> f64 {
    let alpha = (1.0 - confidence).clamp(1e-12, 1.0);
    StudentsT::new(0.0, 1.0, df.max(1) as f64)
        .map_or(z_of(confidence), |t| t.inverse_cdf(1.0 - alpha / 2.0))
}

/// 1-based ranks `(lower, upper)` of the order statistics of `n`
/// independent samples that cover the `q`-quantile with probability at least
/// `confidence`: `P(X(lower) <= xi_q <= X(upper))`. `lower = 0` means no lower
/// bound, `upper = n + 1` no upper bound (too few samples to bound it).
pub fn quantile_ranks(n: u64, q: f64, confidence: f64) -> (u64, u64) {
    if n == 0 {
        return (0, 1);
    }
    let half = (1.0 - confidence).clamp(0.0, 1.0) / 2.0;
    let Ok(b) = Binomial::new(q.clamp(0.0, 1.0), n) else {
        return (0, n + 1);
    };
    // Smallest k with F(k) >= p, by bisection on [0, n].
    let smallest = |p: f64| {
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if b.cdf(mid) >= p {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    // P(X(l) > xi) = P(B <= l - 1) must stay within `half`.
    let k = smallest(half);
    let lower = if b.cdf(k) <= half { k + 1 } else { k };
    // P(X(u) < xi) = P(B >= u) = 1 - F(u - 1) within `half`.
    let upper = smallest(1.0 - half) + 1;
    (lower, upper)
}

/// Wilson's score interval for a proportion `successes / n`.
pub fn wilson(successes: u64, n: u64, confidence: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = z_of(confidence);
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_ranks_match_the_tables() {
        // The classic distribution-free 95% interval for the median of 20
        // samples is X(6) to X(15) (coverage 0.9586).
        assert_eq!(quantile_ranks(20, 0.5, 0.95), (6, 15));
        // With 5 samples no 95% interval exists: X(1) to X(5) covers 0.9375.
        assert_eq!(quantile_ranks(5, 0.5, 0.95), (0, 6));
    }

    #[test]
    fn a_p99_needs_hundreds_of_samples_to_be_bounded_above() {
        // X(n) bounds the p99 above with 97.5% only once 1 - 0.99^n >= 0.975,
        // i.e. from n = 368 on.
        assert_eq!(quantile_ranks(367, 0.99, 0.95).1, 368);
        assert_eq!(quantile_ranks(368, 0.99, 0.95).1, 368);
        // Large samples: about n q +- z sqrt(n q (1 - q)).
        let (l, u) = quantile_ranks(1_000_000, 0.99, 0.95);
        let sd = (1e6f64 * 0.99 * 0.01).sqrt();
        assert!((l as f64 - (990_000.0 - 1.96 * sd)).abs() < 3.0, "{l}");
        assert!((u as f64 - (990_000.0 + 1.96 * sd)).abs() < 3.0, "{u}");
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 81 of 263 at 95%: (0.2553, 0.3662) (Newcombe 1998, example).
        let (lo, hi) = wilson(81, 263, 0.95);
        assert!((lo - 0.2553).abs() < 5e-4, "{lo}");
        assert!((hi - 0.3662).abs() < 5e-4, "{hi}");
        // All served: the lower bound is n / (n + z^2).
        let (lo, hi) = wilson(1000, 1000, 0.95);
        assert!((lo - 1000.0 / (1000.0 + 1.96f64.powi(2))).abs() < 1e-4);
        assert_eq!(hi, 1.0);
    }
}
