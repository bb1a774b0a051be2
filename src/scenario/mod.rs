//! Turning TOML text into a validated [`crate::spec::Scenario`].
//!
//! The file is parsed into toml's spanned tree and read by a small typed
//! reader that collects every problem (syntax, unknown keys, types, ranges,
//! cross-field rules) with the span of the offending text, so one run reports
//! all of them, in file order, rendered with the source line and a caret.

mod build;
pub mod overrides;
mod reader;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::spec::Scenario;

/// Reads and validates the scenario file at `path`; messages name the path as given.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = read(path)?;
    parse(&text, &path.display().to_string()).map_err(ScenarioError::Invalid)
}

/// The text of the scenario file at `path`.
pub fn read(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Validates scenario text; `origin` is the name shown in messages (usually the file path).
pub fn parse(source: &str, origin: &str) -> Result<Scenario, Diagnostics> {
    parse_with_warnings(source, origin).map(|(s, _)| s)
}

/// [`parse`], with the warnings about what the loader adjusted (an hourly
/// profile scaled to mean 1), those the scenario's `quiet_warnings`
/// silence left out. [`crate::warnings::plausibility`] gives the rest.
pub fn parse_with_warnings(
    source: &str,
    origin: &str,
) -> Result<(Scenario, Vec<crate::warnings::Warning>), Diagnostics> {
    let (scenario, mut diagnostics, warnings) = build::build_with_warnings(source);
    // Stable: problems at the same place keep the order they were found in.
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    match scenario {
        Some(s) if diagnostics.is_empty() => {
            let warnings = crate::warnings::unsilenced(&s, warnings);
            Ok((s, warnings))
        }
        _ => {
            if diagnostics.is_empty() {
                // Cannot happen: a scenario is only withheld when something was reported.
                diagnostics.push(Diagnostic {
                    key: String::new(),
                    message: "the scenario is invalid".to_string(),
                    help: None,
                    span: Some(0..0),
                });
            }
            Err(Diagnostics {
                origin: origin.to_string(),
                source: source.to_string(),
                diagnostics,
            })
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario '{path}': {source}")]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Every problem found in one scenario text, in file order.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    origin: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

impl Diagnostics {
    /// One problem with no place in a source text.
    pub(crate) fn single(origin: &str, d: Diagnostic) -> Diagnostics {
        Diagnostics {
            origin: origin.to_string(),
            source: String::new(),
            diagnostics: vec![d],
        }
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    /// Whether there are none (never the case for a returned error).
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The problems, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter()
    }

    /// The name of the text the problems were found in.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// One problem in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Key path of the offending item, `web.count` or `traffic.mix[1].share`
    /// (empty for TOML syntax errors).
    pub key: String,
    /// What was expected and what was found, lowercase, no trailing period.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Byte range of the offending text in the source.
    pub span: Option<Range<usize>>,
}

/// 1-based line and character column of byte `offset`, the text of that
/// line, and the character column where the line ends.
fn locate(source: &str, offset: usize) -> (usize, usize, &str) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = source.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_no = before.matches('\n').count() + 1;
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let rest = source.get(line_start..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    (line_no, col, line)
}

impl Diagnostic {
    fn render(&self, f: &mut fmt::Formatter<'_>, origin: &str, source: &str) -> fmt::Result {
        if self.key.is_empty() {
            writeln!(f, "error: {}", self.message)?;
        } else {
            writeln!(f, "error: {}: {}", self.key, self.message)?;
        }
        let span = self.span.clone().unwrap_or(0..0);
        let (line_no, col, line) = locate(source, span.start);
        let width = line_no.to_string().len();
        let pad = " ".repeat(width);
        writeln!(f, "{pad}--> {origin}:{line_no}:{col}")?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{line_no} | {line}")?;
        let line_chars = line.chars().count();
        let span_chars = source
            .get(span.start.min(source.len())..span.end.min(source.len()))
            .map_or(0, |s| s.chars().count());
        let carets = span_chars.min((line_chars + 1).saturating_sub(col)).max(1);
        writeln!(
            f,
            "{pad} | {}{}",
            " ".repeat(col.saturating_sub(1)),
            "^".repeat(carets)
        )?;
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            d.render(f, &self.origin, &self.source)?;
            writeln!(f)?;
        }
        let n = self.diagnostics.len();
        write!(
            f,
            "error: could not load scenario '{}' ({n} error{})",
            self.origin,
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}
