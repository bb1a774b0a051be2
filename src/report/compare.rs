//! `compare.csv`, `compare.md` and the terminal table of `simscale compare`.

use super::{csv_bytes, fixed};
use crate::run::compare::{Comparison, DesignResult};

/// The columns of `compare.csv` before the per-load ones, as the format
/// specifies them.
pub const COMPARE_COLUMNS: [&str; 10] = [
    "design",
    "file",
    "wall_users",
    "wall_users_low",
    "wall_users_high",
    "wall_peak_rps",
    "wall_users_az_loss",
    "cost_usd_month_at_wall",
    "cost_usd_per_1k_users_month_at_wall",
    "relative_wall",
];

/// The header of `compare.csv`: the fixed columns, `p99_ms_at_<load>` and
/// `availability_at_<load>` per common load, then `wall_reason` and the
/// paired p99 difference to the first design per load
/// (`p99_ms_diff_at_<load>`, with `p99_ms_diff_ci95_at_<load>` when there
/// are replications).
pub fn compare_header(c: &Comparison) -> Vec<String> {
    let mut h: Vec<String> = COMPARE_COLUMNS.iter().map(|s| s.to_string()).collect();
    for l in &c.loads {
        h.push(format!("p99_ms_at_{}", l.label()));
        h.push(format!("availability_at_{}", l.label()));
    }
    h.push("wall_reason".into());
    for l in &c.loads {
        h.push(format!("p99_ms_diff_at_{}", l.label()));
        if c.replications > 1 {
            h.push(format!("p99_ms_diff_ci95_at_{}", l.label()));
        }
    }
    h
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or(String::new(), |x| fixed(x, digits))
}

fn row(c: &Comparison, d: &DesignResult) -> Vec<String> {
    let first = &c.designs[0];
    let w = &d.wall;
    let mut row = vec![
        d.design.clone(),
        d.file.clone(),
        opt(w.users, 0),
        opt(w.users_low, 0),
        opt(w.users_high, 0),
        opt(w.peak_rps, 3),
        opt(w.az_loss_users, 0),
        opt(w.cost_usd_month, 2),
        opt(w.cost_usd_per_1k_users_month, 4),
        opt(d.relative_wall(first), 3),
    ];
    for at in &d.at {
        row.push(opt(at.as_ref().and_then(|a| a.p99_ms).map(|e| e.mean), 3));
        row.push(opt(at.as_ref().map(|a| a.availability), 6));
    }
    row.push(w.reason.unwrap_or("").to_string());
    for at in &d.at {
        let diff = at.as_ref().and_then(|a| a.p99_ms_diff);
        row.push(opt(diff.map(|e| e.mean), 3));
        if c.replications > 1 {
            row.push(opt(diff.map(|e| e.ci95), 3));
        }
    }
    row
}

/// `compare.csv`: one row per design, in the order given.
pub fn compare_csv(c: &Comparison) -> Vec<u8> {
    let header = compare_header(c);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(&header, c.designs.iter().map(|d| row(c, d)))
}

