//! What was loaded: name, format, duration, sample rate and channels.

use super::fmt_time;
use crate::app::use_state;
use leptos::prelude::*;

/// The loaded file's facts.
#[component]
pub fn FileCard() -> impl IntoView {
    let state = use_state();
    move || {
        state.file.get().map(|f| {
            let rate_note = if f.native_rate {
                "the file's own rate".to_string()
            } else {
                "rate not stated in the file; decoded at this rate".to_string()
            };
            let channels = match f.channels {
                1 => "mono".to_string(),
                2 => "stereo".to_string(),
                n => format!("{n} channels"),
            };
            view! {
                <div class="card file-card">
                    <div class="file-name" data-testid="file-name" title=f.name.clone()>{f.name.clone()}</div>
                    <dl class="facts">
                        <div><dt>"Format"</dt><dd>{f.container.clone()}</dd></div>
                        <div><dt>"Duration"</dt>
                            <dd data-testid="file-duration" data-seconds=f.duration_s.to_string()>{fmt_time(f.duration_s)}</dd></div>
                        <div><dt>"Sample rate"</dt>
                            <dd data-testid="file-rate" data-hz=f.sample_rate.to_string() title=rate_note>
                                {format!("{:.1} kHz", f.sample_rate as f64 / 1000.0)}
                            </dd></div>
                        <div><dt>"Channels"</dt>
                            <dd data-testid="file-channels" data-channels=f.channels.to_string()>{channels}</dd></div>
                        <div><dt>"Size"</dt><dd>{format!("{:.1} MB", f.bytes as f64 / 1e6)}</dd></div>
                    </dl>
                </div>
            }
        })
    }
}
