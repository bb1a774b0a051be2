//! The integration tests: one binary, one module per behaviour.

mod support;

mod charts;
mod cli;
mod compare;
mod conservation;
mod credits;
mod growth;
mod layering;
mod theory;
