//! A typed reader over the spanned TOML tree.
//!
//! Every getter records the key it was asked for and reports problems to a
//! shared sink instead of failing, so one pass over a file finds every error.
//! [`Table::finish`] then reports the keys nobody asked for.

use std::cell::RefCell;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::Diagnostic;
use crate::suggest::did_you_mean;
use crate::time::SimDuration;

pub(crate) type Value<'a> = Spanned<DeValue<'a>>;

/// Where diagnostics go, and the text they point into.
pub(crate) struct Sink<'a> {
    source: &'a str,
    diags: RefCell<Vec<Diagnostic>>,
    warnings: RefCell<Vec<crate::warnings::Warning>>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Sink {
            source,
            diags: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// Records a warning about the scenario as a whole.
    pub(crate) fn warn(&self, key: impl Into<String>, why: impl AsRef<str>) {
        self.warnings
            .borrow_mut()
            .push(crate::warnings::Warning::scenario(key, why));
    }

    /// The problems and the warnings found.
    pub(crate) fn into_parts(self) -> (Vec<Diagnostic>, Vec<crate::warnings::Warning>) {
        (self.diags.into_inner(), self.warnings.into_inner())
    }

    pub(crate) fn error(
        &self,
        key: impl Into<String>,
        message: impl Into<String>,
        help: Option<String>,
        span: Range<usize>,
    ) {
        self.diags.borrow_mut().push(Diagnostic {
            key: key.into(),
            message: message.into(),
            help,
            span: Some(span),
        });
    }

    /// The source text of a span, on one line and at most 40 characters.
    pub(crate) fn snippet(&self, span: Range<usize>) -> String {
        let raw = self.source.get(span).unwrap_or("");
        let flat: String = raw
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        if flat.chars().count() > 40 {
            let head: String = flat.chars().take(37).collect();
            format!("{head}...")
        } else {
            flat
        }
    }

    /// A value as an error message names it: its type, and the text for scalars.
    pub(crate) fn found(&self, v: &Value<'_>) -> String {
        let text = self.snippet(v.span());
        match v.get_ref() {
            DeValue::String(_) => format!("string {text}"),
            DeValue::Integer(_) => format!("integer {text}"),
            DeValue::Float(_) => format!("float {text}"),
            DeValue::Boolean(b) => format!("boolean {b}"),
            DeValue::Datetime(_) => format!("datetime {text}"),
            DeValue::Array(_) => "an array".to_string(),
            DeValue::Table(_) => "a table".to_string(),
        }
    }
}

/// The outcome of reading one key.
#[derive(Clone, Debug)]
pub(crate) enum Got<T> {
    /// The key is not there.
    Absent,
    /// The key is there but its value was rejected (already reported).
    Bad,
    /// A valid value, and the span of its text.
    Ok(T, Range<usize>),
}

impl<T> Got<T> {
    /// The value, or `default` when absent or bad.
    pub(crate) fn or(self, default: T) -> T {
        match self {
            Got::Ok(v, _) => v,
            _ => default,
        }
    }

    pub(crate) fn value(&self) -> Option<&T> {
        match self {
            Got::Ok(v, _) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn span(&self) -> Option<Range<usize>> {
        match self {
            Got::Ok(_, s) => Some(s.clone()),
            _ => None,
        }
    }

    pub(crate) fn is_bad(&self) -> bool {
        matches!(self, Got::Bad)
    }

    pub(crate) fn is_absent(&self) -> bool {
        matches!(self, Got::Absent)
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Got<U> {
        match self {
            Got::Ok(v, s) => Got::Ok(f(v), s),
            Got::Bad => Got::Bad,
            Got::Absent => Got::Absent,
        }
    }
}

/// Bounds of an accepted number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// Lower bound and whether it is included.
    pub(crate) min: Option<(f64, bool)>,
    /// Upper bound and whether it is included.
    pub(crate) max: Option<(f64, bool)>,
}

impl Bounds {
    /// `> x`
    pub(crate) fn above(x: f64) -> Bounds {
        Bounds {
            min: Some((x, false)),
            max: None,
        }
    }

    /// `>= x`
    pub(crate) fn at_least(x: f64) -> Bounds {
        Bounds {
            min: Some((x, true)),
            max: None,
        }
    }

    /// Between two bounds, each included or not.
    pub(crate) fn between(lo: f64, lo_in: bool, hi: f64, hi_in: bool) -> Bounds {
        Bounds {
            min: Some((lo, lo_in)),
            max: Some((hi, hi_in)),
        }
    }

    fn contains(&self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        let lo = self
            .min
            .is_none_or(|(m, inc)| if inc { x >= m } else { x > m });
        let hi = self
            .max
            .is_none_or(|(m, inc)| if inc { x <= m } else { x < m });
        lo && hi
    }

    fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some((lo, li)), Some((hi, hi_in))) => format!(
                "in {}{lo}, {hi}{}",
                if li { '[' } else { '(' },
                if hi_in { ']' } else { ')' }
            ),
            (Some((lo, true)), None) => format!(">= {lo}"),
            (Some((lo, false)), None) => format!("> {lo}"),
            (None, Some((hi, true))) => format!("<= {hi}"),
            (None, Some((hi, false))) => format!("< {hi}"),
            (None, None) => String::new(),
        }
    }
}

