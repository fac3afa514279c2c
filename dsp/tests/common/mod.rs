//! Reference signals and an independent true-peak meter for the chain tests.
#![allow(dead_code)]

use lacquer_dsp::settings::{CompressorMode, Slope};
use lacquer_dsp::Settings;
use std::f64::consts::PI;

/// Seeded uniform noise in [−1, 1) (LCG; independent of the chain's dither).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

pub fn white(n: usize, amp: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut r = Rng::new(seed);
    let l = (0..n).map(|_| (r.next() * amp) as f32).collect();
    let rr = (0..n).map(|_| (r.next() * amp) as f32).collect();
    [l, rr]
}

pub fn sine(n: usize, f: f64, fs: f64, amp: f64, phase: f64) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * PI * f * i as f64 / fs + phase).sin()) as f32).collect()
}

/// Drum-like transients: decaying noise bursts and pitched kicks with sharp onsets.
pub fn drums(n: usize, fs: f64, amp: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut r = Rng::new(seed);
    let beat = (fs * 0.25) as usize;
    let mut l = vec![0.0f32; n];
    let mut rr = vec![0.0f32; n];
    for i in 0..n {
        let t = (i % beat) as f64 / fs;
        let kick = (2.0 * PI * (55.0 * t + 90.0 * (1.0 - (-t * 40.0).exp()) / 40.0)).sin() * (-t * 12.0).exp();
        let snare = if (i / beat) % 2 == 1 { r.next() * (-t * 30.0).exp() } else { 0.0 };
        let click = if i % beat < 3 { 1.0 } else { 0.0 };
        l[i] = (amp * (0.7 * kick + 0.5 * snare + 0.4 * click)) as f32;
        rr[i] = (amp * (0.7 * kick - 0.5 * snare + 0.4 * click)) as f32;
    }
    [l, rr]
}

/// Programme: drums, bass and noise (a mastering-like mix).
pub fn programme(n: usize, fs: f64, seed: u64) -> [Vec<f32>; 2] {
    let [dl, dr] = drums(n, fs, 0.5, seed);
    let mut r = Rng::new(seed + 1);
    let mut lp = 0.0;
    let l = (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            lp += 0.05 * (r.next() - lp);
            let bass = 0.25 * (2.0 * PI * 55.0 * t).sin();
            dl[i] + (bass + 0.3 * lp) as f32
        })
        .collect();
    let rr = (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            dr[i] + (0.25 * (2.0 * PI * 55.0 * t).sin() + 0.05 * (2.0 * PI * 440.0 * t).sin()) as f32
        })
        .collect();
    [l, rr]
}

/// Settings that exercise every module (non-default everywhere).
pub fn busy_settings() -> Settings {
    let mut s = Settings::default();
    s.input_gain_db = 4.0;
    s.eq.highpass_slope = Slope::Db24;
    s.eq.highpass_hz = 30.0;
    s.eq.low_shelf.gain_db = 2.0;
    s.eq.peaks[0].gain_db = -2.5;
    s.eq.peaks[1].gain_db = 1.5;
    s.eq.peaks[2].gain_db = 3.0;
    s.eq.high_shelf.gain_db = 1.0;
    s.eq.tilt_db = 1.0;
    s.compressor.mode = CompressorMode::Multiband;
    s.compressor.bands[0].ratio = 3.0;
    s.compressor.bands[2].threshold_db = -24.0;
    s.stereo.width_pct = 140.0;
    s.stereo.mono_bass_enabled = true;
    s.limiter.ceiling_dbtp = -1.0;
    s.output.noise_shaping = true;
    s.output.dither_bits = 16;
    s.amount_pct = 90.0;
    s
}

/// Zeroth-order modified Bessel function (for the Kaiser window).
fn i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..200 {
        term *= (x / 2.0) * (x / 2.0) / (k * k) as f64;
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
    }
    sum
}

/// Independent true-peak meter: 16× oversampling by Kaiser-windowed sinc
/// interpolation with 64 taps either side (far longer than the limiter's 12).
/// Returns the true peak of each channel, linear, ignoring `edge` frames at both
/// ends where the kernel runs off the signal.
pub fn true_peak_16x(x: &[f32], edge: usize) -> f64 {
    const OS: usize = 16;
    const HALF: i64 = 64;
    let beta = 10.0;
    let i0b = i0(beta);
    let mut kern = vec![vec![0.0f64; (2 * HALF) as usize]; OS];
    for p in 0..OS {
        let d = p as f64 / OS as f64;
        for (j, k) in (-HALF + 1..=HALF).enumerate() {
            let t = d - k as f64;
            let s = if t == 0.0 { 1.0 } else { (PI * t).sin() / (PI * t) };
            let u = t / HALF as f64;
            let w = if u.abs() < 1.0 { i0(beta * (1.0 - u * u).sqrt()) / i0b } else { 0.0 };
            kern[p][j] = s * w;
        }
    }
    let n = x.len() as i64;
    let mut peak = 0.0f64;
    for i in (edge as i64).max(HALF)..(n - edge as i64).min(n - HALF) {
        let s0 = x[i as usize].abs() as f64;
        peak = peak.max(s0);
        for p in 1..OS {
            let mut acc = 0.0;
            for (j, k) in (-HALF + 1..=HALF).enumerate() {
                acc += kern[p][j] * x[(i + k) as usize] as f64;
            }
            peak = peak.max(acc.abs());
        }
    }
    peak
}

pub fn db(x: f64) -> f64 {
    20.0 * x.log10()
}
