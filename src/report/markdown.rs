//! `report.md`: a run as a design-review page, next to its CSV files and charts.

use super::fixed;
use crate::run::{CheckpointResult, RunReport};
use crate::spec::{Load, Users};

/// The report of one run. `charts` names the PNG files written beside it.
pub fn report_md(report: &RunReport, charts: &[&str]) -> String {
    report_md_with_warnings(report, charts, &[])
}

/// [`report_md`] with a `## Warnings` section after the verdict (none
/// when `warnings` is empty).
pub fn report_md_with_warnings(
    report: &RunReport,
    charts: &[&str],
    warnings: &[crate::warnings::Warning],
) -> String {
    let s = &report.scenario;
    let sim = &s.simulation;
    let mut out = format!("# {}\n\n", s.name);
    if let Some(d) = &s.description {
        out.push_str(&format!("{d}\n\n"));
    }
    out.push_str(&format!(
        "Region {}, web tier {}{}. SLO: p99 <= {} and availability >= {}. Seed {}, {} checkpoint{} of {} (warm-up {}){}.\n\n",
        s.region.code(),
        match &s.web.autoscaling {
            Some(a) => format!(
                "an auto scaling group of {} ({} to {})",
                s.web.instance.name, a.min, a.max
            ),
            None => format!("{} x {}", s.web.count, s.web.instance.name),
        },
        s.database.as_ref().map_or(String::new(), |d| match &d.placement {
            crate::spec::DbPlacement::Colocated => ", database on the web instance".to_string(),
            crate::spec::DbPlacement::Rds(i) => format!(
                ", database {}{}{}",
                i.name,
                if d.multi_az { " Multi-AZ" } else { "" },
                if d.read_replicas > 0 {
                    format!(
                        " + {} read replica{}{}",
                        d.read_replicas,
                        if d.read_replicas == 1 { "" } else { "s" },
                        d.distinct_replica_class().map_or(String::new(), |r| format!(" {}", r.name))
                    )
                } else {
                    String::new()
                }
            ),
        }),
        sim.slo.p99,
        sim.slo.availability,
        sim.seed,
        report.checkpoints.len(),
        if report.checkpoints.len() == 1 { "" } else { "s" },
        sim.window,
        sim.warmup,
        if sim.replications > 1 { format!(", {} replications each", sim.replications) } else { String::new() },
    ));
    out.push_str("## Verdict\n\n");
    out.push_str(&verdict(report));
    out.push_str(&super::warnings::warnings_md(warnings));
    if let Some(p) = super::serverless::paragraph(report) {
        out.push_str("\n## Serverless path\n\n");
        out.push_str(&p);
    }
    out.push_str("\n## Checkpoints\n\n");
    let over = super::worst_heading(s);
    out.push_str(&format!(
        "| # | users | req/s | p50 [ms] | p99 [ms] | worst {over} [ms] (95% interval) | availability | worst availability | web CPU | DB CPU | USD/month | USD/1k users | SLO | mode | bottleneck |\n"
    ));
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|---|\n");
    for (i, r) in report.checkpoints.iter().enumerate() {
        out.push_str(&row(r, report.over_capacity(i)));
    }
    out.push_str(&classes_md(report));
    if report
        .checkpoints
        .iter()
        .enumerate()
        .any(|(i, _)| report.over_capacity(i))
    {
        out.push_str(
            "\n*Over capacity*: rows past the wall carry more users than the design serves within its SLO; \
             their cost per user is what failing requests cost, not the design's.\n",
        );
    }
    let reasons: Vec<&str> = {
        let mut v: Vec<&str> = report
            .checkpoints
            .iter()
            .map(|c| c.mode_reason.as_str())
            .collect();
        v.dedup();
        v
    };
    if !reasons.is_empty() {
        out.push_str("\nModes: ");
        out.push_str(&reasons.join("; "));
        out.push_str(".\n");
    }
    if let Some(w) = super::unvalidated_fluid(report) {
        out.push_str(&format!("\n> **Warning**: {w}\n"));
    }
    if let Some(r) = bill_checkpoint(report) {
        out.push_str(&format!(
            "\n## The bill at checkpoint {} ({})\n\n| service | USD/month |\n|---|---:|\n",
            r.checkpoint.index,
            r.checkpoint
                .users
                .map_or(format!("{:.1} req/s", r.offered_rps), |u| format!(
                    "{u:.0} users"
                ))
        ));
        let mut services: Vec<(&str, f64)> = Vec::new();
        for line in &r.bill {
            match services.iter_mut().find(|(s, _)| *s == line.service) {
                Some((_, usd)) => *usd += line.usd_month,
                None => services.push((line.service, line.usd_month)),
            }
        }
        for (service, usd) in services {
            out.push_str(&format!("| {service} | {usd:.2} |\n"));
        }
        out.push_str(&format!("| **total** | **{:.2}** |\n", r.cost_usd_month));
        out.push_str(&format!("\n{}.\n", r.bill_basis(&report.scenario)));
    }
    if let Some(line) = super::scaling_limit_line(report) {
        out.push_str(&format!("\n**Auto scaling**: {line}.\n"));
    }
    if let Some(line) = super::az_loss_line(report) {
        out.push_str(&format!("\n## Losing an AZ\n\n{line}.\n"));
    }
    if !charts.is_empty() {
        out.push_str("\n## Charts\n\n");
        for c in charts {
            out.push_str(&format!("![{c}]({c})\n\n"));
        }
    }
    out.push_str(
        "\nFiles: `checkpoints.csv` (every column), `timeline.csv` (minute by minute), \
         `costs.csv` (the bill per service), `summary.csv` (the wall), \
         `warnings.csv` (the warnings above). \
         Column meanings: docs/scenario-reference.md.\n",
    );
    out
}