/// A humantime duration as written in messages: `5m`, `1h 30m`.
pub(crate) fn show_duration(d: SimDuration) -> String {
    humantime::format_duration(std::time::Duration::from_nanos(d.0)).to_string()
}

pub(crate) const DURATION_HELP: &str =
    "write a number and a unit, e.g. \"250ms\", \"90s\", \"5m\", \"1h 30m\" or \"30d\"";

/// One TOML table being read; `path` is its key path in messages.
pub(crate) struct Table<'a> {
    sink: &'a Sink<'a>,
    path: String,
    span: Range<usize>,
    entries: Vec<(&'a Spanned<DeString<'a>>, &'a Value<'a>)>,
    asked: Vec<&'static str>,
    /// Required keys found missing: (key, help), reported by `finish`.
    missing: Vec<(String, String)>,
    /// False for a section that is not in the file: nothing is reported
    /// about its keys, and every getter gives its default.
    present: bool,
}

impl<'a> Table<'a> {
    /// The document's root table.
    pub(crate) fn root(sink: &'a Sink<'a>, table: &'a DeTable<'a>) -> Table<'a> {
        Table::new(sink, String::new(), 0..0, table)
    }

    fn new(
        sink: &'a Sink<'a>,
        path: String,
        span: Range<usize>,
        table: &'a DeTable<'a>,
    ) -> Table<'a> {
        Table {
            sink,
            path,
            span,
            entries: table.iter().collect(),
            asked: Vec::new(),
            missing: Vec::new(),
            present: true,
        }
    }

    /// A table with no keys, standing for a section the file leaves out.
    pub(crate) fn empty(sink: &'a Sink<'a>, path: String, span: Range<usize>) -> Table<'a> {
        Table {
            sink,
            path,
            span,
            entries: Vec::new(),
            asked: Vec::new(),
            missing: Vec::new(),
            present: false,
        }
    }

    pub(crate) fn sink(&self) -> &'a Sink<'a> {
        self.sink
    }

    pub(crate) fn is_present(&self) -> bool {
        self.present
    }

    /// The span errors about the table as a whole point at (its header).
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The key path of `key` in this table.
    pub(crate) fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The path of the table itself (`""` for the root).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The raw value of `key`, marking the key as known.
    pub(crate) fn take(&mut self, key: &'static str) -> Option<&'a Value<'a>> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| *v)
    }

    /// Whether `key` is in the table, without marking it as known.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|(k, _)| k.get_ref().as_ref() == key)
    }

    /// Reports an error about `key` of this table.
    pub(crate) fn error(
        &self,
        key: &str,
        message: impl Into<String>,
        help: impl Into<String>,
        span: Range<usize>,
    ) {
        self.sink
            .error(self.key_path(key), message, Some(help.into()), span);
    }

    fn type_error(&self, key: &str, expected: &str, v: &Value<'_>, help: &str) {
        self.error(
            key,
            format!("expected {expected}, found {}", self.sink.found(v)),
            help,
            v.span(),
        );
    }

    /// Notes a required key that is missing (only for a section that is
    /// present); reported by [`Table::finish`] unless a misspelled key
    /// already points at it.
    pub(crate) fn missing(&mut self, key: &str, help: impl Into<String>) {
        if self.present {
            self.missing.push((key.to_string(), help.into()));
        }
    }

    /// Reports every key that no getter asked for, and the missing ones.
    pub(crate) fn finish(self) {
        let mut known: Vec<&str> = self.asked.clone();
        known.sort_unstable();
        let mut misspelled: Vec<&str> = Vec::new();
        for (k, _) in &self.entries {
            let name: &str = k.get_ref().as_ref();
            if self.asked.contains(&name) {
                continue;
            }
            let help = match did_you_mean(name, self.asked.iter().copied()) {
                Some(s) => {
                    misspelled.push(s);
                    if self.missing.iter().any(|(m, _)| m == s) {
                        format!("did you mean '{s}'? it is required")
                    } else {
                        format!("did you mean '{s}'?")
                    }
                }
                None if known.is_empty() => "remove it".to_string(),
                None => format!("the keys allowed here are {}", known.join(", ")),
            };
            let where_ = if self.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in {}", self.shown_path())
            };
            self.sink.error(
                self.key_path(name),
                format!("unknown key '{name}' {where_}"),
                Some(help),
                k.span(),
            );
        }
        for (key, help) in &self.missing {
            if misspelled.contains(&key.as_str()) {
                continue;
            }
            let what = if self.path.is_empty() {
                "the file".to_string()
            } else {
                self.shown_path()
            };
            self.sink.error(
                self.key_path(key),
                format!("missing required key in {what}"),
                Some(help.clone()),
                self.span(),
            );
        }
    }

    /// The table's path as a section header when it is one (`[web]`), plain otherwise.
    fn shown_path(&self) -> String {
        if self.path.contains('[') || self.sink.snippet(self.span()).starts_with('{') {
            self.path.clone()
        } else {
            format!("[{}]", self.path)
        }
    }

    // ----- tables -----

    /// A sub-table; absent gives an empty, not-present table.
    pub(crate) fn table(&mut self, key: &'static str) -> Table<'a> {
        let path = self.key_path(key);
        match self.take(key) {
            None => Table::empty(self.sink, path, self.span()),
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => Table::new(self.sink, path, v.span(), t),
                _ => {
                    self.type_error(
                        key,
                        "a table",
                        v,
                        &format!("write a [{path}] section or an inline table {{ ... }}"),
                    );
                    Table::empty(self.sink, path, v.span())
                }
            },
        }
    }

    /// A required sub-table (section); reported when missing.
    pub(crate) fn required_table(&mut self, key: &'static str, help: &str) -> Table<'a> {
        let present = self.has(key);
        let t = self.table(key);
        if !present && self.present {
            self.sink.error(
                t.path.clone(),
                format!("missing required section [{}]", t.path),
                Some(help.to_string()),
                self.span(),
            );
        }
        t
    }

    /// An array of tables (`[[x]]` or `x = [{ ... }]`); absent gives none.
    pub(crate) fn array_of_tables(&mut self, key: &'static str) -> (Vec<Table<'a>>, Range<usize>) {
        let path = self.key_path(key);
        let Some(v) = self.take(key) else {
            return (Vec::new(), self.span());
        };
        let help = format!("write each entry as a [[{path}]] section");
        let DeValue::Array(items) = v.get_ref() else {
            self.type_error(key, "an array of tables", v, &help);
            return (Vec::new(), v.span());
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table::new(
                    self.sink,
                    format!("{path}[{i}]"),
                    item.span(),
                    t,
                )),
                _ => self.sink.error(
                    format!("{path}[{i}]"),
                    format!("expected a table, found {}", self.sink.found(item)),
                    Some(help.clone()),
                    item.span(),
                ),
            }
        }
        (out, v.span())
    }

    // ----- scalars -----

    /// A string.
    pub(crate) fn str(&mut self, key: &'static str) -> Got<String> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        match v.get_ref() {
            DeValue::String(s) => Got::Ok(s.to_string(), v.span()),
            _ => {
                self.type_error(key, "a string", v, "put the text in double quotes");
                Got::Bad
            }
        }
    }

    /// A required, non-empty string.
    pub(crate) fn required_str(&mut self, key: &'static str, help: &str) -> Got<String> {
        let got = self.str(key);
        match &got {
            Got::Absent => {
                self.missing(key, help);
            }
            Got::Ok(s, span) if s.trim().is_empty() => {
                self.error(
                    key,
                    format!(
                        "expected a non-empty string, found {}",
                        self.sink.snippet(span.clone())
                    ),
                    help,
                    span.clone(),
                );
                return Got::Bad;
            }
            _ => {}
        }
        got
    }

    /// A boolean.
    pub(crate) fn bool(&mut self, key: &'static str) -> Got<bool> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        match v.get_ref() {
            DeValue::Boolean(b) => Got::Ok(*b, v.span()),
            _ => {
                self.type_error(
                    key,
                    "true or false",
                    v,
                    "write true or false, without quotes",
                );
                Got::Bad
            }
        }
    }

    /// An integer between `min` and `max` (inclusive).
    pub(crate) fn int(&mut self, key: &'static str, min: i64, max: i64) -> Got<i64> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        let unbounded = max >= i64::from(u32::MAX);
        let expected = if unbounded {
            format!("an integer >= {min}")
        } else {
            format!("an integer from {min} to {max}")
        };
        let DeValue::Integer(i) = v.get_ref() else {
            self.type_error(
                key,
                &expected,
                v,
                "write a whole number without quotes or a decimal point",
            );
            return Got::Bad;
        };
        match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if (min..=max).contains(&n) => Got::Ok(n, v.span()),
            parsed => {
                let too_big = parsed.is_err() || parsed.is_ok_and(|n| n > max);
                let help = if unbounded && too_big {
                    format!("use a value of at most {max}")
                } else if unbounded {
                    format!("use a value of at least {min}")
                } else {
                    format!("use a value between {min} and {max}")
                };
                self.error(
                    key,
                    format!("expected {expected}, found {}", self.sink.snippet(v.span())),
                    help,
                    v.span(),
                );
                Got::Bad
            }
        }
    }

    /// An integer >= `min` that fits a `u32`.
    pub(crate) fn u32(&mut self, key: &'static str, min: u32) -> Got<u32> {
        self.int(key, i64::from(min), i64::from(u32::MAX))
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// An integer >= `min` that fits a `u64`.
    pub(crate) fn u64(&mut self, key: &'static str, min: u64) -> Got<u64> {
        let min = i64::try_from(min).unwrap_or(i64::MAX);
        self.int(key, min, i64::MAX)
            .map(|n| u64::try_from(n).unwrap_or(0))
    }

    /// A number (integer or float) within `bounds`.
    pub(crate) fn num(&mut self, key: &'static str, bounds: Bounds) -> Got<f64> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        match number_of(v) {
            Some(x) => self.check_num(key, x, v, bounds),
            None => {
                self.type_error(
                    key,
                    &format!("a number {}", bounds.describe()),
                    v,
                    "write a number without quotes, e.g. 2 or 0.5",
                );
                Got::Bad
            }
        }
    }

    fn check_num(&self, key: &str, x: f64, v: &Value<'_>, bounds: Bounds) -> Got<f64> {
        if bounds.contains(x) {
            Got::Ok(x, v.span())
        } else {
            self.error(
                key,
                format!(
                    "expected a number {}, found {}",
                    bounds.describe(),
                    self.sink.snippet(v.span())
                ),
                format!("use a value {}", bounds.describe()),
                v.span(),
            );
            Got::Bad
        }
    }

    /// A duration string; `positive` rejects zero.
    pub(crate) fn duration(&mut self, key: &'static str, positive: bool) -> Got<SimDuration> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        let key_path = self.key_path(key);
        duration_of(self.sink, &key_path, v, positive)
    }

    /// One of a fixed set of names.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        key: &'static str,
        what: &str,
        options: &[(&'static str, T)],
    ) -> Got<T> {
        let Some(v) = self.take(key) else {
            return Got::Absent;
        };
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let list = names.join(" | ");
        let DeValue::String(s) = v.get_ref() else {
            self.type_error(
                key,
                &format!("one of {list}"),
                v,
                &format!("write one of {} in quotes", names.join(", ")),
            );
            return Got::Bad;
        };
        if let Some((_, t)) = options.iter().find(|(n, _)| *n == s.as_ref()) {
            return Got::Ok(*t, v.span());
        }
        let help = match did_you_mean(s, names.iter().copied()) {
            Some(n) => format!("did you mean '{n}'?"),
            None => format!("the {what}s are {}", names.join(", ")),
        };
        self.error(
            key,
            format!("unknown {what} '{s}', expected one of {list}"),
            help,
            v.span(),
        );
        Got::Bad
    }
}

