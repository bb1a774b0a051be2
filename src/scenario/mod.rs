//! Turning TOML text into a validated [`crate::spec::Scenario`].
