//! Styles: valid at every intensity, near-transparent at 0 %, moving in
//! each style's direction as the intensity rises, and never touching the
//! loudness or the limiter.

mod common;

use lacquer_dsp::settings::{styled, Style, STYLES};
use lacquer_dsp::{Master, Settings};

/// How far a setting is from doing nothing, per scaled quantity.
fn depth(s: &Settings) -> Vec<f32> {
    let mut v = vec![s.eq.low_shelf.gain_db.abs(), s.eq.high_shelf.gain_db.abs(), s.eq.tilt_db.abs()];
    v.extend(s.eq.peaks.iter().map(|p| p.gain_db.abs()));
    v.push(s.compressor.single.ratio - 1.0);
    v.push(s.compressor.single.makeup_db.abs());
    v.extend(s.compressor.bands.iter().map(|b| b.ratio - 1.0));
    v.push((s.stereo.width_pct - 100.0).abs());
    v.push(if s.stereo.mono_bass_enabled { s.stereo.mono_bass_hz } else { 0.0 });
    v
}

#[test]
fn every_style_at_every_intensity_validates() {
    assert_eq!(STYLES.len(), 5);
    for &st in STYLES {
        assert!(!st.label().is_empty() && !st.description().is_empty());
        st.full().validate().unwrap_or_else(|e| panic!("{st:?}: {e}"));
        assert_eq!(styled(st, 100.0), st.full());
        for i in 0..=100 {
            styled(st, i as f32).validate().unwrap_or_else(|e| panic!("{st:?} {i} %: {e}"));
        }
        assert_eq!(styled(st, 150.0), st.full());
        assert_eq!(styled(st, -5.0), styled(st, 0.0));
        assert_eq!(styled(st, f32::NAN), styled(st, 0.0));
    }
    assert_eq!(serde_json::to_string(&Style::Punchy).unwrap(), "\"punchy\"");
    assert_eq!(serde_json::from_str::<Style>("\"open\"").unwrap(), Style::Open);
}

#[test]
fn intensity_0_is_near_transparent_with_the_limiter_on() {
    for &st in STYLES {
        let s = styled(st, 0.0);
        assert!(depth(&s).iter().all(|&d| d == 0.0), "{st:?}: {:?}", depth(&s));
        assert!(!s.limiter.bypass && !s.eq.bypass && !s.compressor.bypass);
        // Through the chain, noise comes out as it does from the same chain
        // with the compressor and the stereo stage bypassed and the EQ only
        // a high-pass: what is left at 0 % is the safety stages.
        let mut safety = s;
        safety.compressor.bypass = true;
        safety.stereo.bypass = true;
        let run = |settings: Settings| {
            let x = common::white(48_000, 0.1, 3);
            let mut m = Master::new(settings);
            m.prepare(48_000.0, 128);
            let (mut l, mut r) = (x[0].clone(), x[1].clone());
            for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
                m.process(a, b);
            }
            [l, r]
        };
        let (got, want) = (run(s), run(safety));
        let (mut err, mut sig) = (0.0f64, 0.0f64);
        for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
            err += ((g - w) as f64).powi(2);
            sig += (*w as f64).powi(2);
        }
        let residual_db = 10.0 * (err / sig).log10();
        assert!(residual_db < -100.0, "{st:?}: {residual_db} dB");
    }
}

#[test]
fn intensity_scales_monotonically_and_leaves_loudness_and_ceiling_alone() {
    for &st in STYLES {
        let mut last = depth(&styled(st, 0.0));
        for i in (5..=100).step_by(5) {
            let s = styled(st, i as f32);
            let d = depth(&s);
            assert!(d.iter().zip(&last).all(|(a, b)| a >= b), "{st:?} {i} %: {d:?} after {last:?}");
            assert_eq!(s.input_gain_db, Settings::default().input_gain_db);
            assert_eq!(s.limiter, Settings::default().limiter, "{st:?}: the limiter is the same in every style");
            assert_eq!(s.amount_pct, 100.0);
            last = d;
        }
        assert!(last.iter().any(|&d| d > 0.0), "{st:?} does something at 100 %");
    }
}

#[test]
fn each_style_moves_in_its_own_direction() {
    let lo = |st| (styled(st, 0.0), styled(st, 100.0));
    // Balanced: a little air, a little less mud, some glue, no width change.
    let (a, b) = lo(Style::Balanced);
    assert!(b.eq.high_shelf.gain_db > a.eq.high_shelf.gain_db && b.eq.peaks[0].gain_db < 0.0);
    assert!(b.compressor.single.ratio > a.compressor.single.ratio && b.stereo.width_pct == 100.0);
    // Warm: more low shelf, less high shelf, narrower.
    let (a, b) = lo(Style::Warm);
    assert!(b.eq.low_shelf.gain_db > a.eq.low_shelf.gain_db && b.eq.high_shelf.gain_db < a.eq.high_shelf.gain_db);
    assert!(b.stereo.width_pct < a.stereo.width_pct);
    // Bright: more top (shelf, presence, tilt), wider.
    let (a, b) = lo(Style::Bright);
    assert!(b.eq.high_shelf.gain_db > a.eq.high_shelf.gain_db && b.eq.tilt_db > a.eq.tilt_db);
    assert!(b.eq.peaks[2].gain_db > 0.0 && b.stereo.width_pct > a.stereo.width_pct);
    // Punchy: the most compression of all, mono bass, kick up.
    let (a, b) = lo(Style::Punchy);
    assert!(!a.stereo.mono_bass_enabled && b.stereo.mono_bass_enabled && b.stereo.mono_bass_hz > a.stereo.mono_bass_hz);
    assert!(b.eq.peaks[0].gain_db > 0.0);
    for &st in STYLES.iter().filter(|&&s| s != Style::Punchy) {
        assert!(b.compressor.single.ratio > styled(st, 100.0).compressor.single.ratio);
    }
    // Open: the widest of all, with mono bass.
    let (a, b) = lo(Style::Open);
    assert!(b.stereo.width_pct > a.stereo.width_pct && b.stereo.mono_bass_enabled);
    for &st in STYLES.iter().filter(|&&s| s != Style::Open) {
        assert!(b.stereo.width_pct > styled(st, 100.0).stereo.width_pct);
    }
}
