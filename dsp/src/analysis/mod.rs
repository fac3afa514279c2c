//! The per-file analysis a browser worker computes once, while the file loads:
//! loudness, a peak pyramid for the waveform, and the long-term spectrum.
//!
//! [`Analyzer`] takes the decoded file (planar f32, mono or stereo, any rate
//! the meter takes) piece by piece, in order, in pieces of any length; the
//! results do not depend on how the file is split. [`Analyzer::finish`]
//! gives an [`Analysis`]:
//!
//! - **Loudness**: [`LoudnessReport`] from the full offline [`Meter`]
//!   (integrated loudness, loudness range, true and sample peak, PLR, the
//!   100 ms short-term curve), exactly what metering the whole file at once
//!   reports, and what `MasterJob` reports for the same input; and
//!   [`LoudnessCurves`], the loudness and true peak of every 100 ms, from
//!   which momentary and short-term loudness at every 100 ms, and the
//!   integrated loudness, loudness range and true peak of any range
//!   ([`range_stats`]), are computed without the audio ([`range`]).
//! - **Peaks**: a [`PeakPyramid`] of min/max envelopes, from which the page
//!   draws the waveform at any zoom ([`peaks`]).
//! - **Spectrum**: a [`LongTermSpectrum`] in 1/3-octave bands and a
//!   1/12-octave curve, calibrated so a full-scale sine reads 0 dB
//!   ([`spectrum`]).
//!
//! [`Analysis::summary_json`] is what the page receives: everything but the
//! pyramid, plus a whole-file overview of the waveform.
//!
//! ## Cost
//! Small pieces are gathered into blocks of [`STAGE_FRAMES`] before they are
//! analysed, so a worker feeding tiny pieces pays no per-call overhead in
//! `ebur128`, the FFT or the loops; large pieces go straight through. Nothing
//! here starts a thread (the worker's wasm is single-threaded). The meter
//! costs the most: natively, an hour of 48 kHz stereo takes 5.0 s, of which
//! the meter 4.2 s (the true peak of every 100 ms adds 0.1 to 0.3 s of it:
//! each tick's peak is found afresh), the spectrum 0.9 s and the pyramid
//! 0.05 s. From the results, 2000 waveform columns across the hour take
//! 0.04 ms and [`range_stats`] over the whole hour 7 ms (`cargo test -p
//! lacquer-dsp --release --lib analysis::tests::timing -- --ignored
//! --nocapture`, on a shared 2-core AMD EPYC VM, with another build
//! running: figures vary by 20 %).
//!
//! ## References
//! - ITU-R BS.1770-5; EBU R 128; EBU Tech 3341 and 3342 (see [`crate::loudness`]).
//! - IEC 61260-1:2014 and ISO 266:1997 (bands), P. D. Welch (1967) and
//!   F. J. Harris (1978) (the spectral estimate): see [`spectrum`].

pub mod live_spectrum;
pub mod peaks;
pub mod range;
pub mod spectrum;

pub use peaks::{PeakLevel, PeakPyramid};
pub use range::{range_stats, LoudnessCurves, RangeStats};
pub use spectrum::{Band, LongTermSpectrum};

use crate::error::DspError;
use crate::loudness::meter::{LoudnessReport, Meter};
pub(crate) use peaks::PeakBuilder;
use serde::{Deserialize, Serialize};
use spectrum::SpectrumBuilder;

/// Pieces shorter than this are gathered into blocks of this many frames
/// before they are analysed, frames.
pub const STAGE_FRAMES: usize = 4096;

/// Streams a decoded file through the loudness meter, the peak pyramid and
/// the long-term spectrum. `new` allocates; so does `add` (the pyramid
/// grows); nothing here starts a thread.
pub struct Analyzer {
    /// Channels, 1 or 2.
    channels: usize,
    /// The full offline meter (BS.1770 / R128), as `MasterJob` meters its input.
    meter: Meter,
    /// The waveform envelopes so far.
    peaks: PeakBuilder,
    /// The spectral sums so far.
    spectrum: SpectrumBuilder,
    /// Small pieces gathered into a block, per channel, `STAGE_FRAMES` long.
    stage: Vec<Vec<f32>>,
    /// Frames in `stage`, frames.
    staged: usize,
}

