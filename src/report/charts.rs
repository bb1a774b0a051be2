//! PNG charts of a run, drawn with plotters and an embedded font.
//!
//! Text is set in DejaVu Sans, compiled into the binary (the `dejavu`
//! crate; Bitstream Vera licence in `THIRD-PARTY-LICENSES`), so charts need
//! no system font or library. Renderers return PNG bytes; the writer stores
//! them like every other output.
//!
//! Every chart has its title fitted to the width, its legend in a strip
//! below the plot (never over a line), the SLO as a dashed orange line with
//! its value in the legend, walls as dashed vertical lines, and tick labels
//! at 1-2-5 steps on logarithmic axes.

use crate::run::compare::Comparison;
use crate::run::{CheckpointResult, RunReport};
use plotters::coord::combinators::{BindKeyPoints, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::ops::Range;
use std::sync::Once;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 600;
const FONT: &str = "sans-serif";
/// The SLO's colour: orange, unlike any data line or the grid.
const SLO: RGBColor = RGBColor(230, 120, 0);
/// Colours of designs and series, in order (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(255, 127, 14),
];
/// Availability shown as "nines" is capped here (99.9999%).
const MAX_NINES: f64 = 6.0;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font compiled in: this cannot fail,
        // and if it did the charts would only lose their text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Draws into an RGB buffer with `draw` and encodes it as PNG.
