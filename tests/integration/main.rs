//! The integration tests: one binary, one module per behaviour.

mod support;

mod conservation;
mod layering;
mod theory;
