//! Using simscale as a library: build a scenario from text, run it, read the
//! result, with no files and no command line.
//!
//! `cargo run --release --example embed`

use simscale::run::{RunOptions, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = r#"
        name = "Two web servers behind an ALB"
        [simulation]
        window = "20m"
        [traffic]
        rate = 60.0
        [load_balancer]
        algorithm = "least_outstanding"
        [web]
        instance = "m5.large"
        count = 2
        azs = ["a", "b"]
    "#;
    let scenario = simscale::scenario::parse(text, "embedded.toml")?;
    let report = simulate(&scenario, &RunOptions::default())?;
    let cp = &report.checkpoints[0];
    let w = &cp.window;
    println!(
        "{}: {} requests, p50 {:.1} ms, p99 {:.1} ms, {:.0}% CPU, ${:.2}/month, SLO {}",
        scenario.name,
        w.counts.requests,
        w.latency.p50_ms,
        w.latency.p99_ms,
        100.0 * w.web_util,
        cp.cost_usd_month,
        if cp.slo_met { "met" } else { "missed" }
    );
    // 60 requests/s of 50 ms on 4 vCPUs: 75% busy, and nothing lost.
    assert!((w.web_util - 0.75).abs() < 0.05);
    let c = &w.counts;
    assert_eq!(
        c.requests,
        c.served + c.dropped + c.timed_out + c.errors + c.throttled + c.in_flight()
    );
    Ok(())
}
