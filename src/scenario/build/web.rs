//! `[web]`: the instance type, its credits, workers and AZs.

use std::ops::Range;

use toml::de::DeValue;

use crate::catalog::Catalog;
use crate::scenario::reader::{Bounds, Got, Table, number_of};
use crate::spec::{Burst, CreditMode, InitialCredits};
use crate::spec::{InstanceSpec, Region, Scheduling, Sessions, Usl, Web};
use crate::suggest::did_you_mean;
use crate::time::SimDuration;

use super::*;

/// Resolves a catalog entry's speed and price, reporting what is missing
/// against `key`.
pub(super) fn resolve_instance(
    t: &Table<'_>,
    key: &str,
    name: &str,
    (vcpus, cpu_speed, threads_per_core): (u32, Option<f64>, u32),
    price: Option<f64>,
    region: Region,
    span: Range<usize>,
) -> Option<InstanceSpec> {
    let Some(cpu_speed) = cpu_speed else {
        t.error(
            key,
            format!("no CPU speed for '{name}' in the catalog"),
            PRICE_HELP,
            span,
        );
        return None;
    };
    let Some(usd_per_hour) = price else {
        t.error(
            key,
            format!("no {} price for '{name}' in the catalog", region.code()),
            PRICE_HELP,
            span,
        );
        return None;
    };
    Some(InstanceSpec {
        name: name.to_string(),
        vcpus,
        cpu_speed,
        threads_per_core,
        // The plain model until the scenario asks for hyperthreads.
        smt_pair: 2.0,
        usd_per_hour,
        burst: None,
    })
}

/// The CPU credit keys of a web or database section (`credits`,
/// `initial_credits`), applied to its instance type's catalog facts.
/// `Err(())` when something was reported.
pub(super) fn read_burst(t: &mut Table<'_>, name: Option<&str>) -> Result<Option<Burst>, ()> {
    let keys = read_credit_keys(t);
    burst_of(t, name, &keys, true)
}

/// A section's CPU credit keys, as written.
pub(super) struct CreditKeys {
    mode: Got<CreditMode>,
    initial: Got<InitialCredits>,
}

/// Reads `credits` and `initial_credits`.
pub(super) fn read_credit_keys(t: &mut Table<'_>) -> CreditKeys {
    let mode = t.choice(
        "credits",
        "credit mode",
        &[
            ("standard", CreditMode::Standard),
            ("unlimited", CreditMode::Unlimited),
        ],
    );
    let initial = read_initial_credits(t);
    CreditKeys { mode, initial }
}

/// The credit keys applied to instance type `name`'s catalog facts. A
/// type that is not burstable has no credits; with `strict`, keys given
/// for it are reported (a database whose replicas' class is burstable
/// passes `false` for its primary, whose class may not be).
pub(super) fn burst_of(
    t: &Table<'_>,
    name: Option<&str>,
    keys: &CreditKeys,
    strict: bool,
) -> Result<Option<Burst>, ()> {
    let CreditKeys { mode, initial } = keys;
    let Some(name) = name else {
        return Ok(None);
    };
    let Some(facts) = Catalog::embedded().burst(name) else {
        if !strict {
            return Ok(None);
        }
        for (key, span) in [
            ("credits", mode.span()),
            ("initial_credits", initial.span()),
        ] {
            if let Some(span) = span {
                t.error(
                    key,
                    format!("'{name}' is not a burstable type, found {key}"),
                    "CPU credits apply to t2, t3, t3a, db.t2 and db.t3 types; remove the key",
                    span,
                );
            }
        }
        return match (mode, initial) {
            (Got::Absent, Got::Absent) => Ok(None),
            _ => Err(()),
        };
    };
    if let Got::Ok(InitialCredits::Credits(c), span) = initial
        && *c > facts.max_credits.max(facts.launch_credits)
    {
        t.error(
            "initial_credits",
            format!(
                "'{name}' holds at most {} credits, found {c}",
                facts.max_credits
            ),
            format!("use a number from 0 to {}", facts.max_credits),
            span.clone(),
        );
        return Err(());
    }
    if matches!(mode, Got::Bad) || matches!(initial, Got::Bad) {
        return Err(());
    }
    let default_mode = if facts.unlimited_by_default {
        CreditMode::Unlimited
    } else {
        CreditMode::Standard
    };
    Ok(Some(Burst {
        baseline: facts.baseline,
        credits_per_hour: facts.credits_per_hour,
        launch_credits: facts.launch_credits,
        max_credits: facts.max_credits,
        mode: mode.value().copied().unwrap_or(default_mode),
        initial: initial.value().copied().unwrap_or(InitialCredits::Steady),
    }))
}

