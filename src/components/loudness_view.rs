//! Loudness over time: the short-term (3 s) loudness of the mix and the
//! master every 100 ms, on the waveform's time axis (they zoom and scroll
//! together), with the target as a line and a crosshair that reads every
//! curve at the pointer. The curves are the dsp meter's, so they carry the
//! same numbers as the report.

use super::canvas::{self, span, t_of, x_of};
use crate::app::use_state;
use leptos::html::Canvas;
use leptos::prelude::*;
use web_sys::MouseEvent;

/// Loudness range drawn, LUFS.
const TOP_LUFS: f64 = 0.0;
const BOTTOM_LUFS: f64 = -48.0;

fn y_of(lufs: f64, h: f64) -> f64 {
    ((TOP_LUFS - lufs) / (TOP_LUFS - BOTTOM_LUFS)).clamp(0.0, 1.0) * h
}

/// The curve's value at `t_s` (the point whose 100 ms tick ends there).
fn at(curve: &[Option<f64>], interval_s: f64, t_s: f64) -> Option<f64> {
    if interval_s <= 0.0 || t_s < 0.0 {
        return None;
    }
    let k = (t_s / interval_s).floor() as usize;
    curve.get(k).copied().flatten()
}

/// Draws one curve as a polyline (gaps where it reads nothing).
fn draw_curve(s: &canvas::Surface, curve: &[Option<f64>], interval_s: f64, view: (f64, f64), stroke: &str, width: f64) {
    s.ctx.set_stroke_style_str(stroke);
    s.ctx.set_line_width(width);
    s.ctx.begin_path();
    let mut pen = false;
    let px = s.w.floor() as usize;
    for x in 0..=px {
        let (t0, t1) = (t_of(x as f64, view, s.w), t_of(x as f64 + 1.0, view, s.w));
        // Each pixel column shows the loudest point in it, so no peak is skipped.
        let (k0, k1) = ((t0 / interval_s).floor() as i64, ((t1 / interval_s).floor() as i64).max((t0 / interval_s).floor() as i64));
        let mut best: Option<f64> = None;
        for k in k0.max(0)..=k1.max(0) {
            if let Some(v) = curve.get(k as usize).copied().flatten() {
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
        }
        match best {
            Some(v) => {
                let y = y_of(v, s.h);
                if pen {
                    s.ctx.line_to(x as f64, y);
                } else {
                    s.ctx.move_to(x as f64, y);
                    pen = true;
                }
            }
            None => pen = false,
        }
    }
    s.ctx.stroke();
}

/// The loudness-over-time view.
#[component]
pub fn LoudnessView() -> impl IntoView {
    let state = use_state();
    let canvas_ref = NodeRef::<Canvas>::new();
    let duration = move || state.file.with(|f| f.as_ref().map_or(0.0, |f| f.duration_s));
    let pointer = RwSignal::new(None::<f64>);
    let resized = RwSignal::new(0u32);
    let _ = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    let target_lufs = lacquer_dsp::loudness::target::Target::default().lufs;

    Effect::new(move |_| {
        resized.track();
        let Some(c) = canvas_ref.get() else { return };
        let Some(s) = canvas::surface(&c) else { return };
        let v = span(state.view.get(), duration());
        // Grid every 6 LU, labelled.
        s.ctx.set_font("11px system-ui, sans-serif");
        let mut l = -6.0;
        while l > BOTTOM_LUFS {
            let y = y_of(l, s.h).round() + 0.5;
            s.ctx.set_fill_style_str("#2a2e34");
            s.ctx.fill_rect(0.0, y, s.w, 1.0);
            s.ctx.set_fill_style_str("#6f757d");
            let _ = s.ctx.fill_text(&format!("{l:.0}"), 4.0, y - 3.0);
            l -= 6.0;
        }
        // The target.
        let y = y_of(target_lufs, s.h).round() + 0.5;
        s.ctx.set_fill_style_str("rgba(95,211,141,0.8)");
        s.ctx.fill_rect(0.0, y, s.w, 1.0);
        let _ = s.ctx.fill_text(&format!("target {target_lufs:.0} LUFS"), s.w - 110.0, y - 4.0);
        state.analysis.with(|a| {
            if let Some(a) = a {
                draw_curve(&s, &a.loudness.short_term_curve, a.loudness.curve_interval_s, v, "#9aa3ad", 1.5);
            }
        });
        state.master_analysis.with(|a| {
            if let Some(a) = a {
                draw_curve(&s, &a.loudness.short_term_curve, a.loudness.curve_interval_s, v, "#ff8a3d", 1.5);
            }
        });
        let x = x_of(state.position_s.get(), v, s.w);
        s.ctx.set_fill_style_str("rgba(233,230,225,0.8)");
        s.ctx.fill_rect(x.round() - 0.5, 0.0, 1.0, s.h);
        if let Some(t) = pointer.get() {
            let x = x_of(t, v, s.w).round() + 0.5;
            s.ctx.set_fill_style_str("rgba(233,230,225,0.35)");
            s.ctx.fill_rect(x, 0.0, 1.0, s.h);
        }
    });

    let on_move = move |ev: MouseEvent| {
        let Some(c) = canvas_ref.get() else { return };
        let rect = c.get_bounding_client_rect();
        let x = (ev.client_x() as f64 - rect.left()).clamp(0.0, rect.width());
        pointer.set(Some(t_of(x, span(state.view.get_untracked(), duration()), rect.width())));
    };
    let readout = move || {
        let t = pointer.get()?;
        let read = |a: &Option<crate::state::Analysis>| {
            a.as_ref().and_then(|a| at(&a.loudness.short_term_curve, a.loudness.curve_interval_s, t))
        };
        let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
        Some(format!(
            "{} · mix {} · master {} LUFS short-term",
            super::fmt_time(t),
            f(state.analysis.with(read)),
            f(state.master_analysis.with(read))
        ))
    };

    view! {
        <div class="card loudness-view" data-testid="loudness-view">
            <div class="view-head">
                <h2>"Loudness over time"</h2>
                <span class="legend"><i class="swatch mix"></i>"Mix"<i class="swatch master"></i>"Master"</span>
                <span class="readout" data-testid="loudness-readout" aria-live="polite">{readout}</span>
            </div>
            <canvas
                node_ref=canvas_ref
                class="loud-canvas"
                data-testid="loudness-canvas"
                role="img"
                aria-label="Short-term loudness of the mix and the master over time, with the target"
                on:mousemove=on_move
                on:mouseleave=move |_| pointer.set(None)
            ></canvas>
        </div>
    }
}
