//! The export: `MasterJob` in time slices on the main thread, then a 24-bit WAV
//! download. The samples are exactly those `lacquer master` writes for the same
//! input, because both run the same `lacquer_dsp` code with the same defaults.

use super::{js_err, Engine};
use crate::state::{AppState, ExportState};
use js_sys::{Array, Promise, Uint8Array};
use lacquer_dsp::job::MasterJob;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::{wav, Settings};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Work per slice before handing control back to the browser, ms.
const SLICE_MS: f64 = 30.0;
/// Frames per `MasterJob::step` call.
const STEP_FRAMES: usize = 16_384;

/// Lets the browser paint and handle input.
async fn yield_to_browser() {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(p).await;
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// `Song.final.wav` → `Song.final-master.wav`.
pub fn master_file_name(input: &str) -> String {
    let stem = match input.rfind('.') {
        Some(i) if i > 0 => &input[..i],
        _ => input,
    };
    format!("{stem}-master.wav")
}

pub(super) async fn run(engine: &Engine, st: AppState) {
    if matches!(st.export.get_untracked(), ExportState::Running { .. }) {
        return;
    }
    let Some((channels, sample_rate, name)) = engine.export_input() else {
        return;
    };
    st.export.set(ExportState::Running { fraction: 0.0, phase: "starting".into() });
    yield_to_browser().await;
    let job = MasterJob::new((*channels).clone(), sample_rate, Settings::default(), Some(Target::default()));
    let mut job = match job {
        Ok(j) => j,
        Err(e) => {
            st.export.set(ExportState::Idle);
            st.error.set(Some(format!("Export failed: {e}")));
            return;
        }
    };
    let started = now_ms();
    loop {
        let slice_start = now_ms();
        let mut p = job.step(STEP_FRAMES);
        while !p.done && now_ms() - slice_start < SLICE_MS {
            p = job.step(STEP_FRAMES);
        }
        st.export.set(ExportState::Running { fraction: p.fraction, phase: p.phase.to_string() });
        if p.done {
            break;
        }
        yield_to_browser().await;
    }
    let result = job.into_result();
    let bytes = wav::write_pcm(&result.channels, result.sample_rate, 24);
    let file_name = master_file_name(&name);
    if let Err(e) = download(&bytes, &file_name) {
        st.export.set(ExportState::Idle);
        st.error.set(Some(format!("The download could not start: {e}")));
        return;
    }
    let r = &result.report;
    let lufs = |v: Option<f64>| v.map_or("silence".to_string(), |v| format!("{v:.1} LUFS"));
    let summary = format!(
        "{} → {} · gain {:+.1} dB · rendered in {:.1} s",
        lufs(r.input_lufs),
        lufs(r.output_lufs),
        r.input_gain_db,
        (now_ms() - started) / 1000.0
    );
    st.export.set(ExportState::Done { file_name, summary, report: Box::new(result.report) });
}

/// Offers `bytes` as a file download.
fn download(bytes: &[u8], file_name: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = Array::of1(&Uint8Array::from(bytes));
    let opts = BlobPropertyBag::new();
    opts.set_type("audio/wav");
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(js_err)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    let a: HtmlAnchorElement = document.create_element("a").map_err(js_err)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    document.body().ok_or("no body")?.append_child(&a).map_err(js_err)?;
    a.click();
    a.remove();
    // Free the blob once the browser has taken it.
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    Ok(())
}
