//! Live meters, measured inside the worklet chain and reported about 30
//! times a second: the output's true peak per channel (BS.1770, 4×
//! oversampled) with a peak hold that turns red over the ceiling and resets
//! on click; momentary, short-term and integrated loudness (since play
//! started, with a reset); compressor and limiter gain reduction; stereo
//! correlation. Idle meters read −∞ or a dash, never a dither-floor number.

use crate::app::use_state;
use leptos::prelude::*;

/// Lowest level the bars show, dBFS.
const FLOOR_DB: f32 = -60.0;
/// Below this the output is silence plus dither: shown as −∞, dB.
const SILENCE_DB: f32 = -100.0;

fn to_db(x: f32) -> f32 {
    if x > 0.0 { 20.0 * x.log10() } else { f32::NEG_INFINITY }
}

fn bar_pct(db: f32) -> f32 {
    ((db - FLOOR_DB) / -FLOOR_DB * 100.0).clamp(0.0, 100.0)
}

fn fmt_db(db: f32) -> String {
    if db.is_finite() && db > SILENCE_DB { format!("{db:.1}") } else { "−∞".into() }
}

/// Loudness for display: below BS.1770's −70 LUFS absolute gate (silence, or
/// only the dither's noise floor) reads −∞.
fn fmt_lufs(v: Option<f32>) -> String {
    match v {
        Some(v) if v >= -70.0 => format!("{v:.1} LUFS"),
        _ => "−∞ LUFS".into(),
    }
}

/// Gain reduction as a level change: "−1.2 dB", and "0.0 dB" (not "−0.0")
/// when nothing is reduced.
fn fmt_gr(db: f32) -> String {
    if db >= 0.05 { format!("−{db:.1} dB") } else { "0.0 dB".into() }
}

fn lufs_attr(v: Option<f32>) -> String {
    v.map_or(String::new(), |v| format!("{v:.2}"))
}

/// One channel's true-peak bar and its held peak.
#[component]
fn PeakBar(
    /// Channel label.
    label: &'static str,
    /// True peak of the last meter period, dBTP.
    db: Signal<f32>,
    /// Held peak since the last reset, dBTP.
    hold: RwSignal<f32>,
    /// The ceiling the hold turns red over, dBTP.
    ceiling_dbtp: f32,
) -> impl IntoView {
    view! {
        <div class="meter-row">
            <span class="meter-label">{label}</span>
            <div class="bar"><div class="fill" class:hot=move || { db.get() > ceiling_dbtp }
                style:width=move || format!("{:.1}%", bar_pct(db.get()))></div>
                <div class="hold-mark" style:left=move || format!("{:.1}%", bar_pct(hold.get()))></div></div>
            <button class="meter-value hold" class:over=move || { hold.get() > ceiling_dbtp }
                data-testid=format!("tp-hold-{}", label.to_lowercase())
                title="Peak hold, dBTP: click to reset"
                aria-label=move || format!("{label} true-peak hold {} dBTP; reset", fmt_db(hold.get()))
                on:click=move |_| hold.set(f32::NEG_INFINITY)>
                {move || fmt_db(hold.get())}
            </button>
        </div>
    }
}

/// The meter panel.
#[component]
pub fn Meters() -> impl IntoView {
    let state = use_state();
    let handle = expect_context::<crate::app::EngineHandle>();
    let m = state.meters;
    let ceiling = lacquer_dsp::loudness::target::Target::default().ceiling_dbtp as f32;
    let l = Signal::derive(move || to_db(m.get().true_peak[0]));
    let r = Signal::derive(move || to_db(m.get().true_peak[1]));
    let (hold_l, hold_r) = (RwSignal::new(f32::NEG_INFINITY), RwSignal::new(f32::NEG_INFINITY));
    Effect::new(move |_| {
        let (a, b) = (l.get(), r.get());
        if a > hold_l.get_untracked() {
            hold_l.set(a);
        }
        if b > hold_r.get_untracked() {
            hold_r.set(b);
        }
    });
    // A new file starts with fresh holds.
    Effect::new(move |_| {
        state.file.track();
        hold_l.set(f32::NEG_INFINITY);
        hold_r.set(f32::NEG_INFINITY);
    });
    view! {
        <div class="card meters" data-testid="meters" data-reports=move || state.meter_reports.get().to_string()>
            <h2>"Output · true peak"</h2>
            <PeakBar label="L" db=l hold=hold_l ceiling_dbtp=ceiling/>
            <PeakBar label="R" db=r hold=hold_r ceiling_dbtp=ceiling/>
            <div class="scale"><span>"−60"</span><span>"−40"</span><span>"−20"</span><span>"0 dBTP"</span></div>
            <div class="readouts">
                <div><span class="k">"Momentary"</span>
                    <span class="v" data-testid="live-momentary" data-lufs=move || lufs_attr(m.get().momentary_lufs)>
                        {move || fmt_lufs(m.get().momentary_lufs)}</span></div>
                <div><span class="k">"Short-term"</span>
                    <span class="v" data-testid="live-short-term" data-lufs=move || lufs_attr(m.get().short_term_lufs)>
                        {move || fmt_lufs(m.get().short_term_lufs)}</span></div>
                <div><span class="k">"Integrated"</span>
                    <span class="v" data-testid="live-integrated" data-lufs=move || lufs_attr(m.get().integrated_lufs)>
                        {move || fmt_lufs(m.get().integrated_lufs)}</span>
                    <button class="link" title="Restart the integrated loudness" data-testid="reset-integrated"
                        on:click=move |_| handle.with_value(|e| e.reset_integrated())>"reset"</button></div>
                <div><span class="k">"Compressor"</span>
                    <span class="v" data-testid="comp-gr">{move || fmt_gr(m.get().comp_gr_db)}</span></div>
                <div><span class="k">"Limiter"</span>
                    <span class="v" data-testid="limiter-gr">{move || fmt_gr(m.get().limiter_gr_db)}</span></div>
                <div><span class="k">"Correlation"</span>
                    <span class="v">{move || if state.playing.get() { format!("{:+.2}", m.get().correlation) } else { "—".into() }}</span></div>
                <div><span class="k">"Chain"</span>
                    <span class="v" data-testid="worklet-frames" data-frames=move || m.get().frames.to_string()>
                        {move || format!("{:.1} s", m.get().frames / state.file.with(|f| f.as_ref().map_or(48_000.0, |f| f.sample_rate as f64)))}
                    </span></div>
            </div>
        </div>
    }
}
