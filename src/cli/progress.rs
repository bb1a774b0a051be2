//! A progress bar on the terminal for runs longer than a second.

use crate::run::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Shown on standard error once a run has taken a second, and only when
/// standard error is a terminal: pipes, files and CI logs stay clean.
pub(crate) struct Bar {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    shown: AtomicBool,
}

impl Bar {
    pub(crate) fn new(wanted: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} windows, eta {eta}",
        ) {
            bar.set_style(style);
        }
        Bar {
            bar,
            started: Instant::now(),
            enabled: wanted && std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn show_if_slow(&self) {
        if self.enabled
            && !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }
}

impl Progress for Bar {
    fn add_work(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn done(&self, n: u64) {
        self.bar.inc(n);
        self.show_if_slow();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_work_and_stays_hidden_when_quiet() {
        // --quiet never shows it, terminal or not.
        let bar = Bar::new(false);
        assert!(!bar.enabled);
        bar.add_work(3);
        bar.done(2);
        assert_eq!((bar.bar.position(), bar.bar.length()), (2, Some(3)));
        assert!(!bar.shown.load(Ordering::Relaxed));
        bar.finish();
    }
}
