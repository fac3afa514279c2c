//! Loudness figures of the mix (measured once by the worker on load) and of
//! the master (as it will be exported): integrated loudness, loudness range,
//! true peak, PLR and the loudest short-term and momentary moments. With a
//! range selected on the waveform, the same figures for that range, computed
//! from the 100 ms curves (`lacquer_dsp::analysis::range`).

use crate::app::use_state;
use crate::state::Analysis;
use lacquer_dsp::analysis::range::{range_stats, RangeStats};
use leptos::prelude::*;

fn fmt(v: Option<f64>, unit: &str) -> String {
    v.map_or("—".into(), |v| format!("{v:.1} {unit}"))
}

/// The figures of a whole track, as range statistics.
fn whole(a: &Analysis) -> RangeStats {
    let l = &a.loudness;
    RangeStats {
        integrated_lufs: l.integrated_lufs,
        lra_lu: l.lra_lu,
        true_peak_dbtp: l.true_peak_dbtp,
        max_short_term_lufs: l.max_short_term_lufs,
        max_momentary_lufs: l.max_momentary_lufs,
    }
}

/// One row of figures.
#[component]
fn Row(
    /// What the row measures.
    label: &'static str,
    /// Prefix of the cells' test ids.
    id: &'static str,
    /// Its figures, once known.
    stats: Signal<Option<RangeStats>>,
) -> impl IntoView {
    let cell = move |f: fn(&RangeStats) -> String| move || stats.get().map_or("—".to_string(), |s| f(&s));
    let plr = |s: &RangeStats| match (s.true_peak_dbtp, s.integrated_lufs) {
        (Some(tp), Some(i)) => format!("{:.1} dB", tp - i),
        _ => "—".into(),
    };
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td class="num" data-testid=format!("{id}-lufs")>{cell(|s| fmt(s.integrated_lufs, "LUFS"))}</td>
            <td class="num" data-testid=format!("{id}-lra")>{cell(|s| format!("{:.1} LU", s.lra_lu))}</td>
            <td class="num" data-testid=format!("{id}-tp")>{cell(|s| fmt(s.true_peak_dbtp, "dBTP"))}</td>
            <td class="num" data-testid=format!("{id}-plr")>{cell(plr)}</td>
            <td class="num" data-testid=format!("{id}-max-st")>{cell(|s| fmt(s.max_short_term_lufs, "LUFS"))}</td>
            <td class="num">{cell(|s| fmt(s.max_momentary_lufs, "LUFS"))}</td>
        </tr>
    }
}

/// The loudness figures of the mix, the master and the selected range.
#[component]
pub fn AnalysisCard() -> impl IntoView {
    let state = use_state();
    let of = move |track: RwSignal<Option<Analysis>>| Signal::derive(move || track.with(|a| a.as_ref().map(whole)));
    let in_range = move |track: RwSignal<Option<Analysis>>| {
        Signal::derive(move || {
            let (a, b) = state.selection.get()?;
            track.with(|t| t.as_ref().map(|t| range_stats(&t.curves, a, b)))
        })
    };
    let selection = move || state.selection.get().map(|(a, b)| format!("{} – {}", super::fmt_time(a), super::fmt_time(b)));
    view! {
        <div class="card analysis" data-testid="analysis" data-ready=move || state.analysis.with(Option::is_some).to_string()>
            <h2>"Loudness"</h2>
            // Scrolls sideways on a phone: focusable, so the keyboard can scroll it too.
            <div class="table-scroll" tabindex="0" role="region" aria-label="Loudness figures">
                <table class="figures-table">
                    <thead><tr><th></th><th class="num">"Integrated"</th><th class="num">"Range"</th>
                        <th class="num">"True peak"</th><th class="num">"PLR"</th><th class="num">"Max short-term"</th>
                        <th class="num">"Max momentary"</th></tr></thead>
                    <tbody>
                        <Row label="Mix" id="mix" stats=of(state.analysis)/>
                        <Row label="Master" id="master" stats=of(state.master_analysis)/>
                        <Show when=move || state.selection.with(Option::is_some)>
                            <tr class="range-head"><td colspan="7">{move || selection().map(|s| format!("Selection {s}"))}</td></tr>
                            <Row label="Mix" id="sel-mix" stats=in_range(state.analysis)/>
                            <Row label="Master" id="sel-master" stats=in_range(state.master_analysis)/>
                        </Show>
                    </tbody>
                </table>
            </div>
        </div>
    }
}
