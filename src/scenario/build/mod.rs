//! The scenario rules: defaults, ranges and cross-field checks, from the
//! spanned TOML tree to [`spec::Scenario`].

use toml::de::{DeTable, DeValue};

use super::Diagnostic;
use super::reader::{Bounds, Got, Sink, Table};
use crate::spec::{self, Region};

mod database;
mod dbcap;
mod dist;
mod edge;
mod network;
mod resilience;
mod serverless;
mod simulation;
mod traffic;
mod web;

use database::*;
use dist::*;
use edge::*;
use resilience::*;
use serverless::*;
use simulation::*;
use traffic::*;
use web::*;

const PRICE_HELP: &str = "pick another type or region; see data/SOURCES.md";

/// The scenario, when every rule holds, every problem found, and the
/// warnings about what the loader adjusted.
pub(super) fn build_with_warnings(
    source: &str,
) -> (
    Option<spec::Scenario>,
    Vec<Diagnostic>,
    Vec<crate::warnings::Warning>,
) {
    let (tree, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        // A recovered tree misses whatever the broken lines said, so checking
        // it would only add noise: report the syntax errors alone.
        let mut out: Vec<Diagnostic> = Vec::new();
        for e in errors {
            let d = Diagnostic {
                key: String::new(),
                message: format!("invalid TOML: {}", e.message()),
                help: Some(syntax_help(e.message()).to_string()),
                span: Some(e.span().unwrap_or(0..0)),
            };
            if !out.contains(&d) {
                out.push(d);
            }
        }
        return (None, out, Vec::new());
    }
    let sink = Sink::new(source);
    let scenario = read_scenario(&sink, tree.get_ref());
    let (diagnostics, warnings) = sink.into_parts();
    (scenario, diagnostics, warnings)
}

fn syntax_help(message: &str) -> &'static str {
    if message.contains("duplicate key") {
        "each key and each [section] may appear only once"
    } else {
        "fix the TOML syntax at the marked spot (see https://toml.io)"
    }
}

fn read_scenario<'a>(sink: &'a Sink<'a>, tree: &'a DeTable<'a>) -> Option<spec::Scenario> {
    let mut root = Table::root(sink, tree);

    let name = root.required_str(
        "name",
        "give the scenario a name, e.g. name = \"My scenario\"",
    );
    let description = root.str("description");
    let region = root
        .choice(
            "region",
            "region",
            &[
                ("us-east-1", Region::UsEast1),
                ("eu-west-1", Region::EuWest1),
            ],
        )
        .or(Region::UsEast1);

    let has_lb = root.has("load_balancer");
    let has_db = root.has("database");

    let sim = root.table("simulation");
    let simulation = read_simulation(sim);

    let traffic_t = root.required_table(
        "traffic",
        "add a [traffic] section with rate = 100.0 (requests per second), or users and requests_per_user_per_day",
    );
    let traffic = read_traffic(traffic_t, &simulation, has_db);

    let cdn_t = root.table("cdn");
    let cdn = cdn_t.is_present().then(|| read_cdn(cdn_t));

    let lb_t = root.table("load_balancer");
    let load_balancer = lb_t.is_present().then(|| read_lb(lb_t));

    // The serverless path first: with all traffic on it, [web] may be absent.
    let sl_t = root.table("serverless");
    let (serverless, all_serverless) = if sl_t.is_present() {
        let (sl, share) = read_serverless(sl_t);
        (Some(sl), share >= 1.0)
    } else {
        (None, false)
    };
    let (web, web_count, scheduling_given) = if all_serverless && !root.has("web") {
        (Some(spec::Web::absent()), Got::Absent, false)
    } else {
        let web_t = root.required_table(
            "web",
            "add a [web] section with instance = \"m5.large\" (or send every request to [serverless] with share = 1.0)",
        );
        read_web(web_t, region, has_lb)
    };
    if all_serverless && !root.has("web") && has_db {
        let span = root.table("database").span();
        root.sink().error(
            "database".to_string(),
            "the database needs a [web] tier to query it, found no [web] section",
            Some(
                "add a [web] section, or remove [database] (the serverless path uses DynamoDB)"
                    .to_string(),
            ),
            span,
        );
    }

    let db_t = root.table("database");
    let database = if db_t.is_present() {
        read_database(db_t, region, web_count).map(Some)
    } else {
        Some(None)
    };

    // Where the web server and the database share the vCPUs, the OS
    // time-slices them: a 2 ms query does not wait behind an 80 ms page.
    let mut web = web;
    if let (Some(w), Some(Some(d))) = (&mut web, &database)
        && !scheduling_given
        && d.placement == spec::DbPlacement::Colocated
    {
        w.cpu_scheduling = spec::Scheduling::ProcessorSharing;
    }
    let azs = web.as_ref().map_or_else(Vec::new, |w| w.azs.clone());
    let replicas = database
        .as_ref()
        .and_then(|d| d.as_ref())
        .map(|d| d.read_replicas);
    let faults = read_faults(&mut root, &azs, replicas, has_db);
    let ladder = read_ladder(root.table("ladder"));
    let billing = read_billing(root.table("billing"));
    root.finish();

    Some(spec::Scenario {
        name: name.value()?.clone(),
        description: description.value().cloned(),
        region,
        simulation: simulation.value?,
        traffic: traffic?,
        cdn: cdn.flatten(),
        load_balancer: load_balancer.flatten(),
        web: web?,
        database: database?,
        serverless: match serverless {
            None => None,
            Some(sl) => Some(sl?),
        },
        ladder: ladder?,
        faults: faults?,
        billing,
    })
}

