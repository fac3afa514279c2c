//! Loudness over time: the short-term (3 s) and momentary (400 ms) loudness
//! of the mix and the master every 100 ms, on the waveform's time axis (they
//! zoom and scroll together), with the target as a line, red marks where the
//! master's true peak goes over the ceiling, and a crosshair that reads
//! every curve at the pointer. The curves are the dsp meter's, so they carry
//! the same numbers as the report. Each point shows over the last 100 ms of
//! its window: a change in the audio at time t shows at t.

use super::canvas::{self, span, t_of, x_of};
use crate::app::{use_state, use_studio};
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
    let size = canvas::observed_size(canvas_ref);
    // The studio's target (none for a platform without normalization) and
    // its true-peak ceiling.
    let studio = use_studio();
    let target_lufs = move || studio.master_target().map(|t| t.lufs);
    let ceiling_dbtp = move || studio.settings.with(|s| s.limiter.ceiling_dbtp) as f64;

    Effect::new(move |_| {
        let Some(c) = canvas_ref.get() else { return };
        let Some(s) = canvas::surface(&c, size.get()) else { return };
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
        if let Some(target_lufs) = target_lufs() {
            let y = y_of(target_lufs, s.h).round() + 0.5;
            s.ctx.set_fill_style_str("rgba(95,211,141,0.8)");
            s.ctx.fill_rect(0.0, y, s.w, 1.0);
            let _ = s.ctx.fill_text(&format!("target {target_lufs:.0} LUFS"), s.w - 110.0, y - 4.0);
        }
        let ceiling_dbtp = ceiling_dbtp();
        for (track, st, m) in [
            (state.analysis, "#9aa3ad", "rgba(154,163,173,0.45)"),
            (state.master_analysis, "#ff8a3d", "rgba(255,138,61,0.45)"),
        ] {
            track.with(|a| {
                if let Some(a) = a {
                    let c = &a.curves;
                    draw_curve(&s, &c.momentary_lufs, c.interval_s, v, m, 1.0);
                    draw_curve(&s, &c.short_term_lufs, c.interval_s, v, st, 1.75);
                }
            });
        }
        // Where the master's true peak goes over the ceiling.
        state.master_analysis.with(|a| {
            let Some(a) = a else { return };
            let c = &a.curves;
            s.ctx.set_fill_style_str("#ff5c5c");
            for (k, tp) in c.true_peak_dbtp.iter().enumerate() {
                if tp.is_some_and(|tp| tp > ceiling_dbtp) {
                    let x0 = x_of(k as f64 * c.interval_s, v, s.w);
                    let x1 = x_of((k + 1) as f64 * c.interval_s, v, s.w);
                    if x1 >= 0.0 && x0 <= s.w {
                        s.ctx.fill_rect(x0, 0.0, (x1 - x0).max(2.0), 5.0);
                    }
                }
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
        let (x, width) = canvas::pointer_x(&c, ev.client_x());
        pointer.set(Some(t_of(x, span(state.view.get_untracked(), duration()), width)));
    };
    // Every curve at the pointer.
    let read = move |track: RwSignal<Option<crate::state::Analysis>>, momentary: bool| {
        let t = pointer.get()?;
        track.with(|a| {
            let c = &a.as_ref()?.curves;
            at(if momentary { &c.momentary_lufs } else { &c.short_term_lufs }, c.interval_s, t)
        })
    };
    let attr = move |track, momentary| move || read(track, momentary).map_or(String::new(), |v| format!("{v:.2}"));
    let readout = move || {
        let t = pointer.get()?;
        let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
        Some(format!(
            "{} · mix {} S / {} M · master {} S / {} M LUFS",
            super::fmt_time(t),
            f(read(state.analysis, false)),
            f(read(state.analysis, true)),
            f(read(state.master_analysis, false)),
            f(read(state.master_analysis, true)),
        ))
    };

    view! {
        <div class="card loudness-view" data-testid="loudness-view">
            <div class="view-head">
                <h2>"Loudness over time"</h2>
                <span class="legend"><i class="swatch mix"></i>"Mix"<i class="swatch master"></i>"Master"
                    " · bold short-term, thin momentary"</span>
                <span class="readout" data-testid="loudness-readout"
                    data-t=move || pointer.get().map_or(String::new(), |t| format!("{t:.4}"))
                    data-mix-st=attr(state.analysis, false) data-mix-m=attr(state.analysis, true)
                    data-master-st=attr(state.master_analysis, false) data-master-m=attr(state.master_analysis, true)>
                    {readout}</span>
            </div>
            <canvas
                node_ref=canvas_ref
                class="loud-canvas"
                data-testid="loudness-canvas"
                data-target-lufs=move || target_lufs().map_or(String::new(), |l| format!("{l:.1}"))
                data-ceiling-dbtp=move || format!("{:.1}", ceiling_dbtp())
                role="img"
                aria-label="Short-term loudness of the mix and the master over time, with the target"
                on:mousemove=on_move
                on:mouseleave=move |_| pointer.set(None)
            ></canvas>
        </div>
    }
}