/// What [`Analyzer::finish`] gives: the three analyses of one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The full loudness report (exactly [`Meter::report`] over the file).
    pub loudness: LoudnessReport,
    /// Min/max envelopes for drawing the waveform at any zoom.
    pub peaks: PeakPyramid,
    /// The average spectrum and its band and curve summaries.
    pub spectrum: LongTermSpectrum,
    /// The loudness and true peak of every 100 ms: momentary and
    /// short-term curves, and statistics of any range ([`range_stats`]).
    #[serde(default)]
    pub curves: LoudnessCurves,
}

impl Analyzer {
    /// An analyser for `channels` (1 or 2) at `sample_rate` Hz (8 to 384 kHz,
    /// as the meter takes). `frames_hint` (the file's length, if known, or 0)
    /// reserves room for the pyramid. Allocates.
    pub fn new(channels: usize, sample_rate: u32, frames_hint: usize) -> Result<Self, DspError> {
        if !(1..=2).contains(&channels) {
            return Err(DspError::Unsupported(format!(
                "{channels} channels: Lacquer analyses mono and stereo files"
            )));
        }
        let meter = Meter::new(channels, sample_rate)?.with_true_peak_curve();
        Ok(Self {
            channels,
            meter,
            peaks: PeakBuilder::new(channels, frames_hint),
            spectrum: SpectrumBuilder::new(channels, sample_rate),
            stage: vec![vec![0.0; STAGE_FRAMES]; channels],
            staged: 0,
        })
    }

    /// Analyses the next piece of the file: one slice per channel, all the
    /// same length (any length; extra frames in longer slices are ignored,
    /// and a call with fewer slices than channels is ignored).
    pub fn add(&mut self, planar: &[&[f32]]) {
        debug_assert_eq!(planar.len(), self.channels);
        if planar.len() < self.channels {
            return;
        }
        let planar = &planar[..self.channels];
        let n = planar.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            if self.staged == 0 && n - pos >= STAGE_FRAMES {
                let mut refs: [&[f32]; 2] = [&[]; 2];
                for (r, c) in refs.iter_mut().zip(planar) {
                    *r = &c[pos..n];
                }
                self.process(&refs[..self.channels]);
                pos = n;
            } else {
                let len = (n - pos).min(STAGE_FRAMES - self.staged);
                for (st, src) in self.stage.iter_mut().zip(planar) {
                    st[self.staged..self.staged + len].copy_from_slice(&src[pos..pos + len]);
                }
                self.staged += len;
                pos += len;
                if self.staged == STAGE_FRAMES {
                    self.flush();
                }
            }
        }
    }

    /// Analyses the gathered block.
    fn flush(&mut self) {
        let stage = std::mem::take(&mut self.stage);
        let mut refs: [&[f32]; 2] = [&[]; 2];
        for (r, c) in refs.iter_mut().zip(&stage) {
            *r = &c[..self.staged];
        }
        self.process(&refs[..self.channels]);
        self.stage = stage;
        self.staged = 0;
    }

    /// Feeds frames to all three analyses.
    fn process(&mut self, planar: &[&[f32]]) {
        self.meter.add(planar);
        self.peaks.add(planar);
        self.spectrum.add(planar);
    }

    /// Finishes the analyses.
    pub fn finish(mut self) -> Analysis {
        if self.staged > 0 {
            self.flush();
        }
        let m = &self.meter;
        let loudness = m.report();
        let curves = LoudnessCurves::from_ticks(
            m.tick_frames() as f64 / loudness.sample_rate as f64,
            loudness.duration_s,
            m.tick_curve().to_vec(),
            m.true_peak_curve().unwrap_or_default(),
        );
        Analysis { loudness, peaks: self.peaks.finish(), spectrum: self.spectrum.finish(), curves }
    }
}

