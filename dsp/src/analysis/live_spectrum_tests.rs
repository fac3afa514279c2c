//! Tests of [`super`] (live_spectrum.rs).
use super::*;

const SR: f64 = 48_000.0;

fn sine(freq_hz: f64, dbfs: f64, frames: usize, sr: f64) -> Vec<f32> {
    let a = libm::pow(10.0, dbfs / 20.0);
    (0..frames).map(|i| (a * libm::sin(2.0 * core::f64::consts::PI * freq_hz * i as f64 / sr)) as f32).collect()
}

/// Pushes `x` as both signals (both channels) in 128-frame quanta,
/// updating every 1600 frames (30 Hz at 48 kHz); `each` sees the
/// analyser after every update.
fn feed(s: &mut LiveSpectrum, x: &[f32], mut each: impl FnMut(&LiveSpectrum)) {
    let mut since = 0;
    for q in x.chunks(128) {
        s.push(q, q, q, q);
        since += q.len();
        if since >= 1600 {
            s.update();
            since = 0;
            each(s);
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

fn nearest_point(s: &LiveSpectrum, f_hz: f64) -> usize {
    let fs = s.freqs_hz();
    (0..fs.len()).fold(0, |best, i| {
        if (libm::log2(fs[i] as f64 / f_hz)).abs() < (libm::log2(fs[best] as f64 / f_hz)).abs() {
            i
        } else {
            best
        }
    })
}

#[test]
fn grid_and_sizes() {
    let mut s = LiveSpectrum::new();
    assert!(s.values().is_empty() && s.row(Row::Input).is_empty());
    s.update();
    s.prepare(44_100.0);
    assert_eq!(s.fft_size(), 8192);
    assert_eq!(s.freqs_hz().len(), POINTS);
    assert!((s.freqs_hz()[0] - 20.0).abs() < 1e-3 && (s.freqs_hz()[POINTS - 1] - 20_000.0).abs() < 0.1);
    assert!(s.values().iter().all(|&v| v == FLOOR_DB));
    for (sr, n) in [(48_000.0, 8192), (96_000.0, 16_384), (192_000.0, 32_768), (8_000.0, 2048), (32_000.0, 8192)] {
        assert_eq!(fft_size_for(sr), n, "{sr}");
        let bin = sr / n as f64;
        assert!(bin <= 6.0, "{sr}");
    }
    // Silence reads the floor; points above Nyquist read the floor.
    s.prepare(32_000.0);
    let x = sine(1000.0, -6.0, 32_000, 32_000.0);
    for q in x.chunks(128) {
        s.push(q, q, q, q);
    }
    s.update();
    for (i, &f) in s.freqs_hz().iter().enumerate() {
        if f >= 16_000.0 {
            assert_eq!(s.row(Row::Output)[i], FLOOR_DB, "{f}");
        }
    }
    s.reset();
    s.update();
    assert!(s.values().iter().all(|&v| v == FLOOR_DB));
}

#[test]
fn settings_are_checked() {
    let mut s = LiveSpectrum::new();
    s.prepare(SR);
    assert_eq!(s.slope_db_per_oct(), 4.5);
    for ok in [0.0, 3.0, 4.5] {
        assert!(s.set_slope_db_per_oct(ok));
        assert_eq!(s.slope_db_per_oct(), ok);
    }
    for bad in [1.0, -3.0, 6.0, f32::NAN] {
        assert!(!s.set_slope_db_per_oct(bad));
        assert_eq!(s.slope_db_per_oct(), 4.5);
    }
    for ok in [3, 6, 12] {
        assert!(s.set_smoothing_octave_fraction(ok));
        assert_eq!(s.smoothing_octave_fraction(), ok);
    }
    for bad in [0, 1, 24, 5] {
        assert!(!s.set_smoothing_octave_fraction(bad));
        assert_eq!(s.smoothing_octave_fraction(), 12);
    }
    // The slope adds slope · log2(f / 1 kHz) dB to the same
    // measurement: 9 dB at 4 kHz for 4.5 dB per octave.
    let tone = sine(4000.0, -20.0, 20_000, SR);
    assert!(s.set_slope_db_per_oct(0.0));
    s.push(&tone, &tone, &tone, &tone);
    s.update();
    let at = nearest_point(&s, 4000.0);
    let flat = s.row(Row::Input)[at];
    assert!(s.set_slope_db_per_oct(4.5));
    s.update();
    let sloped = s.row(Row::Input)[at];
    assert!((sloped - flat - 9.0).abs() < 0.05, "{flat} {sloped}");
}

#[test]
fn sine_peaks_at_its_frequency_at_its_level() {
    for sr in [48_000.0, 44_100.0] {
        let mut s = LiveSpectrum::new();
        s.prepare(sr);
        assert!(s.set_slope_db_per_oct(0.0));
        assert!(s.set_smoothing_octave_fraction(12));
        let x = sine(1000.0, -6.0, sr as usize, sr);
        feed(&mut s, &x, |_| {});
        let at = nearest_point(&s, 1000.0);
        for row in [Row::Input, Row::Output, Row::InputPeak, Row::OutputPeak] {
            let r = s.row(row);
            assert_eq!(argmax(r), at, "{sr} {row:?}");
            assert!((r[at] + 6.0).abs() < 0.5, "{sr} {row:?}: {}", r[at]);
        }
        // Wider smoothing: the peak stays at 1 kHz (at the same level, the pivot).
        for n in [6, 3] {
            assert!(s.set_smoothing_octave_fraction(n));
            s.update();
            let r = s.row(Row::Output);
            assert_eq!(argmax(r), at, "{sr} 1/{n}");
            assert!((r[at] + 6.0).abs() < 0.5, "{sr} 1/{n}: {}", r[at]);
        }
        // Any slope pivots at 1 kHz.
        assert!(s.set_slope_db_per_oct(4.5));
        s.update();
        assert!((s.row(Row::Output)[at] + 6.0).abs() < 0.5);
    }
}

#[test]
fn a_tone_elsewhere_reads_its_level_with_the_3_db_slope() {
    // With 3 dB/octave the display is the 1/n-octave band power: a tone
    // reads its level at any frequency where the kernel holds its main lobe.
    let mut s = LiveSpectrum::new();
    s.prepare(SR);
    assert!(s.set_slope_db_per_oct(3.0));
    assert!(s.set_smoothing_octave_fraction(6));
    for f in [500.0, 4000.0, 12_000.0] {
        s.reset();
        feed(&mut s, &sine(f, -12.0, 96_000, SR), |_| {});
        let r = s.row(Row::Input);
        let at = nearest_point(&s, f);
        assert_eq!(argmax(r), at, "{f}");
        assert!((r[at] + 12.0).abs() < 0.5, "{f}: {}", r[at]);
    }
}

/// Pink noise made in the frequency domain: power ∝ 1/f in every bin
/// (exactly), random phases, one inverse transform; periodic in its length.
fn pink(frames: usize, seed: u64) -> Vec<f32> {
    let mut planner = RealFftPlanner::<f64>::new();
    let inv = planner.plan_fft_inverse(frames);
    let mut spec = inv.make_input_vec();
    let mut x = seed;
    for (k, b) in spec.iter_mut().enumerate().skip(1) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let phase = (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 * core::f64::consts::PI;
        let mag = 1.0 / libm::sqrt(k as f64);
        *b = Complex::new(mag * libm::cos(phase), mag * libm::sin(phase));
    }
    let last = spec.len() - 1;
    spec[last].im = 0.0;
    let mut out = inv.make_output_vec();
    inv.process(&mut spec, &mut out).unwrap();
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    out.iter().map(|v| (0.5 * v / peak) as f32).collect()
}

#[test]
fn pink_noise_reads_flat_with_the_3_db_slope() {
    let x = pink(1 << 20, 7);
    for n in [3, 6] {
        let mut s = LiveSpectrum::new();
        s.prepare(SR);
        assert!(s.set_slope_db_per_oct(3.0));
        assert!(s.set_smoothing_octave_fraction(n));
        // Average the displayed power over the updates after the first second.
        let mut sum = vec![0.0f64; POINTS];
        let mut updates = 0;
        feed(&mut s, &x, |s| {
            updates += 1;
            if updates > 30 {
                for (a, &v) in sum.iter_mut().zip(s.row(Row::Output)) {
                    *a += libm::pow(10.0, v as f64 / 10.0);
                }
            }
        });
        let db: Vec<f64> = sum.iter().map(|&p| 10.0 * libm::log10(p / (updates - 30) as f64)).collect();
        let at_1k = db[nearest_point(&s, 1000.0)];
        for (i, &f) in s.freqs_hz().iter().enumerate() {
            if (50.0..=10_000.0).contains(&f) {
                assert!((db[i] - at_1k).abs() < 1.5, "1/{n} at {f} Hz: {} dB vs {at_1k} dB at 1 kHz", db[i]);
            }
        }
    }
}

#[test]
fn ballistics_follow_the_audio_not_the_update_rate() {
    // A step from silence to a tone: after 300 ms of audio the averaged
    // power is 1 − 1/e of the way there, whether updated 30 or 120 times a second.
    let tone = sine(1000.0, 0.0, 48_000, SR);
    let mut readings = Vec::new();
    for every in [1600, 400] {
        let mut s = LiveSpectrum::new();
        s.prepare(SR);
        assert!(s.set_slope_db_per_oct(0.0));
        s.push(&[0.0; 128], &[0.0; 128], &[0.0; 128], &[0.0; 128]);
        s.update();
        // Fill the ring with the tone first, unmeasured, then time from there.
        let (first, rest) = tone.split_at(8192);
        s.push(first, first, &[0.0; 8192], &[0.0; 8192]);
        s.pending_frames = 0;
        for q in rest[..14_400].chunks(every) {
            s.push(q, q, &vec![0.0; q.len()], &vec![0.0; q.len()]);
            s.update();
        }
        let at = nearest_point(&s, 1000.0);
        readings.push(s.row(Row::Input)[at]);
    }
    let want = 10.0 * libm::log10(1.0 - (-1.0f64).exp()) as f32;
    for r in &readings {
        assert!((r - want).abs() < 0.3, "{readings:?} vs {want}");
    }
    assert!((readings[0] - readings[1]).abs() < 0.05, "{readings:?}");
}

#[test]
fn peaks_hold_until_reset_and_bad_values_are_silence() {
    let mut s = LiveSpectrum::new();
    s.prepare(SR);
    let tone = sine(2000.0, -3.0, 48_000, SR);
    feed(&mut s, &tone, |_| {});
    let at = nearest_point(&s, 2000.0);
    let end = s.row(Row::Output)[at];
    assert!(end > -10.0 && s.row(Row::OutputPeak)[at] >= end);
    let mut silence = vec![0.0f32; 96_000];
    silence[10] = f32::NAN;
    silence[20] = f32::INFINITY;
    feed(&mut s, &silence, |_| {});
    // Two seconds after the tone stops, its cell has decayed by about
    // 2 s / 300 ms time constants (29 dB, less the time the tone takes
    // to leave the ring); the peak holds.
    let (now, held) = (s.row(Row::Output)[at], s.row(Row::OutputPeak)[at]);
    assert!(held >= end && held - now > 25.0, "{end} {held} {now}");
    s.reset_peaks();
    assert!(s.row(Row::OutputPeak).iter().all(|&v| v == FLOOR_DB));
    s.update();
    assert!(s.values().iter().all(|v| v.is_finite() && *v >= FLOOR_DB));
}

#[test]
fn input_and_output_rows_are_their_own_signals() {
    let mut s = LiveSpectrum::new();
    s.prepare(SR);
    let a = sine(500.0, -6.0, 16_000, SR);
    let b = sine(5000.0, -6.0, 16_000, SR);
    let neg: Vec<f32> = a.iter().map(|v| -v).collect();
    for ((qa, qb), qn) in a.chunks(128).zip(b.chunks(128)).zip(neg.chunks(128)) {
        // Output: 5 kHz in both channels. Input: 500 Hz against its
        // inverse, a mid of nothing.
        s.push(qa, qn, qb, qb);
    }
    s.update();
    assert_eq!(argmax(s.row(Row::Output)), nearest_point(&s, 5000.0));
    assert!(s.row(Row::Input).iter().all(|&v| v == FLOOR_DB));
}
