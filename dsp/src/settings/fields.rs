//! The field table: one row for every leaf of [`Settings`](super::Settings),
//! in mastering order, with what a control needs to show it (label, unit,
//! range, steps, scale, help) and what validation checks.
//!
//! Rows are addressed by JSON pointer into the settings' JSON
//! (`"/eq/peaks/1/gain_db"`), so the page reads and writes values with
//! [`Settings::get`](super::Settings::get) and
//! [`Settings::with_value`](super::Settings::with_value) without knowing the
//! struct. A test proves that every leaf of the default settings has exactly
//! one row and that every default is in range.
//!
//! The ranges are what a mastering engineer reaches for and what the chain
//! handles without holding the value at a limit of its own:
//!
//! - frequencies stay below 20 kHz, under the 0.49 × fs the biquads allow at
//!   44.1 kHz (the compressor's crossovers stay under 16 kHz, under its
//!   0.45 × fs);
//! - the input gain spans −60 to +60 dB, the chain's own range, because
//!   master-to-target sets it (its search stays within −40 to +30 dB);
//! - the limiter's ceiling reaches down to −30 dBTP, the chain's range,
//!   because master-to-target lowers the chain's ceiling under the target's
//!   when a chain overshoots it;
//! - the output gain is at most 0 dB: after the limiter it may only move the
//!   level further under the ceiling;
//! - the lookahead is at most the limiter's 20 ms; it sets the chain's
//!   latency, so a host applies a change at its next `prepare`.

use serde::Serialize;

/// The module a field belongs to: the control panel's sections, in
/// mastering order.
#[derive(Clone, Copy, Debug, PartialEq, core::cmp::Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Module {
    /// Gain into the chain.
    Input,
    /// Equaliser.
    Eq,
    /// Compressor.
    Compressor,
    /// Stereo image.
    Stereo,
    /// True-peak limiter.
    Limiter,
    /// Output gain, DC removal and dither.
    Output,
    /// Overall dry/processed amount.
    Amount,
}

impl Module {
    /// Every module, in mastering order.
    pub const ALL: &'static [Module] =
        &[Module::Input, Module::Eq, Module::Compressor, Module::Stereo, Module::Limiter, Module::Output, Module::Amount];

    /// Name to show.
    pub fn label(self) -> &'static str {
        match self {
            Module::Input => "Input",
            Module::Eq => "EQ",
            Module::Compressor => "Compressor",
            Module::Stereo => "Stereo",
            Module::Limiter => "Limiter",
            Module::Output => "Output",
            Module::Amount => "Amount",
        }
    }
}

/// What kind of control a field takes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Kind {
    /// A number in `min..=max` (inclusive), in the field's unit.
    Number {
        /// Smallest value accepted.
        min: f64,
        /// Largest value accepted.
        max: f64,
        /// Step of a normal adjustment (an arrow key).
        step: f64,
        /// Step of a fine adjustment (with a modifier key).
        fine_step: f64,
        /// The control is best shown on a logarithmic scale (frequencies,
        /// ratios, times).
        log: bool,
    },
    /// On or off (`true` / `false`).
    Toggle,
    /// One of a list: `(value as JSON text, label)`, e.g. `("\"rms\"", "RMS")`
    /// or `("24", "24-bit")`.
    Choice(&'static [(&'static str, &'static str)]),
}

/// One field of the settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Field {
    /// JSON pointer into the settings' JSON, e.g. `"/eq/peaks/1/gain_db"`.
    pub path: &'static str,
    /// The module it belongs to.
    pub module: Module,
    /// Name to show within its module, e.g. `"Peak 2 gain"`.
    pub label: &'static str,
    /// Unit to show after the value: `"dB"`, `"Hz"`, `"ms"`, `"%"`, `":1"`, …
    /// (empty for toggles, choices and plain numbers).
    pub unit: &'static str,
    /// Control kind and range.
    pub kind: Kind,
    /// One line of help.
    pub help: &'static str,
}

impl Field {
    /// The field's name in a sentence: the module, then the label, e.g.
    /// `"Limiter ceiling"` (just the label where it already names the
    /// module, e.g. `"Input gain"`).
    pub fn name(&self) -> String {
        let m = self.module.label();
        if self.label.to_lowercase().starts_with(&m.to_lowercase()) {
            return self.label.to_string();
        }
        // "DC removal" keeps its capitals; "Gain" becomes "gain".
        let mut chars = self.label.chars();
        let acronym = self.label.chars().nth(1).is_some_and(char::is_uppercase);
        let first: String = match chars.next() {
            Some(c) if !acronym => c.to_lowercase().collect(),
            Some(c) => c.to_string(),
            None => String::new(),
        };
        format!("{m} {first}{}", chars.as_str())
    }

