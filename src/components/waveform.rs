//! The waveform: the mix, and the master over it once there is one, with the
//! playhead and the selected region. Click to seek, drag the playhead to
//! move it, drag anywhere else to select, the wheel or a trackpad pinch to
//! zoom (from the whole track down to 3 s), Shift+wheel to scroll, `L` to
//! loop the selection.
//! Drawn from the worker's peak summaries, never from audio.

use super::canvas::{self, span, t_of, x_of};
use crate::app::{use_engine, use_state};
use crate::state::{Overview, TimeView, ZoomPeaks};
use leptos::html::Canvas;
use leptos::prelude::*;
use web_sys::{MouseEvent, WheelEvent};

/// Shortest stretch the view zooms to, s.
pub const MIN_VIEW_S: f64 = 3.0;
/// Pointer travel that turns a click into a drag, CSS px.
const DRAG_PX: f64 = 4.0;

/// Min and max of channel `ch` over the overview columns covering `t0..t1`.
fn overview_minmax(o: &Overview, duration_s: f64, ch: usize, t0: f64, t1: f64) -> Option<(f32, f32)> {
    if o.columns == 0 || o.channels == 0 || duration_s <= 0.0 {
        return None;
    }
    let col = |t: f64| ((t / duration_s) * o.columns as f64).floor().clamp(0.0, o.columns as f64 - 1.0) as usize;
    let (c0, c1) = (col(t0), col(t1.max(t0)));
    let (mut lo, mut hi) = (i16::MAX, i16::MIN);
    for c in c0..=c1 {
        let k = (c * o.channels + ch.min(o.channels - 1)) * 2;
        if let (Some(&a), Some(&b)) = (o.min_max.get(k), o.min_max.get(k + 1)) {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    (lo <= hi).then(|| (lo as f32 / o.scale, hi as f32 / o.scale))
}

/// Min and max of channel `ch` over the worker's zoomed columns covering `t0..t1`.
fn zoom_minmax(z: &ZoomPeaks, data: &[f32], rate: f64, ch: usize, t0: f64, t1: f64) -> Option<(f32, f32)> {
    let span = z.end_frame - z.start_frame;
    if z.columns == 0 || z.channels == 0 || span <= 0.0 {
        return None;
    }
    let col = |t: f64| (((t * rate - z.start_frame) / span) * z.columns as f64).floor();
    let (c0, c1) = (col(t0), col(t1).max(col(t0)));
    if c1 < 0.0 || c0 >= z.columns as f64 {
        return None;
    }
    let (c0, c1) = (c0.max(0.0) as usize, (c1 as usize).min(z.columns - 1));
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for c in c0..=c1 {
        let k = (c * z.channels + ch.min(z.channels - 1)) * 2;
        if let (Some(&a), Some(&b)) = (data.get(k), data.get(k + 1)) {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    (lo <= hi).then_some((lo, hi))
}

/// Draws one track's envelope, channels stacked in two lanes (mono: one),
/// from `minmax(channel, t0, t1)`.
fn draw_track(s: &canvas::Surface, channels: usize, view: (f64, f64), duration_s: f64, fill: &str, minmax: impl Fn(usize, f64, f64) -> Option<(f32, f32)>) {
    let lanes = channels.clamp(1, 2);
    let lane_h = s.h / lanes as f64;
    s.ctx.set_fill_style_str(fill);
    let width = s.w.floor() as usize;
    for ch in 0..lanes {
        let mid = lane_h * (ch as f64 + 0.5);
        let half = lane_h * 0.46;
        for x in 0..width {
            let (t0, t1) = (t_of(x as f64, view, s.w), t_of(x as f64 + 1.0, view, s.w));
            if t0 >= duration_s {
                break;
            }
            if let Some((lo, hi)) = minmax(ch, t0, t1) {
                let (y0, y1) = (mid - hi as f64 * half, mid - lo as f64 * half);
                s.ctx.fill_rect(x as f64, y0, 1.0, (y1 - y0).max(1.0));
            }
        }
    }
}

/// The waveform view.
#[component]
pub fn Waveform() -> impl IntoView {
    let state = use_state();
    let engine = use_engine();
    let canvas_ref = NodeRef::<Canvas>::new();
    let duration = move || state.file.with(|f| f.as_ref().map_or(0.0, |f| f.duration_s));
    let size = canvas::observed_size(canvas_ref);
    // Whether this file's waveform has been painted (reset for each file).
    let first_paint = StoredValue::new(false);
    Effect::new(move |_| {
        if state.overview.with(Option::is_none) {
            first_paint.set_value(false);
        }
    });

    Effect::new(move |_| {
        let Some(c) = canvas_ref.get() else { return };
        let Some(s) = canvas::surface(&c, size.get()) else { return };
        let d = duration();
        let v = span(state.view.get(), d);
        // Selection under everything.
        if let Some((a, b)) = state.selection.get() {
            s.ctx.set_fill_style_str(if state.looping.get() { "rgba(255,138,61,0.22)" } else { "rgba(233,230,225,0.10)" });
            let (xa, xb) = (x_of(a, v, s.w), x_of(b, v, s.w));
            s.ctx.fill_rect(xa, 0.0, (xb - xa).max(1.0), s.h);
        }
        let rate = state.file.with(|f| f.as_ref().map_or(0.0, |f| f.sample_rate as f64));
        // The worker's columns when they cover this view; the overview meanwhile.
        let zoom = state.zoom_peaks.get().filter(|z| {
            let (a, b) = (v.0 * rate, v.1 * rate);
            (z.start_frame - a.floor()).abs() <= 1.0 && (z.end_frame - b.ceil()).abs() <= 1.0
        });
        let mut painted = false;
        // The master under the mix: a louder master shows round the mix's edges.
        for (master, fill) in [(true, "rgba(255,138,61,0.85)"), (false, "rgba(120,130,142,0.9)")] {
            // The mix from the overview sent at load; the master from its preview.
            let overview = if master {
                state.master_analysis.with(|a| a.as_ref().map(|a| a.overview.clone()))
            } else {
                state.overview.get()
            };
            {
                let Some(o) = overview.as_ref() else { continue };
                painted |= !master;
                match zoom.as_ref().and_then(|z| if master { z.master.as_deref() } else { Some(z.mix.as_slice()) }.map(|d| (z, d))) {
                    Some((z, data)) => draw_track(&s, o.channels, v, d, fill, |ch, t0, t1| zoom_minmax(z, data, rate, ch, t0, t1)),
                    None => draw_track(&s, o.channels, v, d, fill, |ch, t0, t1| overview_minmax(o, d, ch, t0, t1)),
                }
            }
        }
        if painted && !first_paint.get_value() {
            first_paint.set_value(true);
            // For the views' timing test: the waveform is on screen.
            if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
                let _ = p.mark("lacquer:waveform-painted");
            }
        }
        let x = x_of(state.position_s.get(), v, s.w);
        s.ctx.set_fill_style_str("#e9e6e1");
        s.ctx.fill_rect(x.round() - 0.5, 0.0, 1.5, s.h);
    });

    // A zoomed view asks the worker for its columns, one per pixel.
    {
        let engine = engine.clone();
        Effect::new(move |_| {
            let width = size.get().0;
            let view = state.view.get();
            let ready = state.overview.with(Option::is_some);
            let _master = state.master_analysis.with(Option::is_some);
            if !ready || view.end_s <= view.start_s {
                return;
            }
            let (a, b) = span(view, duration());
            engine.request_peaks(a, b, width.max(1.0) as u32);
        });
    }

    // Pointer: click seeks, drag selects.
    let down_at = StoredValue::new(None::<(f64, f64)>);
    // The pointer's x, its time, and the canvas's width.
    let pointer = move |ev: &MouseEvent| {
        let (x, width) = canvas::pointer_x(&canvas_ref.get()?, ev.client_x());
        Some((x, t_of(x, span(state.view.get_untracked(), duration()), width), width))
    };
    let pointer_t = move |ev: &MouseEvent| pointer(ev).map(|(x, t, _)| (x, t));
    // A drag that starts on the playhead moves it (seeking as it goes).
    let scrubbing = StoredValue::new(false);
    let on_down = move |ev: MouseEvent| {
        let at = pointer(&ev);
        let on_playhead = at.is_some_and(|(x, _, w)| {
            (x - x_of(state.position_s.get_untracked(), span(state.view.get_untracked(), duration()), w)).abs() <= DRAG_PX * 1.5
        });
        scrubbing.set_value(on_playhead);
        down_at.set_value(at.map(|(x, t, _)| (x, t)));
    };
    let on_move = {
        let engine = engine.clone();
        move |ev: MouseEvent| {
            if let (Some((x0, t0)), Some((x, t))) = (down_at.get_value(), pointer_t(&ev)) {
                if scrubbing.get_value() {
                    engine.seek(t);
                } else if (x - x0).abs() >= DRAG_PX {
                    state.selection.set(Some((t0.min(t), t0.max(t))));
                }
            }
        }
    };
    let on_up = {
        let engine = engine.clone();
        move |ev: MouseEvent| {
            let Some((x0, t0)) = down_at.get_value() else { return };
            down_at.set_value(None);
            let Some((x, t)) = pointer_t(&ev) else { return };
            if scrubbing.get_value() {
                engine.seek(t);
            } else if (x - x0).abs() < DRAG_PX {
                engine.seek(t0);
            } else {
                state.selection.set(Some((t0.min(t), t0.max(t))));
                if state.looping.get_untracked() {
                    engine.set_loop(state.selection.get_untracked());
                }
            }
        }
    };
    let on_wheel = move |ev: WheelEvent| {
        let d = duration();
        if d <= 0.0 {
            return;
        }
        ev.prevent_default();
        let Some(c) = canvas_ref.get() else { return };
        let (x, width) = canvas::pointer_x(&c, ev.client_x());
        let v = state.view.get_untracked();
        let (a, b) = span(v, d);
        if ev.shift_key() || ev.delta_x().abs() > ev.delta_y().abs() {
            let by = (if ev.shift_key() { ev.delta_y() } else { ev.delta_x() }) / width * (b - a);
            state.view.set(canvas::scrolled(v, d, by));
        } else {
            let at = t_of(x, (a, b), width);
            let factor = (ev.delta_y() / 300.0).exp();
            state.view.set(canvas::zoomed(v, d, at, factor, MIN_VIEW_S));
        }
    };
    let zoom_label = move || {
        let (a, b) = span(state.view.get(), duration());
        if state.view.get().end_s > state.view.get().start_s {
            format!("{} – {}", super::fmt_time(a), super::fmt_time(b))
        } else {
            "Whole track".to_string()
        }
    };
    let zoom_by = move |f: f64| {
        let d = duration();
        let v = state.view.get_untracked();
        let (a, b) = span(v, d);
        state.view.set(canvas::zoomed(v, d, (a + b) / 2.0, f, MIN_VIEW_S));
    };

    view! {
        <div class="card waveform" data-testid="waveform"
            data-start=move || format!("{:.6}", span(state.view.get(), duration()).0)
            data-end=move || format!("{:.6}", span(state.view.get(), duration()).1)
            data-master=move || state.master_analysis.with(Option::is_some).to_string()>
            <div class="view-head">
                <h2>"Waveform"</h2>
                <span class="legend"><i class="swatch mix"></i>"Mix"<i class="swatch master"></i>"Master"</span>
                <span class="zoom-label" data-testid="zoom-label">{zoom_label}</span>
                <button class="button small" aria-label="Zoom in" on:click=move |_| zoom_by(0.5)>"+"</button>
                <button class="button small" aria-label="Zoom out" on:click=move |_| zoom_by(2.0)>"−"</button>
                <button class="button small" aria-label="Fit: show the whole track" on:click=move |_| state.view.set(TimeView::default())>"Fit"</button>
            </div>
            <canvas
                node_ref=canvas_ref
                class="wave-canvas"
                data-testid="waveform-canvas"
                role="img"
                aria-label="Waveform of the mix and the master. Click to seek, drag the playhead to move it, drag elsewhere to select, wheel to zoom."
                on:mousedown=on_down
                on:mousemove=on_move
                on:mouseup=on_up
                on:mouseleave=move |_| down_at.set_value(None)
                on:wheel=on_wheel
            ></canvas>
        </div>
    }
}
