//! Filter accuracy: the EQ's measured response against the RBJ cookbook formulas
//! (evaluated independently here), and the crossovers' flat sum.

use lacquer_dsp::chain::compressor::{split_three, Compressor};
use lacquer_dsp::chain::eq::Eq;
use lacquer_dsp::settings::{CompressorMode, CompressorSettings, Dynamics, EqSettings, PeakBand, ShelfBand, Slope};
use std::f64::consts::PI;

/// Impulse response of the EQ, processed in control-period segments.
fn eq_impulse(s: &EqSettings, fs: f64, n: usize) -> Vec<f64> {
    let mut eq = Eq::new();
    eq.prepare(fs, s);
    let mut out = vec![0.0; n];
    out[0] = 1.0;
    let mut right = out.clone();
    for (l, r) in out.chunks_mut(32).zip(right.chunks_mut(32)) {
        eq.control(s);
        eq.process(l, r, 0);
    }
    out
}

/// |H(f)| in dB of an impulse response, by direct DTFT.
fn response_db(h: &[f64], f: f64, fs: f64) -> f64 {
    let w = 2.0 * PI * f / fs;
    let (mut re, mut im) = (0.0, 0.0);
    for (k, v) in h.iter().enumerate() {
        re += v * (w * k as f64).cos();
        im -= v * (w * k as f64).sin();
    }
    10.0 * (re * re + im * im).log10()
}

/// The cookbook's magnitude for one section, from its textbook formulas.
fn cookbook_db(kind: &str, f0: f64, gain_db: f64, q_or_s: f64, f: f64, fs: f64) -> f64 {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = 2.0 * PI * f0 / fs;
    let (sn, cs) = (w0.sin(), w0.cos());
    let (b0, b1, b2, a0, a1, a2) = match kind {
        "hp" => {
            let al = sn / (2.0 * q_or_s);
            ((1.0 + cs) / 2.0, -(1.0 + cs), (1.0 + cs) / 2.0, 1.0 + al, -2.0 * cs, 1.0 - al)
        }
        "peak" => {
            let al = sn / (2.0 * q_or_s);
            (1.0 + al * a, -2.0 * cs, 1.0 - al * a, 1.0 + al / a, -2.0 * cs, 1.0 - al / a)
        }
        "ls" | "hs" => {
            let al = sn / 2.0 * ((a + 1.0 / a) * (1.0 / q_or_s - 1.0) + 2.0).sqrt();
            let k = 2.0 * a.sqrt() * al;
            if kind == "ls" {
                (a * ((a + 1.0) - (a - 1.0) * cs + k), 2.0 * a * ((a - 1.0) - (a + 1.0) * cs), a * ((a + 1.0) - (a - 1.0) * cs - k),
                 (a + 1.0) + (a - 1.0) * cs + k, -2.0 * ((a - 1.0) + (a + 1.0) * cs), (a + 1.0) + (a - 1.0) * cs - k)
            } else {
                (a * ((a + 1.0) + (a - 1.0) * cs + k), -2.0 * a * ((a - 1.0) + (a + 1.0) * cs), a * ((a + 1.0) + (a - 1.0) * cs - k),
                 (a + 1.0) - (a - 1.0) * cs + k, 2.0 * ((a - 1.0) - (a + 1.0) * cs), (a + 1.0) - (a - 1.0) * cs - k)
            }
        }
        _ => unreachable!(),
    };
    let w = 2.0 * PI * f / fs;
    let z1 = (w.cos(), -w.sin());
    let z2 = ((2.0 * w).cos(), -(2.0 * w).sin());
    let num = (b0 + b1 * z1.0 + b2 * z2.0, b1 * z1.1 + b2 * z2.1);
    let den = (a0 + a1 * z1.0 + a2 * z2.0, a1 * z1.1 + a2 * z2.1);
    10.0 * ((num.0 * num.0 + num.1 * num.1) / (den.0 * den.0 + den.1 * den.1)).log10()
}

const FREQS: [f64; 10] = [25.0, 60.0, 120.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 9000.0, 15000.0];