/// The number in an integer or float value.
pub(crate) fn number_of(v: &Value<'_>) -> Option<f64> {
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n as f64),
            Err(_) if i.radix() == 10 => i.as_str().parse::<f64>().ok(),
            Err(_) => Some(f64::INFINITY),
        },
        DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
        _ => None,
    }
}

/// A duration value, reported against `key_path`.
pub(crate) fn duration_of(
    sink: &Sink<'_>,
    key_path: &str,
    v: &Value<'_>,
    positive: bool,
) -> Got<SimDuration> {
    let expected = if positive {
        "a duration > 0 like \"90s\" or \"1h 30m\""
    } else {
        "a duration like \"90s\" or \"1h 30m\""
    };
    let DeValue::String(s) = v.get_ref() else {
        sink.error(
            key_path,
            format!("expected {expected}, found {}", sink.found(v)),
            Some(format!("{DURATION_HELP}, in double quotes")),
            v.span(),
        );
        return Got::Bad;
    };
    let text = sink.snippet(v.span());
    match humantime::parse_duration(s) {
        Err(e) => {
            sink.error(
                key_path,
                format!("expected {expected}, found {text} ({e})"),
                Some(DURATION_HELP.to_string()),
                v.span(),
            );
            Got::Bad
        }
        Ok(d) => match u64::try_from(d.as_nanos()) {
            Err(_) => {
                sink.error(
                    key_path,
                    format!("expected a duration shorter than 500 years, found {text}"),
                    Some("use a shorter duration".to_string()),
                    v.span(),
                );
                Got::Bad
            }
            Ok(0) if positive => {
                sink.error(
                    key_path,
                    format!("expected {expected}, found {text}"),
                    Some("use a duration longer than zero, e.g. \"1s\"".to_string()),
                    v.span(),
                );
                Got::Bad
            }
            Ok(ns) => Got::Ok(SimDuration::from_nanos(ns), v.span()),
        },
    }
}
