//! `simscale catalog`: the embedded instance types and prices, and their sources.

use crate::catalog::{Catalog, RDS_ENGINES, REGIONS, SOURCES};
use crate::cost::HOURS_PER_MONTH;
use crate::error::Error;
use crate::suggest::did_you_mean;
use std::io::Write;

/// What to list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatalogQuery {
    /// Only this family (`m5`; `db.m5` is accepted for RDS).
    pub family: Option<String>,
    /// Prices of this region [default: us-east-1].
    pub region: Option<String>,
    /// RDS instance classes instead of EC2 types.
    pub rds: bool,
    /// Print the data's date and sources instead of a table.
    pub sources: bool,
}

/// One row of the table.
struct Row<'a> {
    name: &'a str,
    family: &'a str,
    vcpu: u32,
    memory_gib: f64,
    cpu_speed: Option<f64>,
    /// One price for an EC2 type; one per engine of [`RDS_ENGINES`] for an RDS class.
    usd_per_hour: Vec<Option<f64>>,
}

/// `family` -> `families`, `region` -> `regions`.
fn plural(word: &str) -> String {
    match word.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{word}s"),
    }
}

fn unknown(what: &str, given: &str, known: &[&str]) -> Error {
    let help = match did_you_mean(given, known.iter().copied()) {
        Some(s) => format!("did you mean '{s}'?"),
        None => format!("known {}: {}", plural(what), known.join(", ")),
    };
    Error::Usage {
        message: format!("unknown {what} '{given}'"),
        help,
    }
}

/// Writes the table (or the sources) for `q` to `out`.
pub fn run(q: &CatalogQuery, out: &mut dyn Write) -> Result<(), Error> {
    if q.sources {
        let _ = write!(out, "{SOURCES}");
        return Ok(());
    }
    let region = q.region.as_deref().unwrap_or("us-east-1");
    if !REGIONS.contains(&region) {
        return Err(unknown("region", region, &REGIONS));
    }
    let c = Catalog::embedded();
    let rows: Vec<Row<'_>> = if q.rds {
        c.rds_types()
            .iter()
            .map(|t| Row {
                name: &t.name,
                family: &t.family,
                vcpu: t.vcpu,
                memory_gib: t.memory_gib,
                cpu_speed: t.cpu_speed,
                usd_per_hour: RDS_ENGINES
                    .iter()
                    .map(|e| t.usd_per_hour(e, region))
                    .collect(),
            })
            .collect()
    } else {
        c.ec2_types()
            .iter()
            .map(|t| Row {
                name: &t.name,
                family: &t.family,
                vcpu: t.vcpu,
                memory_gib: t.memory_gib,
                cpu_speed: t.cpu_speed,
                usd_per_hour: vec![t.usd_per_hour(region)],
            })
            .collect()
    };
    let rows = match &q.family {
        None => rows,
        Some(f) => {
            if !q.rds && f.starts_with("db.") {
                return Err(Error::Usage {
                    message: format!(
                        "--family {f} names RDS instance classes, but the list is of EC2 types"
                    ),
                    help: format!("add --rds: simscale catalog --rds --family {f}"),
                });
            }
            let f = f.strip_prefix("db.").unwrap_or(f);
            let mut families: Vec<&str> = Vec::new();
            for r in &rows {
                if !families.contains(&r.family) {
                    families.push(r.family);
                }
            }
            if !families.contains(&f) {
                return Err(unknown("family", f, &families));
            }
            rows.into_iter().filter(|r| r.family == f).collect()
        }
    };
    let _ = write!(out, "{}", table(&rows, region, q.rds));
    Ok(())
}

fn or_dash(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_string(), f)
}

