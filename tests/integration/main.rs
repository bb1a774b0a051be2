//! The integration tests: one binary, one module per behaviour.

mod support;

mod charts;
mod classes;
mod cli;
mod cluster;
mod compare;
mod conservation;
mod credits;
mod dbcap;
mod growth;
mod layering;
mod network;
mod replicas;
mod resilience;
mod schema;
mod segments;
mod serverless;
mod sharing;
mod stations;
mod sweep;
mod theory;
mod verdicts;
