//! Compare: the loudness-matched A/B switch between the master and the mix
//! (`B` on the keyboard), what is playing right now, and "listen as on" each
//! platform, with the gain each platform gives the master and the mix and
//! the loudness it then plays at.

use crate::app::{use_state, use_studio};
use crate::studio::monitor::{match_gain_db, Source};
use crate::studio::target::signed;
use lacquer_dsp::loudness::meter::LoudnessReport;
use lacquer_dsp::loudness::platforms::{self, Platform, PLATFORMS};
use leptos::prelude::*;

/// "+3.0 dB · −11.0 LUFS" for a platform playing a track.
fn plays(p: &Platform, r: Option<&LoudnessReport>) -> (String, String) {
    match r {
        Some(r) => {
            let pb = platforms::playback(p, r);
            (
                format!("{} dB", signed(pb.gain_db, 1)),
                pb.playback_lufs.map_or("—".into(), |l| format!("{} LUFS", signed(l, 1))),
            )
        }
        None => ("…".into(), "…".into()),
    }
}

/// One "listen as" row.
#[component]
fn ListenRow(platform: Option<&'static Platform>) -> impl IntoView {
    let (studio, state) = (use_studio(), use_state());
    let id = platform.map(|p| p.id.to_string());
    let id2 = id.clone();
    let checked = move || studio.listen.with(|l| *l == id2);
    let row_checked = checked.clone();
    let figures = move || {
        let Some(p) = platform else {
            let master = studio.mastered.with(|m| m.as_ref().and_then(|m| m.report.output_loudness.integrated_lufs));
            let mix = state.analysis.with(|a| a.as_ref().and_then(|a| a.loudness.integrated_lufs));
            let l = |v: Option<f64>| v.map_or("—".into(), |v| format!("{} LUFS", signed(v, 1)));
            return ("0.0 dB".to_string(), l(master), "0.0 dB".to_string(), l(mix));
        };
        let (mg, ml) = studio.mastered.with(|m| plays(p, m.as_ref().map(|m| &m.report.output_loudness)));
        let (xg, xl) = state.analysis.with(|a| plays(p, a.as_ref().map(|a| &a.loudness)));
        (mg, ml, xg, xl)
    };
    let name = platform.map_or("As mastered", |p| p.name);
    let test_id = platform.map_or("mastered", |p| p.id);
    view! {
        <tr class:checked=row_checked data-testid="listen-row" data-platform=test_id>
            <td>
                <label class="listen-pick">
                    <input type="radio" name="listen" checked=checked
                        on:change=move |_| studio.listen.set(id.clone())/>
                    <span>{name}</span>
                </label>
            </td>
            <td class="num" data-testid="listen-master">
                <span class="gain">{move || figures().0}</span><span class="plays">{move || figures().1}</span>
            </td>
            <td class="num" data-testid="listen-mix">
                <span class="gain">{move || figures().2}</span><span class="plays">{move || figures().3}</span>
            </td>
        </tr>
    }
}

/// The compare card.
#[component]
pub fn ComparePanel() -> impl IntoView {
    let (studio, state) = (use_studio(), use_state());
    let is = move |s: Source| studio.source.with(|x| *x == s);
    let now_playing = move || {
        let l = studio.listening();
        let setup = state.analysis.with(|mix| {
            studio.mastered.with(|m| l.setup(mix.as_ref().map(|a| &a.loudness), m.as_ref().map(|m| &m.report.output_loudness)))
        });
        l.describe(&setup)
    };
    let match_text = move || {
        let g = state.analysis.with(|mix| {
            studio.mastered.with(|m| match_gain_db(mix.as_ref().map(|a| &a.loudness), m.as_ref().map(|m| &m.report.output_loudness)))
        });
        format!("Match loudness ({} dB on the mix)", signed(g, 1))
    };
    let rows = std::iter::once(None).chain(PLATFORMS.iter().map(Some)).map(|p| view! { <ListenRow platform=p/> }).collect_view();
    view! {
        <section class="card compare-panel" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare"</h2>
            <div class="ab" role="group" aria-label="Play the master or the mix (B)">
                <button class="seg" class:on=move || is(Source::Master) aria-pressed=move || is(Source::Master).to_string()
                    data-testid="ab-master" aria-keyshortcuts="B"
                    on:click=move |_| studio.source.set(Source::Master)>"Master"</button>
                <button class="seg" class:on=move || is(Source::Mix) aria-pressed=move || is(Source::Mix).to_string()
                    data-testid="ab-mix" aria-keyshortcuts="B"
                    on:click=move |_| studio.source.set(Source::Mix)>"Mix"</button>
            </div>
            <label class="check">
                <input type="checkbox" data-testid="ab-match" prop:checked=move || studio.matched.get()
                    on:change=move |ev| studio.matched.set(event_target_checked(&ev))/>
                <span>{match_text}</span>
            </label>
            <p class="now-playing" data-testid="now-playing" aria-live="polite">
                <span class="k">"Playing "</span>{now_playing}
            </p>
            <h3>"Listen as on"</h3>
            <div class="table-wrap">
                <table class="listen" data-testid="listen-table">
                    <thead><tr>
                        <th scope="col">"Platform"</th>
                        <th scope="col" class="num">"Master"<span class="sub">": gain · plays at"</span></th>
                        <th scope="col" class="num">"Mix"<span class="sub">": gain · plays at"</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