/// `[billing]`: free tier, root volumes, Aurora I/Os per query.
fn read_billing(mut t: Table<'_>) -> spec::Billing {
    let d = spec::Billing::default();
    if !t.is_present() {
        return d;
    }
    let free_tier = t.bool("free_tier").or(d.free_tier);
    let root_volume_gb = t
        .num("root_volume_gb", Bounds::at_least(0.0))
        .or(d.root_volume_gb);
    let aurora_ios_per_read = t
        .num("aurora_ios_per_read", Bounds::at_least(0.0))
        .or(d.aurora_ios_per_read);
    let aurora_ios_per_write = t
        .num("aurora_ios_per_write", Bounds::at_least(0.0))
        .or(d.aurora_ios_per_write);
    t.finish();
    spec::Billing {
        free_tier,
        root_volume_gb,
        aurora_ios_per_read,
        aurora_ios_per_write,
    }
}

/// `[ladder]`: `key` (a dotted key path) and `values` (one run each).
/// `Some(None)` without a ladder, `None` when invalid.
fn read_ladder(mut t: Table<'_>) -> Option<Option<spec::Ladder>> {
    if !t.is_present() {
        return Some(None);
    }
    let key = t.required_str(
        "key",
        "add key = \"web.instance\" (the key each rung changes)",
    );
    let key = match key {
        Got::Ok(k, span) => {
            let parts_ok = !k.is_empty()
                && k.split('.').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if parts_ok && k != "ladder" && !k.starts_with("ladder.") {
                Some(k)
            } else {
                t.error(
                    "key",
                    format!("expected a dotted key path such as web.instance, found \"{k}\""),
                    "name the key a rung changes, e.g. key = \"web.instance\" or key = \"web.count\"",
                    span,
                );
                None
            }
        }
        _ => None,
    };
    let help = "list one value per rung, e.g. values = [\"m5.large\", \"m5.2xlarge\"]";
    let values = match t.take("values") {
        None => {
            t.missing("values", help);
            None
        }
        Some(v) => match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let literal = match item.get_ref() {
                        DeValue::String(s) => Some(format!("{:?}", s.as_ref())),
                        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                            t.sink().snippet(item.span()).into()
                        }
                        _ => None,
                    };
                    match literal {
                        Some(l) => out.push(l),
                        None => t.sink().error(
                            format!("{}[{i}]", t.key_path("values")),
                            format!(
                                "expected a string, number or boolean, found {}",
                                t.sink().found(item)
                            ),
                            Some(help.to_string()),
                            item.span(),
                        ),
                    }
                }
                (out.len() == items.len()).then_some(out)
            }
            _ => {
                let found = t.sink().found(v);
                t.error(
                    "values",
                    format!("expected a non-empty array of values, found {found}"),
                    help,
                    v.span(),
                );
                None
            }
        },
    };
    t.finish();
    Some(Some(spec::Ladder {
        key: key?,
        values: values?,
    }))
}
