//! The crate's error type and its mapping to exit codes.

use crate::scenario::ScenarioError;
use std::path::PathBuf;

/// Anything that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario could not be read or is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The bill needs a price the catalog does not have for the scenario's region.
    #[error(
        "no price for {what} in {region} in the catalog\n  = help: the bill needs it and it is not in data/services.csv for {region}; \
         run the scenario in a region that has it (simscale catalog --sources lists the data), or add the price with its source"
    )]
    MissingPrice {
        /// Service and item, `elb: alb load balancer hour`.
        what: String,
        /// The scenario's region.
        region: String,
    },
    /// A command-line argument names something that does not exist.
    #[error("{message}\n  = help: {help}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to write instead.
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
            Error::Scenario(_) | Error::MissingPrice { .. } | Error::Usage { .. } => 2,
            Error::Io { .. } | Error::Internal(_) => 1,
        }
    }
}
