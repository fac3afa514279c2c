//! What the delivery does to the signal, measured: the rate converter's
//! passband, alias rejection, delay and length; the 16-bit dither (no
//! truncation harmonics in the decoded file's spectrum); and the true-peak
//! ceiling held after conversion and dither. Files are decoded by ffmpeg (an
//! independent decoder; missing ffmpeg is a failure, not a skip).

mod common;

use lacquer_dsp::delivery::resample::{converted_len, Converter};
use lacquer_dsp::delivery::{DeliverySpec, Delivery, DitherSpec, Format, Rate, Tags};
use std::f64::consts::PI;
use std::process::Command;

/// Converts `x` (one channel) from `from` to `to` Hz in uneven pieces.
fn convert(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    let mut c = Converter::new(1, x.len(), from, to);
    let mut y = Vec::new();
    let mut at = 0;
    for k in 0.. {
        if at == x.len() {
            break;
        }
        let n = [5000, 1, 777, 20_000][k % 4].min(x.len() - at);
        c.push(&[&x[at..at + n]], &mut |p| y.extend_from_slice(p[0]));
        at += n;
    }
    assert!(c.done());
    y
}

fn sine(n: usize, f: f64, fs: f64, amp: f64, phase: f64) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * PI * f * i as f64 / fs + phase).sin()) as f32).collect()
}

