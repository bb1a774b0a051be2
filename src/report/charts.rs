//! PNG charts of a run, drawn with plotters and an embedded font.
//!
//! Text is set in DejaVu Sans, compiled into the binary (the `dejavu`
//! crate; Bitstream Vera licence in `THIRD-PARTY-LICENSES`), so charts need
//! no system font or library. Renderers return PNG bytes; the writer stores
//! them like every other output.

use crate::run::RunReport;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::Once;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 560;
const FONT: &str = "sans-serif";

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font compiled in: this cannot fail,
        // and if it did the charts would only lose their text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Draws into an RGB buffer with `draw` and encodes it as PNG.
fn render(
    draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Fallible<()>,
) -> Fallible<Vec<u8>> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(root.clone())?;
        root.present()?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        encoder.write_header()?.write_image_data(&rgb)?;
    }
    Ok(out)
}

/// An axis label: `250`, `1.5k`, `2M`, `0.5`.
fn human(v: &f64) -> String {
    let v = *v;
    let trim = |x: f64| {
        let s = format!("{x:.1}");
        s.strip_suffix(".0").map_or(s.clone(), str::to_string)
    };
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else if v >= 1.0 {
        trim(v)
    } else {
        format!("{v:.2}")
    }
}

/// The x axis of growth charts: users per checkpoint (`None` without users).
fn users(report: &RunReport) -> Option<Vec<f64>> {
    let u: Option<Vec<f64>> = report
        .checkpoints
        .iter()
        .map(|c| c.checkpoint.users)
        .collect();
    u.filter(|u| u.len() >= 2 && u.iter().all(|x| *x > 0.0))
}

/// A log-scale range covering `values` (and `extra`), a little wider.
fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return 1.0..10.0;
    }
    let (lo, hi) = if hi / lo < 1.5 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo, hi)
    };
    lo / 1.2..hi * 1.2
}

/// One line of a chart.
struct Line {
    points: Vec<(f64, f64)>,
    style: ShapeStyle,
    label: String,
    /// Marks at the points (checkpoints), not just the line.
    dots: bool,
}

impl Line {
    fn new(points: Vec<(f64, f64)>, color: RGBColor, label: impl Into<String>) -> Line {
        Line {
            points,
            style: color.stroke_width(2),
            label: label.into(),
            dots: false,
        }
    }

    fn dotted(mut self) -> Line {
        self.dots = true;
        self
    }
}

/// A chart of lines over a log-scale y axis, with a legend.
struct Plot<'a> {
    title: String,
    x_desc: &'a str,
    y_desc: &'a str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    lines: Vec<Line>,
    legend: SeriesLabelPosition,
}

impl Plot<'_> {
    /// Draws on `root`, with a log-scale x axis or a linear one.
    fn draw(
        self,
        root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        x_log: bool,
    ) -> Fallible<()> {
        if x_log {
            let x = self.x.clone().log_scale();
            self.draw_on(root, x, true)
        } else {
            let x = self.x.clone();
            self.draw_on(root, x, false)
        }
    }

    fn draw_on<X>(
        self,
        root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        x: X,
        human_x: bool,
    ) -> Fallible<()>
    where
        X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
        X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x, self.y.clone().log_scale())?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .y_label_formatter(&human)
            .label_style((FONT, 15));
        if human_x {
            mesh.x_label_formatter(&human);
        }
        mesh.draw()?;
        for line in self.lines {
            let style = line.style;
            let dots = line.dots.then(|| line.points.clone());
            chart
                .draw_series(LineSeries::new(line.points, style))?
                .label(line.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            if let Some(points) = dots {
                let color = style.color;
                chart.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )?;
            }
        }
        chart
            .configure_series_labels()
            .position(self.legend)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 15))
            .draw()?;
        Ok(())
    }
}

/// The horizontal line of the SLO's p99 bound across `x`.
fn slo_line(report: &RunReport, x: &std::ops::Range<f64>) -> Line {
    let slo = report.scenario.simulation.slo.p99.as_millis_f64();
    Line {
        points: vec![(x.start, slo), (x.end, slo)],
        style: BLACK.mix(0.6).stroke_width(1),
        label: format!("SLO p99 {slo} ms"),
        dots: false,
    }
}

/// p50 and p99 latency against users (log-log), with the SLO's p99 bound
/// and the wall; for a single checkpoint, p50 and p99 minute by minute.
pub fn latency_png(report: &RunReport) -> Result<Vec<u8>, String> {
    render(|root| match users(report) {
        Some(users) => latency_by_users(report, &users).draw(&root, true),
        None => latency_by_minute(report).draw(&root, false),
    })
    .map_err(|e| format!("cannot draw latency.png: {e}"))
}

