//! The integration tests: one binary, one module per behaviour.

mod support;

mod charts;
mod classes;
mod cli;
mod cluster;
mod compare;
mod conservation;
mod credits;
mod growth;
mod layering;
mod schema;
mod serverless;
mod stations;
mod sweep;
mod theory;
mod verdicts;