/// `v` rounded to 0.01 (for the summary's curves).
fn centi(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The spectrum part of [`Analysis::summary_json`].
#[derive(Serialize)]
struct SpectrumSummary {
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Frame length of each transform, frames.
    fft_size: usize,
    /// Spacing of the bins, Hz.
    bin_hz: f64,
    /// The 1/3-octave bands (levels rounded to 0.01 dB).
    bands_third_octave: Vec<Band>,
    /// `[Hz, dB]` of the mid signal every 1/12 octave (dB rounded to 0.01).
    curve: Vec<(f32, f32)>,
    /// Per channel, dB at `curve`'s frequencies (rounded to 0.01).
    channel_curves_db: Vec<Vec<f32>>,
}

/// The waveform overview of [`Analysis::summary_json`].
#[derive(Serialize)]
struct Overview {
    /// Frames in the file.
    frames: usize,
    /// Channels.
    channels: usize,
    /// Columns across the whole file.
    columns: usize,
    /// Divide `min_max` by this for sample values (full scale ±1.0).
    scale: f32,
    /// `[column][channel][min, max]`, flat, as stored (rounded outward).
    min_max: Vec<i16>,
}

/// The whole of [`Analysis::summary_json`].
#[derive(Serialize)]
struct Summary {
    /// The loudness report, its short-term curve left empty (`curves` holds it).
    loudness: LoudnessReport,
    /// The 100 ms curves, rounded to 0.01.
    curves: LoudnessCurves,
    /// Bands and curves.
    spectrum: SpectrumSummary,
    /// The waveform across the whole file.
    overview: Overview,
}

impl Analysis {
    /// The JSON the page receives (small: no pyramid, no per-bin spectrum):
    ///
    /// ```text
    /// { "loudness": { LoudnessReport's fields; short_term_curve: [] },
    ///   "curves": { "interval_s", "duration_s", "tick_lufs": [lufs | null, ..],
    ///               "true_peak_dbtp": [dbtp | null, ..] },
    ///   "spectrum": { "sample_rate", "fft_size", "bin_hz",
    ///                 "bands_third_octave": [ { "nominal_hz", "centre_hz", "lower_hz",
    ///                                           "upper_hz", "level_db", "channels_db" } ],
    ///                 "curve": [[hz, db], ..], "channel_curves_db": [[db, ..], ..] },
    ///   "overview": { "frames", "channels", "columns", "scale": 32767,
    ///                 "min_max": [min, max (channel 0), min, max (channel 1), .. per column] } }
    /// ```
    ///
    /// `curves` is [`LoudnessCurves`] with every value rounded to 0.01 (LU,
    /// dB), serialised as its ticks: read into that type, it derives the
    /// momentary and short-term curves again
    /// ([`LoudnessCurves::momentary_lufs`],
    /// [`LoudnessCurves::short_term_lufs`]), and gives [`range_stats`] over
    /// any range, each within 0.005 LU of the unrounded figure. The report's
    /// own short-term curve is therefore left empty: the summary carries two
    /// curves instead of three. A 60-minute file's summary is about 0.55 MB
    /// (2048 overview columns), nearly all of it the two curves of 36 000
    /// points.
    ///
    /// Spectrum levels are rounded to 0.01 dB; `null` marks silence (levels
    /// at or below −150 dB, and loudness values that do not exist). The
    /// overview is [`PeakPyramid::columns_quantised`] over the whole file in
    /// `overview_columns` columns.
    pub fn summary_json(&self, overview_columns: usize) -> String {
        let loudness = LoudnessReport { short_term_curve: Vec::new(), ..self.loudness.clone() };
        let curves = self.curves.rounded();
        let db = |v: f32| centi(v as f64) as f32;
        let s = &self.spectrum;
        let spectrum = SpectrumSummary {
            sample_rate: s.sample_rate,
            fft_size: s.fft_size,
            bin_hz: s.bin_hz,
            bands_third_octave: s
                .bands_third_octave
                .iter()
                .map(|b| Band {
                    level_db: b.level_db.map(db),
                    channels_db: b.channels_db.iter().map(|c| c.map(db)).collect(),
                    ..b.clone()
                })
                .collect(),
            curve: s.curve.iter().map(|&(f, v)| (f, db(v))).collect(),
            channel_curves_db: s.channel_curves_db.iter().map(|c| c.iter().map(|&v| db(v)).collect()).collect(),
        };
        let overview = Overview::of(&self.peaks, overview_columns);
        serde_json::to_string(&Summary { loudness, curves, spectrum, overview }).expect("the summary serialises")
    }
}

impl Overview {
    /// `columns` columns across the whole of `peaks`.
    fn of(peaks: &PeakPyramid, columns: usize) -> Self {
        let frames = peaks.frames();
        Overview {
            frames,
            channels: peaks.channels(),
            columns,
            scale: peaks::SCALE,
            min_max: peaks.columns_quantised(0, frames, columns).into_iter().flatten().collect(),
        }
    }
}

/// The JSON of a waveform overview of `columns` columns across the whole of
/// `peaks` (the `overview` of [`Analysis::summary_json`]), for drawing a
/// file as soon as it is loaded, before the rest of the analysis.
pub fn overview_json(peaks: &PeakPyramid, columns: usize) -> String {
    serde_json::to_string(&Overview::of(peaks, columns)).expect("the overview serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::noise_bursts;

    /// A stereo programme with level changes, a tone, a NaN and an Inf.
    fn programme(sr: u32, secs: f64) -> Vec<Vec<f32>> {
        let n = (secs * sr as f64) as usize;
        let mut l = noise_bursts(n, 0.2, 1, 3.0);
        let r = noise_bursts(n, 0.15, 2, 4.0);
        for (i, v) in l.iter_mut().enumerate() {
            *v += 0.1 * libm::sinf(2.0 * std::f32::consts::PI * 220.0 * i as f32 / sr as f32);
        }
        l[n / 3] = f32::NAN;
        l[n / 2] = f32::INFINITY;
        vec![l, r]
    }

    fn analyse(chans: &[Vec<f32>], sr: u32, piece: usize) -> Analysis {
        let n = chans.first().map_or(0, Vec::len);
        let mut a = Analyzer::new(chans.len(), sr, n).unwrap();
        let mut pos = 0;
        while pos < n {
            let e = (pos + piece).min(n);
            let refs: Vec<&[f32]> = chans.iter().map(|c| &c[pos..e]).collect();
            a.add(&refs);
            pos = e;
        }
        a.finish()
    }

    fn whole_meter(chans: &[Vec<f32>], sr: u32) -> LoudnessReport {
        let mut m = Meter::new(chans.len(), sr).unwrap();
        let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
        m.add(&refs);
        m.report()
    }

    #[test]
    fn loudness_is_the_whole_file_meter_report() {
        let sr = 44_100;
        let x = programme(sr, 12.3);
        let a = analyse(&x, sr, 10_000);
        assert_eq!(a.loudness, whole_meter(&x, sr));
        assert!(a.loudness.integrated_lufs.is_some() && a.loudness.lra_lu > 0.0);
        assert_eq!(a.loudness.short_term_curve.len(), 123);
        // What the crate's whole-file analysis (and a MasterJob) reports for its input (the same meter over the same frames).
        assert_eq!(a.loudness, crate::loudness::analyze(&x, sr));
    }

    #[test]
    fn piece_sizes_do_not_change_anything() {
        let sr = 48_000;
        let x = programme(sr, 4.1);
        let whole = analyse(&x, sr, x[0].len());
        for piece in [1, 777, 4096, 4097, 100_000] {
            assert_eq!(analyse(&x, sr, piece), whole, "pieces of {piece}");
        }
        assert_eq!(whole.loudness, whole_meter(&x, sr));
        // Mixed sizes, including empty pieces.
        let mut a = Analyzer::new(2, sr, 0).unwrap();
        let mut pos = 0;
        for (k, len) in [0usize, 5, 4091, 9000, 1, 0, 30_000].iter().cycle().enumerate() {
            if pos >= x[0].len() {
                break;
            }
            let e = (pos + len + k % 3).min(x[0].len());
            a.add(&[&x[0][pos..e], &x[1][pos..e]]);
            pos = e;
        }
        assert_eq!(a.finish(), whole);
    }

    #[test]
    fn mono_and_rates() {
        for sr in [8_000, 44_100, 192_000] {
            let x = vec![programme(sr, 3.5).swap_remove(0)];
            let a = analyse(&x, sr, 1234);
            assert_eq!(a.loudness, whole_meter(&x, sr));
            assert_eq!(a.peaks.channels(), 1);
            assert_eq!(a.peaks.frames(), x[0].len());
            assert_eq!(a.spectrum.channel_curves_db.len(), 1);
            // A mono file's mid is its channel.
            let b = &a.spectrum.bands_third_octave[10];
            assert_eq!(b.level_db, b.channels_db[0]);
            // The 220 Hz tone stands out in its band.
            let tone = a.spectrum.bands_third_octave.iter().find(|b| b.nominal_hz == 200.0).unwrap();
            assert!(tone.level_db.unwrap() > -26.0, "{sr}: {:?}", tone.level_db);
        }
    }

    #[test]
    fn silence_and_nothing() {
        let sr = 48_000;
        let a = analyse(&[vec![0.0; 96_000], vec![0.0; 96_000]], sr, 4096);
        assert_eq!(a.loudness.integrated_lufs, None);
        assert_eq!(a.loudness.sample_peak_dbfs, None);
        assert!(a.spectrum.bands_third_octave.iter().all(|b| b.level_db.is_none()));
        assert!(a.peaks.columns(0, 96_000, 10).iter().all(|&v| v == 0.0));
        let j = a.summary_json(100);
        assert!(!j.contains("NaN") && !j.contains("inf"), "{j}");
        let empty = Analyzer::new(1, sr, 0).unwrap().finish();
        assert_eq!(empty.peaks.frames(), 0);
        assert_eq!(empty.loudness.duration_s, 0.0);
        let v: serde_json::Value = serde_json::from_str(&empty.summary_json(10)).unwrap();
        assert_eq!(v["overview"]["min_max"].as_array().unwrap().len(), 20);
    }

    #[test]
    fn unsupported_layouts_are_refused() {
        assert!(Analyzer::new(0, 48_000, 0).is_err());
        assert!(Analyzer::new(3, 48_000, 0).is_err());
        assert!(Analyzer::new(2, 4_000, 0).is_err());
    }

    #[test]
    fn summary_json_is_small_and_complete() {
        let sr = 48_000;
        let x = programme(sr, 20.0);
        let a = analyse(&x, sr, 65_536);
        let j = a.summary_json(1000);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        let l = &v["loudness"];
        for key in ["integrated_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs", "plr_db", "short_term_curve"] {
            assert!(!l[key].is_null(), "{key}");
        }
        assert_eq!(l["short_term_curve"].as_array().unwrap().len(), 0, "sent once, in curves");
        assert_eq!(l["integrated_lufs"].as_f64(), a.loudness.integrated_lufs);
        // The curves, rounded to 0.01, and what the page reads them as.
        let c = &v["curves"];
        assert_eq!(c["interval_s"].as_f64(), Some(0.1));
        assert_eq!(c["duration_s"].as_f64(), Some(20.0));
        for key in ["tick_lufs", "true_peak_dbtp"] {
            assert_eq!(c[key].as_array().unwrap().len(), 200, "{key}");
            assert!(c[key].as_array().unwrap().iter().all(|x| x.as_f64().unwrap() == centi(x.as_f64().unwrap())), "rounded");
        }
        let t = c["tick_lufs"][57].as_f64().unwrap();
        assert_eq!(t, centi(a.curves.tick_lufs[57].unwrap()));
        #[derive(Deserialize)]
        struct Page {
            loudness: LoudnessReport,
            curves: LoudnessCurves,
        }
        let page: Page = serde_json::from_str(&j).unwrap();
        assert_eq!(page.loudness.integrated_lufs, a.loudness.integrated_lufs);
        let whole = range_stats(&page.curves, 0.0, 20.0);
        assert!((whole.integrated_lufs.unwrap() - a.loudness.integrated_lufs.unwrap()).abs() < 0.005);
        assert_eq!(whole.true_peak_dbtp, a.loudness.true_peak_dbtp.map(centi));
        let short = &page.curves.short_term_lufs;
        assert!(short.iter().zip(&a.loudness.short_term_curve).all(|(x, y)| (x.unwrap() - y.unwrap()).abs() < 0.005));
        let s = &v["spectrum"];
        assert_eq!(s["bands_third_octave"].as_array().unwrap().len(), 31);
        assert_eq!(s["curve"].as_array().unwrap().len(), a.spectrum.curve.len());
        assert_eq!(s["curve"][0].as_array().unwrap().len(), 2);
        assert!(s.get("mid_power").is_none());
        let o = &v["overview"];
        assert_eq!(o["min_max"].as_array().unwrap().len(), 1000 * 2 * 2);
        assert_eq!(o["scale"].as_f64(), Some(32767.0));
        assert!(v.get("peaks").is_none());
        // 20 s: a few tens of kB, mostly the overview and the curves.
        assert!(j.len() < 50_000, "{} bytes", j.len());
        // The overview is the pyramid's whole-file columns.
        let cols = a.peaks.columns(0, a.peaks.frames(), 1000);
        let first = o["min_max"][2].as_f64().unwrap() as f32 / 32767.0;
        assert_eq!(first, cols[2]);
        // The full analysis round-trips through serde.
        let back: Analysis = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back.peaks, a.peaks);
        assert_eq!(back.spectrum.bands_third_octave, a.spectrum.bands_third_octave);
        // (serde_json reads f64 back to within an ulp or so, not always exactly.)
        let (x, y) = (back.loudness.integrated_lufs.unwrap(), a.loudness.integrated_lufs.unwrap());
        assert!((x - y).abs() < 1e-12);
        let near = |x: &[Option<f64>], y: &[Option<f64>]| {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.zip(*q).map_or(p == q, |(p, q)| (p - q).abs() < 1e-12))
        };
        assert!(near(&back.curves.true_peak_dbtp, &a.curves.true_peak_dbtp));
        assert!(near(&back.curves.tick_lufs, &a.curves.tick_lufs));
        // An analysis saved before the curves existed still reads.
        let mut old: serde_json::Value = serde_json::to_value(&a).unwrap();
        old.as_object_mut().unwrap().remove("curves");
        let old: Analysis = serde_json::from_value(old).unwrap();
        assert_eq!(old.curves, LoudnessCurves::default());
    }

    /// The native speed on an hour of 48 kHz stereo: run with
    /// `cargo test -p lacquer-dsp --release --lib analysis::tests::timing -- --ignored --nocapture`.
    /// A generated minute (noise with a swell and a tone) is fed 60 times in
    /// pieces of 65536 frames, through the `Analyzer` and then through each
    /// part alone; wall time and (on Linux) this thread's CPU time.
    #[test]
    #[ignore]
    fn timing_sixty_minutes_48k_stereo() {
        use std::time::Instant;
        /// This thread's CPU time so far, s (Linux; clock ticks of 10 ms).
        fn cpu_s() -> f64 {
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
            let rest = stat.rsplit(") ").next().unwrap_or("");
            let f: Vec<f64> = rest.split(' ').map(|v| v.parse().unwrap_or(0.0)).collect();
            f.get(11).zip(f.get(12)).map_or(f64::NAN, |(u, s)| (u + s) / 100.0)
        }
        let sr = 48_000u32;
        let minute = 60 * sr as usize;
        let mut seed = 1u32;
        let (mut l, mut r) = (Vec::with_capacity(minute), Vec::with_capacity(minute));
        for i in 0..minute {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let t = i as f32 / sr as f32;
            let env = 0.2 + 0.15 * libm::sinf(t * 0.7);
            let noise = (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            let tone = libm::sinf(t * 2.0 * std::f32::consts::PI * 110.0);
            l.push(env * (0.6 * noise + 0.4 * tone));
            r.push(env * (0.5 * noise - 0.3 * tone));
        }
        const PIECE: usize = 1 << 16;
        let feed = |f: &mut dyn FnMut(&[&[f32]])| {
            let (wall, cpu) = (Instant::now(), cpu_s());
            for _ in 0..60 {
                for (a, b) in l.chunks(PIECE).zip(r.chunks(PIECE)) {
                    f(&[a, b]);
                }
            }
            (wall, cpu)
        };
        let done = |(wall, cpu): (Instant, f64)| format!("{:.2} s ({:.2} s CPU)", wall.elapsed().as_secs_f64(), cpu_s() - cpu);
        let mut an = Analyzer::new(2, sr, 60 * minute).unwrap();
        let t = feed(&mut |p| an.add(p));
        let a = an.finish();
        let all = done(t);
        let mut meter = Meter::new(2, sr).unwrap().with_true_peak_curve();
        let meter_t = done(feed(&mut |p| meter.add(p)));
        let mut plain = Meter::new(2, sr).unwrap();
        let plain_t = done(feed(&mut |p| plain.add(p)));
        let mut pk = PeakBuilder::new(2, 60 * minute);
        let t = feed(&mut |p| pk.add(p));
        let pyr = pk.finish();
        let peaks_t = done(t);
        let mut sp = SpectrumBuilder::new(2, sr);
        let t = feed(&mut |p| sp.add(p));
        let spec = sp.finish();
        let spec_t = done(t);
        let j = a.summary_json(2048);
        // A full-width waveform query of 2000 columns, as the page zooms.
        let t = Instant::now();
        let reps = 200;
        for k in 0..reps {
            std::hint::black_box(a.peaks.columns(k, a.peaks.frames(), 2000));
        }
        let query_ms = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        // Statistics of the whole hour from the curves, and the two curves.
        let t = Instant::now();
        let whole = range_stats(&a.curves, 0.0, 3600.0);
        let range_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let c = &a.curves;
        let derived = LoudnessCurves::from_ticks(c.interval_s, c.duration_s, c.tick_lufs.clone(), c.true_peak_dbtp.clone());
        let curves_ms = t.elapsed().as_secs_f64() * 1e3;
        let short = derived.short_term_lufs;
        assert!((whole.integrated_lufs.unwrap() - a.loudness.integrated_lufs.unwrap()).abs() < 1e-6);
        assert!((whole.lra_lu - a.loudness.lra_lu).abs() < 1e-6);
        assert_eq!(short.len(), a.loudness.short_term_curve.len());
        eprintln!(
            "60 min 48 kHz stereo: Analyzer {all}: meter {meter_t} (without the true-peak curve {plain_t}), \
             pyramid {peaks_t}, spectrum {spec_t}; pyramid {:.2} MB; summary (2048 columns) {} kB; \
             2000 columns across the file {query_ms:.3} ms; range_stats over the hour {range_ms:.2} ms, \
             momentary and short-term curves {curves_ms:.2} ms",
            pyr.bytes() as f64 / 1e6,
            j.len() / 1000,
        );
        assert!(j.len() < 700_000, "{} bytes", j.len());
        assert_eq!(a.loudness, meter.report());
        assert_eq!(a.loudness, plain.report());
        assert_eq!(a.peaks, pyr);
        assert_eq!(a.spectrum, spec);
    }
}
