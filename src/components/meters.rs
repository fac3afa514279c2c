//! Live meters measured inside the worklet chain: output peak per channel,
//! momentary and short-term loudness (BS.1770), limiter gain reduction and
//! stereo correlation.

use crate::app::use_state;
use leptos::prelude::*;

/// Lowest level the bars show, dBFS.
const FLOOR_DB: f32 = -60.0;

fn to_db(x: f32) -> f32 {
    if x > 0.0 { 20.0 * x.log10() } else { f32::NEG_INFINITY }
}

fn bar_pct(db: f32) -> f32 {
    ((db - FLOOR_DB) / -FLOOR_DB * 100.0).clamp(0.0, 100.0)
}

fn fmt_db(db: f32) -> String {
    if db.is_finite() { format!("{db:.1}") } else { "−∞".into() }
}

/// Loudness for display: below BS.1770's −70 LUFS absolute gate (silence, or
/// only the dither's noise floor) reads −∞.
fn fmt_lufs(v: Option<f32>) -> String {
    match v {
        Some(v) if v >= -70.0 => format!("{v:.1} LUFS"),
        _ => "−∞ LUFS".into(),
    }
}

/// Limiter gain reduction as a level change: "−1.2 dB", and "0.0 dB" (not
/// "−0.0") when the limiter is not working.
fn fmt_gr(db: f32) -> String {
    if db >= 0.05 {
        format!("−{db:.1} dB")
    } else {
        "0.0 dB".into()
    }
}

fn lufs_attr(v: Option<f32>) -> String {
    v.map_or(String::new(), |v| format!("{v:.2}"))
}

/// One horizontal peak bar.
#[component]
fn PeakBar(
    /// Channel label.
    label: &'static str,
    /// Peak level, dBFS.
    db: Signal<f32>,
) -> impl IntoView {
    view! {
        <div class="meter-row">
            <span class="meter-label">{label}</span>
            <div class="bar"><div class="fill" class:hot=move || { db.get() > -1.0 }
                style:width=move || format!("{:.1}%", bar_pct(db.get()))></div></div>
            <span class="meter-value">{move || fmt_db(db.get())}</span>
        </div>
    }
}

/// The meter panel.
#[component]
pub fn Meters() -> impl IntoView {
    let state = use_state();
    let m = state.meters;
    let l = Signal::derive(move || to_db(m.get().peak[0]));
    let r = Signal::derive(move || to_db(m.get().peak[1]));
    view! {
        <div class="card meters" data-testid="meters" data-reports=move || state.meter_reports.get().to_string()>
            <h2>"Output"</h2>
            <PeakBar label="L" db=l/>
            <PeakBar label="R" db=r/>
            <div class="scale"><span>"−60"</span><span>"−40"</span><span>"−20"</span><span>"0 dBFS"</span></div>
            <div class="readouts">
                <div><span class="k">"Momentary"</span>
                    <span class="v" data-testid="live-momentary" data-lufs=move || lufs_attr(m.get().momentary_lufs)>
                        {move || fmt_lufs(m.get().momentary_lufs)}</span></div>
                <div><span class="k">"Short-term"</span>
                    <span class="v" data-testid="live-short-term" data-lufs=move || lufs_attr(m.get().short_term_lufs)>
                        {move || fmt_lufs(m.get().short_term_lufs)}</span></div>
                <div><span class="k">"Limiter"</span>
                    <span class="v" data-testid="limiter-gr">{move || fmt_gr(m.get().limiter_gr_db)}</span></div>
                <div><span class="k">"Correlation"</span>
                    <span class="v">{move || format!("{:+.2}", m.get().correlation)}</span></div>
                <div><span class="k">"Chain"</span>
                    <span class="v" data-testid="worklet-frames" data-frames=move || m.get().frames.to_string()>
                        {move || format!("{:.1} s", m.get().frames / state.file.with(|f| f.as_ref().map_or(48_000.0, |f| f.sample_rate as f64)))}
                    </span></div>
            </div>
        </div>
    }
}