fn table(rows: &[Row<'_>], region: &str, rds: bool) -> String {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let head = |s: &mut String| {
        s.push_str(&format!(
            "{:<width$} {:>5} {:>11} {:>9}",
            "type", "vCPU", "memory GiB", "cpu_speed"
        ))
    };
    let cells = |s: &mut String, r: &Row<'_>| {
        s.push_str(&format!(
            "{:<width$} {:>5} {:>11} {:>9}",
            r.name,
            r.vcpu,
            format!("{}", r.memory_gib),
            or_dash(r.cpu_speed, |x| format!("{x:.3}")),
        ))
    };
    let mut s;
    if rds {
        s = format!(
            "RDS instance classes in {region}: on-demand USD per instance-hour by engine (Single-AZ; Aurora per cluster instance); - = price not in the catalog\n"
        );
        head(&mut s);
        for e in RDS_ENGINES {
            s.push_str(&format!(" {e:>17}"));
        }
        s.push('\n');
        for r in rows {
            cells(&mut s, r);
            for p in &r.usd_per_hour {
                s.push_str(&format!(" {:>17}", or_dash(*p, |x| format!("{x}"))));
            }
            s.push('\n');
        }
    } else {
        s = format!(
            "EC2 instance types in {region}: on-demand Linux prices, a month of 30.44 days ({HOURS_PER_MONTH} h); - = price not in the catalog\n"
        );
        head(&mut s);
        s.push_str(&format!(" {:>10} {:>10}\n", "USD/hour", "USD/month"));
        for r in rows {
            cells(&mut s, r);
            let p = r.usd_per_hour.first().copied().flatten();
            s.push_str(&format!(
                " {:>10} {:>10}\n",
                or_dash(p, |x| format!("{x}")),
                or_dash(p, |x| format!("{:.2}", x * HOURS_PER_MONTH)),
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(q: CatalogQuery) -> Result<String, Error> {
        let mut out = Vec::new();
        run(&q, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn an_rds_family_without_rds_is_an_error_with_help() {
        let q = CatalogQuery {
            family: Some("db.r5".into()),
            ..CatalogQuery::default()
        };
        let e = run(&q, &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "--family db.r5 names RDS instance classes, but the list is of EC2 types\n  = help: add --rds: simscale catalog --rds --family db.r5"
        );
        let q = CatalogQuery {
            family: Some("m55".into()),
            ..CatalogQuery::default()
        };
        let e = run(&q, &mut Vec::new()).unwrap_err().to_string();
        assert!(!e.contains("familys"), "{e}");
        assert_eq!(plural("family"), "families");
        assert_eq!(plural("region"), "regions");
    }

    #[test]
    fn lists_a_family_with_monthly_prices_and_dashes_for_gaps() {
        let t = listing(CatalogQuery {
            family: Some("m5".into()),
            ..Default::default()
        })
        .unwrap();
        // m5.large: 0.096 USD/h x 730.56 h = 70.13.
        let line = t.lines().find(|l| l.starts_with("m5.large ")).unwrap();
        assert!(
            line.contains(" 0.096 ") && line.ends_with("70.13"),
            "{line}"
        );
        assert!(!t.contains("c5.large"));
        let t = listing(CatalogQuery {
            family: Some("c7g".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        })
        .unwrap();
        // c7g.large in eu-west-1: 0.0775 USD/h x 730.56 h = 56.62.
        let line = t.lines().find(|l| l.starts_with("c7g.large ")).unwrap();
        assert!(line.ends_with("56.62"), "{line}");
    }

    #[test]
    fn rds_lists_a_price_per_engine() {
        let t = listing(CatalogQuery {
            rds: true,
            family: Some("db.r6g".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        })
        .unwrap();
        let header = t.lines().nth(1).unwrap();
        for e in RDS_ENGINES {
            assert!(header.contains(e), "{header}");
        }
        let line = t.lines().find(|l| l.starts_with("db.r6g.large ")).unwrap();
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cells[4..], ["0.237", "0.252", "0.286", "0.286"], "{line}");
        let t = listing(CatalogQuery {
            rds: true,
            family: Some("db.m5".into()),
            ..Default::default()
        })
        .unwrap();
        let line = t.lines().find(|l| l.starts_with("db.m5.large ")).unwrap();
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cells[4..], ["0.171", "0.178", "-", "-"], "{line}");
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = listing(CatalogQuery {
            family: Some("m55".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("did you mean 'm5'?"), "{e}");
        let e = listing(CatalogQuery {
            region: Some("eu-west-2".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("did you mean 'eu-west-1'?"), "{e}");
    }
}
