//! The JSON Schema (`simscale schema`) against the loader, and `simscale init`.

use crate::cli::{simscale, text};
use serde_json::Value;
use simscale::scenario::parse;
use simscale::schema::scenario_schema_json;

fn schema() -> Value {
    serde_json::from_str(&scenario_schema_json()).unwrap()
}

/// A TOML text as JSON, for the validator.
fn as_json(toml_text: &str) -> Value {
    let t: toml::Table = toml::from_str(toml_text).unwrap();
    serde_json::to_value(t).unwrap()
}

fn shipped() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["scenarios", "templates"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for e in std::fs::read_dir(path).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8);
    files
}

#[test]
fn every_shipped_scenario_and_template_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for (name, text) in shipped() {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&text))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
    }
    // And the schema catches what the loader refuses.
    for bad in [
        "name = \"x\"\n[traffic]\nrate = 1.0\n[web]\ninstance = \"m5.large\"\nzzz = 1\n",
        "name = \"x\"\n[traffic]\nrate = 1.0\n[web]\ninstance = \"m5.large\"\ncount = 0\n",
        "name = \"x\"\n[traffic]\nrate = 1.0\n",
        "name = \"x\"\n[simulation]\nmode = \"fast\"\n[traffic]\nrate = 1.0\n[web]\ninstance = \"m5.large\"\n",
        "name = \"x\"\n[simulation]\nwindow = \"soon\"\n[traffic]\nrate = 1.0\n[web]\ninstance = \"m5.large\"\n",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "{bad}");
        assert!(parse(bad, "bad").is_err(), "{bad}");
    }
}

/// A scenario with every table the format has, so each can be probed.
const EVERY_TABLE: &str = r#"
name = "every table"
[billing]
free_tier = false
[simulation]
horizon = "30d"
slo = { p99 = "500ms", availability = 0.999 }
precision = { confidence = 0.95 }
[traffic]
users = { start = 10, end = 1000, shape = "linear" }
requests_per_user_per_day = 10
diurnal = { peak_to_mean = 1.5 }
[[traffic.events]]
at = "1d"
duration = "1h"
multiplier = 2.0
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = { mean = "40ms", dist = "gamma", cv = 0.5 }
db_reads = 1
[cdn]
latency = { mean = "10ms" }
s3_latency = { mean = "10ms" }
[load_balancer]
latency = { mean = "1ms" }
health_check = { interval = "10s" }
[web]
instance = "m5.large"
count = 2
[web.autoscaling]
policy = "step"
steps = [{ above = 0.75, add = 2 }]
schedule = [{ at = "8h", count = 2 }]
[database]
instance = "db.m5.large"
read_time = { mean = "2ms" }
write_time = { mean = "6ms" }
[serverless]
share = 0.5
[serverless.api_gateway]
throttle_rps = 100
[serverless.lambda]
memory_mb = 256
[serverless.dynamodb]
mode = "on_demand"
[serverless.stream]
batch_size = 10
[serverless.firehose]
buffer_mb = 1
[ladder]
key = "web.count"
values = [2, 4]
"#;

/// The object schemas at a JSON path of the schema (`$ref`s followed, the
/// object options of an `anyOf` taken together), as their property names.
fn properties_at(root: &Value, node: &Value, path: &[&str]) -> Vec<String> {
    let node = resolve(root, node);
    if let Some(options) = node.get("anyOf").and_then(Value::as_array) {
        let mut all: Vec<String> = options
            .iter()
            .flat_map(|o| properties_at(root, o, path))
            .collect();
        all.sort();
        all.dedup();
        return all;
    }
    if node.get("type") == Some(&Value::from("array")) {
        return properties_at(root, &node["items"], path);
    }
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return vec![];
    };
    match path.split_first() {
        None => {
            let mut keys: Vec<String> = props.keys().cloned().collect();
            keys.sort();
            keys
        }
        Some((first, rest)) => props
            .get(*first)
            .map_or(vec![], |p| properties_at(root, p, rest)),
    }
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/$defs/");
            resolve(root, &root["$defs"][name])
        }
        None => node,
    }
}

