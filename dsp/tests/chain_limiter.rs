//! The true-peak limiter under stress, measured by an independent 16×
//! oversampling meter (tests/common), plus transparency and latency alignment.

mod common;

use common::*;
use lacquer_dsp::chain::limiter::Limiter;
use lacquer_dsp::render::render;
use lacquer_dsp::settings::LimiterSettings;
use lacquer_dsp::{Master, Settings};

/// Runs `x` through the limiter alone (in control-period segments), compensating latency.
fn limit(x: &[Vec<f32>; 2], fs: f64, s: &LimiterSettings) -> [Vec<f32>; 2] {
    let mut lim = Limiter::new();
    lim.prepare(fs, s);
    let lat = lim.latency();
    let n = x[0].len();
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    let total = n + lat;
    let mut pos = 0;
    while pos < total {
        let seg = 32.min(total - pos);
        if pos % 32 == 0 {
            lim.control(s);
        }
        let mut l = [0.0f64; 32];
        let mut r = [0.0f64; 32];
        for k in 0..seg {
            let i = pos + k;
            if i < n {
                l[k] = x[0][i] as f64;
                r[k] = x[1][i] as f64;
            }
        }
        lim.process(&mut l[..seg], &mut r[..seg], pos % 32);
        for k in 0..seg {
            let i = pos + k;
            if i >= lat {
                out[0][i - lat] = l[k] as f32;
                out[1][i - lat] = r[k] as f32;
            }
        }
        pos += seg;
    }
    out
}

fn check(name: &str, x: [Vec<f32>; 2], fs: f64) {
    let s = LimiterSettings { ceiling_dbtp: -1.0, ..Default::default() };
    let y = limit(&x, fs, &s);
    let edge = 200;
    let tp = true_peak_16x(&y[0], edge).max(true_peak_16x(&y[1], edge));
    let over = db(tp) - s.ceiling_dbtp as f64;
    eprintln!("{name} @ {fs} Hz: output true peak {:.3} dBTP ({over:+.3} dB vs ceiling)", db(tp));
    assert!(over <= 0.05, "{name} @ {fs}: true peak {:.3} dBTP exceeds the −1 dBTP ceiling by {over:.3} dB", db(tp));
    // And it is actually limiting, not just muting.
    assert!(over > -1.5, "{name} @ {fs}: output {:.2} dBTP is far below the ceiling", db(tp));
}

const SECONDS: f64 = 1.5;

#[test]
fn white_noise_driven_20db_stays_under_ceiling() {
    for fs in [44_100.0, 48_000.0] {
        let n = (fs * SECONDS) as usize;
        for seed in [3, 17, 42, 99, 1234] {
            check(&format!("white noise +20 dB (seed {seed})"), white(n, 10.0, seed), fs);
        }
    }
}

#[test]
fn sines_997hz_and_19khz_at_plus_12db_stay_under_ceiling() {
    for fs in [44_100.0, 48_000.0] {
        let n = (fs * SECONDS) as usize;
        for f in [997.0, 19_000.0] {
            let a = 10f64.powf(12.0 / 20.0);
            let x = sine(n, f, fs, a, 0.3);
            check(&format!("{f} Hz sine +12 dB"), [x.clone(), x], fs);
        }
    }
}

#[test]
fn quarter_rate_sines_at_45_degrees_stay_under_ceiling() {
    // The shape of EBU Tech 3341 cases 16–19: fs/4 sines sampled at 45° phase,
    // whose true peak is 3 dB above every sample.
    for fs in [44_100.0, 48_000.0] {
        let n = (fs * SECONDS) as usize;
        for gain_db in [0.0, 6.0, 12.0] {
            let a = 10f64.powf(gain_db / 20.0);
            let x = sine(n, fs / 4.0, fs, a, std::f64::consts::FRAC_PI_4);
            check(&format!("fs/4 at 45°, {gain_db:+} dB"), [x.clone(), x], fs);
        }
    }
}

