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

/// p50 and p99 latency against users (log-log), with the SLO's p99 bound
/// and the wall; for a single checkpoint, p50 and p99 minute by minute.
pub fn latency_png(report: &RunReport) -> Result<Vec<u8>, String> {
    render(|root| match users(report) {
        Some(users) => latency_by_users(report, &users, &root),
        None => latency_by_minute(report, &root),
    })
    .map_err(|e| format!("cannot draw latency.png: {e}"))
}

fn latency_by_users(
    report: &RunReport,
    users: &[f64],
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> Fallible<()> {
    let slo = report.scenario.simulation.slo.p99.as_millis_f64();
    let served = |i: usize| report.checkpoints[i].window.counts.served > 0;
    let p50: Vec<(f64, f64)> = (0..users.len())
        .filter(|&i| served(i))
        .map(|i| (users[i], report.checkpoints[i].window.latency.p50_ms))
        .collect();
    let p99: Vec<(f64, f64)> = (0..users.len())
        .filter(|&i| served(i))
        .map(|i| (users[i], report.checkpoints[i].window.latency.p99_ms))
        .collect();
    let x = log_range(users.iter().copied());
    let y = log_range(p50.iter().chain(&p99).map(|p| p.1).chain([slo]));
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: latency as users grow", report.scenario.name),
            (FONT, 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone().log_scale(), y.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc("users")
        .y_desc("latency [ms]")
        .x_label_formatter(&human)
        .y_label_formatter(&human)
        .label_style((FONT, 15))
        .draw()?;
    chart
        .draw_series(LineSeries::new(p50.clone(), BLUE.stroke_width(2)))?
        .label("p50")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(p50.iter().map(|p| Circle::new(*p, 3, BLUE.filled())))?;
    chart
        .draw_series(LineSeries::new(p99.clone(), RED.stroke_width(2)))?
        .label("p99")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart.draw_series(p99.iter().map(|p| Circle::new(*p, 3, RED.filled())))?;
    chart
        .draw_series(LineSeries::new(
            [(x.start, slo), (x.end, slo)],
            BLACK.mix(0.6),
        ))?
        .label(format!("SLO p99 {slo} ms"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    if let Some(w) = report.wall.as_ref().filter(|w| w.users > 0.0) {
        chart
            .draw_series(LineSeries::new(
                [(w.users, y.start), (w.users, y.end)],
                GREEN.stroke_width(2),
            ))?
            .label(format!("wall: {:.0} users", w.users))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

fn latency_by_minute(
    report: &RunReport,
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> Fallible<()> {
    let Some(cp) = report.checkpoints.first() else {
        return Ok(());
    };
    let rows = &cp.window.timeline;
    let pts = |f: fn(&crate::metrics::Latency) -> f64| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|m| m.latency.as_ref().map(|l| (m.minute as f64, f(l))))
            .collect()
    };
    let p50 = pts(|l| l.p50_ms);
    let p99 = pts(|l| l.p99_ms);
    let slo = report.scenario.simulation.slo.p99.as_millis_f64();
    let x = 0.0..(rows.len().max(1) as f64);
    let y = log_range(p50.iter().chain(&p99).map(|p| p.1).chain([slo]));
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: latency minute by minute", report.scenario.name),
            (FONT, 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), y.log_scale())?;
    chart
        .configure_mesh()
        .x_desc("minute of the window")
        .y_desc("latency [ms]")
        .y_label_formatter(&human)
        .label_style((FONT, 15))
        .draw()?;
    chart
        .draw_series(LineSeries::new(p50, BLUE.stroke_width(2)))?
        .label("p50")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(p99, RED.stroke_width(2)))?
        .label("p99")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            [(x.start, slo), (x.end, slo)],
            BLACK.mix(0.6),
        ))?
        .label(format!("SLO p99 {slo} ms"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

/// The monthly bill per 1,000 users against users (log-log), whole bill and
/// instance-hours; `None` when traffic is not in users or there is one checkpoint.
pub fn cost_png(report: &RunReport) -> Option<Result<Vec<u8>, String>> {
    let users = users(report)?;
    let per_1k = |f: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
        (0..users.len())
            .map(|i| (users[i], f(i) / users[i] * 1000.0))
            .collect()
    };
    let total = per_1k(&|i| report.checkpoints[i].cost_usd_month);
    let instances = per_1k(&|i| report.checkpoints[i].instance_cost_usd_month());
    Some(
        render(|root| {
            let x = log_range(users.iter().copied());
            let y = log_range(total.iter().chain(&instances).map(|p| p.1));
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("{}: monthly cost per 1,000 users", report.scenario.name),
                    (FONT, 22),
                )
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x.log_scale(), y.log_scale())?;
            chart
                .configure_mesh()
                .x_desc("users")
                .y_desc("USD per month per 1,000 users")
                .x_label_formatter(&human)
                .y_label_formatter(&human)
                .label_style((FONT, 15))
                .draw()?;
            chart
                .draw_series(LineSeries::new(total, BLUE.stroke_width(2)))?
                .label("whole bill")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
            chart
                .draw_series(LineSeries::new(instances, MAGENTA.stroke_width(2)))?
                .label("instance-hours (EC2, RDS)")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], MAGENTA.stroke_width(2))
                });
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 15))
                .draw()?;
            Ok(())
        })
        .map_err(|e| format!("cannot draw cost.png: {e}")),
    )
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