fn verdict(report: &RunReport) -> String {
    let s = &report.scenario;
    let growing = matches!(
        s.traffic.load,
        Load::Users {
            users: Users::Growing { .. },
            ..
        }
    );
    let max_users = report
        .checkpoints
        .iter()
        .filter_map(|c| c.checkpoint.users)
        .reduce(f64::max);
    match (&report.wall, max_users) {
        (Some(w), _) if w.users > 0.0 => format!(
            "The design carries **{:.0} users** within its SLO; at {:.0} the {} bound breaks. \
             There it costs **${:.2} a month**, ${:.2} per 1,000 users (instance-hours: ${:.2}).\n\n\
             In capacity terms: **{:.1} requests/s** at the daily peak, with the web tier at {:.1}% \
             and the database at {:.1}% in the busiest {} ({} mode).{}\n\n{}\n",
            w.users,
            w.missed_at,
            w.reason,
            w.cost_usd_month,
            w.cost_usd_month / w.users * 1000.0,
            w.instance_cost_usd_month,
            w.peak_rps(),
            100.0 * w.peak_web_util(),
            100.0 * w.peak_db_util(),
            interval_word(s),
            w.mode().name(),
            w.at.bottleneck_advice(s)
                .map_or(String::new(), |a| format!(" The wall is {a}.")),
            how_sure(w, s)
        ),
        (Some(w), _) => format!(
            "The design misses its SLO ({}) even at {:.0} users, the fewest simulated.\n",
            w.reason, w.missed_at
        ),
        (None, Some(u)) if growing => {
            format!("The SLO holds at every checkpoint, up to **{u:.0} users**.\n")
        }
        _ => {
            let met = report.checkpoints.iter().filter(|c| c.slo_met).count();
            format!(
                "{met} of {} checkpoints meet the SLO.\n",
                report.checkpoints.len()
            )
        }
    }
}

fn row(r: &CheckpointResult, over_capacity: bool) -> String {
    let c = &r.window.counts;
    let w = &r.judgement.worst;
    let worst = if w.served > 0 {
        let hi = if w.p99_range.1.is_finite() {
            fixed(w.p99_range.1, 1)
        } else {
            "unbounded".to_string()
        };
        format!(
            "{} ({}-{})",
            fixed(w.p99_ms, 1),
            fixed(w.p99_range.0, 1),
            hi
        )
    } else {
        "-".to_string()
    };
    let verdict = match r.verdict() {
        crate::run::Verdict::Met => "met",
        crate::run::Verdict::Missed => "**missed**",
        crate::run::Verdict::Uncertain => "uncertain",
    };
    let verdict = if over_capacity {
        format!("{verdict}, over capacity")
    } else {
        verdict.to_string()
    };
    // With replications, the 95% half-width over them.
    let ci = r.replications > 1;
    let (p50, p99) = if c.served > 0 {
        (
            fixed(r.window.latency.p50_ms, 1),
            if ci {
                format!(
                    "{} ± {}",
                    fixed(r.window.latency.p99_ms, 1),
                    fixed(r.estimates.p99_ms.ci95, 1)
                )
            } else {
                fixed(r.window.latency.p99_ms, 1)
            },
        )
    } else {
        ("-".to_string(), "-".to_string())
    };
    let availability = if ci {
        format!(
            "{:.4} ± {:.4}",
            r.availability(),
            r.estimates.availability.ci95
        )
    } else {
        format!("{:.4}", r.availability())
    };
    format!(
        "| {} | {} | {:.1} | {} | {} | {} | {} | {:.4} | {:.0}% | {:.0}% | {:.2} | {} | {} | {} | {} |\n",
        r.checkpoint.index,
        r.checkpoint.users.map_or("-".to_string(), |u| fixed(u, 0)),
        r.offered_rps,
        p50,
        p99,
        worst,
        availability,
        w.availability,
        100.0 * r.window.web_util,
        100.0 * r.window.db_util,
        r.cost_usd_month,
        r.checkpoint
            .users
            .filter(|u| *u > 0.0)
            .map_or("-".to_string(), |u| fixed(r.cost_usd_month / u * 1000.0, 2)),
        verdict,
        r.mode.name(),
        r.bottleneck()
            .map_or("-".to_string(), |(b, u)| format!("{b} {:.0}%", 100.0 * u)),
    )
}

