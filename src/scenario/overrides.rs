//! Changing one key of a scenario's text: the rungs of a ladder.
//!
//! Overrides apply to the raw document, which is then validated again from
//! the start, so a rung gets exactly the checks and messages of a file.

use super::{Diagnostic, Diagnostics, ScenarioError, parse};
use crate::spec::Scenario;

/// `source` with `key` (a dotted path, tables created as needed) set to
/// `literal` (TOML text: `"m5.large"`, `4`, `true`) and without its
/// `[ladder]`; a bare word that is not TOML is taken as a string.
pub fn with_override(source: &str, key: &str, literal: &str) -> Result<String, String> {
    let mut doc: toml::Table = toml::from_str(source).map_err(|e| e.message().to_string())?;
    doc.remove("ladder");
    let value = toml::from_str::<toml::Table>(&format!("v = {literal}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(literal.to_string()));
    let mut parts = key.split('.').peekable();
    let mut table = &mut doc;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            table.insert(part.to_string(), value);
            break;
        }
        let entry = table
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("'{part}' in '{key}' is not a table"))?;
    }
    toml::to_string(&doc).map_err(|e| e.to_string())
}

/// The scenarios of a ladder: `s` as read from `source`, once per value of
/// `key`, each labelled with its value and validated as a whole file
/// (messages name `origin` and the rung).
pub fn rungs(
    source: &str,
    origin: &str,
    key: &str,
    values: &[String],
) -> Result<Vec<(String, Scenario)>, ScenarioError> {
    values
        .iter()
        .map(|v| {
            let label = v.trim_matches('"').to_string();
            let rung_origin = format!("{origin} with {key} = {v}");
            let text = with_override(source, key, v).map_err(|message| {
                ScenarioError::Invalid(Diagnostics::single(
                    &rung_origin,
                    Diagnostic {
                        key: key.to_string(),
                        message,
                        help: Some("the ladder's key must name a value, e.g. web.instance".into()),
                        span: None,
                    },
                ))
            })?;
            let s = parse(&text, &rung_origin).map_err(ScenarioError::Invalid)?;
            Ok((label, s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "ladder"
[traffic]
rate = 10.0
[web]
instance = "t2.micro"
[ladder]
key = "web.instance"
values = ["m5.large", "c5.9xlarge"]
"#;

    #[test]
    fn each_rung_is_the_file_with_one_key_changed() {
        let rungs = rungs(
            BASE,
            "x.toml",
            "web.instance",
            &["\"m5.large\"".into(), "c5.9xlarge".into()],
        )
        .unwrap();
        assert_eq!(rungs.len(), 2);
        assert_eq!(rungs[0].0, "m5.large");
        assert_eq!(rungs[0].1.web.instance.name, "m5.large");
        assert_eq!(rungs[1].1.web.instance.name, "c5.9xlarge");
        assert_eq!(rungs[0].1.ladder, None);
        // Numbers stay numbers, and new tables appear.
        let text = with_override(BASE, "web.count", "3").unwrap();
        assert!(text.contains("count = 3"), "{text}");
        let text = with_override(BASE, "simulation.seed", "9").unwrap();
        assert_eq!(parse(&text, "x").unwrap().simulation.seed, 9);
    }

    #[test]
    fn a_bad_rung_is_a_diagnostic_naming_it() {
        let err = rungs(BASE, "x.toml", "web.instance", &["\"m5.larg\"".into()]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("x.toml with web.instance = \"m5.larg\""),
            "{text}"
        );
        assert!(text.contains("did you mean 'm5.large'?"), "{text}");
        let err = rungs(BASE, "x.toml", "web.instance.size", &["1".into()]).unwrap_err();
        assert!(err.to_string().contains("is not a table"));
    }
}
