//! The integration tests: one binary, one module per behaviour.

mod support;

mod classes;
mod cli;
mod conservation;
mod credits;
mod growth;
mod layering;
mod stations;
mod theory;
mod verdicts;
