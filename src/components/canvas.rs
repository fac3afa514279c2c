//! Drawing surfaces: a canvas sized to its element at the device pixel ratio,
//! and the time axis the timeline views share.

use crate::state::TimeView;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ResizeObserver, ResizeObserverEntry};

/// A canvas ready to draw on in CSS pixels.
pub struct Surface {
    /// The 2D context, scaled by the device pixel ratio.
    pub ctx: CanvasRenderingContext2d,
    /// Width, CSS px.
    pub w: f64,
    /// Height, CSS px.
    pub h: f64,
}

/// The laid-out size of `canvas`, CSS px, kept up to date by a
/// `ResizeObserver`: read after layout, so drawing never forces one (reading
/// `clientWidth` after the page changed would lay out the whole page, once
/// for every canvas).
pub fn observed_size(canvas: NodeRef<Canvas>) -> RwSignal<(f64, f64)> {
    let size = RwSignal::new((0.0, 0.0));
    let observer = StoredValue::new_local(None::<(ResizeObserver, Closure<dyn FnMut(js_sys::Array)>)>);
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Ok(e) = entries.get(0).dyn_into::<ResizeObserverEntry>() {
                let r = e.content_rect();
                size.set((r.width(), r.height()));
            }
        });
        if let Ok(o) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            o.observe(&c);
            observer.set_value(Some((o, on_resize)));
        }
    });
    on_cleanup(move || {
        if let Some((o, _)) = observer.try_update_value(Option::take).flatten() {
            o.disconnect();
        }
    });
    size
}

/// Sizes `canvas`'s backing store to `size` (its laid-out size, CSS px,
/// from [`observed_size`]) times the device pixel ratio (never wider than
/// the element: no canvas exceeds the viewport) and clears it.
pub fn surface(canvas: &HtmlCanvasElement, (w, h): (f64, f64)) -> Option<Surface> {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w, h);
    Some(Surface { ctx, w, h })
}

/// Where a pointer at `client_x` is over `canvas`: its x, clamped to the
/// canvas, and the canvas's width, CSS px (read on pointer events only).
pub fn pointer_x(canvas: &HtmlCanvasElement, client_x: i32) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    ((client_x as f64 - rect.left()).clamp(0.0, rect.width()), rect.width())
}

/// The time span a view shows: the whole track when nothing is zoomed.
pub fn span(view: TimeView, duration_s: f64) -> (f64, f64) {
    if view.end_s > view.start_s {
        (view.start_s.max(0.0), view.end_s.min(duration_s.max(view.start_s + 1e-3)))
    } else {
        (0.0, duration_s.max(1e-3))
    }
}

/// x (CSS px) of time `t_s` in a view of `width` px.
pub fn x_of(t_s: f64, (a, b): (f64, f64), width: f64) -> f64 {
    (t_s - a) / (b - a) * width
}

/// Time at x (CSS px) in a view of `width` px.
pub fn t_of(x: f64, (a, b): (f64, f64), width: f64) -> f64 {
    a + x / width * (b - a)
}

/// The view zoomed by `factor` (< 1 zooms in) around time `at_s`, kept
/// inside the track and no shorter than `min_s`.
pub fn zoomed(view: TimeView, duration_s: f64, at_s: f64, factor: f64, min_s: f64) -> TimeView {
    let (a, b) = span(view, duration_s);
    let len = ((b - a) * factor).clamp(min_s.min(duration_s), duration_s);
    if len >= duration_s {
        return TimeView::default();
    }
    let frac = if b > a { (at_s - a) / (b - a) } else { 0.5 };
    let start = (at_s - frac * len).clamp(0.0, duration_s - len);
    TimeView { start_s: start, end_s: start + len }
}

/// The view moved by `by_s` seconds, kept inside the track.
pub fn scrolled(view: TimeView, duration_s: f64, by_s: f64) -> TimeView {
    let (a, b) = span(view, duration_s);
    if view.end_s <= view.start_s {
        return view;
    }
    let len = b - a;
    let start = (a + by_s).clamp(0.0, (duration_s - len).max(0.0));
    TimeView { start_s: start, end_s: start + len }
}
