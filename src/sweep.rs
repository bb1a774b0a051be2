//! `simscale sweep`: one scenario run at every point of a grid (or a zip) of
//! key values, shardable across machines, resumable, and merged back into
//! what one machine writes.
//!
//! Each point's text is the user's file with the swept values written in
//! place of the old ones (the rest of the file keeps its lines and
//! columns, so a bad value is reported at its place in the user's file);
//! a key the file does not have is added through
//! [`crate::scenario::overrides::with_override`]. Every point is validated
//! before any runs.

use crate::error::Error;
use crate::scenario::{Diagnostic, Diagnostics, ScenarioError, overrides, parse};
use crate::spec::Scenario;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// One `--set KEY=V1,V2,...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Set {
    /// A dotted path into the scenario: `web.count`, `traffic.mix.page.web_cpu`.
    pub key: String,
    /// The values, as TOML literals or bare words (taken as strings).
    pub values: Vec<String>,
}

impl Set {
    /// Reads `KEY=V1,V2,...`; a usage error otherwise.
    pub fn parse(arg: &str) -> Result<Set, Error> {
        let usage = |message: String| Error::Usage {
            message,
            help: "write --set KEY=V1,V2,..., e.g. --set web.count=2,4,8".into(),
        };
        let (key, values) = arg
            .split_once('=')
            .ok_or_else(|| usage(format!("--set: expected KEY=V1,V2,..., found '{arg}'")))?;
        let values: Vec<String> = split_values(values);
        let key = key.trim();
        if key.is_empty() || values.is_empty() {
            return Err(usage(format!(
                "--set: expected a key and at least one value, found '{arg}'"
            )));
        }
        Ok(Set {
            key: key.to_string(),
            values,
        })
    }
}

/// Values split at commas outside quotes, brackets and braces, trimmed.
fn split_values(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out.into_iter().filter(|v| !v.is_empty()).collect()
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Its index in grid order, from 0.
    pub index: usize,
    /// Its value of each swept key, in key order, as labels (quotes removed).
    pub values: Vec<String>,
    /// The scenario text of the point.
    pub text: String,
    /// The validated scenario (without a ladder).
    pub scenario: Scenario,
}

/// The value combinations: the grid (the last key varies fastest) or, with
/// `zip`, the i-th value of every key together (equal lengths required).
pub fn combinations(sets: &[Set], zip: bool) -> Result<Vec<Vec<String>>, Error> {
    if sets.is_empty() {
        return Err(Error::Usage {
            message: "sweep: no --set given".into(),
            help: "write --set KEY=V1,V2,..., e.g. --set web.count=2,4,8".into(),
        });
    }
    for (i, a) in sets.iter().enumerate() {
        if sets[..i].iter().any(|b| b.key == a.key) {
            return Err(Error::Usage {
                message: format!("--set {}: the key is set twice", a.key),
                help: "give each key once, with all its values".into(),
            });
        }
    }
    if zip {
        let n = sets[0].values.len();
        if let Some(bad) = sets.iter().find(|s| s.values.len() != n) {
            return Err(Error::Usage {
                message: format!(
                    "--zip: {} has {} values but {} has {}",
                    sets[0].key,
                    n,
                    bad.key,
                    bad.values.len()
                ),
                help: "with --zip every --set needs the same number of values (or drop --zip for the grid)".into(),
            });
        }
        return Ok((0..n)
            .map(|i| sets.iter().map(|s| s.values[i].clone()).collect())
            .collect());
    }
    let mut out: Vec<Vec<String>> = vec![vec![]];
    for s in sets {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                s.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(out)
}

/// The label of a value: its text without surrounding quotes.
pub fn label(value: &str) -> String {
    value.trim_matches('"').trim_matches('\'').to_string()
}

/// Every point of a sweep over `source`, validated; the first invalid point
/// is the error (its messages name `origin` and the point's values).
pub fn plan(source: &str, origin: &str, sets: &[Set], zip: bool) -> Result<Vec<Point>, Error> {
    let combos = combinations(sets, zip)?;
    // A file that is not TOML is reported as it is, not once per point.
    if DeTable::parse(source).is_err()
        && let Err(d) = parse(source, origin)
    {
        return Err(ScenarioError::Invalid(d).into());
    }
    let keys: Vec<&str> = sets.iter().map(|s| s.key.as_str()).collect();
    combos
        .into_iter()
        .enumerate()
        .map(|(index, values)| {
            let named: Vec<String> = keys
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            let point_origin = format!("{origin} with {}", named.join(", "));
            let mut text = source.to_string();
            for (key, value) in keys.iter().zip(&values) {
                text = set_value(&text, key, value).map_err(|message| {
                    ScenarioError::Invalid(Diagnostics::single(
                        &point_origin,
                        Diagnostic {
                            key: key.to_string(),
                            message,
                            help: Some(
                                "a swept key names a value: web.count, web.instance, traffic.mix.<class>.web_cpu"
                                    .into(),
                            ),
                            span: None,
                        },
                    ))
                })?;
            }
            let mut scenario = parse(&text, &point_origin).map_err(ScenarioError::Invalid)?;
            scenario.ladder = None;
            // The point's reports carry its values: the file's title alone
            // would describe the design the file had.
            let shown: Vec<String> = keys
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k} = {}", label(v)))
                .collect();
            scenario.name = format!("{}, with {}", scenario.name, shown.join(", "));
            Ok(Point {
                index,
                values: values.iter().map(|v| label(v)).collect(),
                text,
                scenario,
            })
        })
        .collect()
}

