//! The crate's error type and its mapping to exit codes.

use crate::scenario::ScenarioError;
use std::path::PathBuf;

/// Anything that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario could not be read or is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The scenario is valid but asks for a run this version cannot do.
    #[error("{message}\n  = help: {help}")]
    Unsupported {
        /// What cannot be done.
        message: String,
        /// How to get a run anyway.
        help: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot write '{path}': {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A check inside the simulator failed: a bug, reported instead of a panic.
    #[error(
        "internal error: {0}\n  = help: this is a bug in simscale; please report it with the scenario"
    )]
    Internal(String),
}

impl Error {
    /// The process exit code: 2 for a scenario problem, 1 for a runtime failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Scenario(_) | Error::Unsupported { .. } => 2,
            Error::Io { .. } | Error::Internal(_) => 1,
        }
    }
}