/// A count of users with thousands separators: `12,345`.
fn users(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn wall_cell(d: &DesignResult) -> String {
    match (d.wall.users, d.wall.users_low) {
        (Some(u), _) => users(u),
        (None, Some(low)) => format!("> {}", users(low)),
        (None, None) => "-".into(),
    }
}

fn relative_cell(c: &Comparison, d: &DesignResult) -> String {
    d.relative_wall(&c.designs[0])
        .map_or("-".into(), |r| format!("{r:.2}"))
}

fn p99_cell(c: &Comparison, d: &DesignResult, j: usize) -> String {
    let Some(at) = d.at.get(j).and_then(Option::as_ref) else {
        return "-".into();
    };
    let Some(p99) = at.p99_ms else {
        return "none served".into();
    };
    let mut s = format!("{:.1}", p99.mean);
    if let Some(diff) = at.p99_ms_diff {
        s.push_str(&format!(" ({:+.1}", diff.mean));
        if c.replications > 1 {
            s.push_str(&format!(" ± {:.1}", diff.ci95));
        }
        s.push(')');
    }
    s
}

/// A design's wall cells: name, wall, relative wall, the bound that broke,
/// peak requests per second, the bill and its cost per 1,000 users there.
fn wall_row(c: &Comparison, d: &DesignResult) -> [String; 7] {
    let w = &d.wall;
    [
        d.design.clone(),
        wall_cell(d),
        relative_cell(c, d),
        w.reason.unwrap_or("-").to_string(),
        w.peak_rps.map_or("-".into(), |x| format!("{x:.1}")),
        w.cost_usd_month.map_or("-".into(), |x| format!("{x:.2}")),
        w.cost_usd_per_1k_users_month
            .map_or("-".into(), |x| format!("{x:.4}")),
    ]
}

/// `compare.md`: the table, each design relative to the first, the
/// common loads, and the charts named in `charts`.
pub fn compare_md(c: &Comparison, charts: &[&str]) -> String {
    let mut out = String::from("# Designs compared\n\n");
    out.push_str(&format!(
        "Every design ran with seed {}, so equal loads draw equal arrivals (common random numbers). \
         Relative walls are to the first design, {}.\n\n",
        c.seed, c.designs[0].design
    ));
    out.push_str("| design | wall [users] | relative | breaks on | peak req/s at wall | USD/month at wall | USD/1k users/month |\n");
    out.push_str("|---|---:|---:|:---:|---:|---:|---:|\n");
    for d in &c.designs {
        out.push_str(&format!("| {} |\n", wall_row(c, d).join(" | ")));
    }
    if !c.loads.is_empty() {
        out.push_str(&format!(
            "\n## p99 [ms] at common loads\n\nIn brackets: the difference to {}, paired replication by replication{}.\n\n| design |",
            c.designs[0].design,
            if c.replications > 1 {
                format!(", with its 95% confidence half-width over {} replications", c.replications)
            } else {
                " (one replication: no confidence interval)".to_string()
            }
        ));
        for l in &c.loads {
            out.push_str(&format!(" {} |", load_name(l)));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(c.loads.len()));
        out.push('\n');
        for d in &c.designs {
            out.push_str(&format!("| {} |", d.design));
            for j in 0..c.loads.len() {
                out.push_str(&format!(" {} |", p99_cell(c, d, j)));
            }
            out.push('\n');
        }
        out.push_str("\n## Availability at common loads\n\n| design |");
        for l in &c.loads {
            out.push_str(&format!(" {} |", load_name(l)));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(c.loads.len()));
        out.push('\n');
        for d in &c.designs {
            out.push_str(&format!("| {} |", d.design));
            for at in &d.at {
                let cell = at
                    .as_ref()
                    .map_or("-".into(), |a| format!("{:.4}%", 100.0 * a.availability));
                out.push_str(&format!(" {cell} |"));
            }
            out.push('\n');
        }
    }
    out.push_str("\n## Files\n\n| design | file |\n|---|---|\n");
    for d in &c.designs {
        out.push_str(&format!("| {} | `{}` |\n", d.design, d.file));
    }
    if !charts.is_empty() {
        out.push_str("\n## Charts\n\n");
        for chart in charts {
            out.push_str(&format!("![{chart}]({chart})\n\n"));
        }
    }
    out
}

fn load_name(l: &crate::run::compare::CommonLoad) -> String {
    match l {
        crate::run::compare::CommonLoad::Users(u) => format!("{} users", users(*u)),
        crate::run::compare::CommonLoad::Rate(r) => format!("{r} req/s"),
    }
}

/// The comparison as a table for the terminal.
pub fn compare_summary(c: &Comparison) -> String {
    let width = c
        .designs
        .iter()
        .map(|d| d.design.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<width$} {:>12} {:>9} {:>13} {:>12} {:>12} {:>14}\n",
        "design", "wall users", "relative", "breaks on", "peak req/s", "$/month", "$/1k users/mo"
    );
    for d in &c.designs {
        let [name, wall, rel, reason, peak, usd, per_1k] = wall_row(c, d);
        out.push_str(&format!(
            "{name:<width$} {wall:>12} {rel:>9} {reason:>13} {peak:>12} {usd:>12} {per_1k:>14}\n"
        ));
    }
    if !c.loads.is_empty() {
        out.push_str(&format!("\n{:<width$}", "p99 ms at"));
        for l in &c.loads {
            out.push_str(&format!(" {:>22}", load_name(l)));
        }
        out.push('\n');
        for d in &c.designs {
            out.push_str(&format!("{:<width$}", d.design));
            for j in 0..c.loads.len() {
                out.push_str(&format!(" {:>22}", p99_cell(c, d, j)));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn users_have_thousands_separators() {
        assert_eq!(super::users(1234567.0), "1,234,567");
        assert_eq!(super::users(999.0), "999");
        assert_eq!(super::users(1000.0), "1,000");
    }
}
