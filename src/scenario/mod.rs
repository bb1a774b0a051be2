//! Turning TOML text into a validated [`crate::spec::Scenario`].

use crate::spec::Scenario;
use std::path::{Path, PathBuf};

/// A scenario that could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Every problem found in a scenario.
#[derive(Debug, Clone)]
pub struct Diagnostics(String);

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Diagnostics {}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string()).map_err(ScenarioError::Invalid)
}

/// Validates scenario text; `origin` names it in messages.
pub fn parse(_source: &str, origin: &str) -> Result<Scenario, Diagnostics> {
    Err(Diagnostics(format!("error: cannot load '{origin}' yet")))
}
