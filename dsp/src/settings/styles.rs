//! Styles: starting points for a master, each a documented preset of
//! [`Settings`], with an intensity that scales how much it processes.
//!
//! [`styled`] builds a style at an intensity from 0 to 100 %. The intensity
//! scales the processing itself: every EQ gain and the tilt, the
//! compressor's depth (its ratio towards 1:1 and its makeup towards 0 dB),
//! the width's distance from 100 %, and the mono-bass frequency. It leaves
//! alone what only says *where* the processing acts (frequencies, Q,
//! shelf slopes, threshold, attack, release, knee, detector), which does
//! nothing once the gains are 0 dB and the ratio is 1:1. It never touches
//! the loudness (the input gain is master-to-target's to set) or the
//! limiter: at 0 % the chain is near-transparent, a subsonic high-pass, DC
//! removal and the true-peak limiter at −1 dBTP, so the master is still safe
//! to deliver. The limiter's lookahead is the same 5 ms in every style, so
//! changing style never changes the chain's latency.
//!
//! Every style at every intensity passes [`Settings::validate`].

use super::{CompressorMode, Detector, Dynamics, PeakBand, Settings, ShelfBand, Slope};
use serde::{Deserialize, Serialize};

/// A mastering style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Even-handed: a little clarity, a little glue.
    Balanced,
    /// Fuller low end, softer top, slow gentle compression.
    Warm,
    /// More presence and air, less mud.
    Bright,
    /// Transients kept, low end tight and centred.
    Punchy,
    /// Wider and airier, with the bass kept in the middle.
    Open,
}

/// Every style, in the order to show them.
pub const STYLES: &[Style] = &[Style::Balanced, Style::Warm, Style::Bright, Style::Punchy, Style::Open];

impl Style {
    /// Name to show.
    pub fn label(self) -> &'static str {
        match self {
            Style::Balanced => "Balanced",
            Style::Warm => "Warm",
            Style::Bright => "Bright",
            Style::Punchy => "Punchy",
            Style::Open => "Open",
        }
    }

    /// One line on what it does.
    pub fn description(self) -> &'static str {
        match self {
            Style::Balanced => "Even-handed polish: a touch of clarity and air, light glue compression.",
            Style::Warm => "Fuller lows and a softer top, with slow, gentle compression.",
            Style::Bright => "More presence and air, less mud; for mixes that sound dull or boxy.",
            Style::Punchy => "Drums hit harder: transients through, a tight mono low end.",
            Style::Open => "A wider, airier image with the bass kept centred.",
        }
    }

    /// The style at 100 %.
    pub fn full(self) -> Settings {
        match self {
            Style::Balanced => balanced(),
            Style::Warm => warm(),
            Style::Bright => bright(),
            Style::Punchy => punchy(),
            Style::Open => open(),
        }
    }
}

/// What every style starts from: the default chain (subsonic high-pass at
/// 20 Hz, RMS detection with a 60 Hz sidechain high-pass so the bass does
/// not pump the gain, the true-peak limiter at −1 dBTP with 5 ms lookahead,
/// DC removal, 24-bit dither) in single-band mode.
fn base() -> Settings {
    let mut s = Settings::default();
    s.compressor.mode = CompressorMode::Single;
    s
}

fn shelf(freq_hz: f32, gain_db: f32, slope: f32) -> ShelfBand {
    ShelfBand { freq_hz, gain_db, slope }
}

fn peak(freq_hz: f32, gain_db: f32, q: f32) -> PeakBand {
    PeakBand { freq_hz, gain_db, q }
}

fn dynamics(threshold_db: f32, ratio: f32, attack_ms: f32, release_ms: f32, knee_db: f32, makeup_db: f32) -> Dynamics {
    Dynamics { threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db }
}

/// Balanced.
///
/// - EQ: −1 dB at 250 Hz (Q 1), where most mixes gather a little mud;
///   +1 dB high shelf from 10 kHz (gentle slope 0.7) for air. Nothing
///   else: a balanced master should not sound EQ'd.
/// - Compressor: 2:1 from −18 dBFS, RMS, 30 ms attack (transients pass),
///   200 ms release, 6 dB knee: 1–2 dB of glue on the loud passages.
/// - Stereo: untouched.
fn balanced() -> Settings {
    let mut s = base();
    s.eq.peaks[0] = peak(250.0, -1.0, 1.0);
    s.eq.high_shelf = shelf(10_000.0, 1.0, 0.7);
    s.compressor.single = dynamics(-18.0, 2.0, 30.0, 200.0, 6.0, 0.0);
    s
}

/// Warm.
///
/// - EQ: +2 dB low shelf from 120 Hz (slope 0.8) for body; +0.5 dB at
///   300 Hz (Q 0.8) for fullness in the low mids; −1.5 dB high shelf from
///   8 kHz (slope 0.6) to take the edge off; no tilt (the shelves do it
///   with less phase shift in the mids).
/// - Compressor: 2.5:1 from −20 dBFS, RMS, slow 40 ms attack and 300 ms
///   release with a wide 8 dB knee: smooth, tube-like levelling that
///   thickens sustain without dulling hits; +0.5 dB makeup.
/// - Stereo: 95 % width, a slightly more focused centre.
fn warm() -> Settings {
    let mut s = base();
    s.eq.low_shelf = shelf(120.0, 2.0, 0.8);
    s.eq.peaks[0] = peak(300.0, 0.5, 0.8);
    s.eq.high_shelf = shelf(8_000.0, -1.5, 0.6);
    s.compressor.single = dynamics(-20.0, 2.5, 40.0, 300.0, 8.0, 0.5);
    s.stereo.width_pct = 95.0;
    s
}

