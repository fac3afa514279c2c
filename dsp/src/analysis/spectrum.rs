//! The long-term spectrum: the whole track's average power spectrum, and its
//! summaries in 1/3-octave bands and a smooth 1/12-octave curve.
//!
//! ## Estimate
//! Welch's method: Hann-windowed frames with 50 % overlap (hop = half a
//! frame), each transformed with `realfft`, their squared magnitudes
//! averaged. The frame is the smallest power of two giving bins of at most
//! 6 Hz: 8192 frames at 44.1 and 48 kHz (5.4 and 5.9 Hz), 16384 at 88.2 and
//! 96 kHz, 32768 at 192 kHz, 2048 at 8 kHz (3.9 Hz). The window is
//! `sin²(π(n + ½)/N)`, a Hann window offset by half a sample, whose copies a
//! hop apart add up to exactly 1. The last part of a file that does not fill
//! a whole hop (under 85 ms at 48 kHz) is not analysed; a file shorter than
//! one frame is analysed as one frame, windowed over its own length and
//! zero-padded.
//!
//! Each channel's spectrum is kept, and for stereo so is the cross-spectrum
//! Re(L·R̄), which gives the mid signal (L + R)/2 without another transform:
//! |M|² = (|L|² + |R|² + 2·Re(L·R̄)) / 4. The summaries' headline levels are
//! the mid signal's (a mono file's mid is its channel); per-channel levels
//! come alongside.
//!
//! ## Calibration
//! Powers are normalised by the windows' energy, so each bin holds a share of
//! the signal's mean square and all of them add up to it (Parseval). A level
//! in dB is `10·log10(2 · power)`: **dB relative to a full-scale sine**, so a
//! full-scale sine reads 0 dB in its band (its mean square is ½), and white
//! noise reads 10·log10(2 · mean square · bandwidth / Nyquist), rising
//! 3.01 dB per octave in fractional-octave bands (pink noise reads flat).
//! Power between bins is interpolated linearly in frequency (density per
//! Hz), so bands narrower than a bin, at the bottom of the range, read a
//! smooth share of their neighbourhood.
//!
//! Levels at or below [`FLOOR_DB`] (−150 dB, which includes digital
//! silence) read `None` in the bands and [`FLOOR_DB`] in the curves.
//! Values are f32 sums from `realfft`, whose algorithm depends on the CPU's
//! vector unit: native and wasm figures can differ in the last bits (this is
//! a display, not part of the audio path).
//!
//! ## Bands
//! The 31 one-third-octave bands of IEC 61260-1:2014 between 20 Hz and
//! 20 kHz, base 10: exact mid-band frequencies `1000 · 10^(x/10)` Hz for
//! x = −17..=13, band edges `mid · 10^(∓1/20)`, labelled with the ISO 266
//! nominal frequencies. Bands whose mid-band frequency is at or above
//! Nyquist are omitted; a band straddling Nyquist holds what lies below it.
//!
//! The curve has one point every 1/12 octave, base 2 from 1 kHz
//! (`1000 · 2^(k/12)` Hz), from the first at or above 20 Hz to the last at or
//! below min(20 kHz, Nyquist); each point is the power in the 1/12-octave band
//! around it (edges `f · 2^(∓1/24)`), on the same dB scale as the bands.
//!
//! ## References
//! - P. D. Welch, "The use of fast Fourier transform for the estimation of
//!   power spectra", IEEE Trans. Audio Electroacoustics AU-15 (1967).
//! - F. J. Harris, "On the use of windows for harmonic analysis with the
//!   discrete Fourier transform", Proc. IEEE 66 (1978).
//! - IEC 61260-1:2014, *Electroacoustics — Octave-band and fractional-octave-band
//!   filters — Part 1: Specifications* (mid-band frequencies and band edges).
//! - ISO 266:1997, *Acoustics — Preferred frequencies* (nominal band labels).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Levels at or below this read as nothing (`None` in bands, this value in curves), dB.
pub const FLOOR_DB: f32 = -150.0;