#[test]
fn drum_transients_stay_under_ceiling() {
    for fs in [44_100.0, 48_000.0] {
        let n = (fs * SECONDS) as usize;
        check("drum transients", drums(n, fs, 4.0, 9), fs);
    }
}

#[test]
fn sine_six_db_below_ceiling_passes_unchanged() {
    // No gain reduction at all: the gain stays exactly 1, so the output is the
    // input through the band-limit filter (flat to 0.43·fs), at the same level.
    for fs in [44_100.0, 48_000.0] {
        let n = fs as usize;
        let a = 10f64.powf((-1.0 - 6.0) / 20.0);
        for f in [997.0, 5_000.0, 15_000.0] {
            let x = sine(n, f, fs, a, 0.0);
            let s = LimiterSettings::default();
            let mut lim = Limiter::new();
            lim.prepare(fs, &s);
            let mut max_gr = 0.0f64;
            let mut y = vec![0.0f64; n];
            for (c, chunk) in x.chunks(32).enumerate() {
                lim.control(&s);
                max_gr = max_gr.max(lim.gain_reduction_db());
                let mut l: Vec<f64> = chunk.iter().map(|v| *v as f64).collect();
                let mut r = l.clone();
                lim.process(&mut l, &mut r, 0);
                y[c * 32..c * 32 + chunk.len()].copy_from_slice(&l);
            }
            assert_eq!(max_gr, 0.0, "{f} Hz at {fs}: the limiter reduced gain by {max_gr} dB");
            let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
            let xin: Vec<f64> = x[4800..n - 4800].iter().map(|v| *v as f64).collect();
            let change = db(rms(&y[4800..n - 4800]) / rms(&xin));
            assert!(change.abs() < 0.005, "{f} Hz at {fs}: level changed by {change:.4} dB");
        }
    }
}

#[test]
fn full_chain_holds_ceiling_on_hot_programme() {
    let fs = 48_000u32;
    let n = 72_000;
    let x = programme(n, fs as f64, 5);
    let mut s = Settings::default();
    s.input_gain_db = 18.0;
    let y = render(&[x[0].clone(), x[1].clone()], fs, &s);
    let tp = true_peak_16x(&y[0], 200).max(true_peak_16x(&y[1], 200));
    eprintln!("full chain, programme +18 dB: {:.3} dBTP", db(tp));
    assert!(db(tp) <= -1.0 + 0.05, "full chain true peak {:.3} dBTP", db(tp));
}

#[test]
fn offline_render_is_time_aligned_and_keeps_the_tail() {
    // A 1 kHz tone burst that ends 10 frames before the end of the file: the
    // output lines up with the input (cross-correlation peaks at lag 0) and the
    // burst is still there at the very end (no tail cut by the latency).
    let fs = 48_000u32;
    let n = 9_600;
    let x: Vec<f32> = (0..n)
        .map(|i| if i >= n - 2_400 && i < n - 10 { (0.25 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0).sin()) as f32 } else { 0.0 })
        .collect();
    let mut s = Settings::default();
    s.output.dither = false;
    s.compressor.bypass = true;
    let y = render(&[x.clone()], fs, &s);
    assert_eq!(y[0].len(), n);
    let xc = |lag: i64| -> f64 {
        (0..n as i64).filter(|&i| i + lag >= 0 && i + lag < n as i64).map(|i| x[i as usize] as f64 * y[0][(i + lag) as usize] as f64).sum()
    };
    let best = (-8..=8).max_by(|a, b| xc(*a).partial_cmp(&xc(*b)).unwrap()).unwrap();
    assert_eq!(best, 0, "output lags the input by {best} frames");
    let tail = y[0][n - 40..n - 10].iter().fold(0.0f32, |a, v| a.max(v.abs()));
    assert!(tail > 0.2, "the burst's last cycles are in the output (peak {tail})");
    let mut m = Master::new(s);
    m.prepare(fs as f64, 128);
    assert!(m.latency_samples() > 16, "the limiter reports its lookahead latency");
}
