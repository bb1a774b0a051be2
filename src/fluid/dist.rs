//! Response-time distributions in a form whose CDF is cheap: a shift, a
//! phase-type "service" part (at most two exponential phases), and a waiting
//! time with an atom at zero and an exponential tail.

use crate::spec::Dist;

/// Share of the lognormal's skewness used in fits.
const LOGNORMAL_SKEW: f64 = 0.671;

/// The first three cumulants of a non-negative random duration, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Cumulants {
    /// Mean.
    pub(crate) k1: f64,
    /// Variance.
    pub(crate) k2: f64,
    /// Third central moment.
    pub(crate) k3: f64,
}

impl Cumulants {
    /// A constant.
    pub(crate) fn constant(x: f64) -> Self {
        Cumulants {
            k1: x,
            k2: 0.0,
            k3: 0.0,
        }
    }

    /// The cumulants of `d` scaled down by `speed`, for fitting.
    pub(crate) fn of(d: &Dist, speed: f64) -> Self {
        Cumulants::with_skew(d, speed, LOGNORMAL_SKEW)
    }

    /// The cumulants of `d` scaled down by `speed`, the lognormal's
    /// skewness in full (for the residual life that a wait is made of,
    /// which weighs the far tail).
    pub(crate) fn exact(d: &Dist, speed: f64) -> Self {
        Cumulants::with_skew(d, speed, 1.0)
    }

    fn with_skew(d: &Dist, speed: f64, lognormal: f64) -> Self {
        let m = d.mean().as_secs_f64() / speed;
        let cv = d.cv();
        let sd = cv * m;
        // Skewness of each shape. The lognormal's comes from far in its
        // tail; two thirds of it make the fitted 99th percentile match the
        // lognormal's at cv = 1 (the default shape), where matching it in
        // full would put the fit's p99 11% too high.
        let skew = match d {
            Dist::Exponential { .. } => 2.0,
            Dist::Deterministic { .. } | Dist::Uniform { .. } => 0.0,
            Dist::Lognormal { .. } => lognormal * (cv * cv + 3.0) * cv,
            Dist::Gamma { .. } => 2.0 * cv,
        };
        Cumulants {
            k1: m,
            k2: sd * sd,
            k3: skew * sd * sd * sd,
        }
    }

    /// The sum of independent variables adds cumulants.
    pub(crate) fn add(self, o: Cumulants) -> Self {
        Cumulants {
            k1: self.k1 + o.k1,
            k2: self.k2 + o.k2,
            k3: self.k3 + o.k3,
        }
    }

    /// `n` independent copies summed.
    pub(crate) fn times(self, n: f64) -> Self {
        Cumulants {
            k1: self.k1 * n,
            k2: self.k2 * n,
            k3: self.k3 * n,
        }
    }
}

/// A shift plus a mixture of at most two exponential phases, fitted to three
/// cumulants: a shifted exponential when the skewness is at most 2, a
/// shifted hyperexponential with balanced means above (lognormal and
/// heavy gamma service), a constant when there is no variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PhaseFit {
    /// Shift, seconds.
    pub(crate) shift: f64,
    /// Number of phases in use (0: the constant `shift`).
    pub(crate) n: usize,
    /// Phase probabilities.
    pub(crate) w: [f64; 2],
    /// Phase rates, per second.
    pub(crate) mu: [f64; 2],
}

/// Balanced-means H2 of mean `m` and squared cv `c2` >= 1.
fn h2(m: f64, c2: f64) -> ([f64; 2], [f64; 2]) {
    let p1 = 0.5 * (1.0 + ((c2 - 1.0) / (c2 + 1.0)).max(0.0).sqrt());
    let p2 = 1.0 - p1;
    ([p1, p2], [2.0 * p1 / m, 2.0 * p2 / m])
}

/// Skewness of the balanced-means H2 with squared cv `c2` (scale free).
fn h2_skew(c2: f64) -> f64 {
    let (w, mu) = h2(1.0, c2);
    let m2 = 2.0 * (w[0] / (mu[0] * mu[0]) + w[1] / (mu[1] * mu[1]));
    let m3 = 6.0 * (w[0] / mu[0].powi(3) + w[1] / mu[1].powi(3));
    let var = m2 - 1.0;
    (m3 - 3.0 * m2 + 2.0) / var.powf(1.5)
}

