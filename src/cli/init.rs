//! `simscale init` (a commented starter scenario) and `simscale schema`.

use crate::error::Error;
use crate::scenario;
use std::io::Write;
use std::path::PathBuf;

/// The starter scenarios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// One instance running web and database, users growing over a year.
    #[default]
    DayOne,
    /// A fleet behind a load balancer over three AZs, RDS with replicas, a CDN.
    ScaleOut,
    /// An auto scaling group over three AZs that follows the daily cycle.
    AutoScaling,
    /// API Gateway, Lambda and DynamoDB, the stream through Firehose to S3.
    Serverless,
}

impl Template {
    /// The template's text.
    pub fn text(self) -> &'static str {
        match self {
            Template::DayOne => include_str!("../../templates/day-one.toml"),
            Template::ScaleOut => include_str!("../../templates/scale-out.toml"),
            Template::AutoScaling => include_str!("../../templates/auto-scaling.toml"),
            Template::Serverless => include_str!("../../templates/serverless.toml"),
        }
    }
}

/// Arguments of `simscale init`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InitArgs {
    /// Which starter.
    #[arg(long, value_enum, default_value_t)]
    pub template: Template,
    /// Where to write it [default: scenario.toml].
    pub path: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `simscale init`: writes the template, which is checked to validate first.
pub fn init(args: &InitArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    let text = args.template.text();
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("scenario.toml"));
    // A template that does not validate is a bug, not the user's problem.
    scenario::parse(text, &path.display().to_string())
        .map_err(|d| Error::Internal(format!("the template does not validate: {d}")))?;
    if path.exists() && !args.force {
        return Err(Error::Usage {
            message: format!("init: '{}' exists", path.display()),
            help: "give another path, or --force to replace it".into(),
        });
    }
    let io = |source| Error::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(&path, text).map_err(io)?;
    let _ = writeln!(
        stdout,
        "wrote {}: check it with simscale validate {0}, look with simscale run {0} --short",
        path.display()
    );
    Ok(())
}

/// `simscale schema`: the JSON Schema of the scenario format.
pub fn schema(stdout: &mut dyn Write) -> Result<(), Error> {
    stdout
        .write_all(crate::schema::scenario_schema_json().as_bytes())
        .map_err(|source| Error::Io {
            path: PathBuf::from("<stdout>"),
            source,
        })
}
