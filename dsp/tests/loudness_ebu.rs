//! EBU Tech 3341 (loudness metering, "EBU mode") and Tech 3342 (loudness range)
//! minimum-requirement cases, generated in code from the specs' descriptions and
//! checked with the specs' tolerances (±0.1 LU for loudness, ±1 LU for LRA,
//! +0.2/−0.4 dB for true peak), at 44.1 and 48 kHz.
//!
//! All tones are 1 kHz sines with continuous phase across level changes,
//! the same level in every channel unless stated; a stereo sine at −23 dBFS
//! reads −23 LUFS.

use lacquer_dsp::loudness::meter::{analyze, Meter};

const RATES: [u32; 2] = [44_100, 48_000];

fn db_to_lin(db: f64) -> f64 {
    libm::pow(10.0, db / 20.0)
}

/// A 1 kHz sine through segments of (level dBFS, seconds), continuous phase.
fn tone_segments(sr: u32, segs: &[(f64, f64)]) -> Vec<f32> {
    let mut out = Vec::new();
    for &(db, secs) in segs {
        let a = db_to_lin(db);
        let n = libm::round(secs * sr as f64) as usize;
        for _ in 0..n {
            let i = out.len() as f64;
            out.push((a * libm::sin(2.0 * std::f64::consts::PI * 1000.0 * i / sr as f64)) as f32);
        }
    }
    out
}

fn stereo(sr: u32, segs: &[(f64, f64)]) -> Vec<Vec<f32>> {
    let s = tone_segments(sr, segs);
    vec![s.clone(), s]
}

fn assert_within(what: &str, got: Option<f64>, want: f64, minus: f64, plus: f64) {
    let g = got.unwrap_or_else(|| panic!("{what}: no reading"));
    assert!(g >= want - minus && g <= want + plus, "{what}: {g:.3}, want {want} +{plus}/-{minus}");
}

/// Meters `ch` in blocks of `1 / per_s` s and returns (time at the block's end
/// in s, M, S) after each block. Tech 3341 asks meters to update at least 10×/s.
fn readings(ch: &[Vec<f32>], sr: u32, per_s: usize) -> Vec<(f64, Option<f64>, Option<f64>)> {
    let mut m = Meter::new(ch.len(), sr).unwrap();
    let step = sr as usize / per_s;
    let n = ch[0].len();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < n {
        let e = (pos + step).min(n);
        m.add_channels(ch, pos, e);
        pos = e;
        out.push((pos as f64 / sr as f64, m.momentary_lufs(), m.short_term_lufs()));
    }
    out
}

#[test]
fn tech3341_case1_and_2_steady_sines_m_s_i() {
    for sr in RATES {
        for (level, secs) in [(-23.0, 20.0), (-33.0, 20.0)] {
            let ch = stereo(sr, &[(level, secs)]);
            let mut m = Meter::new(2, sr).unwrap();
            m.add_channels(&ch, 0, ch[0].len());
            let what = format!("3341 {level} dBFS @ {sr}");
            assert_within(&format!("{what} M"), m.momentary_lufs(), level, 0.1, 0.1);
            assert_within(&format!("{what} S"), m.short_term_lufs(), level, 0.1, 0.1);
            assert_within(&format!("{what} I"), m.integrated_lufs(), level, 0.1, 0.1);
        }
    }
}

#[test]
fn tech3341_cases3_to_5_gating() {
    let cases: [&[(f64, f64)]; 3] = [
        &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],
        &[(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],
        &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],
    ];
    for sr in RATES {
        for (k, segs) in cases.iter().enumerate() {
            let r = analyze(&stereo(sr, segs), sr);
            assert_within(&format!("3341 case {} @ {sr}", k + 3), r.integrated_lufs, -23.0, 0.1, 0.1);
        }
    }
}

#[test]
fn tech3341_case6_five_channels() {
    // L, R at −28 dBFS, C at −24 dBFS, Ls, Rs at −30 dBFS (surrounds weighted
    // 1.41): −23 LUFS.
    for sr in RATES {
        let front = tone_segments(sr, &[(-28.0, 20.0)]);
        let centre = tone_segments(sr, &[(-24.0, 20.0)]);
        let surround = tone_segments(sr, &[(-30.0, 20.0)]);
        let ch = vec![front.clone(), front, centre, surround.clone(), surround];
        let r = analyze(&ch, sr);
        assert_within(&format!("3341 case 6 @ {sr}"), r.integrated_lufs, -23.0, 0.1, 0.1);
    }
}

#[test]
fn tech3341_case9_short_term_constant_after_3s() {
    // Period = the 3 s window: 1.34 s at −20 dBFS, 1.66 s at −30 dBFS.
    for sr in RATES {
        let segs: Vec<(f64, f64)> = (0..7).flat_map(|_| [(-20.0, 1.34), (-30.0, 1.66)]).collect();
        let ch = stereo(sr, &segs);
        for (t, _, s) in readings(&ch, sr, 10) {
            if t >= 3.0 {
                assert_within(&format!("3341 case 9 S at {t:.2} s @ {sr}"), s, -23.0, 0.1, 0.1);
            }
        }
    }
}