/// `value` as TOML text: itself when it is a TOML value, else a quoted string.
fn literal(value: &str) -> String {
    match toml::from_str::<toml::Table>(&format!("v = {value}")) {
        Ok(_) => value.to_string(),
        Err(_) => toml::Value::String(value.to_string()).to_string(),
    }
}

/// `source` with `key` set to `value`: written over the old value where the
/// file has one (everything else keeps its place), else added.
pub fn set_value(source: &str, key: &str, value: &str) -> Result<String, String> {
    match value_span(source, key) {
        Some(span) => {
            let mut text = source.to_string();
            text.replace_range(span, &literal(value));
            Ok(text)
        }
        None => overrides::with_override(source, key, value),
    }
}

/// Where the value of `key` is in `source`: tables and inline tables by
/// name, arrays of tables (`[[traffic.mix]]`) by their `name` key.
pub fn value_span(source: &str, key: &str) -> Option<Range<usize>> {
    let tree = DeTable::parse(source).ok()?;
    let mut table: &DeTable<'_> = tree.get_ref();
    let parts: Vec<&str> = key.split('.').collect();
    let mut i = 0;
    while i < parts.len() {
        let (_, v) = table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == parts[i])?;
        if i + 1 == parts.len() {
            return Some(v.span());
        }
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            DeValue::Array(items) => {
                let name = parts[i + 1];
                let found = items.iter().find_map(|item| match item.get_ref() {
                    DeValue::Table(t) => t
                        .iter()
                        .any(|(k, v)| {
                            k.get_ref().as_ref() == "name"
                                && matches!(v.get_ref(), DeValue::String(s) if s.as_ref() == name)
                        })
                        .then_some(t),
                    _ => None,
                })?;
                table = found;
                i += 1;
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

/// Which shard of how many: `--shard K/N`, K from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// From 0 (K - 1).
    pub index: usize,
    /// How many shards, at least 1.
    pub count: usize,
}

/// The variables a scheduler sets to a job's 0-based index in an array, in
/// the order they are looked at.
pub const SHARD_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

impl Shard {
    /// Reads `K/N` (K from 1 to N) or `auto/N` (K - 1 from the first of
    /// [`SHARD_VARIABLES`] that `env` gives).
    pub fn parse(arg: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, Error> {
        let usage = |message: String| {
            Error::Usage {
            message,
            help: "write --shard K/N with 1 <= K <= N (e.g. --shard 2/4), or --shard auto/N on a Slurm, Kubernetes or AWS Batch array".into(),
        }
        };
        let (k, n) = arg
            .split_once('/')
            .ok_or_else(|| usage(format!("--shard: expected K/N, found '{arg}'")))?;
        let count: usize = n.trim().parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
            usage(format!(
                "--shard: N must be a whole number from 1, found '{n}'"
            ))
        })?;
        let index = if k.trim() == "auto" {
            let (var, value) = SHARD_VARIABLES
                .iter()
                .find_map(|v| env(v).map(|x| (*v, x)))
                .ok_or_else(|| Error::Usage {
                    message: format!(
                        "--shard auto/{count}: none of {} is set",
                        SHARD_VARIABLES.join(", ")
                    ),
                    help: "run it as a Slurm array task, a Kubernetes Indexed Job or an AWS Batch array job, or give the shard: --shard K/N".into(),
                })?;
            let i: usize = value.trim().parse().map_err(|_| {
                usage(format!(
                    "--shard auto: {var} is '{value}', not a whole number"
                ))
            })?;
            if i >= count {
                return Err(usage(format!(
                    "--shard auto/{count}: {var} is {i}, but indices run from 0 to {}",
                    count - 1
                )));
            }
            i
        } else {
            let k: usize = k
                .trim()
                .parse()
                .ok()
                .filter(|k| (1..=count).contains(k))
                .ok_or_else(|| {
                    usage(format!("--shard: K must be from 1 to {count}, found '{k}'"))
                })?;
            k - 1
        };
        Ok(Shard { index, count })
    }

    /// Whether point `i` belongs to this shard.
    pub fn has(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"name = "sweep"
[traffic]
rate = 10.0
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = "20ms"
[web]
instance = "t2.micro"  # a comment stays
"#;

    fn set(key: &str, values: &[&str]) -> Set {
        Set {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn set_arguments_split_at_top_level_commas() {
        let s = Set::parse("web.instance=m5.large, \"c5.xlarge\"").unwrap();
        assert_eq!(s.key, "web.instance");
        assert_eq!(s.values, ["m5.large", "\"c5.xlarge\""]);
        let s = Set::parse("web.azs=[\"a\",\"b\"],[\"a\"]").unwrap();
        assert_eq!(s.values, ["[\"a\",\"b\"]", "[\"a\"]"]);
        assert!(Set::parse("web.count").is_err());
        assert!(Set::parse("=1").is_err());
        assert!(Set::parse("web.count=").is_err());
    }

    #[test]
    fn grid_varies_the_last_key_fastest_and_zip_pairs() {
        let sets = [set("a", &["1", "2"]), set("b", &["x", "y", "z"])];
        let g = combinations(&sets, false).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], ["1", "x"]);
        assert_eq!(g[1], ["1", "y"]);
        assert_eq!(g[3], ["2", "x"]);
        let err = combinations(&sets, true).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--zip"), "{err}");
        let sets = [set("a", &["1", "2"]), set("b", &["x", "y"])];
        assert_eq!(combinations(&sets, true).unwrap(), [["1", "x"], ["2", "y"]]);
        assert!(combinations(&[], false).is_err());
        assert!(combinations(&[set("a", &["1"]), set("a", &["2"])], false).is_err());
    }

    #[test]
    fn values_are_written_in_place() {
        let t = set_value(BASE, "web.instance", "m5.large").unwrap();
        assert!(
            t.contains("instance = \"m5.large\"  # a comment stays"),
            "{t}"
        );
        let t = set_value(BASE, "traffic.mix.page.web_cpu", "\"40ms\"").unwrap();
        assert!(t.contains("web_cpu = \"40ms\""), "{t}");
        // A key the file lacks is added.
        let t = set_value(BASE, "simulation.seed", "3").unwrap();
        assert_eq!(parse(&t, "x").unwrap().simulation.seed, 3);
        assert!(value_span(BASE, "traffic.mix.other.web_cpu").is_none());
    }

    #[test]
    fn a_bad_value_points_into_the_users_file() {
        let sets = [set("web.instance", &["m5.large", "m5.larg"])];
        let err = plan(BASE, "s.toml", &sets, false).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("s.toml with web.instance = m5.larg"),
            "{text}"
        );
        // Line 9 of the user's file, where the instance is.
        assert!(text.contains("m5.larg:9:12"), "{text}");
        assert!(text.contains("did you mean 'm5.large'?"), "{text}");
        let points = plan(BASE, "s.toml", &[set("traffic.rate", &["1", "2.5"])], false).unwrap();
        assert_eq!(points[1].scenario.traffic.base_rate(0.0), 2.5);
        assert_eq!(points[1].values, ["2.5"]);
    }

    #[test]
    fn a_file_that_is_not_toml_is_reported_once_as_it_is() {
        let err = plan(
            "name = \"x\"\n[web\n",
            "s.toml",
            &[set("web.count", &["1", "2"])],
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("invalid TOML"), "{err}");
        assert!(err.contains("--> s.toml:2:"), "{err}");
    }

    #[test]
    fn shards_are_read_from_arguments_and_schedulers() {
        let none = |_: &str| None;
        assert_eq!(
            Shard::parse("2/3", &none).unwrap(),
            Shard { index: 1, count: 3 }
        );
        for bad in ["0/3", "4/3", "x/3", "1/0", "3", "auto/x"] {
            assert_eq!(
                Shard::parse(bad, &none).unwrap_err().exit_code(),
                2,
                "{bad}"
            );
        }
        let err = Shard::parse("auto/3", &none).unwrap_err();
        assert!(err.to_string().contains("SLURM_ARRAY_TASK_ID"), "{err}");
        for var in SHARD_VARIABLES {
            let env = |v: &str| (v == var).then(|| "2".to_string());
            assert_eq!(
                Shard::parse("auto/3", &env).unwrap(),
                Shard { index: 2, count: 3 }
            );
        }
        // The first variable set wins; an index past N is an error.
        let both = |v: &str| match v {
            "SLURM_ARRAY_TASK_ID" => Some("0".to_string()),
            "JOB_COMPLETION_INDEX" => Some("1".to_string()),
            _ => None,
        };
        assert_eq!(Shard::parse("auto/2", &both).unwrap().index, 0);
        let past = |_: &str| Some("3".to_string());
        assert!(Shard::parse("auto/3", &past).is_err());
        let s = Shard { index: 1, count: 3 };
        assert!(s.has(1) && s.has(4) && !s.has(0));
    }
}