/// Least-squares fit of `a sin(ωt) + b cos(ωt)` over `x[from..to]` (t in
/// samples of rate `fs`): the amplitude and the phase.
fn fit(x: &[f32], from: usize, to: usize, f: f64, fs: f64) -> (f64, f64) {
    let (mut ss, mut cc, mut sc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate().take(to).skip(from) {
        let w = 2.0 * PI * f * i as f64 / fs;
        let (s, c) = w.sin_cos();
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += v as f64 * s;
        xc += v as f64 * c;
    }
    let det = ss * cc - sc * sc;
    let a = (xs * cc - xc * sc) / det;
    let b = (xc * ss - xs * sc) / det;
    ((a * a + b * b).sqrt(), b.atan2(a))
}

#[test]
fn passband_is_flat_to_20_khz_with_no_delay() {
    for (from, to) in [(48_000u32, 44_100u32), (44_100, 48_000), (96_000, 44_100), (96_000, 48_000)] {
        let n = from as usize / 2;
        for f in [20.0, 100.0, 1_000.0, 5_000.0, 10_000.0, 15_000.0, 18_000.0, 19_000.0, 20_000.0] {
            let phase = 0.3;
            let x = sine(n, f, from as f64, 0.5, phase);
            let y = convert(&x, from, to);
            assert_eq!(y.len(), converted_len(n, from, to));
            // Away from the ends, where the filter sees the signal start and stop.
            let edge = to as usize / 20;
            let (amp, ph) = fit(&y, edge, y.len() - edge, f, to as f64);
            let gain_db = 20.0 * (amp / 0.5).log10();
            assert!(gain_db.abs() <= 0.01, "{from} → {to}, {f} Hz: {gain_db:+.5} dB");
            // Zero delay: the output's phase at t = 0 is the input's.
            let mut dphi = ph - phase;
            while dphi > PI {
                dphi -= 2.0 * PI;
            }
            while dphi < -PI {
                dphi += 2.0 * PI;
            }
            let delay_samples = dphi / (2.0 * PI * f) * to as f64;
            assert!(delay_samples.abs() < 1e-3, "{from} → {to}, {f} Hz: delay {delay_samples:.6} samples");
        }
    }
}

#[test]
fn a_23_khz_tone_folds_back_at_least_120_db_down() {
    // 96 → 44.1 kHz: 23 kHz is above the new Nyquist rate (22.05 kHz) and
    // would fold back to 21.1 kHz.
    let (from, to) = (96_000u32, 44_100u32);
    let x = sine(from as usize, 23_000.0, from as f64, 0.9, 0.0);
    let y = convert(&x, from, to);
    let edge = to as usize / 20;
    let alias = fit(&y, edge, y.len() - edge, 44_100.0 - 23_000.0, to as f64).0;
    let db = 20.0 * (alias / 0.9).log10();
    eprintln!("alias of a 23 kHz tone at 96 → 44.1 kHz: {db:.1} dB");
    assert!(db <= -120.0, "the alias at 21.1 kHz is {db:.1} dB under the tone");
    // And just under the passband edge nothing is lost.
    let x = sine(from as usize, 19_500.0, from as f64, 0.9, 0.0);
    let y = convert(&x, from, to);
    let kept = fit(&y, edge, y.len() - edge, 19_500.0, to as f64).0;
    assert!((20.0 * (kept / 0.9).log10()).abs() <= 0.01);
}

#[test]
fn lengths_are_exactly_rounded() {
    for (from, to) in [(48_000u32, 44_100u32), (44_100, 48_000), (96_000, 44_100)] {
        for n in [1usize, 2, 159, 160, 161, 1023, 1024, 1025, 48_001, 100_003] {
            let x = vec![0.1f32; n];
            let want = ((n as f64 * to as f64 / from as f64) + 0.5).floor() as usize;
            assert_eq!(convert(&x, from, to).len(), want, "{from} → {to}, {n} frames");
        }
    }
}

/// Decodes a file with ffmpeg to planar f32 (one Vec per channel).
fn ffmpeg_decode(bytes: &[u8], name: &str, channels: usize) -> Vec<Vec<f32>> {
    let dir = std::env::temp_dir().join(format!("lacquer-delivery-signal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "f32le", "-acodec", "pcm_f32le", "-"])
        .output()
        .expect("ffmpeg could not be run: install it with scripts/install.sh");
    assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<f32> = out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    (0..channels).map(|c| v.iter().skip(c).step_by(channels).copied().collect()).collect()
}

/// Delivers `x` whole (pushed in one piece; steps to the end): the file.
fn deliver(x: &[Vec<f32>], fs: u32, spec: DeliverySpec, ceiling: Option<f64>, dither: DitherSpec) -> (Vec<u8>, lacquer_dsp::delivery::Measured) {
    deliver_with(x, fs, spec, ceiling, dither, false)
}

/// [`deliver`], encoding in the first measuring pass when `speculate`
/// ([`Delivery::encode_while_measuring`]).
fn deliver_with(
    x: &[Vec<f32>],
    fs: u32,
    spec: DeliverySpec,
    ceiling: Option<f64>,
    dither: DitherSpec,
    speculate: bool,
) -> (Vec<u8>, lacquer_dsp::delivery::Measured) {
    let mut d = Delivery::new(spec, x.len(), x[0].len(), fs, ceiling, dither, usize::MAX).unwrap();
    if speculate {
        d.encode_while_measuring();
    }
    let piece: Vec<&[f32]> = x.iter().map(Vec::as_slice).collect();
    d.push(&piece).unwrap();
    let mut bytes = d.take_bytes();
    while !d.step(1 << 16).unwrap() {
        bytes.extend(d.take_bytes());
    }
    let before_the_end = bytes.len();
    bytes.extend(d.take_bytes());
    let done = d.finish().unwrap();
    // Held back until the measurement held (after a correction, the file is
    // encoded again in a pass of its own, its bytes coming as they are made).
    assert!(!speculate || done.measured.checks > 1 || before_the_end == 0, "bytes held back while speculating");
    bytes.extend(done.tail);
    if let Some(p) = done.header_patch {
        bytes[..p.len()].copy_from_slice(&p);
    }
    (bytes, done.measured)
}

/// Power spectrum (dB, Blackman-Harris 4-term window) of `x[..n]`.
fn spectrum_db(x: &[f32], n: usize) -> Vec<f64> {
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let (a0, a1, a2, a3) = (0.35875, 0.48829, 0.14128, 0.01168);
    let mut buf: Vec<f64> = (0..n)
        .map(|i| {
            let t = 2.0 * PI * i as f64 / n as f64;
            let w = a0 - a1 * t.cos() + a2 * (2.0 * t).cos() - a3 * (3.0 * t).cos();
            x[i] as f64 * w
        })
        .collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut buf, &mut out).unwrap();
    out.iter().map(|c| 10.0 * (c.norm_sqr() + 1e-300).log10()).collect()
}

/// The strongest bin within ±3 bins of `k` (the window's main lobe).
fn peak_near(s: &[f64], k: usize) -> f64 {
    s[k - 3..=k + 3].iter().copied().fold(f64::MIN, f64::max)
}

#[test]
fn a_minus_100_dbfs_sine_at_16_bits_has_no_truncation_harmonics() {
    let fs = 44_100u32;
    let n = 1 << 16;
    // A whole number of cycles in the analysis window: bin 1486 (≈ 1 kHz).
    let k = 1486usize;
    let f = k as f64 * fs as f64 / n as f64;
    let amp = 10f64.powf(-100.0 / 20.0);
    let x = sine(n + 1000, f, fs as f64, amp, 0.0);
    let spec = DeliverySpec { format: Format::Wav16, rate: Rate::Source, tags: Tags::default() };
    let (bytes, _) = deliver(&[x.clone()], fs, spec, None, DitherSpec::default());
    let decoded = ffmpeg_decode(&bytes, "dither.wav", 1).remove(0);
    // The file holds 16-bit steps.
    assert!(decoded.iter().all(|&v| (v as f64 * 32768.0).fract() == 0.0));
    let s = spectrum_db(&decoded, n);
    let mut sorted: Vec<f64> = s[10..n / 2 - 10].to_vec();
    sorted.sort_by(f64::total_cmp);
    let floor = sorted[sorted.len() / 2];
    let fundamental = peak_near(&s, k);
    assert!(fundamental > floor + 30.0, "the tone stands out of the dither: {fundamental:.1} vs floor {floor:.1}");
    for h in 2..=7 {
        let p = peak_near(&s, h * k);
        assert!(p < floor + 10.0, "harmonic {h} at {p:.1} dB, floor {floor:.1} dB: dithered, no harmonics above the noise");
    }
    // Plain truncation of the same sine shows them.
    let trunc: Vec<f32> = x.iter().map(|&v| ((v as f64 * 32768.0).floor() / 32768.0) as f32).collect();
    let t = spectrum_db(&trunc, n);
    let mut sorted: Vec<f64> = t[10..n / 2 - 10].to_vec();
    sorted.sort_by(f64::total_cmp);
    let tfloor = sorted[sorted.len() / 2];
    let strongest = (2..=7).map(|h| peak_near(&t, h * k)).fold(f64::MIN, f64::max);
    assert!(strongest > tfloor + 40.0, "truncation's harmonics: {strongest:.1} dB over a floor of {tfloor:.1} dB");
}

/// The master's true peak is at the ceiling at 48 kHz; converted to 44.1 kHz
/// (where its peaks fall elsewhere between the samples) and dithered (which
/// adds up to 1.5 LSB at some peak) it goes over. The delivered file's own true
/// peak, measured on ffmpeg's decoding by the tests' 16× meter, is within
/// the ceiling.
#[test]
fn the_ceiling_holds_after_conversion_and_dither() {
    let fs = 48_000u32;
    let n = fs as usize * 3;
    let ceiling = -1.0;
    // Tones across the band, with a little noise.
    let mut st = 99u32;
    let raw: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..n)
                .map(|i| {
                    st ^= st << 13;
                    st ^= st >> 17;
                    st ^= st << 5;
                    let t = i as f64 / fs as f64;
                    let noise = (st as f64 / u32::MAX as f64 - 0.5) * 0.02;
                    (0.5 * (2.0 * PI * 997.0 * t + c as f64).sin()
                        + 0.3 * (2.0 * PI * 2_991.0 * t + 0.5).sin()
                        + 0.15 * (2.0 * PI * 15_003.0 * t + 1.0).sin()
                        + noise) as f32
                })
                .collect()
        })
        .collect();
    let mut over = 0;
    for format in [Format::Wav16, Format::Flac16, Format::Wav24, Format::Wav32f] {
        // Scaled so that the 48 kHz master's own true peak is the ceiling.
        let mut tp = lacquer_dsp::loudness::meter::TruePeak::new(fs);
        raw.iter().for_each(|c| tp.add(c));
        let g = 10f64.powf(ceiling / 20.0) / tp.peak();
        let x: Vec<Vec<f32>> = raw.iter().map(|c| c.iter().map(|&v| (v as f64 * g) as f32).collect()).collect();
        let spec = DeliverySpec { format, rate: Rate::Hz(44_100), tags: Tags::default() };
        let (bytes, m) = deliver(&x, fs, spec.clone(), Some(ceiling), DitherSpec::default());
        // Encoded in the first measuring pass: the same file, whether that
        // pass held the ceiling or its bytes were dropped.
        let (again, m2) = deliver_with(&x, fs, spec.clone(), Some(ceiling), DitherSpec::default(), true);
        assert!(again == bytes && m2 == m, "{format:?}: the same file when encoded while measuring");
        let at_source = DeliverySpec { rate: Rate::Source, ..spec };
        let (a, ma) = deliver(&x, fs, at_source.clone(), Some(ceiling - 0.5), DitherSpec::default());
        let (b, mb) = deliver_with(&x, fs, at_source, Some(ceiling - 0.5), DitherSpec::default(), true);
        assert!(a == b && ma == mb && ma.checks >= 2, "{format:?}: the same file after a correction: {ma:?}");
        assert_eq!(m.sample_rate, 44_100);
        eprintln!("{format:?}: {m:?}");
        assert!(m.true_peak_dbtp.unwrap() <= ceiling, "{format:?}: {m:?}");
        if m.gain_db < 0.0 {
            over += 1;
            assert!(m.checks >= 2, "{format:?}: corrected and measured again: {m:?}");
        }
        let name = format!("ceiling.{}", format.extension());
        let y = ffmpeg_decode(&bytes, &name, 2);
        assert_eq!(y[0].len(), converted_len(n, fs, 44_100));
        let peak = y.iter().map(|c| common::true_peak_16x(c, 200)).fold(0.0, f64::max);
        let peak_db = common::db(peak);
        eprintln!("{format:?}: 16× true peak of the decoded file {peak_db:.4} dBTP");
        assert!(peak_db <= ceiling, "{format:?}: the file's true peak (16×) is {peak_db:.4} dBTP");
    }
    assert!(over > 0, "the conversion took the signal over the ceiling at least once (the check was exercised)");
}