    /// The module and the label, e.g. `"Limiter · Ceiling"`.
    pub fn qualified_label(&self) -> String {
        format!("{} · {}", self.module.label(), self.label)
    }
}

/// The row for a JSON pointer, if it names a field.
pub fn field(path: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == path)
}

const fn num(min: f64, max: f64, step: f64, fine_step: f64, log: bool) -> Kind {
    Kind::Number { min, max, step, fine_step, log }
}

const fn row(path: &'static str, module: Module, label: &'static str, unit: &'static str, kind: Kind, help: &'static str) -> Field {
    Field { path, module, label, unit, kind, help }
}

use Module::{Amount, Compressor, Eq, Input, Limiter, Output, Stereo};

/// Kinds shared by several rows.
const HZ_FULL: Kind = num(20.0, 20_000.0, 1.0, 0.1, true);
const EQ_GAIN: Kind = num(-18.0, 18.0, 0.5, 0.1, false);
const SHELF_SLOPE: Kind = num(0.1, 1.0, 0.05, 0.01, false);
const PEAK_Q: Kind = num(0.1, 10.0, 0.1, 0.01, true);
const THRESHOLD: Kind = num(-60.0, 0.0, 0.5, 0.1, false);
const RATIO: Kind = num(1.0, 20.0, 0.1, 0.01, true);
const ATTACK: Kind = num(0.1, 500.0, 1.0, 0.1, true);
const RELEASE: Kind = num(5.0, 5000.0, 10.0, 1.0, true);
const KNEE: Kind = num(0.0, 24.0, 0.5, 0.1, false);
const MAKEUP: Kind = num(-12.0, 24.0, 0.5, 0.1, false);
const BYPASS: &str = "Takes the module out of the chain (crossfaded, so it never clicks).";
const H_THRESHOLD: &str = "Level above which the compressor turns the signal down.";
const H_RATIO: &str = "Input dB above the threshold per output dB: 1:1 leaves the level alone.";
const H_ATTACK: &str = "How fast gain reduction sets in; shorter catches more transient.";
const H_RELEASE: &str = "How fast gain reduction lets go; shorter is louder but can pump.";
const H_KNEE: &str = "Width of the soft knee around the threshold; 0 is a hard knee.";
const H_MAKEUP: &str = "Gain after compression.";