/// Bright.
///
/// - EQ: −1.5 dB at 250 Hz (Q 1) to clear mud; +1.5 dB at 4 kHz (Q 0.8)
///   for presence, where vocals and guitars speak; +2.5 dB high shelf from
///   10 kHz (slope 0.7) for air; +1 dB tilt around 1 kHz for an overall
///   lift of the top against the bottom.
/// - Compressor: 1.8:1 from −18 dBFS, RMS, 20 ms attack, 150 ms release,
///   6 dB knee: light, so the added top end is not squashed back.
/// - Stereo: 110 % width; brightness reads as space.
fn bright() -> Settings {
    let mut s = base();
    s.eq.peaks[0] = peak(250.0, -1.5, 1.0);
    s.eq.peaks[2] = peak(4_000.0, 1.5, 0.8);
    s.eq.high_shelf = shelf(10_000.0, 2.5, 0.7);
    s.eq.tilt_db = 1.0;
    s.compressor.single = dynamics(-18.0, 1.8, 20.0, 150.0, 6.0, 0.0);
    s.stereo.width_pct = 110.0;
    s
}

/// Punchy.
///
/// - EQ: 24 dB/oct high-pass at 25 Hz, so sub-rumble does not eat the
///   limiter's headroom; +1.5 dB at 80 Hz (Q 1.2) for the kick's weight;
///   −1 dB at 400 Hz (Q 1) against boxiness; +1 dB at 3 kHz (Q 1) for the
///   snap of the attack.
/// - Compressor: 3:1 from −20 dBFS, RMS with a 90 Hz sidechain high-pass
///   (the kick's fundamental does not drive it), a deliberately slow 35 ms
///   attack that lets each transient through before the gain comes down,
///   and a fast 120 ms release that is back up for the next hit; 4 dB
///   knee; +1 dB makeup.
/// - Stereo: mono below 120 Hz, a tight centred low end that translates to
///   clubs and phones.
fn punchy() -> Settings {
    let mut s = base();
    s.eq.highpass_hz = 25.0;
    s.eq.highpass_slope = Slope::Db24;
    s.eq.peaks = [peak(80.0, 1.5, 1.2), peak(400.0, -1.0, 1.0), peak(3_000.0, 1.0, 1.0)];
    s.compressor.detector = Detector::Rms;
    s.compressor.sidechain_hpf_hz = 90.0;
    s.compressor.single = dynamics(-20.0, 3.0, 35.0, 120.0, 4.0, 1.0);
    s.stereo.mono_bass_enabled = true;
    s.stereo.mono_bass_hz = 120.0;
    s
}

/// Open.
///
/// - EQ: −1 dB at 300 Hz (Q 0.9), which clears room for the sides;
///   +2 dB high shelf from 12 kHz (slope 0.6) for air.
/// - Compressor: 1.5:1 from −16 dBFS, RMS, 40 ms attack, 250 ms release,
///   8 dB knee: barely there, so the dynamics breathe.
/// - Stereo: 125 % width, with everything below 100 Hz mono so the wider
///   image does not thin out or destabilise the bass.
fn open() -> Settings {
    let mut s = base();
    s.eq.peaks[0] = peak(300.0, -1.0, 0.9);
    s.eq.high_shelf = shelf(12_000.0, 2.0, 0.6);
    s.compressor.single = dynamics(-16.0, 1.5, 40.0, 250.0, 8.0, 0.0);
    s.stereo.width_pct = 125.0;
    s.stereo.mono_bass_enabled = true;
    s.stereo.mono_bass_hz = 100.0;
    s
}

/// Lowest mono-bass frequency, Hz: where a style's mono bass starts at an
/// intensity just above 0 (below it there is next to no stereo bass).
const MONO_BASS_FROM_HZ: f32 = 20.0;

/// `style` at `intensity_pct` (0 to 100; outside that it is held at the
/// nearer end, NaN at 0). See the module's documentation for what scales.
pub fn styled(style: Style, intensity_pct: f32) -> Settings {
    let t = if intensity_pct.is_nan() { 0.0 } else { intensity_pct.clamp(0.0, 100.0) / 100.0 };
    let mut s = style.full();
    let eq = &mut s.eq;
    eq.low_shelf.gain_db *= t;
    eq.high_shelf.gain_db *= t;
    eq.tilt_db *= t;
    for p in &mut eq.peaks {
        p.gain_db *= t;
    }
    let depth = |d: &mut Dynamics| {
        d.ratio = 1.0 + (d.ratio - 1.0) * t;
        d.makeup_db *= t;
    };
    depth(&mut s.compressor.single);
    s.compressor.bands.iter_mut().for_each(depth);
    let st = &mut s.stereo;
    st.width_pct = 100.0 + (st.width_pct - 100.0) * t;
    if st.mono_bass_enabled {
        st.mono_bass_enabled = t > 0.0;
        st.mono_bass_hz = MONO_BASS_FROM_HZ + (st.mono_bass_hz - MONO_BASS_FROM_HZ) * t;
    }
    s
}
