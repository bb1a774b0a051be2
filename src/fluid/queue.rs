//! Queueing formulas: Erlang B and C, the M/G/c station (Allen-Cunneen),
//! and the web instance as a birth-death process on the worker pool whose
//! departure rate comes from the closed network behind it.

/// Erlang B: blocking of M/M/c/c with `a` Erlangs offered.
pub(crate) fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// Erlang C: probability of waiting in M/M/c with `a` Erlangs (`a < c`).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / f64::from(c);
    (b / (1.0 - rho * (1.0 - b))).clamp(0.0, 1.0)
}

/// A multi-server FCFS station under Poisson-like arrivals, in steady state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Station {
    /// Busy share of the servers.
    pub(crate) rho: f64,
    /// Probability that a job waits.
    pub(crate) p_wait: f64,
    /// Mean wait of a job that waits, seconds.
    pub(crate) cond_wait: f64,
}

/// GI/G/c by Allen-Cunneen: the M/M/c wait (Erlang C, exponential given a
/// wait, rate `c mu - lambda`) scaled by `(ca^2 + cs^2) / 2`, `ca^2` the
/// squared cv of the interarrival times. Exact for Poisson arrivals and
/// exponential service. `None` when `rho >= 1`.
pub(crate) fn mgc(c: u32, lambda: f64, mean_s: f64, ca2: f64, cs2: f64) -> Option<Station> {
    if lambda <= 0.0 || mean_s <= 0.0 || c == 0 {
        return Some(Station::default());
    }
    let a = lambda * mean_s;
    if a >= f64::from(c) {
        return None;
    }
    let full = Full {
        p_wait: erlang_c(c, a),
        servers: f64::from(c),
    };
    mgc_full(c, lambda, mean_s, full, ca2, cs2)
}

/// What a station whose speed depends on its busy servers (hyperthreads,
/// the Universal Scalability Law) looks like once every server is busy,
/// from its birth-death process at the step's load (`Curve::occupancy`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Full {
    /// Probability that a job finds every server busy.
    pub(crate) p_wait: f64,
    /// The station's rate with every server busy, in stretched services at
    /// once: its throughput at full times the stretch in force (4 threads
    /// of hyperthreaded cores, each alone 1.6 times as fast, do 4 threads'
    /// work at full: 2.8 services stretched to 0.7).
    pub(crate) servers: f64,
}

/// [`mgc`] for a station whose speed depends on its busy servers: the
/// probability of a wait from the birth-death process, and, given a wait,
/// the M/M/c law at the rate of a full station, `servers / mean_s -
/// lambda`, scaled by Allen-Cunneen's `(ca^2 + cs^2) / 2`. With the
/// stretched mean service this is the process's mean number present
/// (exact for exponential service), where a plain M/M/c with the stretched
/// service would credit the full station with the speed its threads have
/// alone. `None` when the full station cannot keep up.
pub(crate) fn mgc_full(
    c: u32,
    lambda: f64,
    mean_s: f64,
    full: Full,
    ca2: f64,
    cs2: f64,
) -> Option<Station> {
    if lambda <= 0.0 || mean_s <= 0.0 || c == 0 {
        return Some(Station::default());
    }
    let theta = full.servers / mean_s - lambda;
    if theta <= 0.0 {
        return None;
    }
    Some(Station {
        rho: lambda * mean_s / f64::from(c),
        p_wait: full.p_wait,
        cond_wait: (ca2 + cs2) / 2.0 / theta,
    })
}

/// A finite-capacity M/G/c/K station in steady state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Finite {
    /// Probability that an arrival is refused (all `K` places taken).
    pub(crate) p_block: f64,
    /// Probability that an admitted job waits.
    pub(crate) p_wait: f64,
    /// Mean wait of an admitted job that waits, seconds.
    pub(crate) cond_wait: f64,
}

