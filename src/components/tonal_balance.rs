//! Tonal balance: the whole track's long-term spectrum in 1/3-octave bands
//! (IEC 61260-1), the mix and the master side by side, each band relative to
//! a full-scale sine. Computed once per track by the worker.

use super::canvas;
use crate::app::use_state;
use crate::state::Analysis;
use leptos::html::Canvas;
use leptos::prelude::*;

/// Level range drawn, dB.
const TOP_DB: f64 = 0.0;
const BOTTOM_DB: f64 = -72.0;

fn levels(a: &Option<Analysis>) -> Vec<(f32, Option<f32>)> {
    a.as_ref().map_or_else(Vec::new, |a| {
        a.spectrum.bands_third_octave.iter().map(|b| (b.nominal_hz, b.level_db)).collect()
    })
}

fn label(hz: f32) -> String {
    if hz >= 1000.0 {
        format!("{}k", hz / 1000.0)
    } else {
        format!("{hz}")
    }
}

/// The tonal balance view.
#[component]
pub fn TonalBalance() -> impl IntoView {
    let state = use_state();
    let canvas_ref = NodeRef::<Canvas>::new();
    let size = canvas::observed_size(canvas_ref);

    Effect::new(move |_| {
        let Some(c) = canvas_ref.get() else { return };
        let Some(s) = canvas::surface(&c, size.get()) else { return };
        let mix = state.analysis.with(levels);
        let master = state.master_analysis.with(levels);
        let n = mix.len().max(master.len());
        if n == 0 {
            return;
        }
        let plot_h = s.h - 16.0;
        let y = |db: f32| ((TOP_DB - db as f64) / (TOP_DB - BOTTOM_DB)).clamp(0.0, 1.0) * plot_h;
        let slot = s.w / n as f64;
        let bar = (slot * 0.38).max(1.0);
        s.ctx.set_font("10px system-ui, sans-serif");
        for i in 0..n {
            let x = i as f64 * slot;
            for (k, (list, fill)) in [(&mix, "#7d8590"), (&master, "#ff8a3d")].into_iter().enumerate() {
                if let Some((_, Some(db))) = list.get(i) {
                    s.ctx.set_fill_style_str(fill);
                    let top = y(*db);
                    s.ctx.fill_rect(x + slot * 0.1 + k as f64 * bar, top, bar, plot_h - top);
                }
            }
            if i % 3 == 0 {
                if let Some((hz, _)) = mix.get(i).or(master.get(i)) {
                    s.ctx.set_fill_style_str("#8f949b");
                    let _ = s.ctx.fill_text(&label(*hz), x + 1.0, s.h - 3.0);
                }
            }
        }
    });

    view! {
        <div class="card tonal" data-testid="tonal-balance">
            <div class="view-head">
                <h2>"Tonal balance"</h2>
                <span class="legend"><i class="swatch mix"></i>"Mix"<i class="swatch master"></i>"Master"</span>
            </div>
            <canvas node_ref=canvas_ref class="tonal-canvas" role="img"
                aria-label="Long-term spectrum of the mix and the master in third-octave bands"></canvas>
        </div>
    }
}
