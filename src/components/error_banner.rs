//! The message shown when something went wrong. The app keeps working.

use crate::app::use_state;
use leptos::prelude::*;

/// A dismissible error banner.
#[component]
pub fn ErrorBanner() -> impl IntoView {
    let state = use_state();
    move || {
        state.error.get().map(|msg| {
            view! {
                <div class="error" role="alert" data-testid="error">
                    <span class="icon" aria-hidden="true">"!"</span>
                    <span class="msg">{msg}</span>
                    <button class="close" title="Dismiss" on:click=move |_| state.error.set(None)>"×"</button>
                </div>
            }
        })
    }
}
