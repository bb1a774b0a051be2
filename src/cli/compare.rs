//! `simscale compare A.toml B.toml ...`: designs side by side under the same traffic.

use super::SimArgs;
use crate::error::Error;
use crate::report;
use crate::run::compare::{CommonLoad, DesignInput, compare};
use crate::scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `simscale compare`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CompareArgs {
    /// The designs (scenario files); the first is the reference.
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
    /// Output folder [default: out/compare].
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Seed, threads, --short and replications.
    #[command(flatten)]
    pub sim: SimArgs,
    /// The common user counts (or request rates, for designs given a rate)
    /// at which every design is evaluated [default: 5, log-spaced].
    #[arg(long, value_name = "N1,N2,...", value_delimiter = ',')]
    pub at: Vec<f64>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Names designs by file stem, or by path when two stems are equal.
fn design_names(paths: &[PathBuf]) -> Vec<String> {
    let stem = |p: &Path| {
        p.file_stem().map_or_else(
            || p.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    };
    let stems: Vec<String> = paths.iter().map(|p| stem(p)).collect();
    stems
        .iter()
        .zip(paths)
        .map(|(s, p)| {
            if stems.iter().filter(|t| *t == s).count() > 1 {
                p.display().to_string()
            } else {
                s.clone()
            }
        })
        .collect()
}

/// `simscale compare`: run, write compare.csv, compare.md and the charts, print the table.
pub fn run(args: &CompareArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    // Every design is validated before any runs.
    let names = design_names(&args.scenarios);
    let mut inputs = Vec::with_capacity(args.scenarios.len());
    for (path, design) in args.scenarios.iter().zip(names) {
        inputs.push(DesignInput {
            design,
            file: path.display().to_string(),
            scenario: scenario::load(path)?,
        });
    }
    if let Some(bad) = args.at.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return Err(Error::Usage {
            message: format!("--at: {bad} is not a positive number"),
            help: "write --at 1000,10000,100000".into(),
        });
    }
    let loads = (!args.at.is_empty()).then(|| {
        let users = inputs
            .iter()
            .any(|d| matches!(d.scenario.traffic.load, crate::spec::Load::Users { .. }));
        let mut at = args.at.clone();
        at.sort_by(f64::total_cmp);
        at.dedup();
        at.into_iter()
            .map(|x| {
                if users {
                    CommonLoad::Users(x)
                } else {
                    CommonLoad::Rate(x)
                }
            })
            .collect()
    });
    let c = compare(&inputs, loads, &args.sim.options())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join("compare"));
    let charts = report::charts::compare_charts(&c).map_err(Error::Internal)?;
    let names: Vec<&str> = charts.iter().map(|(n, _)| *n).collect();
    let mut files = vec![
        ("compare.csv", report::compare::compare_csv(&c)),
        (
            "compare.md",
            report::compare::compare_md(&c, &names).into_bytes(),
        ),
    ];
    files.extend(charts);
    report::writer::write_files(&out, &files)?;
    if !args.quiet {
        let _ = write!(stdout, "{}", report::compare::compare_summary(&c));
        let _ = writeln!(
            stdout,
            "wrote {}/: compare.csv, compare.md and charts",
            out.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designs_are_named_by_stem_unless_two_share_it() {
        let names = design_names(&["a/x.toml".into(), "b/y.toml".into()]);
        assert_eq!(names, ["x", "y"]);
        let names = design_names(&["a/x.toml".into(), "b/x.toml".into()]);
        assert_eq!(names, ["a/x.toml", "b/x.toml"]);
    }
}
