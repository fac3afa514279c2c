//! Checking a delivered file before it is offered: the browser decodes the
//! file's own bytes again (`decodeAudioData` in an `OfflineAudioContext` at
//! the file's rate, so nothing is resampled), the decoded frames move to the
//! worker as transferred copies, a piece of every channel at a time, and the
//! worker measures each piece as it comes ([`lacquer_dsp::session::verify`]):
//! loudness, 16× true peak, length. For the streaming master the worker also
//! runs the codec check (Opus at 160 kbps through WebCodecs, decoded again).
//!
//! The worker answers with a `verified` message, which settles the promise
//! [`check_file`] waits on ([`settle`]); a cancel or an error settles it too.

use super::js_err;
use super::worker::WorkerLink;
use js_sys::{ArrayBuffer, Float32Array, Function, Promise, Reflect};
use lacquer_dsp::session::verify::Verified;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, Blob, OfflineAudioContext};

/// Frames moved to the worker per message (every channel's).
const PIECE: u32 = 1 << 18;
/// Frames sent between yields to the browser.
const FRAMES_PER_YIELD: u32 = 1 << 20;

thread_local! {
    /// The `resolve` of each check waiting for the worker, by command id.
    static WAITING: RefCell<HashMap<u32, Function>> = RefCell::new(HashMap::new());
    /// The `resolve` of each codec check waiting, by command id.
    static CODEC_WAITING: RefCell<HashMap<u32, Function>> = RefCell::new(HashMap::new());
}

/// What the worker's codec check found.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OpusFigures {
    /// Largest |sample| decoded, dBFS.
    #[serde(default)]
    pub peak_dbfs: Option<f64>,
    /// Bit rate, kb/s.
    #[serde(default)]
    pub bitrate_kbps: f64,
    /// Why it could not run.
    #[serde(default)]
    pub error: Option<String>,
}

/// What a check gives: the file's figures as decoded, and the codec check
/// when asked for (it ends later: the next file's check need not wait).
pub(crate) struct Checked {
    /// The decoded file's figures.
    pub figures: Verified,
    /// The codec check's answer, to be awaited ([`codec_figures`]).
    pub codec: Option<JsFuture>,
}

/// The codec check of a [`Checked`], once it ends (`None` without one).
pub(crate) async fn codec_figures(c: &mut Checked) -> Option<OpusFigures> {
    let f = c.codec.take()?;
    let o = f.await.unwrap_or(JsValue::NULL);
    Some(if o.is_null() || o.is_undefined() {
        OpusFigures { error: Some("the codec check was stopped".into()), ..Default::default() }
    } else {
        serde_wasm_bindgen::from_value(Reflect::get(&o, &"opus".into()).unwrap_or(o))
            .unwrap_or_else(|e| OpusFigures { error: Some(e.to_string()), ..Default::default() })
    })
}

/// Settles the codec check of command `id` with the worker's
/// `codec-checked` message (or `null`).
pub(crate) fn settle_codec(id: u32, data: &JsValue) {
    if let Some(resolve) = CODEC_WAITING.with(|w| w.borrow_mut().remove(&id)) {
        let _ = resolve.call1(&JsValue::NULL, data);
    }
}

/// Settles the check of command `id` with the worker's `verified` message
/// (or `null` when it was cancelled or failed).
pub(crate) fn settle(id: u32, data: &JsValue) {
    if let Some(resolve) = WAITING.with(|w| w.borrow_mut().remove(&id)) {
        let _ = resolve.call1(&JsValue::NULL, data);
    }
}

/// Settles the check of command `id` (and its codec check) as failed with `why`.
pub(crate) fn fail(id: u32, why: &str) {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"error".into(), &why.into());
    settle(id, &o);
    let c = js_sys::Object::new();
    let _ = Reflect::set(&c, &"error".into(), &why.into());
    let wrapped = js_sys::Object::new();
    let _ = Reflect::set(&wrapped, &"opus".into(), &c);
    settle_codec(id, &wrapped);
}