fn latency_by_users<'a>(report: &RunReport, users: &[f64]) -> Plot<'a> {
    let served = |i: &usize| report.checkpoints[*i].window.counts.served > 0;
    let points = |f: fn(&crate::metrics::Latency) -> f64| -> Vec<(f64, f64)> {
        (0..users.len())
            .filter(served)
            .map(|i| (users[i], f(&report.checkpoints[i].window.latency)))
            .collect()
    };
    let (p50, p99) = (points(|l| l.p50_ms), points(|l| l.p99_ms));
    let x = log_range(users.iter().copied());
    let slo = slo_line(report, &x);
    let y = log_range(p50.iter().chain(&p99).chain(&slo.points).map(|p| p.1));
    let mut lines = vec![
        Line::new(p50, BLUE, "p50").dotted(),
        Line::new(p99, RED, "p99").dotted(),
        slo,
    ];
    if let Some(w) = report.wall.as_ref().filter(|w| w.users > 0.0) {
        let wall = vec![(w.users, y.start), (w.users, y.end)];
        lines.push(Line::new(
            wall,
            GREEN,
            format!("wall: {:.0} users", w.users),
        ));
    }
    Plot {
        title: format!("{}: latency as users grow", report.scenario.name),
        x_desc: "users",
        y_desc: "latency [ms]",
        x,
        y,
        lines,
        legend: SeriesLabelPosition::UpperLeft,
    }
}

fn latency_by_minute<'a>(report: &RunReport) -> Plot<'a> {
    let rows = report
        .checkpoints
        .first()
        .map_or(&[][..], |cp| &cp.window.timeline[..]);
    let points = |f: fn(&crate::metrics::Latency) -> f64| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|m| m.latency.as_ref().map(|l| (m.minute as f64, f(l))))
            .collect()
    };
    let (p50, p99) = (points(|l| l.p50_ms), points(|l| l.p99_ms));
    let x = 0.0..(rows.len().max(1) as f64);
    let slo = slo_line(report, &x);
    let y = log_range(p50.iter().chain(&p99).chain(&slo.points).map(|p| p.1));
    Plot {
        title: format!("{}: latency minute by minute", report.scenario.name),
        x_desc: "minute of the window",
        y_desc: "latency [ms]",
        x,
        y,
        lines: vec![Line::new(p50, BLUE, "p50"), Line::new(p99, RED, "p99"), slo],
        legend: SeriesLabelPosition::UpperLeft,
    }
}

/// The monthly bill per 1,000 users against users (log-log), whole bill and
/// instance-hours; `None` when traffic is not in users or there is one checkpoint.
pub fn cost_png(report: &RunReport) -> Option<Result<Vec<u8>, String>> {
    let users = users(report)?;
    let per_1k = |f: &dyn Fn(&crate::run::CheckpointResult) -> f64| -> Vec<(f64, f64)> {
        users
            .iter()
            .zip(&report.checkpoints)
            .map(|(u, c)| (*u, f(c) / u * 1000.0))
            .collect()
    };
    let total = per_1k(&|c| c.cost_usd_month);
    let instances = per_1k(&|c| c.instance_cost_usd_month());
    let plot = Plot {
        title: format!("{}: monthly cost per 1,000 users", report.scenario.name),
        x_desc: "users",
        y_desc: "USD per month per 1,000 users",
        x: log_range(users.iter().copied()),
        y: log_range(total.iter().chain(&instances).map(|p| p.1)),
        lines: vec![
            Line::new(total, BLUE, "whole bill"),
            Line::new(instances, MAGENTA, "instance-hours (EC2, RDS)"),
        ],
        legend: SeriesLabelPosition::UpperRight,
    };
    Some(render(|root| plot.draw(&root, true)).map_err(|e| format!("cannot draw cost.png: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn axis_labels_are_short() {
        assert_eq!(super::human(&250.0), "250");
        assert_eq!(super::human(&1500.0), "1.5k");
        assert_eq!(super::human(&10_000_000.0), "10M");
        assert_eq!(super::human(&0.5), "0.50");
    }

    #[test]
    fn log_ranges_hold_their_values() {
        let r = super::log_range([3.0, 300.0].into_iter());
        assert!(r.start < 3.0 && r.end > 300.0);
        let r = super::log_range([5.0, 5.0].into_iter());
        assert!(r.start < 5.0 && r.end > 5.0);
        assert_eq!(super::log_range(std::iter::empty()), 1.0..10.0);
    }
}
