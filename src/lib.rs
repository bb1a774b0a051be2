//! simscale: a capacity simulator for web platforms on AWS.
//!
//! A scenario (TOML) describes users, a CDN, a load balancer, an EC2 web
//! fleet and an RDS database; simscale replays its traffic through a
//! discrete-event model of those stations and reports latency percentiles,
//! availability and cost per checkpoint. See `ARCHITECTURE.md` for the data
//! flow and `docs/scenario-reference.md` for the format.

#![warn(missing_docs, unreachable_pub)]

pub mod catalog;
pub mod engine;
pub mod scenario;
pub mod spec;
pub mod suggest;
pub mod time;
