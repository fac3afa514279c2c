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
    /// Frames the checker has acknowledged for each check, and the `resolve`
    /// of the page waiting for more.
    static ACKED: RefCell<HashMap<u32, (u32, Option<Function>)>> = RefCell::new(HashMap::new());
}

/// When the codec check of a file runs, and how much of the decoded file it
/// may hold queued before the measurement waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodecPlan {
    /// Along the check (a single export): little queued, whatever the
    /// file's length, so the page's memory stays flat for the longest files.
    Along,
    /// Held until the page releases it ([`release_codec`]) once the
    /// bundle's files are checked, so that it does not share the cores with
    /// them; up to a 5-minute 48 kHz stereo song (115 MB as f32) waits
    /// whole, and what does not fit is encoded meanwhile.
    AfterTheChecks,
}

impl CodecPlan {
    /// Bytes of the decoded file the codec check may hold queued.
    fn queue_bytes(self) -> u32 {
        match self {
            CodecPlan::Along => 16 << 20,
            CodecPlan::AfterTheChecks => 128 << 20,
        }
    }
}

/// Lets the codec check of command `id`, held until now, run.
pub(crate) fn release_codec(worker: &WorkerLink, id: u32) {
    worker.send("codec-release", id, &[], &[]);
}

/// Frames the page sends ahead of the checker's acknowledgements: about two
/// segments, so neither side ever queues much of a file.
const AHEAD_FRAMES: u32 = 2 * SEGMENT_FRAMES;

/// The checker has measured `frames` more frames of check `id`.
pub(crate) fn acknowledged(id: u32, frames: u32) {
    let resolve = ACKED.with(|a| {
        a.borrow_mut().get_mut(&id).and_then(|e| {
            e.0 = e.0.saturating_add(frames);
            e.1.take()
        })
    });
    if let Some(r) = resolve {
        let _ = r.call0(&JsValue::NULL);
    }
}

/// Waits until the checker has acknowledged at least `frames` frames of
/// check `id` (or the check has ended: [`settle`] drops its count).
async fn acknowledged_up_to(id: u32, frames: u32) {
    loop {
        let p = ACKED.with(|a| {
            let mut a = a.borrow_mut();
            let e = a.get_mut(&id).filter(|e| e.0 < frames)?;
            Some(Promise::new(&mut |resolve, _| e.1 = Some(resolve)))
        });
        match p {
            Some(p) => {
                let _ = JsFuture::from(p).await;
            }
            None => return,
        }
    }
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
    // The check has ended: a sender waiting for acknowledgements stops.
    if let Some((_, Some(resolve))) = ACKED.with(|a| a.borrow_mut().remove(&id)) {
        let _ = resolve.call0(&JsValue::NULL);
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

/// Frames of a WAV file decoded at a time.
const SEGMENT_FRAMES: u32 = 1 << 18;

/// Where a WAV file's samples lie: its header (every byte before the first
/// sample) and the data chunk.
struct WavLayout {
    /// The bytes before the first sample (RIFF header, `fmt `, any tags, the
    /// `data` chunk's header).
    header: Vec<u8>,
    /// Length of the samples, bytes.
    data_len: u32,
    /// Bytes per frame.
    block_align: u32,
    /// Channels.
    channels: u32,
}

/// The layout of `file` if it is a RIFF/WAVE file the page can cut into
/// segments (`None` for anything else, which is decoded whole).
async fn wav_layout(file: &Blob) -> Result<Option<WavLayout>, String> {
    let head_len = file.size().min(1024.0 * 1024.0);
    let head: ArrayBuffer = JsFuture::from(file.slice_with_f64_and_f64(0.0, head_len).map_err(js_err)?.array_buffer())
        .await
        .map_err(js_err)?
        .unchecked_into();
    let b = js_sys::Uint8Array::new(&head).to_vec();
    let le16 = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as u32;
    let le32 = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Ok(None);
    }
    let (mut pos, mut fmt) = (12usize, None);
    while pos + 8 <= b.len() {
        let (id, size) = (&b[pos..pos + 4], le32(pos + 4));
        if id == b"fmt " && pos + 8 + 16 <= b.len() {
            fmt = Some((le16(pos + 10), le16(pos + 20)));
        }
        if id == b"data" {
            let Some((channels, block_align)) = fmt.filter(|&(c, a)| c > 0 && a > 0) else { return Ok(None) };
            let at = pos + 8;
            let data_len = (size as f64).min(file.size() - at as f64).max(0.0) as u32;
            return Ok(Some(WavLayout { header: b[..at].to_vec(), data_len: data_len - data_len % block_align, block_align, channels }));
        }
        pos += 8 + size as usize + (size as usize % 2);
    }
    Ok(None)
}

/// Decodes `bytes` at the context's rate ([`super::decode`]); checks the rate.
async fn decode(ctx: &OfflineAudioContext, bytes: &ArrayBuffer, rate: u32) -> Result<AudioBuffer, String> {
    let buffer = super::decode::decode_bytes(ctx, bytes)
        .await
        .map_err(|e| format!("the browser could not decode the file again: {e}"))?;
    if buffer.sample_rate() as u32 != rate {
        return Err(format!("the browser decoded it at {} Hz, not {rate} Hz", buffer.sample_rate()));
    }
    Ok(buffer)
}

/// Sends frames `0..n` of `buffer` to the worker as pieces of every channel.
async fn send_frames(buffer: &AudioBuffer, worker: &WorkerLink, id: u32, offset: u32) -> Result<(), String> {
    let get: Function = Reflect::get(buffer, &"getChannelData".into()).map_err(js_err)?.unchecked_into();
    let all: Vec<Float32Array> = (0..buffer.number_of_channels())
        .map(|c| get.call1(buffer, &c.into()).map(|a| a.unchecked_into()))
        .collect::<Result<_, _>>()
        .map_err(js_err)?;
    let frames = buffer.length();
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
        worker.send("verify-piece", id, &[("offset", (offset + at).into()), ("data", data.into())], &transfer.to_vec());
        since_yield += end - at;
        at = end;
        if since_yield >= FRAMES_PER_YIELD {
            since_yield = 0;
            super::yield_to_browser().await;
        }
    }
    Ok(())
}