/// M/G/c/K (`places` = K >= c jobs at most, waiting included) by Tijms's
/// two-moment heuristic for finite buffers (H. C. Tijms, "Heuristics for
/// finite-buffer queues", Probability in the Engineering and Informational
/// Sciences 6, 1992, and his book "A First Course in Stochastic Models",
/// 2003): with `p_j` the state probabilities of the same station
/// with an infinite queue and `P = P(N >= K)` its tail, the finite one has
/// `p_j / (1 - rho P)` for `j < K` and blocking `(1 - rho) P / (1 - rho P)`.
/// Exact for M/M/c/K and M/G/1/K (given the exact infinite-queue law). The
/// infinite queue is Allen-Cunneen's: Erlang C for `N >= c`, then a
/// geometric number waiting, as the Poisson arrivals during an exponential
/// wait of Allen-Cunneen's mean `m` (ratio `lambda m / (1 + lambda m)`,
/// `rho` for exponential service). `None` when `rho >= 1`.
pub(crate) fn mgck(
    c: u32,
    lambda: f64,
    mean_s: f64,
    ca2: f64,
    cs2: f64,
    places: u32,
) -> Option<Finite> {
    let st = mgc(c, lambda, mean_s, ca2, cs2)?;
    if lambda <= 0.0 || places < c || c == 0 {
        return None;
    }
    let r = f64::from(places - c);
    let lm = lambda * st.cond_wait;
    let sigma = lm / (1.0 + lm);
    // sigma^r, 0 for an unbounded queue.
    let sr = sigma.powf(r);
    let tail = st.p_wait * sr;
    let norm = 1.0 - st.rho * tail;
    let p_block = (1.0 - st.rho) * tail / norm;
    // Jobs waiting: over j = c..K-1 the infinite law (`p_wait (1 - sigma)
    // sigma^n` with n waiting), rescaled; the full state K holds `r`.
    let p_queue = st.p_wait * (1.0 - sr) / norm;
    let n_sr = if sr > 0.0 && sigma > 0.0 {
        r * sr / sigma
    } else {
        0.0
    };
    let waiting =
        st.p_wait * sigma * (1.0 - n_sr + (r - 1.0) * sr) / (1.0 - sigma) / norm + r * p_block;
    let admitted = lambda * (1.0 - p_block);
    // An admitted arrival waits when it finds c..K-1 jobs (PASTA, given
    // that it is admitted).
    let p_wait = (p_queue / (1.0 - p_block)).clamp(0.0, 1.0);
    let mean_wait = waiting / admitted;
    Some(Finite {
        p_block,
        p_wait,
        cond_wait: if p_wait > 0.0 {
            mean_wait / p_wait
        } else {
            0.0
        },
    })
}

/// The throughput of a web instance's inside as a function of the requests
/// holding a worker: a closed network of the vCPUs (`c` exponential
/// servers, demand `d` seconds per request) and a pure delay `z` (the DB
/// time). Product form: `P(j at CPU | n) ~ d^j / beta(j) * z^(n-j) / (n-j)!`.
#[derive(Clone, Debug)]
pub(crate) struct Inner {
    /// `x[n]`: departures per second with `n` requests inside (`x[0] = 0`).
    pub(crate) x: Vec<f64>,
    /// `q[n]`: mean CPU queue (waiting, not served) with `n` inside.
    pub(crate) q: Vec<f64>,
}

impl Inner {
    /// The network with up to `w` requests inside.
    #[cfg(test)]
    pub(crate) fn new(c: u32, d: f64, z: f64, w: u32) -> Inner {
        Inner::curved(c, d, z, w, None)
    }

    /// The same with the vCPUs' work per second at `j` busy given by
    /// `throughput[min(j, c)]` (hyperthreads, the Universal Scalability Law;
    /// `None`: `min(j, c)`), `d` the demand at that unit of work.
    pub(crate) fn curved(c: u32, d: f64, z: f64, w: u32, throughput: Option<&[f64]>) -> Inner {
        let w = w.max(1) as usize;
        let mut x = vec![0.0; w + 1];
        let mut q = vec![0.0; w + 1];
        for n in 1..=w {
            (x[n], q[n]) = closed(c, d, z, n, throughput);
        }
        Inner { x, q }
    }

    /// Only the state with all `w` workers busy (enough past saturation).
    pub(crate) fn full(c: u32, d: f64, z: f64, w: u32, throughput: Option<&[f64]>) -> (f64, f64) {
        closed(c, d, z, w.max(1) as usize, throughput)
    }
}

