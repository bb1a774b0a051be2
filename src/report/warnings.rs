//! Warnings as `warnings.csv`, a `report.md` section and terminal lines.

use super::csv_bytes;
use crate::warnings::Warning;

/// Columns of `warnings.csv`.
pub const WARNING_COLUMNS: [&str; 3] = ["checkpoint", "key", "message"];

/// `warnings.csv`: one row per warning, an empty `checkpoint` for the
/// scenario as a whole; the header alone when there are none.
pub fn warnings_csv(warnings: &[Warning]) -> Vec<u8> {
    csv_bytes(
        &WARNING_COLUMNS,
        warnings.iter().map(|w| {
            vec![
                w.checkpoint.map_or(String::new(), |c| c.to_string()),
                w.key.clone(),
                w.message.clone(),
            ]
        }),
    )
}

/// The `## Warnings` section of `report.md`; empty when there are none.
pub fn warnings_md(warnings: &[Warning]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n## Warnings\n\n");
    for w in warnings {
        let at = w
            .checkpoint
            .map_or(String::new(), |c| format!("checkpoint {c}: "));
        out.push_str(&format!("- {at}`{}`: {}\n", w.key, w.message));
    }
    out
}

/// One line per warning, as the terminal shows them.
pub fn warnings_text(warnings: &[Warning]) -> String {
    warnings.iter().map(|w| format!("{w}\n")).collect()
}