impl PhaseFit {
    /// The fit of cumulants `c`.
    pub(crate) fn fit(c: Cumulants) -> Self {
        let m = c.k1.max(0.0);
        if c.k2 <= 1e-30 * (m * m).max(1e-300) || m <= 0.0 {
            return PhaseFit {
                shift: m,
                n: 0,
                w: [0.0; 2],
                mu: [0.0; 2],
            };
        }
        let sd = c.k2.sqrt();
        let skew = c.k3 / (sd * sd * sd);
        let exp_shift = m - sd;
        if skew <= 2.0 + 1e-9 && exp_shift >= 0.0 {
            return PhaseFit {
                shift: exp_shift.max(0.0),
                n: 1,
                w: [1.0, 0.0],
                mu: [1.0 / sd, 0.0],
            };
        }
        // Shifted balanced H2: the shift a sets cv_Y = sd / (m - a) and
        // hence the skewness; find the a that matches.
        let a_lo = exp_shift.max(0.0);
        let skew_at = |a: f64| {
            let cv = sd / (m - a);
            h2_skew((cv * cv).max(1.0))
        };
        let a = if skew_at(a_lo) >= skew {
            a_lo
        } else {
            let (mut lo, mut hi) = (a_lo, m);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if skew_at(mid) < skew {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        };
        let my = m - a;
        let cv2 = (sd / my).powi(2).max(1.0);
        let (w, mu) = h2(my, cv2);
        PhaseFit {
            shift: a,
            n: 2,
            w,
            mu,
        }
    }

    /// Mean, seconds.
    #[cfg(test)]
    pub(crate) fn mean(&self) -> f64 {
        self.shift + (0..self.n).map(|j| self.w[j] / self.mu[j]).sum::<f64>()
    }
}

/// One response-time distribution: `shift + G + W`, where `G` is the
/// fitted service part (its own shift folded into `shift`) and `W` waits
/// with probability `p`: exponentially with rate `theta`, or, when the wait
/// is more variable than that, with rate `theta2` instead with
/// probability `q` (a balanced-means two-phase hyperexponential).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Response {
    /// Constant part, seconds.
    pub(crate) shift: f64,
    /// Phases of `G`.
    pub(crate) n: usize,
    /// Phase probabilities.
    pub(crate) w: [f64; 2],
    /// Phase rates.
    pub(crate) mu: [f64; 2],
    /// Probability of waiting.
    pub(crate) p: f64,
    /// Rate of the waiting time given a wait.
    pub(crate) theta: f64,
    /// Probability of the wait's slow phase (0: exponential wait).
    pub(crate) q: f64,
    /// Rate of the wait's slow phase.
    pub(crate) theta2: f64,
}

/// `e^-x` for `x >= 0`, without the slow underflow path of `exp` far out
/// in the tail (below e^-700 the answer is 0 to double precision anyway).
#[inline]
fn exp_neg(x: f64) -> f64 {
    if x > 700.0 { 0.0 } else { (-x).exp() }
}

/// P(Exp(mu) + Exp(theta) > u).
#[inline]
fn hypo(mu: f64, theta: f64, em: f64, et: f64, u: f64) -> f64 {
    let d = theta - mu;
    if d.abs() <= 1e-7 * mu.max(theta) {
        (1.0 + mu * u) * em
    } else {
        (theta * em - mu * et) / d
    }
}

impl Response {
    /// `fit` plus an extra constant `shift` and a wait of probability `p`,
    /// conditional mean `wait_mean` seconds and squared cv `wait_cv2`
    /// (exponential at 1 or less, two balanced phases above).
    pub(crate) fn new(fit: &PhaseFit, shift: f64, p: f64, wait_mean: f64, wait_cv2: f64) -> Self {
        let (p, theta, q, theta2) = if p > 0.0 && wait_mean > 0.0 {
            if wait_cv2 > 1.0 + 1e-6 {
                let (w, mu) = h2(wait_mean, wait_cv2);
                (p.min(1.0), mu[0], w[1], mu[1])
            } else {
                (p.min(1.0), 1.0 / wait_mean, 0.0, f64::INFINITY)
            }
        } else {
            (0.0, f64::INFINITY, 0.0, f64::INFINITY)
        };
        Response {
            shift: shift + fit.shift,
            n: fit.n,
            w: fit.w,
            mu: fit.mu,
            p,
            theta,
            q,
            theta2,
        }
    }

