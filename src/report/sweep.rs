//! `sweep.csv` and the sweep chart, from the files each point wrote.
//!
//! A sweep's table is built from each point's own `summary.csv` (and
//! `checkpoints.csv` for the chart), so a sweep run at once, resumed, or
//! run in shards and merged gives the same bytes, and new `summary.csv`
//! columns appear in `sweep.csv` by themselves.

use super::csv_bytes;

/// What a point left behind that the sweep's table and chart read.
#[derive(Clone, Debug, PartialEq)]
pub struct PointFiles {
    /// The point's index.
    pub index: usize,
    /// Its value of each swept key, in key order.
    pub values: Vec<String>,
    /// Its `summary.csv`.
    pub summary: Vec<u8>,
    /// Its `checkpoints.csv`.
    pub checkpoints: Vec<u8>,
}

/// The header and rows of a CSV text.
fn records(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<Vec<Vec<String>>, _>>()
        .map_err(|e| e.to_string())?;
    Ok((header, rows))
}

/// `sweep.csv`: `point`, one column per swept key, then the `summary.csv`
/// columns of each point, in point order.
pub fn sweep_csv(keys: &[String], points: &[PointFiles]) -> Result<Vec<u8>, String> {
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::with_capacity(points.len());
    for p in points {
        let (h, mut r) =
            records(&p.summary).map_err(|e| format!("point {}: summary.csv: {e}", p.index))?;
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(format!(
                    "point {}: summary.csv has other columns than point {}'s",
                    p.index, points[0].index
                ));
            }
            Some(_) => {}
        }
        let summary = r
            .pop()
            .ok_or_else(|| format!("point {}: summary.csv has no row", p.index))?;
        let mut row = vec![p.index.to_string()];
        row.extend(p.values.iter().cloned());
        row.extend(summary);
        rows.push(row);
    }
    let mut full = vec!["point".to_string()];
    full.extend(keys.iter().cloned());
    full.extend(header.unwrap_or_default());
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    Ok(csv_bytes(&full, rows))
}

/// A point's figure for the chart: the most users within the SLO (the wall,
/// else the most users simulated) when traffic is in users, else `None`.
fn users_figure(p: &PointFiles) -> Option<f64> {
    let (h, r) = records(&p.summary).ok()?;
    let row = r.first()?;
    let cell = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .and_then(|i| row.get(i))
            .and_then(|v| v.parse::<f64>().ok())
    };
    cell("wall_users").or_else(|| cell("max_users_simulated"))
}

/// The monthly bill at a point's last checkpoint.
fn cost_figure(p: &PointFiles) -> Option<f64> {
    let (h, r) = records(&p.checkpoints).ok()?;
    let i = h.iter().position(|c| c == "cost_usd_month")?;
    r.last()?.get(i)?.parse().ok()
}

/// The two keys that move the figure most (largest ratio between the
/// highest and lowest mean over a key's values), most important first.
pub fn important_keys(keys: &[String], points: &[(Vec<String>, f64)]) -> Vec<usize> {
    let spread = |k: usize| {
        let mut values: Vec<&String> = points.iter().map(|(v, _)| &v[k]).collect();
        values.dedup();
        let mut seen: Vec<&String> = Vec::new();
        for v in values {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        let means: Vec<f64> = seen
            .iter()
            .map(|v| {
                let ys: Vec<f64> = points
                    .iter()
                    .filter(|(p, _)| &&p[k] == v)
                    .map(|(_, y)| *y)
                    .collect();
                ys.iter().sum::<f64>() / ys.len().max(1) as f64
            })
            .collect();
        let hi = means.iter().copied().fold(f64::MIN, f64::max);
        let lo = means.iter().copied().fold(f64::MAX, f64::min);
        if seen.len() < 2 || lo <= 0.0 {
            1.0
        } else {
            hi / lo
        }
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // Stable: on a tie the key given first comes first.
    order.sort_by(|a, b| spread(*b).total_cmp(&spread(*a)));
    order.truncate(2);
    order
}

/// The sweep chart: the wall (or the bill, without users) against the most
/// important key's values, a line per value of the second; other keys are
/// averaged over.
pub fn sweep_png(keys: &[String], points: &[PointFiles]) -> Result<Vec<u8>, String> {
    let in_users = points.iter().any(|p| users_figure(p).is_some());
    let figures: Vec<(Vec<String>, f64)> = points
        .iter()
        .filter_map(|p| {
            let y = if in_users {
                users_figure(p)
            } else {
                cost_figure(p)
            };
            y.map(|y| (p.values.clone(), y))
        })
        .collect();
    let chosen = important_keys(keys, &figures);
    let mut reduced: Vec<(Vec<String>, Vec<f64>)> = Vec::new();
    for (values, y) in &figures {
        let key: Vec<String> = chosen.iter().map(|k| values[*k].clone()).collect();
        match reduced.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ys)) => ys.push(*y),
            None => reduced.push((key, vec![*y])),
        }
    }
    let reduced: Vec<(Vec<String>, f64)> = reduced
        .into_iter()
        .map(|(k, ys)| (k, ys.iter().sum::<f64>() / ys.len() as f64))
        .collect();
    let chosen_keys: Vec<String> = chosen.iter().map(|k| keys[*k].clone()).collect();
    super::charts::sweep_png(&chosen_keys, &reduced, in_users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_that_moves_the_figure_comes_first() {
        let keys = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let p = |a: &str, b: &str, c: &str, y: f64| {
            (vec![a.to_string(), b.to_string(), c.to_string()], y)
        };
        let points = vec![
            p("1", "x", "u", 10.0),
            p("1", "y", "u", 11.0),
            p("2", "x", "u", 100.0),
            p("2", "y", "u", 120.0),
        ];
        assert_eq!(important_keys(&keys, &points), [0, 1]);
    }
}
