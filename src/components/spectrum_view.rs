//! The real-time spectrum analyser: the chain's input (the mix) and output
//! (the master) overlaid, with peak-hold lines, on a log frequency axis from
//! 20 Hz to 20 kHz. Computed in Rust with `realfft` inside the worklet's
//! wasm, about 30 times a second; this view only draws it. The slope (0, 3 or
//! 4.5 dB/octave about 1 kHz) and the smoothing (1/3, 1/6 or 1/12 octave)
//! are set in the worklet.

use super::canvas;
use crate::app::use_state;
use crate::state::SpectrumSettings;
use leptos::html::Canvas;
use leptos::prelude::*;

/// Frequency range drawn, Hz.
const LOW_HZ: f64 = 20.0;
const HIGH_HZ: f64 = 20_000.0;
/// Level range drawn, dB.
const TOP_DB: f64 = 6.0;
const BOTTOM_DB: f64 = -96.0;

/// x (CSS px) of `hz` on the log axis.
pub fn x_of_hz(hz: f64, width: f64) -> f64 {
    (hz.max(1.0) / LOW_HZ).log2() / (HIGH_HZ / LOW_HZ).log2() * width
}

fn y_of_db(db: f64, h: f64) -> f64 {
    ((TOP_DB - db) / (TOP_DB - BOTTOM_DB)).clamp(0.0, 1.0) * h
}

fn draw_line(s: &canvas::Surface, freqs: &[f32], db: &[f32], stroke: &str, width: f64) {
    s.ctx.set_stroke_style_str(stroke);
    s.ctx.set_line_width(width);
    s.ctx.begin_path();
    let mut pen = false;
    for (f, v) in freqs.iter().zip(db) {
        let (f, v) = (*f as f64, *v as f64);
        if !(LOW_HZ..=HIGH_HZ).contains(&f) || !v.is_finite() {
            pen = false;
            continue;
        }
        let (x, y) = (x_of_hz(f, s.w), y_of_db(v, s.h));
        if pen {
            s.ctx.line_to(x, y);
        } else {
            s.ctx.move_to(x, y);
            pen = true;
        }
    }
    s.ctx.stroke();
}