    /// Mean of the wait given a wait, seconds.
    fn wait_mean(&self) -> f64 {
        let slow = if self.q > 0.0 {
            self.q / self.theta2
        } else {
            0.0
        };
        (1.0 - self.q) / self.theta + slow
    }

    /// The slowest rate's mean (of the service phases and the wait).
    fn slowest(&self) -> f64 {
        (0..self.n)
            .map(|j| 1.0 / self.mu[j])
            .chain((self.p > 0.0).then_some(1.0 / self.theta))
            .chain((self.p > 0.0 && self.q > 0.0).then_some(1.0 / self.theta2))
            .fold(0.0, f64::max)
    }

    /// Mean, seconds.
    pub(crate) fn mean(&self) -> f64 {
        let g: f64 = (0..self.n).map(|j| self.w[j] / self.mu[j]).sum();
        let wait = if self.p > 0.0 {
            self.p * self.wait_mean()
        } else {
            0.0
        };
        self.shift + g + wait
    }

    /// P(T <= t).
    #[inline]
    pub(crate) fn cdf(&self, t: f64) -> f64 {
        let u = t - self.shift;
        if u < 0.0 {
            return 0.0;
        }
        let et = if self.p > 0.0 {
            exp_neg(self.theta * u)
        } else {
            0.0
        };
        if self.q > 0.0 && self.p > 0.0 {
            return self.cdf_h2_wait(u, et);
        }
        if self.n == 0 {
            return 1.0 - self.p * et;
        }
        let mut survival = 0.0;
        for j in 0..self.n {
            let mu = self.mu[j];
            let em = exp_neg(mu * u);
            let s = if self.p > 0.0 {
                (1.0 - self.p) * em + self.p * hypo(mu, self.theta, em, et, u)
            } else {
                em
            };
            survival += self.w[j] * s;
        }
        (1.0 - survival).clamp(0.0, 1.0)
    }

    /// The CDF at `u` past the shift when the wait has two phases (`et`:
    /// the fast phase's survival at `u`).
    fn cdf_h2_wait(&self, u: f64, et: f64) -> f64 {
        let et2 = exp_neg(self.theta2 * u);
        let q = self.q;
        if self.n == 0 {
            return 1.0 - self.p * ((1.0 - q) * et + q * et2);
        }
        let mut survival = 0.0;
        for j in 0..self.n {
            let mu = self.mu[j];
            let em = exp_neg(mu * u);
            let waited =
                (1.0 - q) * hypo(mu, self.theta, em, et, u) + q * hypo(mu, self.theta2, em, et2, u);
            survival += self.w[j] * ((1.0 - self.p) * em + self.p * waited);
        }
        (1.0 - survival).clamp(0.0, 1.0)
    }

    /// A time by which the CDF is at least `1 - 1e-12`.
    pub(crate) fn upper(&self) -> f64 {
        self.shift + 60.0 * self.slowest() + 1e-9
    }

    /// The mean of `T` restricted to `T <= cap`, over `P(T <= cap)` (the
    /// mean of the served part when `cap` is the timeout).
    pub(crate) fn truncated_mean(&self, cap: f64) -> f64 {
        let fc = self.cdf(cap);
        if fc <= 0.0 {
            return cap;
        }
        if fc >= 1.0 - 1e-12 {
            return self.mean();
        }
        if fc >= 1.0 - 1e-3 && cap > self.shift {
            // A thin tail past the cap: it is exponential there, with the
            // slowest rate, so E[T; T > cap] = S(cap) (cap + 1 / rate).
            return (self.mean() - (1.0 - fc) * (cap + self.slowest())) / fc;
        }
        // E[T; T <= cap] = cap F(cap) - integral of F from 0 to cap.
        let lo = self.shift.min(cap);
        let n = 128;
        let h = (cap - lo) / n as f64;
        let mut integral = 0.0;
        for i in 0..=n {
            let x = lo + h * i as f64;
            let wgt = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            integral += wgt * self.cdf(x);
        }
        integral *= h / 3.0;
        ((cap * fc - integral) / fc).max(lo)
    }
}

