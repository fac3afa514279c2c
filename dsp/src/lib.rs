//! # lacquer-dsp
//!
//! Lacquer's mastering engine: pure Rust with no web dependencies. The same code
//! runs in three hosts: the AudioWorklet (real-time preview, through the C-ABI in
//! [`ffi`]), the browser's offline export, and the native `lacquer` CLI. Given the
//! same input and [`Settings`] they produce the same samples.
//!
//! - [`settings`]: the one serde `Settings` struct, in user units.
//! - [`analysis`]: the per-file analysis computed once on load (loudness report,
//!   peak pyramid for the waveform, long-term spectrum in 1/3-octave bands).
//! - [`chain`]: the processors and [`Master`], which composes them in mastering order.
//! - [`render`]: latency-compensated offline rendering.
//! - [`loudness`]: ITU-R BS.1770 / EBU R128 metering, master-to-target and the
//!   streaming-platform table.
//! - [`session`]: one loaded file as the browser's worker holds it (audio
//!   once, analysis, streaming export).
//! - [`bundle`]: the release bundle (streaming and CD masters, variants, and a
//!   report of what each file measures, in one deterministic ZIP).
//! - [`wav`]: WAV reading (matching the browser's `decodeAudioData` scaling) and writing.
//!
//! ## Processor lifecycle
//! Every processor has `prepare(sample_rate, max_block)`, which may allocate, and
//! `reset()` / `process(..)`, which never allocate, lock or panic.
//!
//! ## References
//! - ITU-R BS.1770-5, *Algorithms to measure audio programme loudness and true-peak audio level*.
//! - EBU R 128 (2023), EBU Tech 3341 (loudness metering) and Tech 3342 (loudness range).
//! - R. Bristow-Johnson, *Cookbook formulae for audio EQ biquad filter coefficients*
//!   (W3C Audio EQ Cookbook).

pub mod analysis;
pub mod bundle;
pub mod chain;
pub mod delivery;
pub mod error;
#[cfg(feature = "worklet")]
pub mod ffi;
pub mod job;
pub mod loudness;
pub mod probe;
pub mod render;
pub mod session;
pub mod settings;
#[cfg(test)]
mod test_signals;
pub mod wav;

pub use chain::Master;
pub use error::DspError;
pub use settings::Settings;