/// The analyser view with its settings.
#[component]
pub fn SpectrumView() -> impl IntoView {
    let state = use_state();
    let handle = expect_context::<crate::app::EngineHandle>();
    let canvas_ref = NodeRef::<Canvas>::new();
    let size = canvas::observed_size(canvas_ref);

    Effect::new(move |_| {
        let Some(c) = canvas_ref.get() else { return };
        let Some(s) = canvas::surface(&c, size.get()) else { return };
        s.ctx.set_font("10px system-ui, sans-serif");
        for hz in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0] {
            let x = x_of_hz(hz, s.w).round() + 0.5;
            s.ctx.set_fill_style_str("#23272c");
            s.ctx.fill_rect(x, 0.0, 1.0, s.h);
            s.ctx.set_fill_style_str("#6f757d");
            let label = if hz >= 1000.0 { format!("{}k", hz / 1000.0) } else { format!("{hz}") };
            let _ = s.ctx.fill_text(&label, x + 2.0, s.h - 3.0);
        }
        let mut db = 0.0;
        while db > BOTTOM_DB {
            let y = y_of_db(db, s.h).round() + 0.5;
            s.ctx.set_fill_style_str("#23272c");
            s.ctx.fill_rect(0.0, y, s.w, 1.0);
            s.ctx.set_fill_style_str("#6f757d");
            let _ = s.ctx.fill_text(&format!("{db:.0}"), 2.0, y - 2.0);
            db -= 24.0;
        }
        state.spectrum_freqs.with(|freqs| {
            state.spectrum.with(|sp| {
                draw_line(&s, freqs, &sp.input_peak, "rgba(154,163,173,0.45)", 1.0);
                draw_line(&s, freqs, &sp.output_peak, "rgba(255,138,61,0.45)", 1.0);
                draw_line(&s, freqs, &sp.input, "#9aa3ad", 1.5);
                draw_line(&s, freqs, &sp.output, "#ff8a3d", 1.5);
            })
        });
    });

    let set_slope = move |ev: web_sys::Event| {
        if let Ok(v) = event_target_value(&ev).parse::<f32>() {
            let s = SpectrumSettings { slope_db_per_oct: v, ..state.spectrum_settings.get_untracked() };
            handle.with_value(|e| e.set_spectrum(s));
        }
    };
    let set_smoothing = move |ev: web_sys::Event| {
        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
            let s = SpectrumSettings { smoothing_n: v, ..state.spectrum_settings.get_untracked() };
            handle.with_value(|e| e.set_spectrum(s));
        }
    };
    // The pointer's frequency, and the loudest point of the output.
    let hover_hz = RwSignal::new(None::<f64>);
    let on_move = move |ev: web_sys::MouseEvent| {
        let Some(c) = canvas_ref.get() else { return };
        let (x, width) = canvas::pointer_x(&c, ev.client_x());
        hover_hz.set(Some(LOW_HZ * (HIGH_HZ / LOW_HZ).powf(x / width.max(1.0))));
    };
    let fmt_hz = |hz: f64| if hz >= 1000.0 { format!("{:.2} kHz", hz / 1000.0) } else { format!("{hz:.0} Hz") };
    let readout = move || {
        state.spectrum_freqs.with(|freqs| {
            state.spectrum.with(|sp| {
                let i = match hover_hz.get() {
                    // The grid point nearest the pointer (log distance).
                    Some(hz) => freqs.iter().enumerate().min_by(|a, b| {
                        ((*a.1 as f64 / hz).ln().abs()).total_cmp(&(*b.1 as f64 / hz).ln().abs())
                    })?.0,
                    None => {
                        let in_range = |i: &usize| (LOW_HZ..=HIGH_HZ).contains(&(freqs[*i] as f64));
                        (0..sp.output.len().min(freqs.len())).filter(in_range).max_by(|a, b| sp.output[*a].total_cmp(&sp.output[*b]))?
                    }
                };
                let (f, o) = (*freqs.get(i)? as f64, *sp.output.get(i)?);
                let inp = sp.input.get(i).copied().unwrap_or(f32::NEG_INFINITY);
                let label = if hover_hz.get().is_some() { "" } else { "Peak " };
                Some((f, inp, o, format!("{label}{} · in {inp:.1} dB · out {o:.1} dB", fmt_hz(f))))
            })
        })
    };
    let slope = move || state.spectrum_settings.get().slope_db_per_oct.to_string();
    let smoothing = move || state.spectrum_settings.get().smoothing_n.to_string();

    view! {
        <div class="card spectrum" data-testid="spectrum-view"
            data-frames=move || state.spectrum_frames.get().to_string()>
            <div class="view-head">
                <h2>"Spectrum"</h2>
                <span class="legend"><i class="swatch mix"></i>"In"<i class="swatch master"></i>"Out"</span>
                <span class="readout" data-testid="spectrum-readout"
                    data-hz=move || readout().map_or(String::new(), |r| format!("{:.1}", r.0))
                    data-in-db=move || readout().map_or(String::new(), |r| format!("{:.2}", r.1))
                    data-out-db=move || readout().map_or(String::new(), |r| format!("{:.2}", r.2))>
                    {move || readout().map(|r| r.3)}</span>
            </div>
            <canvas node_ref=canvas_ref class="spectrum-canvas" data-testid="spectrum-canvas" role="img"
                aria-label="Live spectrum of the chain's input and output, 20 Hz to 20 kHz"
                on:mousemove=on_move on:mouseleave=move |_| hover_hz.set(None)></canvas>
            <div class="spectrum-controls">
                <label>"Slope "
                    <select data-testid="spectrum-slope" on:change=set_slope prop:value=slope>
                        <option value="0">"0 dB/oct"</option>
                        <option value="3">"3 dB/oct"</option>
                        <option value="4.5">"4.5 dB/oct"</option>
                    </select>
                </label>
                <label>"Smoothing "
                    <select data-testid="spectrum-smoothing" on:change=set_smoothing prop:value=smoothing>
                        <option value="3">"1/3 octave"</option>
                        <option value="6">"1/6 octave"</option>
                        <option value="12">"1/12 octave"</option>
                    </select>
                </label>
                <button class="button small" on:click=move |_| handle.with_value(|e| e.reset_spectrum_peaks())>"Reset peaks"</button>
            </div>
        </div>
    }
}
