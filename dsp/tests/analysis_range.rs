//! Loudness statistics of ranges from the analysis's 100 ms curves
//! (`lacquer_dsp::analysis::range_stats`), against the meter: EBU Tech 3342's
//! loudness-range cases over the whole file and per segment, and generated
//! programme over the whole file and over stretches metered on their own.

mod loudness_common;

use lacquer_dsp::analysis::{range_stats, Analysis, Analyzer, LoudnessCurves};
use lacquer_dsp::loudness::meter::Meter;
use loudness_common::programme;

/// The analysis of `ch`, fed in pieces of a second.
fn analyse(ch: &[Vec<f32>], sr: u32) -> Analysis {
    let mut a = Analyzer::new(ch.len(), sr, ch[0].len()).unwrap();
    let n = ch[0].len();
    let mut pos = 0;
    while pos < n {
        let e = (pos + sr as usize).min(n);
        let piece: Vec<&[f32]> = ch.iter().map(|c| &c[pos..e]).collect();
        a.add(&piece);
        pos = e;
    }
    a.finish()
}

/// A stereo 1 kHz sine through segments of (level dBFS, seconds), continuous
/// phase (a stereo sine at −23 dBFS reads −23 LUFS).
fn tones(sr: u32, segs: &[(f64, f64)]) -> Vec<Vec<f32>> {
    let mut s = Vec::new();
    for &(db, secs) in segs {
        let a = libm::pow(10.0, db / 20.0);
        for _ in 0..libm::round(secs * sr as f64) as usize {
            let i = s.len() as f64;
            s.push((a * libm::sin(2.0 * std::f64::consts::PI * 1000.0 * i / sr as f64)) as f32);
        }
    }
    vec![s.clone(), s]
}

#[test]
fn tech3342_cases_whole_and_per_segment() {
    let cases: [(&[(f64, f64)], f64); 4] = [
        (&[(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        (&[(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        (&[(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        (&[(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
    ];
    for sr in [44_100, 48_000] {
        for (k, (segs, want)) in cases.iter().enumerate() {
            let a = analyse(&tones(sr, segs), sr);
            let whole = range_stats(&a.curves, 0.0, a.curves.duration_s);
            // The report's figures, to rounding, within the spec's ±1 LU.
            assert!((whole.lra_lu - a.loudness.lra_lu).abs() < 1e-6, "case {} @ {sr}: {whole:?}", k + 1);
            assert!((whole.lra_lu - want).abs() < 1.0, "case {} @ {sr}: {whole:?}", k + 1);
            assert!((whole.integrated_lufs.unwrap() - a.loudness.integrated_lufs.unwrap()).abs() < 1e-6);
            // Each segment alone: its level, steady (±0.1 LU, Tech 3341),
            // whatever came before it.
            let mut t = 0.0;
            for &(db, secs) in segs.iter() {
                let s = range_stats(&a.curves, t, t + secs);
                let what = format!("case {} @ {sr}, {db} dBFS at {t} s", k + 1);
                assert!((s.integrated_lufs.unwrap() - db).abs() < 0.1, "{what}: {s:?}");
                assert!(s.lra_lu < 0.1, "{what}: {s:?}");
                assert!((s.max_momentary_lufs.unwrap() - db).abs() < 0.1, "{what}: {s:?}");
                assert!((s.max_short_term_lufs.unwrap() - db).abs() < 0.1, "{what}: {s:?}");
                // (A tick's true peak lags by 16 samples: from 100 ms in, no
                // overshoot of a louder segment before counts.)
                let tp = range_stats(&a.curves, t + 0.1, t + secs).true_peak_dbtp.unwrap();
                assert!((tp - db).abs() < 0.2, "{what}: {tp}");
                t += secs;
            }
        }
    }
}

#[test]
fn programme_ranges_read_what_metering_them_alone_reads() {
    let sr = 48_000;
    let x = programme(sr, 150.0, 11);
    let a = analyse(&x, sr);
    let c: &LoudnessCurves = &a.curves;
    let whole = range_stats(c, 0.0, 150.0);
    assert!((whole.integrated_lufs.unwrap() - a.loudness.integrated_lufs.unwrap()).abs() < 1e-6);
    assert!((whole.lra_lu - a.loudness.lra_lu).abs() < 1e-6);
    assert_eq!(whole.true_peak_dbtp, a.loudness.true_peak_dbtp);
    // Stretches starting on 100 ms edges: the same gating blocks and
    // short-term windows as a meter over just those frames (whose filters
    // start from rest: the first milliseconds differ).
    for (s, e) in [(0.0, 50.0), (37.2, 101.9), (100.0, 150.0), (60.0, 64.5)] {
        let (fs, fe) = ((s * sr as f64) as usize, (e * sr as f64) as usize);
        let mut m = Meter::new(2, sr).unwrap();
        m.add(&[&x[0][fs..fe], &x[1][fs..fe]]);
        let want = m.report();
        let got = range_stats(c, s, e);
        let what = format!("{s}..{e} s: {got:?} vs {want:?}");
        assert!((got.integrated_lufs.unwrap() - want.integrated_lufs.unwrap()).abs() < 0.01, "{what}");
        assert!((got.lra_lu - want.lra_lu).abs() < 0.05, "{what}");
        assert!((got.max_momentary_lufs.unwrap() - want.max_momentary_lufs.unwrap()).abs() < 0.01, "{what}");
        assert!((got.max_short_term_lufs.unwrap() - want.max_short_term_lufs.unwrap()).abs() < 0.01, "{what}");
        let tp = got.true_peak_dbtp.unwrap();
        assert!(tp >= want.true_peak_dbtp.unwrap() - 0.01, "{what}");
    }
}
