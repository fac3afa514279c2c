//! The loudness-over-time graph as inline SVG: short-term loudness (3 s) as
//! a line, momentary (400 ms) as a fainter line under it, the target as a
//! dashed line, with labelled axes (time in m:ss, loudness in LUFS). Colours
//! are attributes, so the graph reads the same pasted anywhere, and prints.
//!
//! Long curves are thinned to at most [`MAX_POINTS`] points, each the
//! loudest reading of its stretch, so no peak is lost.

use super::report_json::LoudnessCurve;
use std::fmt::Write;

/// Width of the graph, px.
const W: f64 = 760.0;
/// Height of the graph, px.
const H: f64 = 280.0;
/// Left margin (loudness labels), px.
const LEFT: f64 = 56.0;
/// Right margin, px.
const RIGHT: f64 = 14.0;
/// Top margin (the legend), px.
const TOP: f64 = 22.0;
/// Bottom margin (time labels), px.
const BOTTOM: f64 = 40.0;
/// Loudness shown, LU (from the top of the scale down).
const SPAN_LU: f64 = 36.0;
/// Most points drawn per line.
pub const MAX_POINTS: usize = 1500;

/// The loudest reading of each of at most `max` stretches, with its time
/// (the stretch's start), s.
fn thin(curve: &[Option<f64>], interval_s: f64, max: usize) -> Vec<(f64, Option<f64>)> {
    let step = curve.len().div_ceil(max.max(1)).max(1);
    curve
        .chunks(step)
        .enumerate()
        .map(|(i, c)| {
            let v = c.iter().flatten().copied().fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            // A reading stands for the end of its interval.
            ((i * step + 1) as f64 * interval_s, v)
        })
        .collect()
}

/// A number with a real minus sign.
fn minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => s,
    }
}

/// `m:ss`.
fn clock(s: f64) -> String {
    let s = s.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// The path of a line through the points, broken where a reading is missing
/// (silence), clamped to the bottom of the scale.
fn path(points: &[(f64, Option<f64>)], x: impl Fn(f64) -> f64, y: impl Fn(f64) -> f64) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for &(t, v) in points {
        match v {
            Some(v) => {
                let _ = write!(d, "{}{:.1},{:.1}", if pen_down { 'L' } else { 'M' }, x(t), y(v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// The graph of `curve` over `duration_s` seconds, as an `<svg>` element.
pub fn loudness_graph(curve: &LoudnessCurve, duration_s: f64) -> String {
    let top_reading = curve
        .short_term_lufs
        .iter()
        .chain(&curve.momentary_lufs)
        .flatten()
        .copied()
        .chain(curve.target_lufs)
        .fold(f64::NEG_INFINITY, f64::max);
    // Top of the scale: 2 LU over the loudest reading, rounded up to 6 LU, at most 0.
    let y_max = if top_reading.is_finite() { (((top_reading + 2.0) / 6.0).ceil() * 6.0).min(0.0) } else { 0.0 };
    let y_min = y_max - SPAN_LU;
    let duration = duration_s.max(curve.interval_s);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: f64| LEFT + pw * (t / duration).clamp(0.0, 1.0);
    let y = |v: f64| TOP + ph * ((y_max - v) / SPAN_LU).clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" \
         role=\"img\" aria-label=\"Loudness over time of {}\" font-family=\"sans-serif\" font-size=\"11\">",
        super::report_html::escape(&curve.file)
    );
    let _ = write!(s, "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"#fafafa\" stroke=\"#999\"/>");
    // Loudness grid and labels, every 6 LU.
    let mut v = y_max;
    while v >= y_min - 1e-9 {
        let yy = y(v);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            LEFT + pw,
            LEFT - 6.0,
            yy + 4.0,
            minus(format!("{:.0}", v + 0.0))
        );
        v -= 6.0;
    }
    // Time grid: the first step that gives at most 10 intervals.
    let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0]
        .into_iter()
        .find(|st| duration / st <= 10.0)
        .unwrap_or(3600.0);
    let mut t = 0.0;
    while t <= duration + 1e-9 {
        let xx = x(t);
        let _ = write!(
            s,
            "<line x1=\"{xx:.1}\" y1=\"{TOP}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
             <text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            TOP + ph,
            TOP + ph + 15.0,
            clock(t)
        );
        t += step;
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">time (m:ss)</text>\
         <text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\" transform=\"rotate(-90 14 {:.1})\">LUFS</text>",
        LEFT + pw / 2.0,
        H - 6.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    let momentary = thin(&curve.momentary_lufs, curve.interval_s, MAX_POINTS);
    let short = thin(&curve.short_term_lufs, curve.interval_s, MAX_POINTS);
    let _ = write!(
        s,
        "<path d=\"{}\" fill=\"none\" stroke=\"#9db7d5\" stroke-width=\"0.8\"/>\
         <path d=\"{}\" fill=\"none\" stroke=\"#1f4e8c\" stroke-width=\"1.6\"/>",
        path(&momentary, x, y),
        path(&short, x, y)
    );
    if let Some(target) = curve.target_lufs {
        let yy = y(target);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#c0392b\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>",
            LEFT + pw,
        );
    }
    // Legend, above the plot.
    let _ = write!(
        s,
        "<g transform=\"translate({LEFT} 8)\" fill=\"#333\"><line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#1f4e8c\" stroke-width=\"1.6\"/>\
         <text x=\"22\" y=\"4\">short-term (3 s)</text>\
         <line x1=\"130\" y1=\"0\" x2=\"148\" y2=\"0\" stroke=\"#9db7d5\"/><text x=\"152\" y=\"4\">momentary (400 ms)</text>",
    );
    if let Some(target) = curve.target_lufs {
        let _ = write!(
            s,
            "<line x1=\"280\" y1=\"0\" x2=\"298\" y2=\"0\" stroke=\"#c0392b\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\
             <text x=\"302\" y=\"4\">target {} LUFS</text>",
            minus(format!("{target:.1}"))
        );
    }
    s.push_str("</g>");
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_axes_lines_and_target() {
        let c = LoudnessCurve {
            file: "a<b>.wav".into(),
            interval_s: 0.1,
            short_term_lufs: (0..600).map(|i| if i < 10 { None } else { Some(-14.0 - (i % 50) as f64 * 0.1) }).collect(),
            momentary_lufs: (0..600).map(|i| Some(-12.0 - (i % 7) as f64)).collect(),
            target_lufs: Some(-14.0),
        };
        let svg = loudness_graph(&c, 60.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&lt;b&gt;.wav"));
        assert!(svg.contains("target \u{2212}14.0 LUFS"));
        assert!(svg.contains(">1:00<") && svg.contains(">0:00<"));
        assert!(svg.contains("stroke-dasharray"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Same curve, same text.
        assert_eq!(svg, loudness_graph(&c, 60.0));
        let long = LoudnessCurve { short_term_lufs: vec![Some(-10.0); 36_000], ..c };
        assert!(thin(&long.short_term_lufs, 0.1, MAX_POINTS).len() <= MAX_POINTS);
    }
}