/// The request classes, one table row per checkpoint and class (only with
/// more than one class, or a class with its own objective).
fn classes_md(report: &RunReport) -> String {
    let mix = &report.scenario.traffic.mix;
    if mix.len() < 2 && mix.iter().all(|c| c.slo.is_none()) {
        return String::new();
    }
    let mut out = String::from(
        "\n### Request classes\n\nEach class over the measured window, judged against its own `slo` when it has one (which then counts in the checkpoint's verdict), else against the scenario's bounds (for information).\n\n| # | class | requests | availability | mean [ms] | p50 [ms] | p99 [ms] | objective | SLO |\n|---:|---|---:|---:|---:|---:|---:|---|:---:|\n",
    );
    for r in &report.checkpoints {
        for (k, class) in mix.iter().enumerate() {
            let (Some(w), Some(j)) = (r.window.classes.get(k), r.classes.get(k)) else {
                continue;
            };
            let c = &w.counts;
            let lat = |x: f64| {
                if c.served > 0 {
                    fixed(x, 1)
                } else {
                    "-".to_string()
                }
            };
            let objective = match class.slo {
                Some(o) => {
                    let mut parts = Vec::new();
                    if let Some(p) = o.p99 {
                        parts.push(format!("p99 <= {p}"));
                    }
                    if let Some(a) = o.availability {
                        parts.push(format!("availability >= {a}"));
                    }
                    format!("own: {}", parts.join(", "))
                }
                None => "scenario's".to_string(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {:.4} | {} | {} | {} | {} | {} |\n",
                r.checkpoint.index,
                class.name,
                c.requests,
                crate::run::availability(c.served, c.finished()),
                lat(w.latency.mean_ms),
                lat(w.latency.p50_ms),
                lat(w.latency.p99_ms),
                objective,
                j.verdict.name(),
            ));
        }
    }
    out
}

/// What an SLO interval is called: hour, window, or its length.
pub(crate) fn interval_word(s: &crate::spec::Scenario) -> String {
    match s.simulation.slo.over.every() {
        None => "window".to_string(),
        Some(d) if d.as_nanos() == 3_600_000_000_000 => "hour".to_string(),
        Some(d) => format!("{d} interval"),
    }
}

/// How sure the wall is: the decided verdicts around it.
fn how_sure(w: &crate::run::Wall, s: &crate::spec::Scenario) -> String {
    let confidence = 100.0 * s.simulation.confidence();
    let low = if w.users_low > 0.0 {
        format!(
            "it is at least {:.0} users (the most users met with {confidence:.0}% confidence)",
            w.users_low
        )
    } else {
        "no user count simulated meets the SLO with confidence, so its lower end is open"
            .to_string()
    };
    let verdict = match w.verdict() {
        crate::run::Verdict::Uncertain => {
            " At the wall itself the verdict is uncertain; `--precision` adds replications until it is decided."
        }
        _ => "",
    };
    format!(
        "How sure: {low}, and below {:.0} users (the fewest missed with {confidence:.0}% confidence).{verdict}",
        w.users_high
    )
}

/// The checkpoint whose bill the report shows: the last one meeting the
/// SLO (the one nearest below the wall), else the first.
fn bill_checkpoint(report: &RunReport) -> Option<&CheckpointResult> {
    report
        .checkpoints
        .iter()
        .take_while(|c| c.slo_met)
        .last()
        .or(report.checkpoints.first())
}

/// The top page of a ladder: one row per rung, linking each rung's report.
pub fn ladder_md(key: &str, rungs: &[(String, RunReport)], folders: &[String]) -> String {
    let name = rungs.first().map_or("", |(_, r)| r.scenario.name.as_str());
    let mut out = format!(
        "# {name}: ladder over `{key}`\n\nThe same traffic on each value of `{key}`: the wall (most users within the SLO) and what a month costs there.\n\n"
    );
    out.push_str("| value | wall [users] | breaks on | SLO | USD/month | USD/1k users | instances USD/month | instances USD/1k users | limited by | report |\n");
    out.push_str("|---|---:|---|---|---:|---:|---:|---:|---|---|\n");
    for ((value, r), folder) in rungs.iter().zip(folders) {
        let g = super::rung(r);
        let per_1k = |x: f64| g.per_1k(x).map_or("-".to_string(), |c| fixed(c, 2));
        out.push_str(&format!(
            "| `{value}` | {} | {} | {} | {:.2} | {} | {:.2} | {} | {} | [{folder}/report.md]({folder}/report.md) |\n",
            g.wall_cell(),
            if g.reason.is_empty() { "-" } else { g.reason },
            g.verdict.name(),
            g.cost,
            per_1k(g.cost),
            g.instance_cost,
            per_1k(g.instance_cost),
            if g.limited_by.is_empty() { "-" } else { g.limited_by },
        ));
    }
    out.push_str("\n`limited by`: what bound the rung at its wall (`web_cpu`, `credits`, `web_workers`, `db_cpu`, `db_contention`, `db_connections`, `db_iops`; see docs/modeling-notes.md). `ladder_cost.png` plots each rung's cost per 1,000 users against its wall.\n");
    out
}