/// Throughput and mean CPU queue of the closed network with `n` inside.
/// Terms `t_j ~ d^j / beta(j) * z^(n-j) / (n-j)!` are built by their ratios
/// from the largest, so no power or factorial overflows; `beta(j)` is the
/// product of the vCPUs' rates up to `j` busy (`min(k, c)`, or the curve's
/// `throughput[min(k, c)]`).
fn closed(c: u32, d: f64, z: f64, n: usize, throughput: Option<&[f64]>) -> (f64, f64) {
    let c = c.max(1) as usize;
    let rate = |j: usize| match throughput {
        Some(t) => t[j.min(c).min(t.len() - 1)],
        None => j.min(c) as f64,
    };
    if z <= d * 1e-12 {
        return (rate(n) / d, n.saturating_sub(c) as f64);
    }
    let r = d / z;
    // Terms are unimodal in j (their ratio falls as j grows): start at the
    // mode and walk both ways until they are negligible.
    let ratio = |j: usize| r * (n - j + 1) as f64 / rate(j);
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if ratio(mid) >= 1.0 {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mode = lo;
    let (mut s, mut busy, mut queue) = (0.0f64, 0.0f64, 0.0f64);
    let mut add = |j: usize, t: f64| {
        s += t;
        busy += t * rate(j);
        queue += t * j.saturating_sub(c) as f64;
    };
    add(mode, 1.0);
    let mut t = 1.0f64;
    for j in mode + 1..=n {
        t *= ratio(j);
        if t < 1e-18 {
            break;
        }
        add(j, t);
    }
    t = 1.0;
    for j in (0..mode).rev() {
        t /= ratio(j + 1);
        if t < 1e-18 {
            break;
        }
        add(j, t);
    }
    (busy / s / d, queue / s)
}

/// The web instance in steady state: a birth-death process on the requests
/// it holds (`0..=w + queue`), arrival rate `lambda`, departure rate
/// `x[min(n, w)]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Instance {
    /// Probability that an arrival is refused.
    pub(crate) p_block: f64,
    /// Mean requests waiting for a worker.
    pub(crate) outer_queue: f64,
    /// Mean requests waiting for a vCPU.
    pub(crate) cpu_queue: f64,
    /// Mean requests inside (holding a worker).
    pub(crate) inside: f64,
    /// Probability that an admitted request finds every worker busy.
    pub(crate) p_outer_wait: f64,
    /// Probability that an admitted request finds at least `min(w, c)` inside.
    pub(crate) p_wait: f64,
}

