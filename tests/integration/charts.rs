//! Every chart decodes as a PNG and draws something.

use crate::compare::growing;
use simscale::report::charts;
use simscale::run::compare::{DesignInput, compare};
use simscale::run::{RunOptions, simulate};
use simscale::scenario::parse;

/// Decodes `bytes` and checks the picture: 1000 pixels wide, and neither
/// blank nor one colour (text, lines and the SLO's orange all show).
fn assert_drawn(name: &str, bytes: &[u8]) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 1000, "{name}");
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        inked > pixels.len() / 100,
        "{name}: almost blank ({inked} pixels)"
    );
    let orange = pixels.iter().filter(|p| **p == [230, 120, 0]).count();
    let mut colours: Vec<&[u8]> = pixels.clone();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 10, "{name}: {} colours", colours.len());
    if name != "cost" && name != "compare_cost.png" && name != "sweep" {
        assert!(orange > 100, "{name}: no SLO line");
    }
}

#[test]
fn every_chart_decodes_and_is_not_blank() {
    let s = parse(&growing("g", "m5.large", 1), "g").unwrap();
    let r = simulate(&s, &RunOptions::default()).unwrap();
    assert_drawn("latency", &charts::latency_png(&r).unwrap());
    assert_drawn(
        "availability",
        &charts::availability_png(&r).unwrap().unwrap(),
    );
    assert_drawn("cost", &charts::cost_png(&r).unwrap().unwrap());
    // One steady window: latency against the clock.
    let steady = parse(
        "name = \"steady\"\n[simulation]\nwindow = \"10m\"\nwarmup = \"1m\"\n[traffic]\nrate = 30.0\n[web]\ninstance = \"m5.large\"\n",
        "steady",
    )
    .unwrap();
    let steady = simulate(&steady, &RunOptions::default()).unwrap();
    assert_drawn("latency by minute", &charts::latency_png(&steady).unwrap());
    assert!(charts::availability_png(&steady).is_none());
    // Compare: three overlaid charts.
    let designs: Vec<DesignInput> = [("a", 1), ("b", 2)]
        .iter()
        .map(|(n, count)| DesignInput {
            design: n.to_string(),
            file: format!("{n}.toml"),
            scenario: parse(&growing(n, "m5.large", *count), n).unwrap(),
        })
        .collect();
    let c = compare(&designs, None, &RunOptions::default()).unwrap();
    let drawn = charts::compare_charts(&c).unwrap();
    assert_eq!(drawn.len(), 3);
    for (name, bytes) in &drawn {
        assert_drawn(name, bytes);
    }
    // A sweep over two keys.
    let keys = vec!["web.instance".to_string(), "web.count".to_string()];
    let points: Vec<(Vec<String>, f64)> = vec![
        (vec!["m5.large".into(), "1".into()], 1000.0),
        (vec!["m5.xlarge".into(), "1".into()], 2000.0),
        (vec!["m5.large".into(), "2".into()], 2100.0),
        (vec!["m5.xlarge".into(), "2".into()], 4300.0),
    ];
    assert_drawn("sweep", &charts::sweep_png(&keys, &points, true).unwrap());
    assert_drawn(
        "sweep",
        &charts::sweep_png(&keys[..1], &points[..2], false).unwrap(),
    );
}