fn render(draw: impl FnOnce(Area<'_>) -> Fallible<()>) -> Fallible<Vec<u8>> {
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
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// Minutes since midnight of day 0 as a clock time, `HH:MM`.
fn clock(v: &f64) -> String {
    let m = (v.round().max(0.0) as u64) % 1440;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Nines of availability (`-log10(1 - a)`) as the availability: `99.9%`.
fn nines_label(v: &f64) -> String {
    let a = 100.0 * (1.0 - 10f64.powf(-v));
    let s = format!("{a:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Availability as nines, capped at [`MAX_NINES`].
fn nines(a: f64) -> f64 {
    let miss = (1.0 - a).max(10f64.powf(-MAX_NINES));
    (-miss.log10()).clamp(0.0, MAX_NINES)
}

/// Tick positions at 1, 2 and 5 times powers of ten inside `r` (every
/// power of ten alone when the range spans many decades).
fn log_ticks(r: &Range<f64>) -> Vec<f64> {
    if !(r.start > 0.0 && r.end > r.start) {
        return vec![];
    }
    let decades = (r.end / r.start).log10();
    let steps: &[f64] = if decades > 5.0 {
        &[1.0]
    } else if decades > 2.5 {
        &[1.0, 3.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut out = Vec::new();
    let mut p = 10f64.powi(r.start.log10().floor() as i32);
    while p <= r.end {
        for s in steps {
            let v = p * s;
            if v >= r.start && v <= r.end {
                out.push(v);
            }
        }
        p *= 10.0;
    }
    out
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

/// A log-scale range covering `values`, a little wider.
fn log_range(values: impl Iterator<Item = f64>) -> Range<f64> {
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
    color: RGBColor,
    label: String,
    /// Marks at the points (checkpoints), not just the line.
    dots: bool,
    /// Drawn dashed: bounds and walls, not measurements.
    dashed: bool,
    width: u32,
}

impl Line {
    fn new(points: Vec<(f64, f64)>, color: RGBColor, label: impl Into<String>) -> Line {
        Line {
            points,
            color,
            label: label.into(),
            dots: false,
            dashed: false,
            width: 2,
        }
    }

    fn dotted(mut self) -> Line {
        self.dots = true;
        self
    }

    fn dashed(mut self) -> Line {
        self.dashed = true;
        self
    }
}

/// How an axis maps values.
#[derive(Clone, Copy, PartialEq)]
enum Scale {
    Log,
    Linear,
}

/// One axis: range, scale, description and tick labels.
struct Axis {
    range: Range<f64>,
    scale: Scale,
    desc: String,
    format: Box<dyn Fn(&f64) -> String>,
    /// Tick positions; `None`: 1-2-5 steps on a log axis, plotters' choice
    /// on a linear one.
    ticks: Option<Vec<f64>>,
}

impl Axis {
    fn log(range: Range<f64>, desc: &str) -> Axis {
        Axis {
            range,
            scale: Scale::Log,
            desc: desc.into(),
            format: Box::new(human),
            ticks: None,
        }
    }

    fn linear(range: Range<f64>, desc: &str, format: fn(&f64) -> String) -> Axis {
        Axis {
            range,
            scale: Scale::Linear,
            desc: desc.into(),
            format: Box::new(format),
            ticks: None,
        }
    }

    fn ticks(&self) -> Option<Vec<f64>> {
        match (&self.ticks, self.scale) {
            (Some(t), _) => Some(t.clone()),
            (None, Scale::Log) => Some(log_ticks(&self.range)),
            (None, Scale::Linear) => None,
        }
    }
}

/// A chart: a fitted title, lines over two axes, a legend strip below.
struct Plot {
    title: String,
    x: Axis,
    y: Axis,
    lines: Vec<Line>,
}

/// The largest font size up to `max` at which `text` fits `width` pixels.
fn fitted_size(area: &Area<'_>, text: &str, width: u32, max: u32) -> u32 {
    let mut size = max;
    while size > 10 {
        match area.estimate_text_size(text, &(FONT, size).into_font().into()) {
            Ok((w, _)) if w > width => size -= 1,
            _ => break,
        }
    }
    size
}

impl Plot {
    fn draw(self, root: &Area<'_>) -> Fallible<()> {
        // Title, fitted to the width.
        let size = fitted_size(root, &self.title, WIDTH - 40, 24);
        let (title_area, rest) = root.split_vertically(40);
        title_area.draw(&Text::new(
            self.title.clone(),
            (20, 10),
            (FONT, size).into_font(),
        ))?;
        // The legend strip: as many rows as needed, three entries a row.
        let labelled = self.lines.iter().filter(|l| !l.label.is_empty()).count();
        let rows = labelled.div_ceil(3) as u32;
        let (plot_area, legend_area) = rest.split_vertically(HEIGHT - 40 - rows * 24 - 12);
        self.draw_legend(&legend_area)?;
        let x = self.x.range.clone();
        let y = self.y.range.clone();
        let (xt, yt) = (self.x.ticks(), self.y.ticks());
        match (self.x.scale, self.y.scale) {
            (Scale::Log, Scale::Log) => {
                self.draw_on(&plot_area, with_ticks_log(x, xt), with_ticks_log(y, yt))
            }
            (Scale::Log, Scale::Linear) => {
                self.draw_on(&plot_area, with_ticks_log(x, xt), with_ticks(y, yt))
            }
            (Scale::Linear, Scale::Log) => {
                self.draw_on(&plot_area, with_ticks(x, xt), with_ticks_log(y, yt))
            }
            (Scale::Linear, Scale::Linear) => {
                self.draw_on(&plot_area, with_ticks(x, xt), with_ticks(y, yt))
            }
        }
    }

    fn draw_legend(&self, area: &Area<'_>) -> Fallible<()> {
        for (i, line) in self
            .lines
            .iter()
            .filter(|l| !l.label.is_empty())
            .enumerate()
        {
            let (col, row) = ((i % 3) as i32, (i / 3) as i32);
            let x = 80 + col * 300;
            let y = 8 + row * 24;
            let style_line = line.color.stroke_width(line.width.max(2));
            if line.dashed {
                for k in 0..3 {
                    area.draw(&PathElement::new(
                        vec![(x + k * 10, y + 8), (x + k * 10 + 6, y + 8)],
                        style_line,
                    ))?;
                }
            } else {
                area.draw(&PathElement::new(
                    vec![(x, y + 8), (x + 26, y + 8)],
                    style_line,
                ))?;
            }
            if line.dots {
                area.draw(&Circle::new((x + 13, y + 8), 3, line.color.filled()))?;
            }
            let fits = fitted_size(area, &line.label, 255, 15);
            area.draw(&Text::new(
                line.label.clone(),
                (x + 34, y),
                (FONT, fits).into_font(),
            ))?;
        }
        Ok(())
    }

    fn draw_on<X, Y>(self, area: &Area<'_>, x: X, y: Y) -> Fallible<()>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .margin_left(15)
            .margin_right(30)
            .margin_top(5)
            .margin_bottom(5)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x, y)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x.desc.as_str())
            .y_desc(self.y.desc.as_str())
            .x_label_formatter(&self.x.format)
            .y_label_formatter(&self.y.format)
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .label_style((FONT, 15));
        mesh.draw()?;
        for line in self.lines {
            let style = line.color.stroke_width(line.width);
            if line.dashed {
                chart.draw_series(DashedLineSeries::new(line.points.clone(), 10, 6, style))?;
            } else {
                chart.draw_series(LineSeries::new(line.points.clone(), style))?;
            }
            if line.dots {
                let color = line.color;
                chart.draw_series(
                    line.points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )?;
            }
        }
        Ok(())
    }
}

/// A linear coordinate with ticks where we put them (plotters' own linear
/// coordinate only takes its own).
struct Ticked {
    inner: plotters::coord::types::RangedCoordf64,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// A linear coordinate, with the given ticks or round ones.
fn with_ticks(r: Range<f64>, ticks: Option<Vec<f64>>) -> Ticked {
    let ticks = ticks.unwrap_or_else(|| linear_ticks(&r));
    Ticked {
        inner: r.into(),
        ticks,
    }
}

/// A log coordinate with the given ticks.
fn with_ticks_log(r: Range<f64>, ticks: Option<Vec<f64>>) -> WithKeyPoints<LogCoord<f64>> {
    let points = ticks.unwrap_or_else(|| log_ticks(&r));
    r.log_scale().with_key_points(points)
}

/// About eight evenly spaced round ticks inside `r`.
fn linear_ticks(r: &Range<f64>) -> Vec<f64> {
    let span = r.end - r.start;
    if !(span > 0.0 && span.is_finite()) {
        return vec![];
    }
    let raw = span / 8.0;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (r.start / step).ceil() * step;
    let mut out = Vec::new();
    while v <= r.end && out.len() < 50 {
        out.push(v);
        v += step;
    }
    out
}

/// Ticks at whole clock steps (1 minute to 4 hours) inside `r`, in minutes.
fn clock_ticks(r: &Range<f64>) -> Vec<f64> {
    let span = r.end - r.start;
    let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 240.0]
        .into_iter()
        .find(|s| span / s <= 10.0)
        .unwrap_or(240.0);
    let mut v = (r.start / step).ceil() * step;
    let mut out = Vec::new();
    while v <= r.end {
        out.push(v);
        v += step;
    }
    out
}

/// The horizontal line of the SLO's p99 bound across `x`.
fn slo_p99_line(report: &RunReport, x: &Range<f64>) -> Line {
    let slo = report.scenario.simulation.slo.p99.as_millis_f64();
    Line::new(
        vec![(x.start, slo), (x.end, slo)],
        SLO,
        format!("SLO: p99 <= {slo} ms"),
    )
    .dashed()
}

/// A vertical line at a wall, across `y`.
fn wall_line(users: f64, y: &Range<f64>, color: RGBColor, label: String) -> Line {
    Line::new(vec![(users, y.start), (users, y.end)], color, label).dashed()
}

/// The wall of a run, when it carries any users.
fn wall_users(report: &RunReport) -> Option<f64> {
    report.wall.as_ref().map(|w| w.users).filter(|u| *u > 0.0)
}

fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// p50 and p99 latency against users (log-log), with the SLO's p99 bound
/// and the wall; for a single checkpoint, p50 and p99 minute by minute
/// against the clock.
pub fn latency_png(report: &RunReport) -> Result<Vec<u8>, String> {
    render(|root| match users(report) {
        Some(users) => latency_by_users(report, &users).draw(&root),
        None => latency_by_minute(report).draw(&root),
    })
    .map_err(|e| format!("cannot draw latency.png: {e}"))
}

fn served(c: &CheckpointResult) -> bool {
    c.window.counts.served > 0
}

fn latency_by_users(report: &RunReport, users: &[f64]) -> Plot {
    let points = |f: fn(&crate::metrics::Latency) -> f64| -> Vec<(f64, f64)> {
        users
            .iter()
            .zip(&report.checkpoints)
            .filter(|(_, c)| served(c))
            .map(|(u, c)| (*u, f(&c.window.latency)))
            .collect()
    };
    let (p50, p99) = (points(|l| l.p50_ms), points(|l| l.p99_ms));
    // The p99 of the SLO interval that decided each verdict (the worst hour).
    let worst: Vec<(f64, f64)> = users
        .iter()
        .zip(&report.checkpoints)
        .filter(|(_, c)| c.judgement.worst.served > 0)
        .map(|(u, c)| (*u, c.judgement.worst.p99_ms))
        .collect();
    let x = log_range(users.iter().copied());
    let slo = slo_p99_line(report, &x);
    let y = log_range(
        p50.iter()
            .chain(&p99)
            .chain(&worst)
            .chain(&slo.points)
            .map(|p| p.1),
    );
    let mut lines = vec![
        Line::new(p50, PALETTE[0], "p50").dotted(),
        Line::new(p99, PALETTE[1], "p99").dotted(),
        Line::new(
            worst,
            PALETTE[4],
            format!(
                "p99 of the worst {}",
                super::markdown::interval_word(&report.scenario)
            ),
        )
        .dotted(),
        slo,
    ];
    if let Some(w) = wall_users(report) {
        lines.push(wall_line(
            w,
            &y,
            PALETTE[2],
            format!("wall: {} users (over capacity beyond)", thousands(w)),
        ));
    }
    Plot {
        title: format!("{}: latency as users grow", report.scenario.name),
        x: Axis::log(x, "users"),
        y: Axis::log(y, "latency [ms]"),
        lines,
    }
}

fn latency_by_minute(report: &RunReport) -> Plot {
    let Some(cp) = report.checkpoints.first() else {
        return Plot {
            title: format!("{}: no checkpoint", report.scenario.name),
            x: Axis::linear(0.0..1.0, "time of day", clock),
            y: Axis::log(1.0..10.0, "latency [ms]"),
            lines: vec![],
        };
    };
    // Minutes since midnight of day 0 at the window's start.
    let start = cp.checkpoint.start.as_secs_f64() / 60.0;
    let rows = &cp.window.timeline[..];
    let points = |f: fn(&crate::metrics::Latency) -> f64| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|m| {
                m.latency
                    .as_ref()
                    .map(|l| (start + m.minute as f64 + 0.5, f(l)))
            })
            .collect()
    };
    let (p50, p99) = (points(|l| l.p50_ms), points(|l| l.p99_ms));
    let x = start..start + rows.len().max(1) as f64;
    let slo = slo_p99_line(report, &x);
    let y = log_range(p50.iter().chain(&p99).chain(&slo.points).map(|p| p.1));
    let mut x_axis = Axis::linear(x.clone(), "time of day [HH:MM]", clock);
    x_axis.ticks = Some(clock_ticks(&x));
    Plot {
        title: format!("{}: latency minute by minute", report.scenario.name),
        x: x_axis,
        y: Axis::log(y, "latency [ms]"),
        lines: vec![
            Line::new(p50, PALETTE[0], "p50"),
            Line::new(p99, PALETTE[1], "p99"),
            slo,
        ],
    }
}

/// The nines axis of availability charts, covering `values` (nines).
fn nines_axis(values: impl Iterator<Item = f64>) -> Axis {
    let top = values.fold(3.0f64, f64::max).min(MAX_NINES).ceil();
    let mut axis = Axis::linear(
        0.0..top + 0.3,
        "availability (log scale of 1 - a)",
        nines_label,
    );
    axis.ticks = Some(
        std::iter::once(2f64.log10())
            .chain((1..=top as i32).map(f64::from))
            .chain(std::iter::once(0.0))
            .collect(),
    );
    axis
}

/// Availability against users, with the SLO's bound and the wall; `None`
/// when traffic is not in users or there is one checkpoint.
pub fn availability_png(report: &RunReport) -> Option<Result<Vec<u8>, String>> {
    let users = users(report)?;
    let points: Vec<(f64, f64)> = users
        .iter()
        .zip(&report.checkpoints)
        .map(|(u, c)| (*u, nines(c.availability())))
        .collect();
    let slo_a = report.scenario.simulation.slo.availability;
    let x = log_range(users.iter().copied());
    let y = nines_axis(points.iter().map(|p| p.1).chain([nines(slo_a)]));
    let mut lines = vec![
        Line::new(points, PALETTE[0], "availability").dotted(),
        Line::new(
            vec![(x.start, nines(slo_a)), (x.end, nines(slo_a))],
            SLO,
            format!("SLO: availability >= {slo_a}"),
        )
        .dashed(),
    ];
    if let Some(w) = wall_users(report) {
        lines.push(wall_line(
            w,
            &y.range,
            PALETTE[2],
            format!("wall: {} users", thousands(w)),
        ));
    }
    let plot = Plot {
        title: format!("{}: availability as users grow", report.scenario.name),
        x: Axis::log(x, "users"),
        y,
        lines,
    };
    Some(render(|root| plot.draw(&root)).map_err(|e| format!("cannot draw availability.png: {e}")))
}

/// The monthly bill per 1,000 users against users (log-log), whole bill and
/// instance-hours; `None` when traffic is not in users or there is one checkpoint.
pub fn cost_png(report: &RunReport) -> Option<Result<Vec<u8>, String>> {
    let users = users(report)?;
    let per_1k = |f: &dyn Fn(&CheckpointResult) -> f64| -> Vec<(f64, f64)> {
        users
            .iter()
            .zip(&report.checkpoints)
            .map(|(u, c)| (*u, f(c) / u * 1000.0))
            .collect()
    };
    let total = per_1k(&|c| c.cost_usd_month);
    let instances = per_1k(&|c| c.instance_cost_usd_month());
    let y = log_range(total.iter().chain(&instances).map(|p| p.1));
    let mut lines = vec![
        Line::new(total, PALETTE[0], "whole bill").dotted(),
        Line::new(instances, PALETTE[3], "instance-hours (EC2, RDS)"),
    ];
    if let Some(w) = wall_users(report) {
        lines.push(wall_line(
            w,
            &y,
            PALETTE[2],
            format!(
                "wall: {} users (beyond: over capacity, not the design's cost)",
                thousands(w)
            ),
        ));
    }
    let plot = Plot {
        title: format!("{}: monthly cost per 1,000 users", report.scenario.name),
        x: Axis::log(log_range(users.iter().copied()), "users"),
        y: Axis::log(y, "USD per month per 1,000 users"),
        lines,
    };
    Some(render(|root| plot.draw(&root)).map_err(|e| format!("cannot draw cost.png: {e}")))
}

/// The three overlaid charts of a comparison (designs whose traffic is in
/// users, one line each, each wall marked in its colour): p99 latency,
/// availability and cost per 1,000 users against users. Empty when no
/// design has users along a horizon.
pub fn compare_charts(c: &Comparison) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let designs: Vec<(usize, &crate::run::compare::DesignResult, Vec<f64>)> = c
        .designs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| users(&d.report).map(|u| (i, d, u)))
        .collect();
    if designs.is_empty() {
        return Ok(vec![]);
    }
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    let x = log_range(designs.iter().flat_map(|(_, _, u)| u.iter().copied()));
    let series = |f: &dyn Fn(&CheckpointResult, f64) -> Option<f64>| -> Vec<Vec<(f64, f64)>> {
        designs
            .iter()
            .map(|(_, d, u)| {
                u.iter()
                    .zip(&d.report.checkpoints)
                    .filter_map(|(u, cp)| f(cp, *u).map(|y| (*u, y)))
                    .collect()
            })
            .collect()
    };
    let lines_for = |data: Vec<Vec<(f64, f64)>>, y: &Range<f64>| -> Vec<Line> {
        let mut lines = Vec::new();
        for ((i, d, _), points) in designs.iter().zip(data) {
            let label = match wall_users(&d.report) {
                Some(w) => format!("{} (wall {})", d.design, thousands(w)),
                None => d.design.clone(),
            };
            lines.push(Line::new(points, color(*i), label).dotted());
            if let Some(w) = wall_users(&d.report) {
                lines.push(wall_line(w, y, color(*i), String::new()));
            }
        }
        lines
    };
    let first = &designs[0].1.report;
    let slo = first.scenario.simulation.slo;
    // Latency.
    let p99 = series(&|cp, _| served(cp).then_some(cp.window.latency.p99_ms));
    let slo_ms = slo.p99.as_millis_f64();
    let y = log_range(p99.iter().flatten().map(|p| p.1).chain([slo_ms]));
    let mut lines = lines_for(p99, &y);
    lines.push(
        Line::new(
            vec![(x.start, slo_ms), (x.end, slo_ms)],
            SLO,
            format!("SLO: p99 <= {slo_ms} ms"),
        )
        .dashed(),
    );
    let latency = Plot {
        title: "p99 latency as users grow, by design".into(),
        x: Axis::log(x.clone(), "users"),
        y: Axis::log(y, "p99 latency [ms]"),
        lines,
    };
    // Availability.
    let avail = series(&|cp, _| Some(nines(cp.availability())));
    let y = nines_axis(
        avail
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain([nines(slo.availability)]),
    );
    let mut lines = lines_for(avail, &y.range);
    lines.push(
        Line::new(
            vec![
                (x.start, nines(slo.availability)),
                (x.end, nines(slo.availability)),
            ],
            SLO,
            format!("SLO: availability >= {}", slo.availability),
        )
        .dashed(),
    );
    let availability = Plot {
        title: "Availability as users grow, by design".into(),
        x: Axis::log(x.clone(), "users"),
        y,
        lines,
    };
    // Cost per 1,000 users.
    let cost = series(&|cp, u| Some(cp.cost_usd_month / u * 1000.0));
    let y = log_range(cost.iter().flatten().map(|p| p.1));
    let lines = lines_for(cost, &y);
    let cost = Plot {
        title: "Monthly cost per 1,000 users as users grow, by design".into(),
        x: Axis::log(x, "users"),
        y: Axis::log(y, "USD per month per 1,000 users"),
        lines,
    };
    let draw = |name: &'static str, plot: Plot| {
        render(|root| plot.draw(&root))
            .map(|bytes| (name, bytes))
            .map_err(|e| format!("cannot draw {name}: {e}"))
    };
    Ok(vec![
        draw("compare_latency.png", latency)?,
        draw("compare_availability.png", availability)?,
        draw("compare_cost.png", cost)?,
    ])
}

/// The figure of each point (the most users within the SLO when `in_users`,
/// else the monthly bill) against the first key's values, one line per
/// value of the second key when there is one. `points` hold their values
/// of `keys`, in key order.
pub fn sweep_png(
    keys: &[String],
    points: &[(Vec<String>, f64)],
    in_users: bool,
) -> Result<Vec<u8>, String> {
    let mut xs: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for (values, _) in points {
        let x = values.first().cloned().unwrap_or_default();
        if !xs.contains(&x) {
            xs.push(x);
        }
        let g = values.get(1).cloned().unwrap_or_default();
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let mut lines = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter(|(v, _)| v.get(1).cloned().unwrap_or_default() == *g)
            .filter_map(|(v, y)| {
                let xi = xs.iter().position(|x| Some(x) == v.first())?;
                (*y > 0.0).then_some((xi as f64, *y))
            })
            .collect();
        let label = match keys.get(1) {
            Some(k) => format!("{k} = {g}"),
            None => String::new(),
        };
        lines.push(Line::new(pts, PALETTE[gi % PALETTE.len()], label).dotted());
    }
    let y = log_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let first_key = keys.first().cloned().unwrap_or_default();
    let labels = xs.clone();
    let mut x = Axis::linear(-0.5..xs.len() as f64 - 0.5, &first_key, |_| String::new());
    x.format = Box::new(move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    });
    x.ticks = Some((0..xs.len()).map(|i| i as f64).collect());
    let (what, unit) = if in_users {
        ("The wall", "most users within the SLO")
    } else {
        ("The monthly bill", "USD per month")
    };
    let plot = Plot {
        title: match keys.get(1) {
            Some(k) => format!("{what} by {first_key} and {k}"),
            None => format!("{what} by {first_key}"),
        },
        x,
        y: Axis::log(y, unit),
        lines,
    };
    render(|root| plot.draw(&root)).map_err(|e| format!("cannot draw the sweep chart: {e}"))
}

