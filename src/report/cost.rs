//! `simscale run --explain-cost`: every checkpoint's bill, line by line.

use crate::run::RunReport;

/// For each checkpoint, each bill line with its quantity, unit price and
/// monthly amount, then the total.
pub fn explain_cost(report: &RunReport) -> String {
    let mut out = format!(
        "Monthly bill per checkpoint ({}, a month of 30.44 days; prices and sources: docs/cost-model.md)\n",
        report.scenario.region.code()
    );
    for r in &report.checkpoints {
        let cp = &r.checkpoint;
        out.push_str(&format!(
            "\ncheckpoint {} ({} users, {:.3} req/s offered)\n",
            cp.index,
            cp.users.map_or("-".to_string(), |u| format!("{u:.0}")),
            r.offered_rps
        ));
        out.push_str(&format!(
            "  {:<14} {:<62} {:>18} {:<15} {:>12}\n",
            "service", "item", "quantity", "unit", "USD/month"
        ));
        for l in &r.bill {
            out.push_str(&format!(
                "  {:<14} {:<62} {:>18.3} {:<15} {:>12.2}\n",
                l.service, l.item, l.quantity, l.unit, l.usd_month
            ));
            out.push_str(&format!("  {:<14}   at {}\n", "", l.price));
        }
        out.push_str(&format!(
            "  {:<14} {:<62} {:>18} {:<15} {:>12.2}\n",
            "total", "", "", "", r.cost_usd_month
        ));
    }
    out
}