/// Every field of [`Settings`](super::Settings), in mastering order.
pub const FIELDS: &[Field] = &[
    row("/input_gain_db", Input, "Input gain", "dB", num(-60.0, 60.0, 0.1, 0.01, false),
        "Gain into the chain; master-to-target sets it to reach the loudness target."),
    // EQ
    row("/eq/bypass", Eq, "Bypass", "", Kind::Toggle, BYPASS),
    row("/eq/highpass_enabled", Eq, "High-pass", "", Kind::Toggle,
        "Subsonic high-pass: removes rumble below the corner that only eats headroom."),
    row("/eq/highpass_hz", Eq, "High-pass corner", "Hz", num(10.0, 300.0, 1.0, 0.1, true),
        "Corner of the subsonic high-pass."),
    row("/eq/highpass_slope", Eq, "High-pass slope", "", Kind::Choice(&[("\"12\"", "12 dB/oct"), ("\"24\"", "24 dB/oct")]),
        "Steepness of the high-pass (Butterworth)."),
    row("/eq/low_shelf/freq_hz", Eq, "Low shelf frequency", "Hz", num(20.0, 1000.0, 1.0, 0.1, true),
        "Corner of the low shelf."),
    row("/eq/low_shelf/gain_db", Eq, "Low shelf gain", "dB", EQ_GAIN, "Lift or cut of everything below the corner."),
    row("/eq/low_shelf/slope", Eq, "Low shelf slope", "", SHELF_SLOPE,
        "Shelf steepness S: 1 is the steepest without overshoot, lower is gentler."),
    row("/eq/peaks/0/freq_hz", Eq, "Peak 1 frequency", "Hz", HZ_FULL, "Centre of the first (low-mid) peaking band."),
    row("/eq/peaks/0/gain_db", Eq, "Peak 1 gain", "dB", EQ_GAIN, "Lift or cut at the centre."),
    row("/eq/peaks/0/q", Eq, "Peak 1 Q", "", PEAK_Q, "Sharpness of the band: higher is narrower."),
    row("/eq/peaks/1/freq_hz", Eq, "Peak 2 frequency", "Hz", HZ_FULL, "Centre of the second (mid) peaking band."),
    row("/eq/peaks/1/gain_db", Eq, "Peak 2 gain", "dB", EQ_GAIN, "Lift or cut at the centre."),
    row("/eq/peaks/1/q", Eq, "Peak 2 Q", "", PEAK_Q, "Sharpness of the band: higher is narrower."),
    row("/eq/peaks/2/freq_hz", Eq, "Peak 3 frequency", "Hz", HZ_FULL, "Centre of the third (high-mid) peaking band."),
    row("/eq/peaks/2/gain_db", Eq, "Peak 3 gain", "dB", EQ_GAIN, "Lift or cut at the centre."),
    row("/eq/peaks/2/q", Eq, "Peak 3 Q", "", PEAK_Q, "Sharpness of the band: higher is narrower."),
    row("/eq/high_shelf/freq_hz", Eq, "High shelf frequency", "Hz", num(1000.0, 20_000.0, 10.0, 1.0, true),
        "Corner of the high shelf."),
    row("/eq/high_shelf/gain_db", Eq, "High shelf gain", "dB", EQ_GAIN, "Lift or cut of everything above the corner."),
    row("/eq/high_shelf/slope", Eq, "High shelf slope", "", SHELF_SLOPE,
        "Shelf steepness S: 1 is the steepest without overshoot, lower is gentler."),
    row("/eq/tilt_db", Eq, "Tilt", "dB", num(-12.0, 12.0, 0.5, 0.1, false),
        "Tilts the whole spectrum around the pivot: positive is brighter, negative darker \
         (the difference between the extremes)."),
    row("/eq/tilt_pivot_hz", Eq, "Tilt pivot", "Hz", num(100.0, 10_000.0, 10.0, 1.0, true),
        "Frequency the tilt turns around."),
    // Compressor
    row("/compressor/bypass", Compressor, "Bypass", "", Kind::Toggle, BYPASS),
    row("/compressor/mode", Compressor, "Mode", "", Kind::Choice(&[("\"single\"", "Single band"), ("\"multiband\"", "Three band")]),
        "One full-band compressor, or three bands split at the crossovers."),
    row("/compressor/detector", Compressor, "Detector", "", Kind::Choice(&[("\"peak\"", "Peak"), ("\"rms\"", "RMS")]),
        "What the compressor listens to: peaks react to transients, RMS to average level."),
    row("/compressor/sidechain_hpf_hz", Compressor, "Sidechain high-pass", "Hz", num(0.0, 500.0, 1.0, 0.1, false),
        "Keeps bass from pumping the gain: the detector ignores what is below (0 = off)."),
    row("/compressor/single/threshold_db", Compressor, "Threshold", "dBFS", THRESHOLD, H_THRESHOLD),
    row("/compressor/single/ratio", Compressor, "Ratio", ":1", RATIO, H_RATIO),
    row("/compressor/single/attack_ms", Compressor, "Attack", "ms", ATTACK, H_ATTACK),
    row("/compressor/single/release_ms", Compressor, "Release", "ms", RELEASE, H_RELEASE),
    row("/compressor/single/knee_db", Compressor, "Knee", "dB", KNEE, H_KNEE),
    row("/compressor/single/makeup_db", Compressor, "Makeup", "dB", MAKEUP, H_MAKEUP),
    row("/compressor/crossover_low_hz", Compressor, "Low/mid crossover", "Hz", num(40.0, 1000.0, 1.0, 0.1, true),
        "Split between the low and mid bands (three band mode)."),
    row("/compressor/crossover_high_hz", Compressor, "Mid/high crossover", "Hz", num(600.0, 16_000.0, 10.0, 1.0, true),
        "Split between the mid and high bands (three band mode); at least 1.5 × the low/mid crossover."),
    row("/compressor/bands/0/threshold_db", Compressor, "Low band threshold", "dBFS", THRESHOLD, H_THRESHOLD),
    row("/compressor/bands/0/ratio", Compressor, "Low band ratio", ":1", RATIO, H_RATIO),
    row("/compressor/bands/0/attack_ms", Compressor, "Low band attack", "ms", ATTACK, H_ATTACK),
    row("/compressor/bands/0/release_ms", Compressor, "Low band release", "ms", RELEASE, H_RELEASE),
    row("/compressor/bands/0/knee_db", Compressor, "Low band knee", "dB", KNEE, H_KNEE),
    row("/compressor/bands/0/makeup_db", Compressor, "Low band makeup", "dB", MAKEUP, H_MAKEUP),
    row("/compressor/bands/1/threshold_db", Compressor, "Mid band threshold", "dBFS", THRESHOLD, H_THRESHOLD),
    row("/compressor/bands/1/ratio", Compressor, "Mid band ratio", ":1", RATIO, H_RATIO),
    row("/compressor/bands/1/attack_ms", Compressor, "Mid band attack", "ms", ATTACK, H_ATTACK),
    row("/compressor/bands/1/release_ms", Compressor, "Mid band release", "ms", RELEASE, H_RELEASE),
    row("/compressor/bands/1/knee_db", Compressor, "Mid band knee", "dB", KNEE, H_KNEE),
    row("/compressor/bands/1/makeup_db", Compressor, "Mid band makeup", "dB", MAKEUP, H_MAKEUP),
    row("/compressor/bands/2/threshold_db", Compressor, "High band threshold", "dBFS", THRESHOLD, H_THRESHOLD),
    row("/compressor/bands/2/ratio", Compressor, "High band ratio", ":1", RATIO, H_RATIO),
    row("/compressor/bands/2/attack_ms", Compressor, "High band attack", "ms", ATTACK, H_ATTACK),
    row("/compressor/bands/2/release_ms", Compressor, "High band release", "ms", RELEASE, H_RELEASE),
    row("/compressor/bands/2/knee_db", Compressor, "High band knee", "dB", KNEE, H_KNEE),
    row("/compressor/bands/2/makeup_db", Compressor, "High band makeup", "dB", MAKEUP, H_MAKEUP),
    // Stereo
    row("/stereo/bypass", Stereo, "Bypass", "", Kind::Toggle, BYPASS),
    row("/stereo/width_pct", Stereo, "Width", "%", num(0.0, 200.0, 1.0, 0.1, false),
        "Side level against mid: 0 % is mono, 100 % unchanged, 200 % twice as wide."),
    row("/stereo/mono_bass_enabled", Stereo, "Mono bass", "", Kind::Toggle,
        "Makes everything below the mono-bass frequency mono: a tighter low end that cuts well to vinyl and clubs."),
    row("/stereo/mono_bass_hz", Stereo, "Mono bass frequency", "Hz", num(20.0, 500.0, 1.0, 0.1, true),
        "Below this, the low end is mono."),
    // Limiter
    row("/limiter/bypass", Limiter, "Bypass", "", Kind::Toggle, BYPASS),
    row("/limiter/ceiling_dbtp", Limiter, "Ceiling", "dBTP", num(-30.0, 0.0, 0.1, 0.01, false),
        "Highest true peak the master may reach (measured oversampled, as the platforms do)."),
    row("/limiter/lookahead_ms", Limiter, "Lookahead", "ms", num(0.5, 20.0, 0.5, 0.1, false),
        "How far ahead the limiter looks: longer is smoother on transients; it is the chain's latency."),
    row("/limiter/release_ms", Limiter, "Release", "ms", num(5.0, 2000.0, 5.0, 1.0, true),
        "Base release; it lengthens on dense material so sustained limiting does not pump."),
    // Output
    row("/output/gain_db", Output, "Gain", "dB", num(-60.0, 0.0, 0.1, 0.01, false),
        "Gain after the limiter: only down, so the level stays under the ceiling."),
    row("/output/dc_remove", Output, "DC removal", "", Kind::Toggle,
        "Removes DC offset at the chain's input, so the limiter sees and bounds the final waveform."),
    row("/output/dither", Output, "Dither", "", Kind::Toggle,
        "TPDF dither for the target word length: turns truncation distortion into a little even noise."),
    row("/output/dither_bits", Output, "Dither word length", "", Kind::Choice(&[("16", "16-bit"), ("24", "24-bit")]),
        "The word length the dither is for: the format you deliver."),
    row("/output/noise_shaping", Output, "Noise shaping", "", Kind::Toggle,
        "Moves the dither noise up in frequency, where the ear is less sensitive."),
    row("/output/dither_seed", Output, "Dither seed", "", num(0.0, 4_294_967_295.0, 1.0, 1.0, false),
        "Seed of the dither's random source: the same seed gives the same samples."),
    // Amount
    row("/amount_pct", Amount, "Amount", "%", num(0.0, 100.0, 1.0, 0.1, false),
        "How much of the processed signal: 0 % is the mix, 100 % the master (kept in time with each other)."),
];