/// `initial_credits`: "steady", "launch", "full" or a number >= 0.
pub(super) fn read_initial_credits(t: &mut Table<'_>) -> Got<InitialCredits> {
    let Some(v) = t.take("initial_credits") else {
        return Got::Absent;
    };
    let initial = match v.get_ref() {
        DeValue::String(s) => match s.as_ref() {
            "steady" => Some(InitialCredits::Steady),
            "launch" => Some(InitialCredits::Launch),
            "full" => Some(InitialCredits::Full),
            _ => None,
        },
        _ => number_of(v)
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(InitialCredits::Credits),
    };
    match initial {
        Some(i) => Got::Ok(i, v.span()),
        None => {
            let found = t.sink().found(v);
            t.error(
                "initial_credits",
                format!(
                    "expected \"steady\", \"launch\", \"full\" or a number >= 0, found {found}"
                ),
                "write \"steady\", \"launch\", \"full\" or a number of credits >= 0",
                v.span(),
            );
            Got::Bad
        }
    }
}

/// `scaling = { contention, coherency }`: the Universal Scalability Law's
/// coefficients, each from 0 to 1; an absent key keeps `default`'s.
pub(super) fn read_scaling(t: &mut Table<'_>, default: Usl) -> Usl {
    let mut s = t.table("scaling");
    if !s.is_present() {
        return default;
    }
    let unit = Bounds::between(0.0, true, 1.0, true);
    let usl = Usl {
        contention: s.num("contention", unit).or(default.contention),
        coherency: s.num("coherency", unit).or(default.coherency),
    };
    s.finish();
    usl
}

/// `hyperthreads = true`: a vCPU alone on its core runs faster than one
/// beside a busy sibling (`data/behaviour.csv`, `cpu_smt_pair_throughput`).
/// Returns whether they were asked for.
pub(super) fn read_hyperthreads(t: &mut Table<'_>, instance: &mut Option<InstanceSpec>) -> bool {
    let on = t.bool("hyperthreads").or(false);
    if on && let Some(i) = instance {
        i.smt_pair = crate::catalog::smt_pair_throughput();
    }
    on
}

