//! Formats the worker does not read itself (MP3, FLAC, Ogg, AAC, and WAV
//! layouts other than 16/24-bit integer and 32-bit float) are decoded by the
//! browser's `decodeAudioData`, at the container's own rate. The channels
//! then move to the worker a piece at a time, as transferred copies, and the
//! `AudioBuffer` is dropped at once: the page never keeps the audio, and no
//! piece takes long enough to freeze the page.

use super::js_err;
use super::worker::WorkerLink;
use js_sys::{ArrayBuffer, Float32Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, File, OfflineAudioContext};

/// Samples moved to the worker per message.
const PIECE: u32 = 1 << 20;

/// A one-frame offline context at `rate` Hz: `decodeAudioData` in it decodes
/// at that rate without opening an audio device.
pub(crate) fn decoding_context(rate: u32) -> Result<OfflineAudioContext, String> {
    OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(1, 1, rate as f32)
        .map_err(|e| format!("the browser cannot decode audio at {rate} Hz: {}", js_err(e)))
}

/// Decodes `bytes` in `ctx`; the error is the browser's message.
pub(crate) async fn decode_bytes(ctx: &OfflineAudioContext, bytes: &ArrayBuffer) -> Result<AudioBuffer, String> {
    let decoded = JsFuture::from(ctx.decode_audio_data(bytes).map_err(js_err)?).await.map_err(js_err)?;
    Ok(decoded.unchecked_into())
}

/// Decodes `file` at `rate` and sends its channels to the worker as the
/// audio of command `id`.
pub(crate) async fn decode_into_worker(file: &File, rate: u32, container: &str, worker: &WorkerLink, id: u32) -> Result<(), String> {
    let name = file.name();
    let data: ArrayBuffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("“{name}” could not be read: {}", js_err(e)))?
        .unchecked_into();
    let ctx = decoding_context(rate)?;
    let buffer = decode_bytes(&ctx, &data).await.map_err(|e| {
        format!("“{name}” could not be decoded ({container}): {e}. The file may be damaged, or in a format this browser does not support.")
    })?;
    drop(data);
    let (channels, frames) = (buffer.number_of_channels(), buffer.length());
    if channels == 0 || channels > 2 {
        return Err(format!("“{name}” has {channels} channels; Lacquer masters mono and stereo files."));
    }
    if frames == 0 {
        return Err(format!("“{name}” holds no audio."));
    }
    worker.send(
        "begin-decoded",
        id,
        &[("channels", channels.into()), ("frames", frames.into()), ("rate", buffer.sample_rate().into())],
        &[],
    );
    // `getChannelData` through JS, so the samples never pass through this module's memory.
    let get: Function = Reflect::get(&buffer, &"getChannelData".into()).map_err(js_err)?.unchecked_into();
    for c in 0..channels {
        let all: Float32Array = get.call1(&buffer, &c.into()).map_err(js_err)?.unchecked_into();
        let mut at = 0;
        while at < frames {
            let end = (at + PIECE).min(frames);
            let piece = all.slice(at, end);
            let buf = piece.buffer();
            worker.send("channel", id, &[("c", c.into()), ("offset", at.into()), ("data", piece.into())], &[buf.into()]);
            at = end;
            super::yield_to_browser().await;
        }
    }
    worker.send("end-decoded", id, &[], &[]);
    Ok(())
}