/// A weighted mixture of responses, each conditioned on `T <= cap`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mixture {
    parts: Vec<(f64, f64, Response)>,
    total: f64,
}

impl Mixture {
    /// Adds `r` with weight `w`, conditioned on `T <= cap`. A part close to
    /// the last one (relative `merge_tol` on every parameter) is merged
    /// into it, which keeps a day of slowly changing minutes small.
    pub(crate) fn push(&mut self, w: f64, r: Response, cap: f64, merge_tol: f64) {
        if w <= 0.0 {
            return;
        }
        let fc = r.cdf(cap);
        if fc <= 0.0 {
            return;
        }
        self.total += w;
        if let Some((lw, lfc, last)) = self.parts.last_mut()
            && close(last, &r, merge_tol)
        {
            let a = *lw / (*lw + w);
            let mix = |x: f64, y: f64| a * x + (1.0 - a) * y;
            last.shift = mix(last.shift, r.shift);
            last.p = mix(last.p, r.p);
            if r.p > 0.0 && last.p > 0.0 {
                last.theta = 1.0 / mix(1.0 / last.theta, 1.0 / r.theta);
                if last.q > 0.0 {
                    last.q = mix(last.q, r.q);
                    last.theta2 = 1.0 / mix(1.0 / last.theta2, 1.0 / r.theta2);
                }
            }
            *lfc = mix(*lfc, fc);
            *lw += w;
            return;
        }
        self.parts.push((w, fc, r));
    }