/// The web tier, its instance count (for rules elsewhere), and whether
/// `cpu_scheduling` was given (its default depends on the database).
pub(super) fn read_web(
    mut t: Table<'_>,
    region: Region,
    has_lb: bool,
) -> (Option<Web>, Got<u32>, bool) {
    let catalog = Catalog::embedded();
    let instance = match t.required_str(
        "instance",
        "add instance = \"m5.large\" (an EC2 type from the catalog)",
    ) {
        Got::Ok(name, span) => match catalog.ec2(&name) {
            Some(ty) => resolve_instance(
                &t,
                "instance",
                &name,
                (ty.vcpu, ty.cpu_speed, ty.threads_per_core),
                ty.usd_per_hour(region.code()),
                region,
                span,
            ),
            None => {
                let help = match did_you_mean(
                    &name,
                    catalog.ec2_types().iter().map(|e| e.name.as_str()),
                ) {
                    Some(s) => format!("did you mean '{s}'?"),
                    None => {
                        "pick an EC2 type from data/ec2-instances.csv, e.g. 'm5.large'".to_string()
                    }
                };
                t.error(
                    "instance",
                    format!("unknown instance type '{name}'"),
                    help,
                    span,
                );
                None
            }
        },
        _ => None,
    };
    let burst = read_burst(&mut t, instance.as_ref().map(|i| i.name.as_str()));
    let instance = match (instance, burst) {
        (Some(i), Ok(burst)) => Some(InstanceSpec { burst, ..i }),
        _ => None,
    };
    let count = t.u32("count", 1);
    let azs = read_azs(&mut t);
    let workers = t.u32("workers", 1);
    let queue_limit = t.u32("queue_limit", 0).or(1024);
    let timeout = t.duration("timeout", true).or(SimDuration::from_secs(30));
    let sessions = t
        .choice(
            "sessions",
            "session store",
            &[
                ("local", Sessions::Local),
                ("dynamodb", Sessions::Dynamodb),
                ("elasticache", Sessions::Elasticache),
            ],
        )
        .or(Sessions::Local);
    let scheduling = t.choice(
        "cpu_scheduling",
        "CPU scheduling",
        &[
            ("fcfs", Scheduling::Fcfs),
            ("processor_sharing", Scheduling::ProcessorSharing),
        ],
    );
    let scheduling_given = !scheduling.is_absent();
    let cpu_scheduling = scheduling.or(Scheduling::Fcfs);
    let scaling = read_scaling(&mut t, Usl::LINEAR);
    let mut instance = instance;
    read_hyperthreads(&mut t, &mut instance);
    let scaling_t = t.table("autoscaling");
    let scaling_span = scaling_t.span();
    let autoscaling = read_autoscaling(scaling_t, count.clone().or(1));
    if let Some(Some(_)) = &autoscaling
        && !has_lb
    {
        t.error(
            "autoscaling",
            "an auto scaling group needs a load balancer in front, found no [load_balancer]",
            "add a [load_balancer] section",
            scaling_span,
        );
    }
    if let Got::Ok(n, span) = &count
        && *n > 1
        && !has_lb
    {
        t.error(
            "count",
            format!("{n} instances need a load balancer in front, found no [load_balancer]"),
            "add a [load_balancer] section, or set count = 1",
            span.clone(),
        );
    }
    t.finish();
    let web = match (instance, azs, autoscaling) {
        (Some(instance), Some(azs), Some(autoscaling)) => Some(Web {
            autoscaling,
            workers: workers.or(instance.vcpus.saturating_mul(4)),
            instance,
            count: count.clone().or(1),
            azs,
            queue_limit,
            timeout,
            sessions,
            cpu_scheduling,
            scaling,
        }),
        _ => None,
    };
    (web, count, scheduling_given)
}

pub(super) fn read_azs(t: &mut Table<'_>) -> Option<Vec<String>> {
    let Some(v) = t.take("azs") else {
        return Some(vec!["a".to_string()]);
    };
    let help = "list AZ letters, e.g. azs = [\"a\", \"b\"]";
    let DeValue::Array(items) = v.get_ref() else {
        t.error(
            "azs",
            format!(
                "expected an array of AZ letters, found {}",
                t.sink().found(v)
            ),
            help,
            v.span(),
        );
        return None;
    };
    if items.is_empty() {
        t.error(
            "azs",
            "expected at least one AZ letter, found an empty array",
            "list at least one AZ, e.g. azs = [\"a\"], or remove azs",
            v.span(),
        );
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let key = format!("{}[{i}]", t.key_path("azs"));
        let letter = match item.get_ref() {
            DeValue::String(s) if s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase()) => {
                Some(s.to_string())
            }
            _ => None,
        };
        match letter {
            Some(l) if out.contains(&l) => {
                ok = false;
                t.sink().error(
                    key,
                    format!("duplicate AZ '{l}'"),
                    Some("list each AZ once".to_string()),
                    item.span(),
                );
            }
            Some(l) => out.push(l),
            None => {
                ok = false;
                t.sink().error(
                    key,
                    format!(
                        "expected a single AZ letter a-z, found {}",
                        t.sink().found(item)
                    ),
                    Some("write the letter only, e.g. \"a\" for us-east-1a".to_string()),
                    item.span(),
                );
            }
        }
    }
    ok.then_some(out)
}