#[test]
fn eq_matches_cookbook_within_005_db_at_44k1_48k_96k() {
    let mut s = EqSettings::default();
    s.highpass_enabled = true;
    s.highpass_hz = 30.0;
    s.highpass_slope = Slope::Db24;
    s.low_shelf = ShelfBand { freq_hz: 110.0, gain_db: 3.0, slope: 0.8 };
    s.peaks = [
        PeakBand { freq_hz: 300.0, gain_db: -4.0, q: 1.4 },
        PeakBand { freq_hz: 1800.0, gain_db: 2.5, q: 0.9 },
        PeakBand { freq_hz: 6000.0, gain_db: 3.5, q: 2.0 },
    ];
    s.high_shelf = ShelfBand { freq_hz: 11_000.0, gain_db: -2.0, slope: 1.0 };
    s.tilt_db = 2.0;
    s.tilt_pivot_hz = 800.0;
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let h = eq_impulse(&s, fs, fs as usize);
        for f in FREQS {
            let want = cookbook_db("hp", 30.0, 0.0, 0.541_196_100_146_197, f, fs)
                + cookbook_db("hp", 30.0, 0.0, 1.306_562_964_876_376_5, f, fs)
                + cookbook_db("ls", 110.0, 3.0, 0.8, f, fs)
                + cookbook_db("peak", 300.0, -4.0, 1.4, f, fs)
                + cookbook_db("peak", 1800.0, 2.5, 0.9, f, fs)
                + cookbook_db("peak", 6000.0, 3.5, 2.0, f, fs)
                + cookbook_db("hs", 11_000.0, -2.0, 1.0, f, fs)
                + cookbook_db("ls", 800.0, -1.0, 0.5, f, fs)
                + cookbook_db("hs", 800.0, 1.0, 0.5, f, fs);
            let got = response_db(&h, f, fs);
            assert!((got - want).abs() < 0.05, "{f} Hz at {fs}: EQ {got:.3} dB, cookbook {want:.3} dB");
        }
    }
}

#[test]
fn eq_is_exactly_flat_with_neutral_bands_and_no_highpass() {
    let mut s = EqSettings::default();
    s.highpass_enabled = false;
    let h = eq_impulse(&s, 48_000.0, 64);
    assert_eq!(h[0], 1.0);
    assert!(h[1..].iter().all(|v| *v == 0.0));
}

#[test]
fn crossover_bands_sum_flat_within_005_db() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let n = fs as usize;
        let mut x = vec![0.0; n];
        x[0] = 1.0;
        for (f1, f2) in [(120.0, 2500.0), (250.0, 4000.0)] {
            let bands = split_three(&x, f1, f2, fs);
            let sum: Vec<f64> = (0..n).map(|i| bands[0][i] + bands[1][i] + bands[2][i]).collect();
            for f in (0..60).map(|k| 20.0 * 1.122f64.powi(k)).filter(|f| *f < 0.45 * fs) {
                let m = response_db(&sum, f, fs);
                assert!(m.abs() < 0.05, "{f:.0} Hz at {fs}: crossover sum {m:.4} dB");
            }
        }
    }
}

#[test]
fn neutral_multiband_compressor_is_flat() {
    let fs = 48_000.0;
    let neutral = Dynamics { threshold_db: 0.0, ratio: 1.0, attack_ms: 10.0, release_ms: 100.0, knee_db: 0.0, makeup_db: 0.0 };
    let s = CompressorSettings { mode: CompressorMode::Multiband, bands: [neutral; 3], ..Default::default() };
    let mut c = Compressor::new();
    c.prepare(fs, &s);
    let n = 48_000;
    let mut l = vec![0.0; n];
    l[0] = 1.0;
    let mut r = l.clone();
    for (a, b) in l.chunks_mut(32).zip(r.chunks_mut(32)) {
        c.control(&s);
        c.process(a, b, 0);
    }
    for f in [30.0, 100.0, 200.0, 1000.0, 3000.0, 8000.0, 16000.0] {
        let m = response_db(&l, f, fs);
        assert!(m.abs() < 0.05, "{f} Hz: {m:.4} dB");
    }
}