/// Solves the birth-death process; `None` when it has no steady state
/// (infinite queue and `lambda >= x[w]`).
pub(crate) fn instance(inner: &Inner, c: u32, lambda: f64, queue: u64) -> Option<Instance> {
    let w = inner.x.len() - 1;
    let xw = inner.x[w];
    let r = lambda / xw;
    let infinite = queue >= u64::from(u32::MAX);
    if infinite && r >= 1.0 {
        return None;
    }
    // Unnormalised probabilities for n = 0..=w, in log space.
    let mut lp = vec![0.0f64; w + 1];
    for n in 1..=w {
        lp[n] = lp[n - 1] + (lambda / inner.x[n]).ln();
    }
    let top = lp.iter().copied().fold(f64::MIN, f64::max);
    let mut p: Vec<f64> = lp.iter().map(|v| (v - top).exp()).collect();
    // The tail n = w + k, k = 1..=queue, is p[w] r^k. Its mass, its mass
    // weighted by k, and its last term, all times p[w]. Past saturation
    // (r > 1) r^queue overflows, so everything is taken relative to the
    // last state: divide by r^queue, which leaves geometric sums in 1/r.
    let qf = queue as f64;
    let pw = p[w];
    let (tail_mass, tail_k_mass, last_mass) = if infinite {
        (pw * r / (1.0 - r), pw * r / ((1.0 - r) * (1.0 - r)), 0.0)
    } else if queue == 0 {
        (0.0, 0.0, pw)
    } else if (r - 1.0).abs() < 1e-12 {
        (pw * qf, pw * qf * (qf + 1.0) / 2.0, pw)
    } else if r < 1.0 {
        // sum_{k=1..Q} r^k and sum k r^k.
        let rq = r.powf(qf);
        let s = r * (1.0 - rq) / (1.0 - r);
        let sk = r * (1.0 - (qf + 1.0) * rq + qf * rq * r) / ((1.0 - r) * (1.0 - r));
        (pw * s, pw * sk, pw * rq)
    } else {
        // Over r^Q: sum_{j=0..Q-1} u^j and sum (Q - j) u^j, u = 1/r.
        let u = 1.0 / r;
        let uq = u.powf(qf);
        let s = (1.0 - uq) / (1.0 - u);
        let su = u * (1.0 - qf * uq / u + (qf - 1.0) * uq) / ((1.0 - u) * (1.0 - u));
        for x in &mut p {
            *x *= uq;
        }
        (pw * s, pw * (qf * s - su), pw)
    };
    let total: f64 = p.iter().sum::<f64>() + tail_mass;
    let block = if infinite { 0.0 } else { last_mass / total };
    let cpu_queue: f64 =
        ((0..=w).map(|n| p[n] * inner.q[n]).sum::<f64>() + tail_mass * inner.q[w]) / total;
    let outer_queue = tail_k_mass / total;
    let inside = ((0..=w).map(|n| p[n] * n as f64).sum::<f64>() + tail_mass * w as f64) / total;
    let admitted = 1.0 - block;
    let k = (c as usize).min(w);
    // Arrivals see the time average (PASTA); condition on admission.
    let at_least = |from: usize| {
        let s: f64 = (from..=w).map(|n| p[n]).sum::<f64>() + tail_mass;
        s / total
    };
    let cond = |x: f64| {
        if admitted > 0.0 {
            ((x - block) / admitted).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    Some(Instance {
        p_block: block,
        outer_queue,
        cpu_queue,
        inside,
        p_outer_wait: cond(at_least(w)),
        p_wait: cond(at_least(k)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_past_saturation_nearly_everything_is_refused() {
        // 4 exponential servers of 10 ms behind 4 workers and 1024 places,
        // offered 20x their capacity: the queue is full, 95% is refused.
        let inner = Inner::new(4, 0.01, 0.0, 4);
        let i = instance(&inner, 4, 8000.0, 1024).unwrap();
        assert!((i.p_block - 0.95).abs() < 1e-9, "{i:?}");
        assert!((i.outer_queue - 1023.95).abs() < 0.01, "{i:?}");
        assert!((i.inside - 4.0).abs() < 1e-9);
        // Just past saturation the same formulas, just under them the others.
        for lambda in [399.0, 400.0, 401.0] {
            let i = instance(&inner, 4, lambda, 1024).unwrap();
            assert!(i.p_block.is_finite() && i.p_block < 0.01, "{lambda}: {i:?}");
        }
    }

    #[test]
    fn erlang_values() {
        // Erlang B(2, 1) = 0.2; C(1, 0.5) = 0.5.
        assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
        assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn birth_death_is_mmck_without_db() {
        // M/M/1 with infinite queue: L = rho / (1 - rho).
        let inner = Inner::new(2, 0.01, 0.0, 1);
        let i = instance(&inner, 2, 70.0, u64::MAX).unwrap();
        let l = i.inside + i.outer_queue;
        assert!((l - 0.7 / 0.3).abs() < 1e-9, "{l}");
        // With a delay station the throughput saturates at c / d.
        let inner = Inner::new(2, 0.01, 0.005, 50);
        assert!((inner.x[50] - 200.0).abs() < 1.0);
        assert!((inner.x[1] - 1.0 / 0.015).abs() < 1e-9);
    }

    #[test]
    fn tijms_finite_buffer_is_mmck_for_exponential_service() {
        // M/M/4/10 at 360/s, 100/s per server: the state law directly.
        let (c, k, lambda, mu) = (4u32, 10u32, 360.0, 100.0);
        let a: f64 = lambda / mu;
        let mut p = vec![1.0f64];
        for j in 1..=k {
            let rate = mu * f64::from(j.min(c));
            p.push(p[j as usize - 1] * lambda / rate);
        }
        let z: f64 = p.iter().sum();
        let p: Vec<f64> = p.iter().map(|x| x / z).collect();
        let block = p[k as usize];
        let waiting: f64 = (c..=k).map(|j| f64::from(j - c) * p[j as usize]).sum();
        let f = mgck(c, lambda, 1.0 / mu, 1.0, 1.0, k).unwrap();
        assert!((f.p_block - block).abs() < 1e-12, "{f:?} {block}");
        let mean_wait = waiting / (lambda * (1.0 - block));
        assert!((f.p_wait * f.cond_wait - mean_wait).abs() < 1e-12);
        assert!(a < 4.0);
        // Deterministic service blocks far less: the queue is shorter.
        let d = mgck(c, lambda, 1.0 / mu, 1.0, 0.0, k).unwrap();
        assert!(d.p_block < 0.5 * f.p_block && d.cond_wait < f.cond_wait);
    }
}
