//! The target and the one-click master: every row of the platform table
//! (its figures and source shown on hover or focus), or a custom loudness;
//! the true-peak ceiling; "Master for <target>", with progress; and whether
//! what plays is on target.

use crate::app::{use_engine, use_state, use_studio};
use crate::studio::target::{signed, TargetChoice, CUSTOM_MAX_LUFS, CUSTOM_MIN_LUFS};
use lacquer_dsp::loudness::platforms::{Platform, PLATFORMS};
use leptos::prelude::*;

/// Picking a platform: the target, and the limiter's ceiling at the
/// platform's recommendation.
fn pick_platform(p: &'static Platform) {
    let studio = use_studio();
    studio.target.set(TargetChoice::Platform { id: p.id.to_string() });
    studio.settings.update(|s| s.limiter.ceiling_dbtp = p.ceiling_dbtp as f32);
}

/// One platform's radio, with its figures and a tip holding its source.
#[component]
fn PlatformOption(platform: &'static Platform) -> impl IntoView {
    let studio = use_studio();
    let checked = move || studio.target.with(|t| matches!(t, TargetChoice::Platform { id } if id == platform.id));
    let figures = match platform.target_lufs {
        Some(l) => format!("{} LUFS · {} dBTP", signed(l, 0), signed(platform.ceiling_dbtp, 1)),
        None => format!("no normalization · {} dBTP", signed(platform.ceiling_dbtp, 1)),
    };
    let tip_id = format!("tip-{}", platform.id);
    view! {
        <label class="target-option" class:checked=checked data-platform=platform.id>
            <input type="radio" name="target" checked=checked
                aria-describedby=tip_id.clone()
                on:change=move |_| pick_platform(platform)/>
            <span class="t-name">{platform.name}</span>
            <span class="t-fig">{figures}</span>
            <span class="tip" role="tooltip" id=tip_id>
                {(!platform.note.is_empty()).then(|| view! { <span class="tip-note">{platform.note}</span> })}
                <span class="tip-src">"Source: " {platform.source}</span>
                {(!platform.as_of.is_empty()).then(|| view! { <span class="tip-src">"As of " {platform.as_of}</span> })}
            </span>
        </label>
    }
}