#[test]
fn tech3341_case11_max_short_term_of_successive_tones() {
    // Twenty 3 s tones at −38, −37, …, −19 dBFS, each followed by 3 s of silence;
    // the largest short-term reading of each segment equals its level.
    for sr in RATES {
        let segs: Vec<(f64, f64)> =
            (0..20).flat_map(|k| [(-38.0 + k as f64, 3.0), (-300.0, 3.0)]).collect();
        let ch = stereo(sr, &segs);
        let rd = readings(&ch, sr, 10);
        for k in 0..20 {
            let (t0, t1) = (k as f64 * 6.0, k as f64 * 6.0 + 6.0);
            let max = rd
                .iter()
                .filter(|(t, ..)| *t > t0 && *t <= t1 + 1e-9)
                .filter_map(|(_, _, s)| *s)
                .fold(f64::NEG_INFINITY, f64::max);
            let want = -38.0 + k as f64;
            assert_within(&format!("3341 case 11 segment {k} @ {sr}"), Some(max), want, 0.1, 0.1);
        }
    }
}

#[test]
fn tech3341_case12_momentary_constant_after_1s() {
    // Period = the 400 ms window: 0.18 s at −20 dBFS, 0.22 s at −30 dBFS.
    for sr in RATES {
        let segs: Vec<(f64, f64)> = (0..25).flat_map(|_| [(-20.0, 0.18), (-30.0, 0.22)]).collect();
        let ch = stereo(sr, &segs);
        // Readings every 10 ms are not all whole periods at 44.1 kHz (0.18 s is
        // 7938 frames), but the window holds whole periods at every frame: the
        // reading is constant by construction once a full period has passed.
        for (t, m, _) in readings(&ch, sr, 100) {
            if t >= 1.0 {
                assert_within(&format!("3341 case 12 M at {t:.2} s @ {sr}"), m, -23.0, 0.1, 0.1);
            }
        }
    }
}

#[test]
fn tech3341_case14_max_momentary_of_successive_tones() {
    // Twenty 1 s tones at −38 … −19 dBFS, each followed by 1 s of silence; the
    // largest momentary reading (every 10 ms) of each segment equals its level.
    for sr in RATES {
        let segs: Vec<(f64, f64)> =
            (0..20).flat_map(|k| [(-38.0 + k as f64, 1.0), (-300.0, 1.0)]).collect();
        let ch = stereo(sr, &segs);
        let rd = readings(&ch, sr, 100);
        for k in 0..20 {
            let (t0, t1) = (k as f64 * 2.0, k as f64 * 2.0 + 2.0);
            let max = rd
                .iter()
                .filter(|(t, ..)| *t > t0 && *t <= t1 + 1e-9)
                .filter_map(|(_, m, _)| *m)
                .fold(f64::NEG_INFINITY, f64::max);
            let want = -38.0 + k as f64;
            assert_within(&format!("3341 case 14 segment {k} @ {sr}"), Some(max), want, 0.1, 0.1);
        }
    }
}

/// A sine at `fs / div` of peak amplitude `amp` at `phase_deg` (sample 0), 3 s,
/// stereo, faded in over 20 ms (raised cosine): a sine switched on at a non-zero
/// sample has a genuine reconstruction overshoot at its onset, which is not
/// what these cases measure.
fn tp_signal(sr: u32, div: f64, amp: f64, phase_deg: f64) -> Vec<Vec<f32>> {
    let ph = phase_deg.to_radians();
    let fade = sr as usize / 50;
    let s: Vec<f32> = (0..3 * sr as usize)
        .map(|i| {
            let g = if i < fade {
                0.5 - 0.5 * libm::cos(std::f64::consts::PI * i as f64 / fade as f64)
            } else {
                1.0
            };
            (g * amp * libm::sin(2.0 * std::f64::consts::PI * i as f64 / div + ph)) as f32
        })
        .collect();
    vec![s.clone(), s]
}

#[test]
fn tech3341_cases15_to_19_true_peak() {
    // (case, fs divisor, amplitude, phase °, expected dBTP); tolerance +0.2/−0.4 dB.
    let cases = [
        (15, 4.0, 0.5, 0.0, -6.0),
        (16, 4.0, 0.5, 45.0, -6.0),
        (17, 6.0, 0.5, 60.0, -6.0),
        (18, 8.0, 0.5, 67.5, -6.0),
        (19, 4.0, 1.41, 45.0, 3.0),
    ];
    for sr in RATES {
        for (case, div, amp, phase, want) in cases {
            let r = analyze(&tp_signal(sr, div, amp, phase), sr);
            assert_within(&format!("3341 case {case} @ {sr}"), r.true_peak_dbtp, want, 0.4, 0.2);
        }
    }
}

#[test]
fn tech3342_cases1_to_4_loudness_range() {
    let cases: [(&[(f64, f64)], f64); 4] = [
        (&[(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        (&[(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        (&[(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        (&[(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
    ];
    for sr in RATES {
        for (k, (segs, want)) in cases.iter().enumerate() {
            let r = analyze(&stereo(sr, segs), sr);
            assert_within(&format!("3342 case {} @ {sr}", k + 1), Some(r.lra_lu), *want, 1.0, 1.0);
        }
    }
}

#[test]
fn tech3341_mono_reads_3db_under_the_same_sine_in_stereo() {
    // BS.1770 sums channel powers: one channel at −23 dBFS is −26.01 LUFS.
    for sr in RATES {
        let s = tone_segments(sr, &[(-23.0, 10.0)]);
        let r = analyze(&[s], sr);
        assert_within(&format!("mono @ {sr}"), r.integrated_lufs, -26.01, 0.1, 0.1);
    }
}
