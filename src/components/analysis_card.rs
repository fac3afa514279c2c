//! The loaded mix's loudness, measured once by the worker on load: integrated
//! loudness, loudness range, true peak, PLR and the loudest short-term moment.

use crate::app::use_state;
use leptos::prelude::*;

fn fmt(v: Option<f64>, unit: &str) -> String {
    v.map_or("—".into(), |v| format!("{v:.1} {unit}"))
}

/// The input's loudness figures (a dash until the analysis is done).
#[component]
pub fn AnalysisCard() -> impl IntoView {
    let state = use_state();
    let l = move || state.analysis.get().map(|a| a.loudness);
    let cell = move |k: &'static str, testid: &'static str, f: fn(&lacquer_dsp::loudness::meter::LoudnessReport) -> String| {
        view! {
            <div><span class="k">{k}</span>
                <span class="v" data-testid=testid>{move || l().map_or("—".to_string(), |r| f(&r))}</span></div>
        }
    };
    view! {
        <div class="card analysis" data-testid="analysis" data-ready=move || l().is_some().to_string()>
            <h2>"Mix"</h2>
            <div class="figures">
                {cell("Integrated", "mix-lufs", |r| fmt(r.integrated_lufs, "LUFS"))}
                {cell("Loudness range", "mix-lra", |r| format!("{:.1} LU", r.lra_lu))}
                {cell("True peak", "mix-tp", |r| fmt(r.true_peak_dbtp, "dBTP"))}
                {cell("PLR", "mix-plr", |r| fmt(r.plr_db, "dB"))}
                {cell("Max short-term", "mix-max-st", |r| fmt(r.max_short_term_lufs, "LUFS"))}
            </div>
        </div>
    }
}