/// The custom target's radio and loudness field.
#[component]
fn CustomOption() -> impl IntoView {
    let studio = use_studio();
    let custom = move || studio.target.with(|t| matches!(t, TargetChoice::Custom { .. }));
    let lufs = move || studio.target.with(|t| t.lufs()).unwrap_or(-14.0);
    let error = RwSignal::new(None::<String>);
    let set = move |text: String| match text.trim().replace('\u{2212}', "-").parse::<f64>() {
        Ok(v) if v.is_finite() && (CUSTOM_MIN_LUFS..=CUSTOM_MAX_LUFS).contains(&v) => {
            error.set(None);
            studio.target.set(TargetChoice::Custom { lufs: v });
        }
        _ => error.set(Some(format!(
            "Custom target: “{}” is not a loudness from {} to {} LUFS",
            text.trim(),
            signed(CUSTOM_MIN_LUFS, 0),
            signed(CUSTOM_MAX_LUFS, 0)
        ))),
    };
    view! {
        <div class="target-option custom" class:checked=custom>
            <label class="custom-pick">
                <input type="radio" name="target" checked=custom
                    on:change=move |_| studio.target.set(TargetChoice::Custom { lufs: lufs() })/>
                <span class="t-name">"Custom"</span>
            </label>
            <label class="custom-lufs">
                <input type="text" inputmode="decimal" aria-label="Custom target loudness, LUFS"
                    data-testid="custom-lufs"
                    prop:value=move || format!("{:.1}", lufs())
                    on:change=move |ev| set(event_target_value(&ev))/>
                <span class="unit">"LUFS"</span>
            </label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// The limiter's ceiling, which is the target's.
#[component]
fn CeilingField() -> impl IntoView {
    let studio = use_studio();
    let error = RwSignal::new(None::<String>);
    let value = move || studio.settings.with(|s| s.limiter.ceiling_dbtp);
    let set = move |text: String| {
        let parsed = text.trim().replace('\u{2212}', "-").parse::<f64>().ok().filter(|v| v.is_finite());
        let applied = parsed.ok_or_else(|| format!("True-peak ceiling: “{}” is not a number", text.trim())).and_then(|v| {
            studio.settings.with_untracked(|s| {
                s.with_value("/limiter/ceiling_dbtp", serde_json::json!(v)).map_err(|e| e.to_string())
            })
        });
        match applied {
            Ok(s) => {
                error.set(None);
                studio.settings.set(s);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <label class="ceiling">
            <span>"True-peak ceiling"</span>
            <input type="text" inputmode="decimal" data-testid="ceiling" aria-label="True-peak ceiling, dBTP"
                prop:value=move || format!("{:.1}", value())
                on:change=move |ev| set(event_target_value(&ev))/>
            <span class="unit">"dBTP"</span>
        </label>
        {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}

/// Where the master stands, in words.
#[component]
fn MasterStatus() -> impl IntoView {
    let (studio, state) = (use_studio(), use_state());
    move || {
        if let Some(m) = studio.mastering.get() {
            let pct = (m.fraction * 100.0).round();
            return view! {
                <div class="master-status busy" data-testid="master-status" data-state="mastering" role="status">
                    <div class="bar" role="progressbar" aria-label="Mastering" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=pct.to_string()>
                        <span style=format!("width:{pct}%")></span>
                    </div>
                    <span>{format!("Mastering · {} · {pct:.0} %", m.phase)}</span>
                </div>
            }
            .into_any();
        }
        if state.analysis.with(Option::is_none) {
            return view! { <div class="master-status" data-testid="master-status" data-state="waiting" role="status">"The master is made once the mix is analysed."</div> }.into_any();
        }
        let on = studio.on_target();
        let text = studio.mastered.with(|m| match m {
            None => "Not mastered yet.".to_string(),
            Some(m) if on => {
                let o = &m.report.output_loudness;
                let fig = |v: Option<f64>, u: &str| v.map_or("silence".to_string(), |v| format!("{} {u}", signed(v, 1)));
                let mut s = format!(
                    "On target · {} · {} · drive {} dB",
                    fig(o.integrated_lufs, "LUFS"),
                    fig(o.true_peak_dbtp, "dBTP"),
                    signed(m.settings.input_gain_db as f64, 1)
                );
                if let Some(w) = &m.report.warning {
                    s.push_str(" · ");
                    s.push_str(w);
                }
                s
            }
            Some(_) => "Settings changed: the master is no longer on target. It is made again when you pause.".into(),
        });
        let st = if on { "on-target" } else { "stale" };
        view! { <div class="master-status" class:good=on data-testid="master-status" data-state=st role="status">{text}</div> }.into_any()
    }
}

/// The target card.
#[component]
pub fn TargetPanel() -> impl IntoView {
    let (studio, engine, state) = (use_studio(), use_engine(), use_state());
    let options = PLATFORMS.iter().map(|p| view! { <PlatformOption platform=p/> }).collect_view();
    let label = move || format!("Master for {}", studio.target.with(TargetChoice::name));
    let busy = move || studio.mastering.with(Option::is_some) || state.analysis.with(Option::is_none);
    view! {
        <section class="card target-panel" aria-labelledby="target-title">
            <h2 id="target-title">"Target"</h2>
            <fieldset class="targets">
                <legend class="sr-only">"Where the master will be played"</legend>
                {options}
                <CustomOption/>
            </fieldset>
            <CeilingField/>
            <button class="button primary master-button" data-testid="master" disabled=busy
                on:click=move |_| engine.remaster()>
                {label}
            </button>
            <MasterStatus/>
        </section>
    }
}
