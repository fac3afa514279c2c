//! The advanced panel: every field of the settings, grouped by module, each
//! module with its bypass in its heading.
//!
//! The compressor shows the full-band dynamics in single-band mode, and the
//! crossovers and the three bands' dynamics in three-band mode.
//!
//! The input gain and the output gain are what master-to-target sets when
//! the target has a loudness; then they show the master's values and are
//! read-only (the CD target, which has no loudness, hands them back).

use super::field_control::FieldControl;
use crate::app::use_studio;
use lacquer_dsp::settings::fields::{Module, FIELDS};
use leptos::prelude::*;
use serde_json::Value;

/// Fields master-to-target sets when there is a loudness target.
const SET_BY_MASTERING: &[&str] = &["/input_gain_db", "/output/gain_db"];

/// True for the compressor's three-band fields (the crossovers and the
/// bands), shown in three-band mode only.
fn three_band_only(path: &str) -> bool {
    path.starts_with("/compressor/bands/") || path.starts_with("/compressor/crossover_")
}

/// True for the full-band dynamics, shown in single-band mode only.
fn single_band_only(path: &str) -> bool {
    path.starts_with("/compressor/single/")
}

/// One module's section.
#[component]
fn ModuleSection(module: Module, tree: Memo<Value>) -> impl IntoView {
    let studio = use_studio();
    let bypass = FIELDS.iter().find(|f| f.module == module && f.path.ends_with("/bypass"));
    let multiband = move || tree.with(|t| t.pointer("/compressor/mode").and_then(Value::as_str) == Some("multiband"));
    let rows = FIELDS
        .iter()
        .filter(move |f| f.module == module && !f.path.ends_with("/bypass"))
        .map(|f| {
            let locked = SET_BY_MASTERING.contains(&f.path);
            let disabled = Signal::derive(move || locked && studio.target.with(|t| t.lufs().is_some()));
            if three_band_only(f.path) {
                view! { <Show when=multiband><FieldControl field=f tree disabled/></Show> }.into_any()
            } else if single_band_only(f.path) {
                view! { <Show when=move || !multiband()><FieldControl field=f tree disabled/></Show> }.into_any()
            } else {
                view! { <FieldControl field=f tree disabled/> }.into_any()
            }
        })
        .collect_view();
    let note = (module == Module::Input || module == Module::Output).then(|| {
        view! {
            <Show when=move || studio.target.with(|t| t.lufs().is_some())>
                <p class="hint">"The gain here is set by mastering to the target."</p>
            </Show>
        }
    });
    let bypassed = move || bypass.is_some_and(|b| tree.with(|t| t.pointer(b.path) == Some(&Value::Bool(true))));
    view! {
        <section class="module" class:bypassed=bypassed data-module=module.label()>
            <div class="module-head">
                <h3>{module.label()}</h3>
                {bypass.map(|b| view! { <FieldControl field=b tree disabled=false/> })}
            </div>
            {note}
            <div class="fields">{rows}</div>
        </section>
    }
}

/// Every module's controls.
#[component]
pub fn Advanced(tree: Memo<Value>) -> impl IntoView {
    Module::ALL.iter().map(|&m| view! { <ModuleSection module=m tree/> }).collect_view()
}