/// Decodes `file` (the bytes as offered) at `rate` Hz, has the worker
/// measure it as command `id` (with the Opus round trip when `opus` plans one), and
/// returns the figures. Fails when the browser cannot decode it, or decodes
/// it at another rate.
///
/// A WAV file is decoded a segment at a time: each segment is the file's
/// own header (its sizes set to the segment's) and the next
/// [`SEGMENT_FRAMES`] frames of its data, so the page never holds the file
/// or its decoding whole, and no decoding takes the page's thread long
/// however long the file. Any other file is decoded whole, and only up to
/// the length the caller allows.
pub(crate) async fn check_file(file: &Blob, rate: u32, opus: Option<CodecPlan>, worker: &WorkerLink, id: u32) -> Result<Checked, String> {
    let ctx = super::decode::decoding_context(rate)?;
    let done = answer(id);
    let codec = opus.map(|_| codec_answer(id));
    ACKED.with(|a| a.borrow_mut().insert(id, (0, None)));
    let queue_bytes = opus.map_or(0, CodecPlan::queue_bytes);
    let held = opus == Some(CodecPlan::AfterTheChecks);
    let begin = |channels: u32, frames: u32| {
        worker.send(
            "verify-begin",
            id,
            &[
                ("channels", channels.into()),
                ("frames", frames.into()),
                ("rate", rate.into()),
                ("opus", opus.is_some().into()),
                ("queueBytes", queue_bytes.into()),
                ("held", held.into()),
            ],
            &[],
        )
    };
    match wav_layout(file).await? {
        Some(w) => {
            let frames = w.data_len / w.block_align;
            begin(w.channels, frames);
            let data_at = w.header.len() as f64;
            let mut at = 0;
            while at < frames {
                acknowledged_up_to(id, at.saturating_sub(AHEAD_FRAMES)).await;
                if WAITING.with(|w| !w.borrow().contains_key(&id)) {
                    break;
                }
                let n = SEGMENT_FRAMES.min(frames - at);
                let (from, len) = (data_at + (at * w.block_align) as f64, n * w.block_align);
                let body: ArrayBuffer = JsFuture::from(file.slice_with_f64_and_f64(from, from + len as f64).map_err(js_err)?.array_buffer())
                    .await
                    .map_err(js_err)?
                    .unchecked_into();
                let mut header = w.header.clone();
                let riff = (header.len() as u32 + len - 8).to_le_bytes();
                header[4..8].copy_from_slice(&riff);
                let at_size = header.len() - 4;
                header[at_size..].copy_from_slice(&len.to_le_bytes());
                let segment = js_sys::Uint8Array::new_with_length(header.len() as u32 + len);
                segment.subarray(0, header.len() as u32).copy_from(&header);
                segment.set(&js_sys::Uint8Array::new(&body), header.len() as u32);
                let buffer = decode(&ctx, &segment.buffer(), rate).await?;
                if buffer.length() != n || buffer.number_of_channels() != w.channels {
                    return Err(format!(
                        "the browser decoded {} frames of {} channels where the file holds {n} of {}",
                        buffer.length(),
                        buffer.number_of_channels(),
                        w.channels
                    ));
                }
                send_frames(&buffer, worker, id, at).await?;
                at += n;
            }
        }
        None => {
            let data: ArrayBuffer = JsFuture::from(file.array_buffer()).await.map_err(js_err)?.unchecked_into();
            let buffer = decode(&ctx, &data, rate).await?;
            drop(data);
            begin(buffer.number_of_channels(), buffer.length());
            send_frames(&buffer, worker, id, 0).await?;
        }
    }
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