/// Settles every check waiting, as failed with `why` (the checker died).
pub(crate) fn fail_all(why: &str) {
    let mut ids: Vec<u32> = WAITING.with(|w| w.borrow().keys().copied().collect());
    ids.extend(CODEC_WAITING.with(|w| w.borrow().keys().copied().collect::<Vec<_>>()));
    for id in ids {
        fail(id, why);
    }
}

/// A promise the worker's answer to `id` settles.
fn answer(id: u32) -> JsFuture {
    let p = Promise::new(&mut |resolve, _| {
        WAITING.with(|w| w.borrow_mut().insert(id, resolve));
    });
    JsFuture::from(p)
}

/// A promise the worker's codec check of `id` settles.
fn codec_answer(id: u32) -> JsFuture {
    let p = Promise::new(&mut |resolve, _| {
        CODEC_WAITING.with(|w| w.borrow_mut().insert(id, resolve));
    });
    JsFuture::from(p)
}

/// Decodes `file` (the bytes as offered) at `rate` Hz, has the worker
/// measure it as command `id` (with the Opus round trip when `opus`), and
/// returns the figures. Fails when the browser cannot decode it, or decodes
/// it at another rate.
pub(crate) async fn check_file(file: &Blob, rate: u32, opus: bool, worker: &WorkerLink, id: u32) -> Result<Checked, String> {
    let data: ArrayBuffer = JsFuture::from(file.array_buffer()).await.map_err(js_err)?.unchecked_into();
    let ctx = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(1, 1, rate as f32)
        .map_err(|e| format!("the browser cannot decode audio at {rate} Hz: {}", js_err(e)))?;
    let decoded = JsFuture::from(ctx.decode_audio_data(&data).map_err(js_err)?)
        .await
        .map_err(|e| format!("the browser could not decode the file again: {}", js_err(e)))?;
    drop(data);
    let buffer: AudioBuffer = decoded.unchecked_into();
    let (channels, frames) = (buffer.number_of_channels(), buffer.length());
    if buffer.sample_rate() as u32 != rate {
        return Err(format!("the browser decoded it at {} Hz, not {rate} Hz", buffer.sample_rate()));
    }
    let done = answer(id);
    let codec = opus.then(|| codec_answer(id));
    worker.send(
        "verify-begin",
        id,
        &[("channels", channels.into()), ("frames", frames.into()), ("rate", rate.into()), ("opus", opus.into())],
        &[],
    );
    let get: Function = Reflect::get(&buffer, &"getChannelData".into()).map_err(js_err)?.unchecked_into();
    let all: Vec<Float32Array> = (0..channels)
        .map(|c| get.call1(&buffer, &c.into()).map(|a| a.unchecked_into()))
        .collect::<Result<_, _>>()
        .map_err(js_err)?;
    let mut at = 0;
    let mut since_yield = 0;
    while at < frames {
        let end = (at + PIECE).min(frames);
        let data = js_sys::Array::new();
        let transfer = js_sys::Array::new();
        for a in &all {
            let piece = a.slice(at, end);
            transfer.push(&piece.buffer());
            data.push(&piece);
        }
        worker.send("verify-piece", id, &[("offset", at.into()), ("data", data.into())], &transfer.to_vec());
        since_yield += end - at;
        at = end;
        if since_yield >= FRAMES_PER_YIELD {
            since_yield = 0;
            super::yield_to_browser().await;
        }
    }
    drop(all);
    drop(buffer);
    worker.send("verify-end", id, &[], &[]);
    let msg = done.await.map_err(js_err)?;
    if msg.is_null() || msg.is_undefined() {
        return Err("the check was stopped".into());
    }
    if let Some(why) = Reflect::get(&msg, &"error".into()).ok().and_then(|e| e.as_string()) {
        return Err(why);
    }
    let figures: Verified = serde_wasm_bindgen::from_value(Reflect::get(&msg, &"figures".into()).map_err(js_err)?)
        .map_err(|e| format!("the check's figures could not be read: {e}"))?;
    Ok(Checked { figures, codec })
}
