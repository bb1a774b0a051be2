//! The module dependency rules of ARCHITECTURE.md, checked on the source.

use std::path::Path;

/// Every `crate::` path named in the files under `src/<module>/`.
fn crate_paths(module: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(module);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let rest: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((path.display().to_string(), rest));
        }
    }
    found
}

fn assert_only(module: &str, allowed: &[&str]) {
    for (file, target) in crate_paths(module) {
        assert!(
            target == module || allowed.contains(&target.as_str()),
            "{file} uses crate::{target}, but {module} may only use {allowed:?}"
        );
    }
}

#[test]
fn modules_depend_only_downwards() {
    assert_only("engine", &["time"]);
    assert_only("spec", &["time"]);
    assert_only("catalog", &[]);
    assert_only("metrics", &["route", "time"]);
    assert_only("model", &["engine", "route", "spec", "time"]);
    assert_only(
        "scenario",
        &["spec", "catalog", "suggest", "time", "warnings"],
    );
    assert_only(
        "report",
        &["metrics", "run", "spec", "error", "time", "warnings"],
    );
}