/// The ladder chart: each rung's most users within the SLO (its wall, or
/// the most users simulated when the SLO held throughout; the bill at the
/// last checkpoint when traffic is a rate) against the ladder's values.
pub fn ladder_png(key: &str, rungs: &[(String, RunReport)]) -> Result<Vec<u8>, String> {
    let in_users = rungs
        .iter()
        .any(|(_, r)| r.checkpoints.iter().any(|c| c.checkpoint.users.is_some()));
    let points: Vec<(Vec<String>, f64)> = rungs
        .iter()
        .filter_map(|(label, r)| {
            let y = if in_users {
                r.wall.as_ref().map(|w| w.users).or_else(|| {
                    r.checkpoints
                        .iter()
                        .filter_map(|c| c.checkpoint.users)
                        .reduce(f64::max)
                })
            } else {
                r.checkpoints.last().map(|c| c.cost_usd_month)
            };
            y.map(|y| (vec![label.clone()], y))
        })
        .collect();
    sweep_png(&[key.to_string()], &points, in_users)
}

/// Where scaling up stops paying: each rung's cost per 1,000 users per
/// month (at its wall) against its wall, both on log axes, the rungs joined
/// in ladder order. `None` when no rung has a wall in users.
pub fn ladder_cost_png(
    key: &str,
    rungs: &[(String, RunReport)],
) -> Result<Option<Vec<u8>>, String> {
    let pts: Vec<(f64, f64)> = rungs
        .iter()
        .filter_map(|(_, r)| {
            let g = super::rung(r);
            let users = g.users.filter(|u| *u > 0.0)?;
            Some((users, g.per_1k(g.cost)?))
        })
        .filter(|(_, c)| *c > 0.0)
        .collect();
    if pts.is_empty() {
        return Ok(None);
    }
    let x = log_range(pts.iter().map(|p| p.0));
    let y = log_range(pts.iter().map(|p| p.1));
    let names: Vec<&str> = rungs.iter().map(|(v, _)| v.as_str()).collect();
    let plot = Plot {
        title: format!("Cost per 1,000 users against the wall, by {key}"),
        x: Axis::log(x, "the wall: most users within the SLO"),
        y: Axis::log(y, "USD per 1,000 users per month"),
        lines: vec![Line::new(pts, PALETTE[0], names.join(" -> ")).dotted()],
    };
    render(|root| plot.draw(&root))
        .map(Some)
        .map_err(|e| format!("cannot draw the ladder cost chart: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(human(&250.0), "250");
        assert_eq!(human(&1500.0), "1.5k");
        assert_eq!(human(&10_000_000.0), "10M");
        assert_eq!(human(&0.5), "0.5");
        assert_eq!(human(&0.02), "0.02");
    }

    #[test]
    fn clock_times_and_nines() {
        assert_eq!(clock(&0.0), "00:00");
        assert_eq!(clock(&(19.0 * 60.0 + 57.0)), "19:57");
        assert_eq!(clock(&(1440.0 + 61.0)), "01:01");
        assert_eq!(nines_label(&3.0), "99.9%");
        assert_eq!(nines_label(&0.0), "0%");
        assert!((nines(0.999) - 3.0).abs() < 1e-9);
        assert_eq!(nines(1.0), MAX_NINES);
        assert_eq!(nines(0.0), 0.0);
    }

    #[test]
    fn log_axes_get_ticks_below_100_ms() {
        let t = log_ticks(&(30.0..700.0));
        assert_eq!(t, vec![50.0, 100.0, 200.0, 500.0]);
        let t = log_ticks(&(1.0..1e7));
        assert_eq!(t.len(), 8);
        assert!(log_ticks(&(0.0..1.0)).is_empty());
        assert_eq!(
            clock_ticks(&(1190.0..1200.0)),
            (1190..=1200).map(f64::from).collect::<Vec<_>>()
        );
        assert_eq!(clock_ticks(&(0.0..240.0)).len(), 9, "every 30 minutes");
    }

    #[test]
    fn log_ranges_hold_their_values() {
        let r = log_range([3.0, 300.0].into_iter());
        assert!(r.start < 3.0 && r.end > 300.0);
        let r = log_range([5.0, 5.0].into_iter());
        assert!(r.start < 5.0 && r.end > 5.0);
        assert_eq!(log_range(std::iter::empty()), 1.0..10.0);
    }
}
