//! The one `Settings` struct: the single source of truth for the UI, the
//! AudioWorklet, the offline render and the CLI.
//!
//! Every parameter is in user units (dB, Hz, ms, %, ratio), and every field name
//! carries its unit. Missing fields in JSON take their defaults, so a settings
//! file only needs to name what it changes.
//!
//! `Settings` is `Copy` and holds no heap data, so a host can hand a new value to
//! a running [`crate::Master`] without allocating.
//!
//! - [`fields`]: the table of every field (label, unit, range, steps, help)
//!   that the page builds its controls from.
//! - [`validate`]: type and range checks against that table
//!   ([`Settings::validate`], [`Settings::with_value`], [`Settings::get`]);
//!   [`Settings::from_json`] refuses what the table refuses, so nothing is
//!   clamped silently.
//! - [`preset`]: preset files ([`Settings::from_preset_json`]).
//! - [`styles`]: documented starting points, scaled by an intensity
//!   ([`styled`]).

pub mod fields;
pub mod preset;
pub mod styles;
pub mod validate;

pub use fields::{field, Field, Kind, Module, FIELDS};
pub use preset::{preset_size_error, PRESET_MAX_BYTES};
pub use styles::{styled, Style, STYLES};
pub use validate::FieldError;

use serde::{Deserialize, Serialize};

/// The whole mastering chain's parameters, in mastering order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Gain into the chain, dB. Master-to-target sets this.
    pub input_gain_db: f32,
    /// Equaliser.
    pub eq: EqSettings,
    /// Compressor (single band or three band).
    pub compressor: CompressorSettings,
    /// Mid/side width and mono bass.
    pub stereo: StereoSettings,
    /// True-peak limiter.
    pub limiter: LimiterSettings,
    /// Output gain, DC removal and dither.
    pub output: OutputSettings,
    /// Overall amount, % (0 = dry input, 100 = fully processed), latency-aligned.
    pub amount_pct: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            eq: EqSettings::default(),
            compressor: CompressorSettings::default(),
            stereo: StereoSettings::default(),
            limiter: LimiterSettings::default(),
            output: OutputSettings::default(),
            amount_pct: 100.0,
        }
    }
}

/// High-pass slope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Slope {
    /// 12 dB/octave (one second-order Butterworth section).
    #[serde(rename = "12")]
    Db12,
    /// 24 dB/octave (fourth-order Butterworth, two sections).
    #[serde(rename = "24")]
    Db24,
}

/// A shelf band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShelfBand {
    /// Corner frequency, Hz.
    pub freq_hz: f32,
    /// Gain, dB.
    pub gain_db: f32,
    /// Shelf slope S (RBJ cookbook), 1.0 = steepest without overshoot.
    pub slope: f32,
}

impl Default for ShelfBand {
    fn default() -> Self {
        Self { freq_hz: 100.0, gain_db: 0.0, slope: 1.0 }
    }
}

/// A peaking band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeakBand {
    /// Centre frequency, Hz.
    pub freq_hz: f32,
    /// Gain, dB.
    pub gain_db: f32,
    /// Quality factor Q.
    pub q: f32,
}

impl Default for PeakBand {
    fn default() -> Self {
        Self { freq_hz: 1000.0, gain_db: 0.0, q: 0.707 }
    }
}

/// Equaliser: high-pass, low shelf, three peaks, high shelf, tilt.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EqSettings {
    /// Bypass the whole EQ.
    pub bypass: bool,
    /// Subsonic high-pass on/off.
    pub highpass_enabled: bool,
    /// High-pass corner, Hz.
    pub highpass_hz: f32,
    /// High-pass slope.
    pub highpass_slope: Slope,
    /// Low shelf.
    pub low_shelf: ShelfBand,
    /// Three peaking bands (low-mid, mid, high-mid).
    pub peaks: [PeakBand; 3],
    /// High shelf.
    pub high_shelf: ShelfBand,
    /// Tilt, dB: positive brightens (highs up, lows down) around `tilt_pivot_hz`.
    /// The value is the total difference between the extremes.
    pub tilt_db: f32,
    /// Tilt pivot frequency, Hz.
    pub tilt_pivot_hz: f32,
}

impl Default for EqSettings {
    fn default() -> Self {
        Self {
            bypass: false,
            highpass_enabled: true,
            highpass_hz: 20.0,
            highpass_slope: Slope::Db12,
            low_shelf: ShelfBand { freq_hz: 100.0, gain_db: 0.0, slope: 1.0 },
            peaks: [
                PeakBand { freq_hz: 250.0, gain_db: 0.0, q: 1.0 },
                PeakBand { freq_hz: 1000.0, gain_db: 0.0, q: 1.0 },
                PeakBand { freq_hz: 4000.0, gain_db: 0.0, q: 1.0 },
            ],
            high_shelf: ShelfBand { freq_hz: 10_000.0, gain_db: 0.0, slope: 1.0 },
            tilt_db: 0.0,
            tilt_pivot_hz: 1000.0,
        }
    }
}

