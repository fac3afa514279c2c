//! The release choices: the file's format and rate, the tags (the ISRC
//! checked as it is typed, with a clear message, and the export refused
//! until it is fixed), "no tags", and the bundle's loud and quiet variants.
//! They are the studio's ([`crate::studio::release`]) and kept across reloads.

use crate::app::use_studio;
use crate::studio::release::{FileFormat, RateChoice, ReleaseChoice};
use leptos::prelude::*;

/// One text field of the tags.
#[component]
fn TagField(
    /// The field's label.
    label: &'static str,
    /// The test id and input name.
    name: &'static str,
    /// Reads the field from the choices.
    get: fn(&ReleaseChoice) -> String,
    /// Writes the field into the choices.
    set: fn(&mut ReleaseChoice, String),
) -> impl IntoView {
    let studio = use_studio();
    let value = move || studio.release.with(get);
    view! {
        <label class="tag-field">
            <span class="k">{label}</span>
            <input type="text" name=name data-testid=format!("tag-{name}") prop:value=value
                disabled=move || studio.release.with(|r| r.no_tags)
                on:input=move |ev| { let v = event_target_value(&ev); studio.release.update(|r| set(r, v)); }/>
        </label>
    }
}

/// The release form: format, rate, tags and variants.
#[component]
pub fn ReleaseForm() -> impl IntoView {
    let studio = use_studio();
    let format = move || studio.release.with(|r| r.format.id());
    let rate = move || studio.release.with(|r| r.rate.id());
    let problem = move || studio.release.with(ReleaseChoice::tags_problem);
    let formats = FileFormat::ALL
        .into_iter()
        .map(|f| view! { <option value=f.id() selected=move || format() == f.id()>{f.label()}</option> })
        .collect_view();
    let rates = RateChoice::ALL
        .into_iter()
        .map(|r| {
            let label = match r {
                RateChoice::Source => "Source rate (no conversion)",
                RateChoice::Hz44100 => "44.1 kHz",
                RateChoice::Hz48000 => "48 kHz",
            };
            view! { <option value=r.id() selected=move || rate() == r.id()>{label}</option> }
        })
        .collect_view();
    let check = |name: &'static str, label: &'static str, get: fn(&ReleaseChoice) -> bool, set: fn(&mut ReleaseChoice, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" data-testid=name prop:checked=move || studio.release.with(get)
                    on:change=move |ev| { let v = event_target_checked(&ev); studio.release.update(|r| set(r, v)); }/>
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <div class="release-form">
            <label class="row">
                <span class="k">"Format"</span>
                <select data-testid="release-format" aria-label="File format"
                    on:change=move |ev| if let Some(f) = FileFormat::from_id(&event_target_value(&ev)) {
                        studio.release.update(|r| r.format = f);
                    }>{formats}</select>
            </label>
            <label class="row">
                <span class="k">"Sample rate"</span>
                <select data-testid="release-rate" aria-label="Sample rate"
                    on:change=move |ev| if let Some(x) = RateChoice::from_id(&event_target_value(&ev)) {
                        studio.release.update(|r| r.rate = x);
                    }>{rates}</select>
            </label>
            <fieldset class="tags">
                <legend>"Tags"</legend>
                <TagField label="Title" name="title" get=|r| r.tags.title.clone() set=|r, v| r.tags.title = v/>
                <TagField label="Artist" name="artist" get=|r| r.tags.artist.clone() set=|r, v| r.tags.artist = v/>
                <TagField label="Album" name="album" get=|r| r.tags.album.clone() set=|r, v| r.tags.album = v/>
                <TagField label="Year" name="year" get=|r| r.tags.year.clone() set=|r, v| r.tags.year = v/>
                <TagField label="ISRC" name="isrc" get=|r| r.tags.isrc.clone() set=|r, v| r.tags.isrc = v/>
                {move || problem().map(|p| view! { <div class="warning" role="alert" data-testid="tags-problem">{p}</div> })}
                {check("no-tags", "No tags in the files", |r| r.no_tags, |r, v| r.no_tags = v)}
            </fieldset>
            <div class="variants">
                <span class="k">"Bundle"</span>
                {check("variant-loud", "Loud variant (−11 LUFS)", |r| r.loud, |r, v| r.loud = v)}
                {check("variant-quiet", "Quiet variant (−16 LUFS)", |r| r.quiet, |r, v| r.quiet = v)}
            </div>
        </div>
    }
}