    /// Appends another mixture's parts.
    pub(crate) fn extend(&mut self, other: Mixture) {
        self.total += other.total;
        self.parts.extend(other.parts);
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Mixture CDF (of the conditioned parts).
    fn cdf(&self, t: f64) -> f64 {
        let s: f64 = self
            .parts
            .iter()
            .map(|(w, fc, r)| w * (r.cdf(t) / fc).min(1.0))
            .sum();
        s / self.total
    }

    /// Quantiles `qs` (ascending), to relative precision `tol`, no later
    /// than `cap`; `brackets`, when given, are intervals believed to hold
    /// each quantile (for a mixture of mixtures: the least and the greatest
    /// of the parts' quantiles), which saves most of the iterations. A
    /// bracket that turns out not to hold its quantile is ignored.
    pub(crate) fn quantiles_within<const N: usize>(
        &self,
        qs: [f64; N],
        cap: f64,
        tol: f64,
        brackets: Option<[(f64, f64); N]>,
    ) -> [f64; N] {
        let mut out = [0.0; N];
        if self.parts.is_empty() {
            return out;
        }
        if let Some(br) = brackets {
            let mut all_held = true;
            for (k, &q) in qs.iter().enumerate() {
                let (a, b) = (br[k].0.min(cap), br[k].1.min(cap));
                let (fa, fb) = (self.cdf(a) - q, self.cdf(b) - q);
                if fa < 0.0 && fb >= 0.0 {
                    out[k] = self.solve(q, (a, fa), (b, fb), tol);
                } else {
                    all_held = false;
                }
            }
            if all_held {
                return out;
            }
        }
        let lo0 = self
            .parts
            .iter()
            .map(|p| p.2.shift)
            .fold(f64::INFINITY, f64::min)
            .min(cap);
        // A bracket a few means wide, widened until it holds the largest
        // quantile (a tight bracket saves most of the iterations).
        let mut hi0 = self
            .parts
            .iter()
            .map(|p| p.2.shift + 8.0 * (p.2.mean() - p.2.shift))
            .fold(0.0, f64::max)
            .min(cap);
        let top = qs.iter().copied().fold(0.0, f64::max);
        while hi0 < cap && self.cdf(hi0) < top {
            hi0 = (lo0 + 2.0 * (hi0 - lo0) + 1e-9).min(cap);
        }
        let mut lo = lo0;
        for (k, &q) in qs.iter().enumerate() {
            let (a, b) = (lo, hi0);
            let (fa, fb) = (self.cdf(a) - q, self.cdf(b) - q);
            if fa >= 0.0 {
                out[k] = a;
                continue;
            }
            if fb <= 0.0 {
                out[k] = b;
                lo = b;
                continue;
            }
            out[k] = self.solve(q, (a, fa), (b, fb), tol);
            lo = a;
        }
        out
    }

    /// The root of `cdf(x) = q` in `[a, b]` (with `fa < 0 <= fb` the values
    /// of `cdf - q` there), by Illinois false position, to relative `tol`.
    fn solve(
        &self,
        q: f64,
        (mut a, mut fa): (f64, f64),
        (mut b, mut fb): (f64, f64),
        tol: f64,
    ) -> f64 {
        let mut side = 0i8;
        for _ in 0..200 {
            if b - a <= tol * b.abs().max(1e-12) {
                break;
            }
            let mut x = (a * fb - b * fa) / (fb - fa);
            if !(x > a && x < b) {
                x = 0.5 * (a + b);
            }
            let fx = self.cdf(x) - q;
            if fx < 0.0 {
                a = x;
                fa = fx;
                if side == -1 {
                    fb *= 0.5;
                }
                side = -1;
            } else {
                b = x;
                fb = fx;
                if side == 1 {
                    fa *= 0.5;
                }
                side = 1;
            }
        }
        0.5 * (a + b)
    }
}

fn close(a: &Response, b: &Response, tol: f64) -> bool {
    let near = |x: f64, y: f64| {
        x == y || (x - y).abs() <= tol * x.abs().max(y.abs()) || (x - y).abs() < 1e-12
    };
    a.n == b.n
        && a.w == b.w
        && a.mu == b.mu
        && near(a.shift, b.shift)
        && near(a.p, b.p)
        && (a.theta == b.theta || near(1.0 / a.theta, 1.0 / b.theta))
        && (a.q > 0.0) == (b.q > 0.0)
        && near(a.q, b.q)
        && (a.theta2 == b.theta2 || near(1.0 / a.theta2, 1.0 / b.theta2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    #[test]
    fn exponential_is_fitted_exactly() {
        let c = Cumulants::of(
            &Dist::Exponential {
                mean: SimDuration::from_millis(10),
            },
            1.0,
        );
        let f = PhaseFit::fit(c);
        assert_eq!(f.n, 1);
        assert!(f.shift.abs() < 1e-15);
        assert!((f.mu[0] - 100.0).abs() < 1e-9);
    }

    #[test]
    fn a_variable_wait_keeps_its_mean_and_variance() {
        // A constant 10 ms plus a wait of probability 0.4, mean 50 ms and
        // squared cv 3 given a wait: two phases.
        let fit = PhaseFit::fit(Cumulants::constant(0.01));
        let r = Response::new(&fit, 0.0, 0.4, 0.05, 3.0);
        assert!(r.q > 0.0);
        assert!((r.mean() - (0.01 + 0.4 * 0.05)).abs() < 1e-12);
        // E[W^2] = p (1 + cv^2) m^2, from the survival function:
        // 2 * integral of u P(W > u).
        let (mut m2, h) = (0.0, 1e-5);
        for i in 0..400_000 {
            let u = (i as f64 + 0.5) * h;
            m2 += 2.0 * u * (1.0 - r.cdf(0.01 + u)) * h;
        }
        let want = 0.4 * 4.0 * 0.05 * 0.05;
        assert!((m2 / want - 1.0).abs() < 1e-3, "{m2} vs {want}");
        // At squared cv 1 it is the exponential wait.
        let e = Response::new(&fit, 0.0, 0.4, 0.05, 1.0);
        assert_eq!(e.q, 0.0);
        assert!((e.cdf(0.06) - (1.0 - 0.4 * (-1.0f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn lognormal_fit_keeps_mean_and_tail() {
        let d = Dist::Lognormal {
            mean: SimDuration::from_millis(80),
            cv: 1.0,
        };
        let f = PhaseFit::fit(Cumulants::of(&d, 1.0));
        assert!((f.mean() - 0.08).abs() < 1e-9);
        let r = Response::new(&f, 0.0, 0.0, 0.0, 1.0);
        let mut m = Mixture::default();
        m.push(1.0, r, f64::INFINITY, 0.0);
        let [p99] = m.quantiles_within([0.99], 1e9, 1e-9, None);
        // Lognormal p99 = m exp(-s^2/2 + 2.3263 s), s^2 = ln 2.
        let s = 2f64.ln().sqrt();
        let want = 0.08 * (-s * s / 2.0 + 2.326_347_874 * s).exp();
        assert!((p99 / want - 1.0).abs() < 0.002, "{p99} vs {want}");
    }
}
