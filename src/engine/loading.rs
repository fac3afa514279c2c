//! Loading a file: recognising its format, handing it to the worker (or
//! decoding it here first), pointing playback at it once the worker holds
//! it, and bringing back the file before when a load fails or is cancelled.

use super::{decode, js_err, Engine, Source};
use crate::state::{ExportState, FileInfo, Work};
use js_sys::{ArrayBuffer, Uint8Array};
use lacquer_dsp::probe::{self, Container};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

/// Rate used when a container does not state its own.
const FALLBACK_RATE: u32 = 48_000;
/// Bytes of a file's start read to recognise its format.
const PROBE_BYTES: f64 = 64.0 * 1024.0;

impl Engine {
    /// Probes `file` and hands it to the worker. On failure the message is
    /// shown and the file loaded before stays loaded.
    pub async fn load_file(&self, file: File) {
        let st = self.state;
        st.error.set(None);
        match self.probe(&file).await {
            Ok(source) => self.start_load(source),
            Err(msg) => st.error.set(Some(msg)),
        }
    }

    /// Recognises the format from the file's first bytes.
    pub(super) async fn probe(&self, file: &File) -> Result<Source, String> {
        let name = file.name();
        if file.size() == 0.0 {
            return Err(format!("“{name}” is empty (0 bytes)."));
        }
        let head = file.slice_with_f64_and_f64(0.0, PROBE_BYTES.min(file.size())).map_err(js_err)?;
        let head: ArrayBuffer = JsFuture::from(head.array_buffer())
            .await
            .map_err(|e| format!("“{name}” could not be read: {}", js_err(e)))?
            .unchecked_into();
        let p = probe::probe(&Uint8Array::new(&head).to_vec());
        match p.container {
            Container::Aiff => {
                return Err(format!(
                    "“{name}” is an AIFF file, which this browser cannot decode. Export the mix as WAV or FLAC and drop that instead."
                ))
            }
            Container::Unknown if !looks_like_audio(&name) => {
                return Err(format!(
                    "“{name}” does not look like an audio file. Lacquer reads WAV, FLAC, MP3, Ogg Vorbis, Opus and AAC."
                ))
            }
            _ => {}
        }
        if let Some(r) = p.sample_rate.filter(|r| !(8_000..=192_000).contains(r)) {
            return Err(format!("“{name}” is at {r} Hz; Lacquer works with sample rates from 8 to 192 kHz."));
        }
        if let Some(c) = p.channels.filter(|c| *c > 2) {
            return Err(format!("“{name}” has {c} channels; Lacquer masters mono and stereo files."));
        }
        Ok(Source {
            id: self.next_id(),
            file: file.clone(),
            container: p.container,
            rate: p.sample_rate.unwrap_or(FALLBACK_RATE),
            native_rate: p.sample_rate.is_some(),
        })
    }

    /// Sends `source` to the worker (WAV) or decodes it here first.
    pub(super) fn start_load(&self, source: Source) {
        let st = self.state;
        self.pause();
        st.loading.set(true);
        st.analysis.set(None);
        st.master_analysis.set(None);
        self.studio.mastered.set(None);
        st.overview.set(None);
        st.zoom_peaks.set(None);
        st.selection.set(None);
        st.view.set(crate::state::TimeView::default());
        st.work.set(Some(Work { phase: "reading".into(), fraction: 0.0 }));
        let wav = source.container == Container::Wav;
        let (id, file) = (source.id, source.file.clone());
        self.inner.borrow_mut().loading = Some(source);
        if wav {
            self.with_worker(|w| w.send("load", id, &[("file", file.into())], &[]));
        } else {
            self.decode_here(id);
        }
    }

    /// Decodes the file being loaded with the browser's decoder.
    pub(super) fn decode_here(&self, id: u32) {
        let engine = self.clone();
        spawn_local(async move {
            let Some(src) = engine.inner.borrow().loading.clone().filter(|s| s.id == id) else { return };
            engine.state.work.set(Some(Work { phase: "decoding".into(), fraction: 0.0 }));
            let link = engine.inner.borrow().worker.clone();
            let result = match &link {
                Some(w) => decode::decode_into_worker(&src.file, src.rate, src.container.name(), w, id).await,
                None => Err("the audio engine is not running".into()),
            };
            if let Err(msg) = result {
                engine.load_failed(id, msg);
            }
        });
    }

    /// The worker holds the file: point playback at it.
    pub(super) async fn loaded(&self, src: Source, channels: u32, frames: f64, rate: u32) {
        let st = self.state;
        if let Err(msg) = self.ensure_playback(rate).await {
            st.error.set(Some(msg));
        }
        if let Some(p) = &self.inner.borrow().playback {
            p.set_source(src.id, frames, channels);
        }
        let info = FileInfo {
            name: src.file.name(),
            container: src.container.name().to_string(),
            duration_s: frames / rate as f64,
            sample_rate: rate,
            frames: frames as u64,
            native_rate: src.native_rate,
            channels,
            bytes: src.file.size() as u64,
        };
        {
            let mut inner = self.inner.borrow_mut();
            inner.loading = None;
            inner.previous = inner.loaded.replace(src);
        }
        st.position_s.set(0.0);
        st.playing.set(false);
        st.export.set(ExportState::Idle);
        st.file.set(Some(info));
        st.loading.set(false);
    }

    /// Cancels loading (reading or analysing) the file being loaded; the
    /// file loaded before it comes back.
    pub fn cancel_load(&self) {
        let inner = self.inner.borrow();
        let id = match (&inner.loading, &inner.loaded) {
            (Some(s), _) => s.id,
            (None, Some(s)) if self.state.analysis.get_untracked().is_none() => s.id,
            _ => return,
        };
        drop(inner);
        self.with_worker(|w| w.send("cancel", id, &[], &[]));
    }

    /// Loading `id` was cancelled: bring back the file loaded before it
    /// (or the empty studio if there was none).
    pub(super) fn cancelled_load(&self, id: u32) {
        let st = self.state;
        let restore = {
            let mut inner = self.inner.borrow_mut();
            if inner.loading.as_ref().is_some_and(|s| s.id == id) {
                // Still reading: the file before is the loaded one.
                inner.loading = None;
                inner.loaded.take()
            } else if inner.loaded.as_ref().is_some_and(|s| s.id == id) {
                // Analysing: the file before was moved aside when this one landed.
                inner.loaded = None;
                inner.previous.take()
            } else {
                None
            }
        };
        st.loading.set(false);
        st.work.set(None);
        match restore {
            Some(prev) => self.start_load(Source { id: self.next_id(), ..prev }),
            None => {
                st.analysis.set(None);
                st.file.set(None);
            }
        }
    }

    /// A load failed: say why, and keep (or bring back) the file loaded before.
    pub(super) fn load_failed(&self, id: u32, msg: String) {
        let st = self.state;
        let previous = {
            let mut inner = self.inner.borrow_mut();
            if inner.loading.as_ref().is_some_and(|s| s.id == id) {
                inner.loading = None;
            }
            inner.loaded.take()
        };
        st.loading.set(false);
        st.work.set(None);
        st.error.set(Some(msg));
        // The worker let go of the old file to read the new one: load it again.
        if let Some(prev) = previous {
            let again = Source { id: self.next_id(), ..prev };
            self.start_load(again);
        }
    }
}

/// True when the extension names an audio format the browser may decode even
/// though its header was not recognised (e.g. raw AAC/ADTS).
fn looks_like_audio(name: &str) -> bool {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "aac" | "adts" | "m4a" | "mp4" | "mp3" | "webm" | "weba" | "caf")
}
