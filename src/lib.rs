//! simscale: a capacity simulator for web platforms on AWS.
//!
//! A scenario (TOML) describes users, a CDN, a load balancer, an EC2 web
//! fleet and an RDS database; simscale replays its traffic through a
//! discrete-event model of those stations and reports latency percentiles,
//! availability and cost per checkpoint. See `ARCHITECTURE.md` for the data
//! flow and `docs/scenario-reference.md` for the format.
//!
//! ```no_run
//! let scenario = simscale::scenario::load("scenarios/01-day-one.toml".as_ref())?;
//! let report = simscale::run::simulate(&scenario, &Default::default())?;
//! for cp in &report.checkpoints {
//!     println!("{:?} users: p99 {:.1} ms", cp.checkpoint.users, cp.window.latency.p99_ms);
//! }
//! # Ok::<(), simscale::error::Error>(())
//! ```

#![warn(missing_docs, unreachable_pub)]

pub mod catalog;
pub mod cli;
pub mod cost;
pub mod engine;
pub mod error;
pub mod fluid;
pub mod metrics;
pub mod model;
pub mod report;
pub mod route;
pub mod run;
pub mod scenario;
pub mod schema;
pub mod spec;
pub mod suggest;
pub mod sweep;
pub mod time;
pub mod warnings;