/// Largest bin spacing the frame size is chosen for, Hz.
const MAX_BIN_HZ: f64 = 6.0;

/// ISO 266 nominal mid-band frequencies of the 31 bands, Hz.
const NOMINAL_HZ: [f32; 31] = [
    20.0, 25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0, 630.0,
    800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0, 8000.0, 10000.0, 12500.0,
    16000.0, 20000.0,
];

/// Band index of the first band (20 Hz) relative to 1 kHz: mid = 1000 · 10^(x/10).
const FIRST_BAND_X: i32 = -17;

/// One 1/3-octave band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// ISO 266 nominal mid-band frequency (the label), Hz.
    pub nominal_hz: f32,
    /// Exact mid-band frequency, `1000 · 10^(x/10)`, Hz.
    pub centre_hz: f32,
    /// Lower band edge, Hz.
    pub lower_hz: f32,
    /// Upper band edge, Hz.
    pub upper_hz: f32,
    /// Power of the mid signal in the band, dB relative to a full-scale sine;
    /// `None` at or below [`FLOOR_DB`].
    pub level_db: Option<f32>,
    /// The same for each channel (one entry for mono).
    pub channels_db: Vec<Option<f32>>,
}

/// The whole track's average spectrum and its summaries (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LongTermSpectrum {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels analysed.
    pub channels: usize,
    /// Frame length of each transform, frames.
    pub fft_size: usize,
    /// Step between frames, frames.
    pub hop_frames: usize,
    /// Transforms averaged (per channel).
    pub frames_averaged: usize,
    /// Spacing of the bins, Hz.
    pub bin_hz: f64,
    /// Power per bin of the mid signal, one-sided, `fft_size / 2 + 1` bins, as a
    /// share of its mean square (full scale = 1.0; all bins add up to the mean square).
    pub mid_power: Vec<f32>,
    /// The 1/3-octave bands below Nyquist, lowest first.
    pub bands_third_octave: Vec<Band>,
    /// `(frequency Hz, level dB)` of the mid signal every 1/12 octave, lowest first.
    pub curve: Vec<(f32, f32)>,
    /// Per channel, the level in dB at each of `curve`'s frequencies.
    pub channel_curves_db: Vec<Vec<f32>>,
}

impl LongTermSpectrum {
    /// Power of the mid signal between two frequencies, dB relative to a
    /// full-scale sine (as the bands are measured); `None` at or below
    /// [`FLOOR_DB`].
    pub fn band_level_db(&self, lower_hz: f64, upper_hz: f64) -> Option<f32> {
        let power: Vec<f64> = self.mid_power.iter().map(|&p| p as f64).collect();
        band_db(integrate(&power, self.bin_hz, lower_hz, upper_hz))
    }
}

/// The frame size for `sample_rate`: the smallest power of two with bins of
/// at most 6 Hz.
pub fn fft_size_for(sample_rate: u32) -> usize {
    ((sample_rate as f64 / MAX_BIN_HZ).ceil() as usize).next_power_of_two()
}

/// The analysis window of length `n`: `sin²(π(i + ½)/n)` (see the module docs).
fn window(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let s = libm::sin(std::f64::consts::PI * (i as f64 + 0.5) / n as f64);
            (s * s) as f32
        })
        .collect()
}

