//! Generated programme material for the loudness tests: drums, bass and noise
//! with realistic crest factors, deterministic (seeded LCG), any sample rate.
#![allow(dead_code)]

use std::f64::consts::PI;

/// A seeded uniform noise source in −1..1.
pub struct Lcg(u32);

impl Lcg {
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f64 / (1u32 << 23) as f64 - 1.0
    }
}

/// `secs` of a 120 BPM groove at `sr` Hz, stereo: kick, snare, hats, a saw bass
/// line and a noise bed, with a quieter first third (verse), a full middle
/// (chorus) and a breakdown, scaled to a −3 dBFS sample peak. Integrated
/// loudness lands around −16 to −19 LUFS, PLR around 13–16 dB.
pub fn programme(sr: u32, secs: f64, seed: u32) -> Vec<Vec<f32>> {
    let n = (secs * sr as f64) as usize;
    let fs = sr as f64;
    let mut l = vec![0.0f64; n];
    let mut r = vec![0.0f64; n];
    let mut rng = Lcg::new(seed);
    let beat = 0.5;
    let notes = [55.0, 43.65, 65.41, 49.0];
    let (mut pink_l, mut pink_r, mut prev_noise) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let t = i as f64 / fs;
        let section = if t < secs / 3.0 {
            0.55
        } else if t < 2.0 * secs / 3.0 {
            1.0
        } else {
            0.75
        };
        let tb = t % beat;
        let beat_no = (t / beat) as usize;
        // Kick: pitch sweep 150 → 50 Hz, 250 ms decay.
        let f = 50.0 + 100.0 * libm::exp(-tb / 0.03);
        let phase = 2.0 * PI * (50.0 * tb + 100.0 * 0.03 * (1.0 - libm::exp(-tb / 0.03)));
        let _ = f;
        let kick = 0.9 * libm::exp(-tb / 0.25) * libm::sin(phase);
        // Snare on beats 2 and 4: noise and a 180 Hz body.
        let w = rng.next();
        let snare = if beat_no % 2 == 1 {
            0.45 * libm::exp(-tb / 0.12) * w + 0.3 * libm::exp(-tb / 0.08) * libm::sin(2.0 * PI * 180.0 * tb)
        } else {
            0.0
        };
        // Hats on eighths: high-passed noise, alternating sides.
        let hp = w - prev_noise;
        prev_noise = w;
        let te = t % (beat / 2.0);
        let hat = 0.12 * libm::exp(-te / 0.025) * hp;
        let hat_left = ((t / (beat / 2.0)) as usize) % 2 == 0;
        // Bass: a five-harmonic saw, one note per bar, plucked envelope per beat.
        let bar = (t / (4.0 * beat)) as usize;
        let nf = notes[bar % notes.len()];
        let mut saw = 0.0;
        for h in 1..=5 {
            saw += libm::sin(2.0 * PI * nf * h as f64 * t) / h as f64;
        }
        let bass = 0.28 * (0.4 + 0.6 * libm::exp(-tb / 0.2)) * saw;
        // Noise bed: low-passed, decorrelated per side.
        pink_l = 0.995 * pink_l + 0.005 * rng.next();
        pink_r = 0.995 * pink_r + 0.005 * rng.next();
        let drums = section * (kick + snare);
        l[i] = drums + bass * section + if hat_left { hat } else { 0.4 * hat } + 1.5 * pink_l;
        r[i] = drums + bass * section + if hat_left { 0.4 * hat } else { hat } + 1.5 * pink_r;
    }
    let peak = l.iter().chain(r.iter()).fold(0.0f64, |m, x| m.max(x.abs()));
    let g = libm::pow(10.0, -3.0 / 20.0) / peak;
    vec![l.iter().map(|x| (x * g) as f32).collect(), r.iter().map(|x| (x * g) as f32).collect()]
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lacquer-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Integrated loudness of a WAV file by pyloudnorm (an independent BS.1770
/// implementation), LUFS. pyloudnorm is asked for its "DeMan" K-weighting
/// design, which reproduces BS.1770's normative 48 kHz filter coefficients
/// exactly and re-derives them for other rates; its default "K-weighting"
/// design scales the RLB high-pass by 0.995 (b = 0.995·[1, −2, 1] instead of
/// BS.1770's [1, −2, 1]), which reads every programme about 0.04 LU low. Panics (fails the test) if python3 or pyloudnorm is
/// missing: the independent check is not optional.
pub fn pyloudnorm_lufs(path: &std::path::Path) -> f64 {
    let script = "import sys, soundfile as sf, pyloudnorm as pyln\n\
                  d, r = sf.read(sys.argv[1])\n\
                  print(float(pyln.Meter(r, filter_class='DeMan').integrated_loudness(d)))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 is required for the independent loudness check");
    assert!(
        out.status.success(),
        "pyloudnorm failed (install: python3 -m pip install pyloudnorm==0.2.0 soundfile numpy scipy): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("pyloudnorm prints a number")
}

/// ffmpeg's `loudnorm` measurement of a WAV file: (integrated LUFS, true peak dBTP).
/// Panics (fails the test) if ffmpeg is missing.
pub fn ffmpeg_measure(path: &std::path::Path) -> (f64, f64) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "loudnorm=print_format=json", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is required for the independent true-peak check (apt-get install ffmpeg)");
    assert!(out.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let field = |k: &str| -> f64 {
        let at = err.find(&format!("\"{k}\"")).unwrap_or_else(|| panic!("no {k} in ffmpeg output"));
        let rest = &err[at..];
        let v = rest.split('"').nth(3).expect("value");
        v.parse().unwrap_or_else(|_| panic!("{k}: {v}"))
    };
    (field("input_i"), field("input_tp"))
}