/// The keys the loader accepts in the table at `path`, read from its
/// "unknown key" message for a probe key put there.
fn loader_keys(path: &[&str]) -> Vec<String> {
    let mut doc: toml::Table = toml::from_str(EVERY_TABLE).unwrap();
    let mut table = &mut doc;
    for part in path {
        let v = table.get_mut(*part).unwrap_or_else(|| panic!("{path:?}"));
        table = match v {
            toml::Value::Array(items) => items[0].as_table_mut().unwrap(),
            v => v.as_table_mut().unwrap(),
        };
    }
    table.insert("zzzz_probe".into(), toml::Value::Integer(1));
    let text = toml::to_string(&doc).unwrap();
    let err = parse(&text, "probe").unwrap_err().to_string();
    let line = err
        .lines()
        .find(|l| l.contains("the keys allowed here are"))
        .unwrap_or_else(|| panic!("{path:?}: {err}"));
    let list = line.split("the keys allowed here are ").nth(1).unwrap();
    let mut keys: Vec<String> = list.split(", ").map(str::to_string).collect();
    keys.sort();
    keys
}

#[test]
fn the_loaders_keys_are_the_schemas_properties_in_every_table() {
    let root = schema();
    let tables: [&[&str]; 26] = [
        &[],
        &["simulation"],
        &["simulation", "slo"],
        &["simulation", "precision"],
        &["traffic"],
        &["traffic", "users"],
        &["traffic", "events"],
        &["traffic", "mix"],
        &["traffic", "mix", "web_cpu"],
        &["cdn"],
        &["cdn", "latency"],
        &["load_balancer"],
        &["load_balancer", "health_check"],
        &["web"],
        &["web", "autoscaling"],
        &["web", "autoscaling", "steps"],
        &["web", "autoscaling", "schedule"],
        &["database"],
        &["ladder"],
        &["billing"],
        &["serverless"],
        &["serverless", "api_gateway"],
        &["serverless", "lambda"],
        &["serverless", "dynamodb"],
        &["serverless", "stream"],
        &["serverless", "firehose"],
    ];
    for path in tables {
        let loader = loader_keys(path);
        let schema = properties_at(&root, &root, path);
        assert_eq!(loader, schema, "table {path:?}");
    }
    // The daily cycle takes any of its forms; together they are the loader's keys.
    let diurnal = properties_at(&root, &root, &["traffic", "diurnal"]);
    assert_eq!(
        diurnal,
        [
            "hourly",
            "measured",
            "normalize",
            "peak_hour",
            "peak_to_mean",
            "trough_to_mean"
        ]
    );
    assert_eq!(loader_keys(&["traffic", "diurnal"]), diurnal);
}

#[test]
fn schema_command_prints_the_schema() {
    let o = simscale(&["schema"]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), scenario_schema_json());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["title"], "simscale scenario");
}

#[test]
fn init_writes_starters_that_validate_and_run() {
    let dir = tempfile::tempdir().unwrap();
    for (template, file) in [
        ("day-one", "a.toml"),
        ("scale-out", "sub/b.toml"),
        ("serverless", "c.toml"),
        ("auto-scaling", "d.toml"),
    ] {
        let path = dir.path().join(file);
        let o = simscale(&["init", "--template", template, path.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let o = simscale(&["validate", path.to_str().unwrap()]);
        assert!(o.status.success(), "{template}: {}", text(&o.stderr));
        let out = dir.path().join(format!("out-{template}"));
        let o = simscale(&[
            "run",
            path.to_str().unwrap(),
            "--short",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{template}: {}", text(&o.stderr));
        // Not twice without --force.
        let o = simscale(&["init", "--template", template, path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{template}");
        let o = simscale(&[
            "init",
            "--template",
            template,
            "--force",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success());
    }
    // The default: day-one into scenario.toml in the working folder.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_simscale"))
        .arg("init")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let written = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    assert!(written.contains("Day one"));
}