/// Power between `lower_hz` and `upper_hz` (clipped to 0..Nyquist) of a
/// one-sided power spectrum with bins `bin_hz` apart, its density (power per
/// Hz) taken as linear between bin centres.
fn integrate(power: &[f64], bin_hz: f64, lower_hz: f64, upper_hz: f64) -> f64 {
    let last = power.len().saturating_sub(1) as f64;
    let (a, b) = ((lower_hz / bin_hz).clamp(0.0, last), (upper_hz / bin_hz).clamp(0.0, last));
    if b <= a {
        return 0.0;
    }
    let at = |k: usize, x: f64| power[k] + (power[(k + 1).min(power.len() - 1)] - power[k]) * (x - k as f64);
    let mut sum = 0.0;
    let mut k = a.floor() as usize;
    while (k as f64) < b {
        let (x0, x1) = (a.max(k as f64), b.min(k as f64 + 1.0));
        if x1 > x0 {
            sum += (x1 - x0) * (at(k, x0) + at(k, x1)) / 2.0;
        }
        k += 1;
    }
    // ∫ (power / bin_hz) dHz over the band = ∫ power d(bins).
    sum
}

/// A band power (share of full-scale mean square) as dB relative to a
/// full-scale sine; `None` at or below [`FLOOR_DB`].
fn band_db(power: f64) -> Option<f32> {
    let db = 10.0 * libm::log10(2.0 * power);
    (db > FLOOR_DB as f64).then_some(db as f32)
}

/// Accumulates the long-term spectrum from frames fed in order, in pieces of
/// any size (the result does not depend on them).
pub(crate) struct SpectrumBuilder {
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Channels, 1 or 2.
    channels: usize,
    /// The forward transform, `size` real samples to `size / 2 + 1` bins.
    fft: Arc<dyn RealToComplex<f32>>,
    /// Frame length, frames.
    size: usize,
    /// Step between frames, frames.
    hop: usize,
    /// The full frame's window.
    window: Vec<f32>,
    /// Σ window², for the full frame.
    window_energy: f64,
    /// The frame being filled, per channel (NaN/Inf already replaced by 0).
    frame: Vec<Vec<f32>>,
    /// Frames in `frame` so far, frames.
    fill: usize,
    /// The windowed frame handed to the transform (it is overwritten).
    input: Vec<f32>,
    /// The transform of the current frame, per channel.
    bins: Vec<Vec<Complex<f32>>>,
    /// The transform's scratch space.
    scratch: Vec<Complex<f32>>,
    /// Σ over frames of |X[k]|², per channel.
    power: Vec<Vec<f64>>,
    /// Σ over frames of Re(L[k]·conj(R[k])) (stereo only).
    cross: Vec<f64>,
    /// Σ over frames of Σ window² (the normalisation).
    energy: f64,
    /// Transforms done.
    frames_done: usize,
}

impl SpectrumBuilder {
    /// A builder for `channels` (1 or 2) at `sample_rate` Hz. Allocates.
    pub(crate) fn new(channels: usize, sample_rate: u32) -> Self {
        let size = fft_size_for(sample_rate);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let window = window(size);
        let window_energy = window.iter().map(|&w| w as f64 * w as f64).sum();
        let bins = size / 2 + 1;
        Self {
            sample_rate,
            channels,
            scratch: fft.make_scratch_vec(),
            fft,
            size,
            hop: size / 2,
            window,
            window_energy,
            frame: vec![vec![0.0; size]; channels],
            fill: 0,
            input: vec![0.0; size],
            bins: vec![vec![Complex::default(); bins]; channels],
            power: vec![vec![0.0; bins]; channels],
            cross: if channels == 2 { vec![0.0; bins] } else { Vec::new() },
            energy: 0.0,
            frames_done: 0,
        }
    }