/// Compressor level detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    /// Peak detection.
    Peak,
    /// RMS detection (window follows the attack time).
    Rms,
}

/// Compressor topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompressorMode {
    /// One full-band compressor.
    Single,
    /// Three bands split by Linkwitz–Riley crossovers.
    Multiband,
}

/// One compressor's dynamics parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dynamics {
    /// Threshold, dBFS.
    pub threshold_db: f32,
    /// Ratio (1 = no compression), :1.
    pub ratio: f32,
    /// Attack, ms.
    pub attack_ms: f32,
    /// Release, ms.
    pub release_ms: f32,
    /// Soft-knee width, dB.
    pub knee_db: f32,
    /// Makeup gain, dB.
    pub makeup_db: f32,
}

impl Default for Dynamics {
    fn default() -> Self {
        // Gentle glue: at a streaming-level master (−14 LUFS) it takes 1–2 dB off
        // the loudest passages and leaves peak control to the limiter.
        Self {
            threshold_db: -15.0,
            ratio: 1.5,
            attack_ms: 30.0,
            release_ms: 200.0,
            knee_db: 6.0,
            makeup_db: 0.0,
        }
    }
}

/// Compressor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompressorSettings {
    /// Bypass the compressor.
    pub bypass: bool,
    /// Single band or three band.
    pub mode: CompressorMode,
    /// Peak or RMS detection.
    pub detector: Detector,
    /// Sidechain high-pass corner, Hz (0 = off). Keeps bass from pumping the gain.
    pub sidechain_hpf_hz: f32,
    /// Full-band dynamics (single mode).
    pub single: Dynamics,
    /// Low/mid crossover, Hz (multiband mode).
    pub crossover_low_hz: f32,
    /// Mid/high crossover, Hz (multiband mode).
    pub crossover_high_hz: f32,
    /// Per-band dynamics, low to high (multiband mode).
    pub bands: [Dynamics; 3],
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            bypass: false,
            mode: CompressorMode::Single,
            detector: Detector::Rms,
            sidechain_hpf_hz: 60.0,
            single: Dynamics::default(),
            crossover_low_hz: 200.0,
            crossover_high_hz: 3000.0,
            bands: [Dynamics::default(); 3],
        }
    }
}

/// Stereo image.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StereoSettings {
    /// Bypass the stereo stage.
    pub bypass: bool,
    /// Side level relative to mid, % (0 = mono, 100 = unchanged, 200 = twice as wide).
    pub width_pct: f32,
    /// Make everything below `mono_bass_hz` mono.
    pub mono_bass_enabled: bool,
    /// Mono-bass crossover, Hz.
    pub mono_bass_hz: f32,
}

impl Default for StereoSettings {
    fn default() -> Self {
        Self { bypass: false, width_pct: 100.0, mono_bass_enabled: false, mono_bass_hz: 120.0 }
    }
}

/// True-peak limiter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimiterSettings {
    /// Bypass the limiter.
    pub bypass: bool,
    /// Ceiling, dBTP (true peak, measured oversampled).
    pub ceiling_dbtp: f32,
    /// Lookahead, ms.
    pub lookahead_ms: f32,
    /// Base release, ms (program-dependent release lengthens it on dense material).
    pub release_ms: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self { bypass: false, ceiling_dbtp: -1.0, lookahead_ms: 5.0, release_ms: 40.0 }
    }
}

/// Output stage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSettings {
    /// Output gain after the limiter, dB, −60 to 0: it can only move the level
    /// further under the ceiling. Validation refuses a positive gain (the
    /// chain still holds one that got past validation at 0 dB).
    pub gain_db: f32,
    /// Remove DC (a first-order high-pass at a few Hz, at the chain's input so the
    /// limiter sees and bounds the final waveform).
    pub dc_remove: bool,
    /// TPDF dither on/off.
    pub dither: bool,
    /// Word length the dither targets, bits (16 or 24).
    pub dither_bits: u8,
    /// First-order noise shaping of the dither.
    pub noise_shaping: bool,
    /// Seed of the dither's random source (same seed, same samples).
    pub dither_seed: u32,
}

impl Default for OutputSettings {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            dc_remove: true,
            dither: true,
            dither_bits: 24,
            noise_shaping: false,
            dither_seed: 0x1ac9_0e12,
        }
    }
}

impl Settings {
    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("settings serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_partial_files() {
        let s = Settings::default();
        assert_eq!(Settings::from_json(&s.to_json()).unwrap(), s);
        let partial = Settings::from_json(r#"{"limiter":{"ceiling_dbtp":-2.0}}"#).unwrap();
        assert_eq!(partial.limiter.ceiling_dbtp, -2.0);
        assert_eq!(partial.eq, EqSettings::default());
        assert!(Settings::from_json(r#"{"nope":1}"#).is_err());
    }
}