    /// Feeds the next frames, one slice per channel (all the same length).
    pub(crate) fn add(&mut self, planar: &[&[f32]]) {
        let n = planar.iter().take(self.channels).map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            let len = (n - pos).min(self.size - self.fill);
            for (dst, src) in self.frame.iter_mut().zip(planar) {
                for (d, &s) in dst[self.fill..self.fill + len].iter_mut().zip(&src[pos..pos + len]) {
                    *d = if s.is_finite() { s } else { 0.0 };
                }
            }
            pos += len;
            self.fill += len;
            if self.fill == self.size {
                self.transform(None);
                for f in &mut self.frame {
                    f.copy_within(self.hop.., 0);
                }
                self.fill = self.size - self.hop;
            }
        }
    }

    /// Transforms the current frame and adds it to the sums: the whole frame
    /// with the full window, or (`Some(window)`) its first `window.len()`
    /// frames with that window, zero-padded.
    fn transform(&mut self, short: Option<&[f32]>) {
        let w = short.unwrap_or(&self.window);
        for (c, frame) in self.frame.iter().enumerate() {
            for ((d, &s), &wv) in self.input.iter_mut().zip(frame).zip(w) {
                *d = s * wv;
            }
            self.input[w.len()..].iter_mut().for_each(|d| *d = 0.0);
            let r = self.fft.process_with_scratch(&mut self.input, &mut self.bins[c], &mut self.scratch);
            debug_assert!(r.is_ok());
            for (p, x) in self.power[c].iter_mut().zip(&self.bins[c]) {
                *p += (x.re * x.re + x.im * x.im) as f64;
            }
        }
        if self.channels == 2 {
            for ((p, l), r) in self.cross.iter_mut().zip(&self.bins[0]).zip(&self.bins[1]) {
                *p += (l.re * r.re + l.im * r.im) as f64;
            }
        }
        self.energy += match short {
            Some(w) => w.iter().map(|&v| v as f64 * v as f64).sum(),
            None => self.window_energy,
        };
        self.frames_done += 1;
    }

    /// Averages what was fed and summarises it.
    pub(crate) fn finish(mut self) -> LongTermSpectrum {
        if self.frames_done == 0 && self.fill > 0 {
            let w = window(self.fill);
            self.transform(Some(&w));
        }
        let bins = self.size / 2 + 1;
        let bin_hz = self.sample_rate as f64 / self.size as f64;
        // One-sided power as a share of the mean square: |X|² / (N · Σw²),
        // doubled except at DC and Nyquist.
        let norm = if self.energy > 0.0 { 1.0 / (self.size as f64 * self.energy) } else { 0.0 };
        let side = |k: usize| if k == 0 || k == bins - 1 { 1.0 } else { 2.0 };
        let scale = |sums: &[f64]| -> Vec<f64> { sums.iter().enumerate().map(|(k, s)| s * norm * side(k)).collect() };
        let per_channel: Vec<Vec<f64>> = self.power.iter().map(|p| scale(p)).collect();
        let mid: Vec<f64> = if self.channels == 2 {
            let cross = scale(&self.cross);
            (0..bins).map(|k| ((per_channel[0][k] + per_channel[1][k] + 2.0 * cross[k]) / 4.0).max(0.0)).collect()
        } else {
            per_channel[0].clone()
        };

        let nyquist = self.sample_rate as f64 / 2.0;
        let bands_third_octave = NOMINAL_HZ
            .iter()
            .enumerate()
            .filter_map(|(i, &nominal_hz)| {
                let x = FIRST_BAND_X + i as i32;
                let centre = 1000.0 * libm::pow(10.0, x as f64 / 10.0);
                if centre >= nyquist {
                    return None;
                }
                let (lo, hi) = (centre * libm::pow(10.0, -0.05), centre * libm::pow(10.0, 0.05));
                Some(Band {
                    nominal_hz,
                    centre_hz: centre as f32,
                    lower_hz: lo as f32,
                    upper_hz: hi as f32,
                    level_db: band_db(integrate(&mid, bin_hz, lo, hi)),
                    channels_db: per_channel.iter().map(|p| band_db(integrate(p, bin_hz, lo, hi))).collect(),
                })
            })
            .collect();

        let top_hz = nyquist.min(20_000.0);
        let k_lo = (12.0 * libm::log2(20.0 / 1000.0) - 1e-9).ceil() as i32;
        let k_hi = (12.0 * libm::log2(top_hz / 1000.0) + 1e-9).floor() as i32;
        let freqs: Vec<f64> = (k_lo..=k_hi).map(|k| 1000.0 * libm::pow(2.0, k as f64 / 12.0)).collect();
        let half = libm::pow(2.0, 1.0 / 24.0);
        let curve_of = |p: &[f64]| -> Vec<f32> {
            freqs.iter().map(|&f| band_db(integrate(p, bin_hz, f / half, f * half)).unwrap_or(FLOOR_DB)).collect()
        };
        let curve = freqs.iter().zip(curve_of(&mid)).map(|(&f, db)| (f as f32, db)).collect();
        let channel_curves_db = per_channel.iter().map(|p| curve_of(p)).collect();

        LongTermSpectrum {
            sample_rate: self.sample_rate,
            channels: self.channels,
            fft_size: self.size,
            hop_frames: self.hop,
            frames_averaged: self.frames_done,
            bin_hz,
            mid_power: mid.iter().map(|&p| p as f32).collect(),
            bands_third_octave,
            curve,
            channel_curves_db,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::noise;

    fn sine(freq: f64, amp: f64, n: usize, sr: u32) -> Vec<f32> {
        (0..n).map(|i| (amp * libm::sin(2.0 * std::f64::consts::PI * freq * i as f64 / sr as f64)) as f32).collect()
    }

    fn spectrum(chans: &[Vec<f32>], sr: u32, piece: usize) -> LongTermSpectrum {
        let mut b = SpectrumBuilder::new(chans.len(), sr);
        for refs in crate::render::in_step(chans.iter().map(|c| c.chunks(piece)).collect()) {
            b.add(&refs);
        }
        b.finish()
    }

    fn band(s: &LongTermSpectrum, nominal: f32) -> &Band {
        s.bands_third_octave.iter().find(|b| b.nominal_hz == nominal).unwrap()
    }

    #[test]
    fn frame_sizes_give_bins_of_about_six_hertz() {
        assert_eq!(fft_size_for(44_100), 8192);
        assert_eq!(fft_size_for(48_000), 8192);
        assert_eq!(fft_size_for(96_000), 16384);
        assert_eq!(fft_size_for(192_000), 32768);
        assert_eq!(fft_size_for(8_000), 2048);
        // Overlapping windows add up to one.
        let w = window(8192);
        assert!((0..4096).all(|i| (w[i] + w[i + 4096] - 1.0).abs() < 1e-6));
    }

    #[test]
    fn bands_follow_iec_61260() {
        let s = spectrum(&[vec![0.0; 10]], 48_000, 10);
        let b = &s.bands_third_octave;
        assert_eq!(b.len(), 31);
        assert!((b[0].centre_hz - 19.953).abs() < 1e-3 && (b[30].centre_hz - 19_952.6).abs() < 0.1);
        assert!((band(&s, 1000.0).lower_hz - 891.251).abs() < 1e-3);
        assert!((band(&s, 1000.0).upper_hz - 1122.018).abs() < 1e-3);
        for w in b.windows(2) {
            assert!((w[0].upper_hz - w[1].lower_hz).abs() < 1e-2 * w[0].upper_hz / 1000.0);
            assert!((w[0].nominal_hz / w[0].centre_hz - 1.0).abs() < 0.03, "{}", w[0].nominal_hz);
        }
    }

    #[test]
    fn full_scale_sine_reads_0_db_in_its_band() {
        for (sr, chans) in [(48_000, 2), (44_100, 1), (96_000, 2)] {
            let x = sine(1000.0, 1.0, sr as usize * 3, sr);
            let s = spectrum(&vec![x; chans], sr, 4096);
            let b = band(&s, 1000.0);
            let l = b.level_db.unwrap();
            assert!(l.abs() < 0.5, "{sr}: {l}");
            assert!(b.channels_db.iter().all(|c| (c.unwrap() - l).abs() < 1e-3));
            // Bands two octaves or more away are at least 40 dB down.
            for o in s.bands_third_octave.iter().filter(|o| o.centre_hz < 251.0 || o.centre_hz > 3990.0) {
                assert!(o.level_db.is_none_or(|v| v < l - 40.0), "{sr} {}: {:?}", o.nominal_hz, o.level_db);
            }
            // The curve peaks at 0 dB at 1 kHz too (it is a point of the grid).
            let (f, db) = s.curve.iter().copied().fold((0.0, f32::MIN), |m, p| if p.1 > m.1 { p } else { m });
            assert!((f - 1000.0).abs() < 1e-3 && db.abs() < 0.5, "{f} {db}");
            // Parseval: the bins add up to the mean square (½).
            let total: f64 = s.mid_power.iter().map(|&p| p as f64).sum();
            assert!((total - 0.5).abs() < 1e-3, "{total}");
        }
        // −20 dBFS reads −20 dB.
        let x = sine(1000.0, 0.1, 96_000, 48_000);
        let l = band(&spectrum(&[x], 48_000, 96_000), 1000.0).level_db.unwrap();
        assert!((l + 20.0).abs() < 0.5, "{l}");
    }

    #[test]
    fn white_noise_bands_follow_their_widths() {
        // Uniform noise in ±a has mean square a²/3, spread evenly up to
        // Nyquist: a band holds its share of it by width, so the bands rise
        // 3.01 dB per octave.
        let sr = 48_000;
        let a = 0.5f32;
        let n = sr as usize * 30;
        let (l, r) = (noise(n, a, 7), noise(n, a, 8));
        let s = spectrum(&[l, r], sr, 65_536);
        let ms = (a * a / 3.0) as f64;
        let nyq = sr as f64 / 2.0;
        let want = |lo: f64, hi: f64, ms: f64| 10.0 * libm::log10(2.0 * ms * (hi.min(nyq) - lo) / nyq);
        let mut xs = Vec::new();
        for b in s.bands_third_octave.iter().filter(|b| b.centre_hz > 90.0) {
            let (lo, hi) = (b.lower_hz as f64, b.upper_hz as f64);
            for c in &b.channels_db {
                let got = c.unwrap() as f64;
                assert!((got - want(lo, hi, ms)).abs() < 0.3, "{}: {got} vs {}", b.nominal_hz, want(lo, hi, ms));
            }
            // Independent channels: the mid carries half the power of each.
            let mid = b.level_db.unwrap() as f64;
            assert!((mid - want(lo, hi, ms / 2.0)).abs() < 0.3, "mid {}: {mid}", b.nominal_hz);
            xs.push((libm::log2(b.centre_hz as f64), b.channels_db[0].unwrap() as f64));
        }
        // Least-squares slope over the bands, dB per octave.
        let m = xs.len() as f64;
        let (sx, sy) = xs.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (sxx, sxy) = xs.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x * x, b + x * y));
        let slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
        assert!((slope - 3.01).abs() < 0.1, "{slope} dB/octave");
        // The 1/12-octave curve follows its own widths the same way.
        let w = libm::pow(2.0, 1.0 / 24.0);
        for &(f, db) in s.curve.iter().filter(|p| p.0 > 200.0) {
            let f = f as f64;
            let want = want(f / w, f * w, ms / 2.0);
            assert!((db as f64 - want).abs() < 0.75, "{f}: {db} vs {want}");
        }
        assert_eq!(s.curve.len(), s.channel_curves_db[0].len());
    }

    #[test]
    fn opposite_channels_have_no_mid() {
        let x = sine(440.0, 0.5, 48_000, 48_000);
        let y: Vec<f32> = x.iter().map(|v| -v).collect();
        let s = spectrum(&[x, y], 48_000, 1000);
        let b = band(&s, 400.0);
        assert_eq!(b.level_db, None);
        assert!((b.channels_db[0].unwrap() + 6.02).abs() < 0.5);
        assert!(s.curve.iter().all(|p| p.1 == FLOOR_DB));
    }

    #[test]
    fn silence_reads_nothing() {
        let s = spectrum(&[vec![0.0; 100_000], vec![0.0; 100_000]], 44_100, 4096);
        assert!(s.bands_third_octave.iter().all(|b| b.level_db.is_none() && b.channels_db == [None, None]));
        assert!(s.curve.iter().all(|p| p.1 == FLOOR_DB));
        assert!(s.channel_curves_db.iter().flatten().all(|&v| v == FLOOR_DB));
        let j = serde_json::to_string(&s).unwrap();
        assert!(!j.contains("NaN") && !j.contains("inf"));
        // Nothing at all.
        let empty = SpectrumBuilder::new(1, 48_000).finish();
        assert_eq!(empty.frames_averaged, 0);
        assert!(empty.bands_third_octave.iter().all(|b| b.level_db.is_none()));
        // NaN and Inf are silence.
        let bad = spectrum(&[vec![f32::NAN; 20_000]], 48_000, 333);
        assert!(bad.bands_third_octave.iter().all(|b| b.level_db.is_none()));
    }

    #[test]
    fn short_files_are_zero_padded() {
        let x = sine(1000.0, 1.0, 1500, 48_000);
        let s = spectrum(&[x], 48_000, 100);
        assert_eq!(s.frames_averaged, 1);
        let l = band(&s, 1000.0).level_db.unwrap();
        assert!(l.abs() < 0.5, "{l}");
        // One sample still gives a reading.
        let one = spectrum(&[vec![0.5]], 48_000, 1);
        assert!(one.bands_third_octave[0].level_db.is_some());
    }

    #[test]
    fn low_and_high_sample_rates() {
        // 8 kHz: bands up to 4 kHz (mid-band 3981 Hz), curve up to Nyquist.
        let s = spectrum(&[sine(1000.0, 1.0, 24_000, 8_000)], 8_000, 4096);
        assert_eq!(s.bands_third_octave.len(), 24);
        assert_eq!(s.bands_third_octave.last().unwrap().nominal_hz, 4000.0);
        assert!(s.curve.last().unwrap().0 <= 4000.0 && s.curve.last().unwrap().0 > 3700.0);
        assert!(band(&s, 1000.0).level_db.unwrap().abs() < 0.5);
        // 192 kHz: every band; the curve stops at 20 kHz.
        let s = spectrum(&[sine(1000.0, 1.0, 192_000 * 2, 192_000)], 192_000, 65_536);
        assert_eq!(s.bands_third_octave.len(), 31);
        assert!(band(&s, 1000.0).level_db.unwrap().abs() < 0.5);
        assert!(band(&s, 4000.0).level_db.is_none_or(|v| v < -40.0));
        assert!((s.curve[0].0 - 20.857).abs() < 1e-3, "{:?}", s.curve[0]);
        assert!(s.curve.last().unwrap().0 <= 20_000.0, "{:?}", s.curve.last());
        assert_eq!(s.curve.len(), 119);
        // 20 kHz sits high in the 44.1 kHz band that straddles Nyquist.
        let s = spectrum(&[sine(20_000.0, 1.0, 88_200, 44_100)], 44_100, 8192);
        assert!(band(&s, 20_000.0).level_db.unwrap().abs() < 0.5);
    }

    #[test]
    fn piece_sizes_do_not_change_the_spectrum() {
        let (l, r) = (noise(40_000, 0.3, 1), noise(40_000, 0.3, 2));
        let whole = spectrum(&[l.clone(), r.clone()], 48_000, 40_000);
        for piece in [1, 777, 4096] {
            assert_eq!(spectrum(&[l.clone(), r.clone()], 48_000, piece), whole);
        }
        assert_eq!(whole.frames_averaged, 8);
    }
}
