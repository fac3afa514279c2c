//! Tests of [`super`] (worklet.rs).
use super::*;

/// Drives an engine like the worklet does: 128-frame quanta of a 997 Hz
/// sine at `dbfs` in every channel of the source.
fn run(channels: u32, dbfs: f64, secs: f64) -> (f32, f32) {
    let sr = 48_000.0;
    let e = lq_create(sr, 128);
    assert!(!e.is_null());
    let amp = libm::pow(10.0, dbfs / 20.0);
    let n = (secs * sr as f64) as usize;
    unsafe {
        lq_set_meter_channels(e, channels);
        let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
        for q in 0..n / 128 {
            for i in 0..128 {
                let t = (q * 128 + i) as f64 / sr as f64;
                let v = (amp * libm::sin(2.0 * core::f64::consts::PI * 997.0 * t)) as f32;
                *l.add(i) = v;
                *r.add(i) = v;
            }
            lq_process(e, 128);
        }
        let read = |slot: Meter| *lq_meters_ptr(e).add(slot as usize);
        lq_update_loudness(e);
        let out = (read(Meter::MomentaryLufs), read(Meter::ShortTermLufs));
        lq_reset(e);
        lq_update_loudness(e);
        assert_eq!(read(Meter::MomentaryLufs), f32::NEG_INFINITY);
        lq_destroy(e);
        out
    }
}

#[test]
fn dry_path_is_the_input_delayed_by_the_latency_bit_for_bit() {
    let sr = 48_000.0;
    let e = lq_create(sr, 128);
    let x: Vec<f32> = crate::test_signals::noise(128 * 200, 0.5, 5);
    let mut outs = Vec::new();
    unsafe {
        let lat = lq_latency(e) as usize;
        assert!(lat > 0);
        lq_set_monitor(e, 1);
        for q in 0..200 {
            let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
            for i in 0..128 {
                *l.add(i) = x[q * 128 + i];
                *r.add(i) = -x[q * 128 + i];
            }
            lq_process(e, 128);
            for i in 0..128 {
                outs.push((*lq_output_ptr(e, 0).add(i), *lq_output_ptr(e, 1).add(i)));
            }
        }
        // After the fade (10 ms, heard `lat` frames late), exactly the input, `lat` frames late.
        let fade = (0.010 * sr) as usize + 1;
        for (k, &(l, r)) in outs.iter().enumerate().skip(fade + lat) {
            assert_eq!((l, r), (x[k - lat], -x[k - lat]), "frame {k}");
        }
        // Back to the master: it crossfades without a step larger than the signal's own.
        lq_set_monitor(e, 0);
        let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
        for i in 0..128 {
            *l.add(i) = x[i];
            *r.add(i) = -x[i];
        }
        lq_process(e, 128);
        lq_destroy(e);
    }
}

/// Feeds `secs` of `f(frame) -> (left, right)` through `e` in 128-frame quanta.
unsafe fn feed(e: *mut Engine, sr: f32, start: usize, secs: f64, f: impl Fn(usize) -> (f32, f32)) {
    let n = (secs * sr as f64) as usize;
    let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
    for q in 0..n / 128 {
        for i in 0..128 {
            let (a, b) = f(start + q * 128 + i);
            *l.add(i) = a;
            *r.add(i) = b;
        }
        lq_process(e, 128);
    }
}

/// Sets a chain that passes the input through, only delayed: every stage
/// bypassed, no DC removal, no dither.
unsafe fn transparent(e: *mut Engine) {
    let mut s = Settings::default();
    s.eq.bypass = true;
    s.compressor.bypass = true;
    s.stereo.bypass = true;
    s.limiter.bypass = true;
    s.output.dc_remove = false;
    s.output.dither = false;
    let json = serde_json::to_string(&s).unwrap();
    let buf = lq_settings_buf(e, json.len() as u32);
    core::ptr::copy_nonoverlapping(json.as_ptr(), buf, json.len());
    assert_eq!(lq_apply_settings(e, json.len() as u32), 0);
}

fn sine_at(amp: f64, freq: f64, sr: f32, phase: f64) -> impl Fn(usize) -> f32 {
    move |i| (amp * libm::sin(2.0 * core::f64::consts::PI * freq * i as f64 / sr as f64 + phase)) as f32
}

#[test]
fn true_peak_per_channel_over_each_quantum() {
    // A sine at fs/4 with a 45° phase: every sample is ±0.707 of the
    // amplitude, the true peak 3 dB above. Left at −10 dBTP, right at −16,
    // through a chain that only delays it. The expected true peak is also
    // checked against the output's own amplitude, √(x[n]² + x[n+1]²) at fs/4.
    for sr in [48_000.0f32, 44_100.0] {
        let e = lq_create(sr, 128);
        unsafe {
            transparent(e);
            let (al, ar) = (libm::pow(10.0, -10.0 / 20.0), libm::pow(10.0, -16.0 / 20.0));
            let (sl, sr_) = (
                sine_at(al, sr as f64 / 4.0, sr, 0.25 * core::f64::consts::PI),
                sine_at(ar, sr as f64 / 4.0, sr, 0.25 * core::f64::consts::PI),
            );
            feed(e, sr, 0, 1.0, |i| (sl(i), sr_(i)));
            let read = |slot: Meter| *lq_meters_ptr(e).add(slot as usize);
            for (ch, slot, sample_slot, want_db) in
                [(0, Meter::TruePeakL, Meter::PeakL, -10.0), (1, Meter::TruePeakR, Meter::PeakR, -16.0)]
            {
                let out = core::slice::from_raw_parts(lq_output_ptr(e, ch), 128);
                let amp =
                    (0..127).map(|i| (out[i] * out[i] + out[i + 1] * out[i + 1]).sqrt()).fold(0.0f32, f32::max);
                let tp_db = 20.0 * read(slot).log10();
                let sample_db = 20.0 * read(sample_slot).log10();
                assert!((tp_db - 20.0 * amp.log10()).abs() < 0.5, "{sr} ch {ch}: {tp_db} dBTP, amplitude {amp}");
                assert!((tp_db - want_db).abs() < 0.5, "{sr} ch {ch}: {tp_db} dBTP");
                // 3 dB above the sample peak.
                assert!((tp_db - sample_db - 3.01).abs() < 0.5, "{sr} ch {ch}: {tp_db} vs {sample_db}");
            }
            // A quantum of silence after the chain's tail: the reading is per quantum.
            feed(e, sr, 0, 0.5, |_| (0.0, 0.0));
            assert_eq!((read(Meter::TruePeakL), read(Meter::TruePeakR)), (0.0, 0.0));
            // Meters off: no true peak.
            feed(e, sr, 0, 0.1, |i| (sl(i), sr_(i)));
            assert!(read(Meter::TruePeakL) > 0.0);
            lq_set_meter_channels(e, 0);
            feed(e, sr, 0, 0.1, |i| (sl(i), sr_(i)));
            assert_eq!(read(Meter::TruePeakL), 0.0);
            lq_destroy(e);
        }
    }
}

#[test]
fn integrated_loudness_since_play_and_its_reset() {
    let sr = 48_000.0;
    let e = lq_create(sr, 128);
    unsafe {
        let read = |slot: Meter| *lq_meters_ptr(e).add(slot as usize);
        // Nothing measured yet: every loudness slot reads −∞.
        for slot in [Meter::MomentaryLufs, Meter::ShortTermLufs, Meter::IntegratedLufs] {
            assert_eq!(read(slot), f32::NEG_INFINITY);
        }
        lq_update_loudness(e);
        assert_eq!(read(Meter::IntegratedLufs), f32::NEG_INFINITY);
        // −20 dBFS at 997 Hz in both channels: −20 LUFS (EBU Tech 3341 case 1).
        let s20 = sine_at(libm::pow(10.0, -20.0 / 20.0), 997.0, sr, 0.0);
        feed(e, sr, 0, 10.0, |i| (s20(i), s20(i)));
        lq_update_loudness(e);
        let i = read(Meter::IntegratedLufs);
        assert!((i + 20.0).abs() <= 0.1, "{i}");
        // A seek (lq_reset) leaves it running; lq_reset_integrated restarts it.
        lq_reset(e);
        lq_update_loudness(e);
        assert_eq!(read(Meter::IntegratedLufs), i);
        lq_reset_integrated(e);
        assert_eq!(read(Meter::IntegratedLufs), f32::NEG_INFINITY);
        lq_update_loudness(e);
        assert_eq!(read(Meter::IntegratedLufs), f32::NEG_INFINITY);
        let s30 = sine_at(libm::pow(10.0, -30.0 / 20.0), 997.0, sr, 0.0);
        feed(e, sr, 0, 5.0, |i| (s30(i), s30(i)));
        lq_update_loudness(e);
        let i = read(Meter::IntegratedLufs);
        assert!((i + 30.0).abs() <= 0.1, "{i}");
        // Mono: one channel at weight 1, −3 dB against the same in stereo.
        lq_set_meter_channels(e, 1);
        lq_update_loudness(e);
        assert_eq!(read(Meter::IntegratedLufs), f32::NEG_INFINITY);
        feed(e, sr, 0, 5.0, |i| (s20(i), s20(i)));
        lq_update_loudness(e);
        let i = read(Meter::IntegratedLufs);
        assert!((i + 23.01).abs() <= 0.1, "{i}");
        lq_destroy(e);
    }
}

#[test]
fn spectrum_through_the_c_abi() {
    let sr = 48_000.0;
    let e = lq_create(sr, 128);
    unsafe {
        let points = lq_spectrum_points(e) as usize;
        assert_eq!(points, 480);
        let freqs = core::slice::from_raw_parts(lq_spectrum_freqs_ptr(e), points);
        assert!(freqs[0] == 20.0 && (freqs[points - 1] - 20_000.0).abs() < 0.1);
        assert_eq!(lq_spectrum_set(e, 45, 24), -1);
        assert_eq!(lq_spectrum_set(e, 20, 6), -1);
        assert_eq!(lq_spectrum_set(e, 0, 12), 0);
        // 1 kHz at −6 dBFS, right only: a mid of −12 dBFS, in and out of a
        // chain that only delays it.
        transparent(e);
        let s = sine_at(libm::pow(10.0, -6.0 / 20.0), 1000.0, sr, 0.0);
        feed(e, sr, 0, 2.0, |i| (0.0, s(i)));
        lq_spectrum_update(e);
        let v = core::slice::from_raw_parts(lq_spectrum_ptr(e), 4 * points);
        let at =
            (0..points).min_by(|&a, &b| (freqs[a] - 1000.0).abs().total_cmp(&(freqs[b] - 1000.0).abs())).unwrap();
        for row in 0..4 {
            let r = &v[row * points..(row + 1) * points];
            let top = (0..points).fold(0, |m, i| if r[i] > r[m] { i } else { m });
            assert_eq!(top, at, "row {row}");
            assert!((r[at] + 12.0).abs() < 0.5, "row {row}: {}", r[at]);
        }
        lq_spectrum_reset_peaks(e);
        assert!(v[2 * points..].iter().all(|&x| x == -150.0));
        lq_destroy(e);
    }
}

#[test]
fn live_loudness_of_the_output_stereo_and_mono() {
    // A −20 dBFS sine passes the default chain unchanged (below the
    // compressor's threshold and the limiter's ceiling): −20 LUFS in both
    // channels of stereo (EBU Tech 3341 case 1), −23 LUFS as mono.
    let (m, s) = run(2, -20.0, 4.0);
    assert!((m + 20.0).abs() < 0.1 && (s + 20.0).abs() < 0.1, "{m} {s}");
    let (m, s) = run(1, -20.0, 4.0);
    assert!((m + 23.01).abs() < 0.1 && (s + 23.01).abs() < 0.1, "{m} {s}");
    // Switched off, the meter reads nothing.
    let (m, s) = run(0, -20.0, 4.0);
    assert_eq!((m, s), (f32::NEG_INFINITY, f32::NEG_INFINITY));
}

/// Runs `x` (left, right) through `e` in 128-frame quanta, calling
/// `at(quantum)` before each, and returns the output.
unsafe fn run_through(e: *mut Engine, x: &[(f32, f32)], mut at: impl FnMut(usize)) -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(x.len());
    for (q, chunk) in x.chunks(128).enumerate() {
        at(q);
        let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
        for (i, &(a, b)) in chunk.iter().enumerate() {
            *l.add(i) = a;
            *r.add(i) = b;
        }
        lq_process(e, chunk.len() as u32);
        for i in 0..chunk.len() {
            out.push((*lq_output_ptr(e, 0).add(i), *lq_output_ptr(e, 1).add(i)));
        }
    }
    out
}

/// Largest step between neighbouring samples of either channel.
fn largest_step(y: &[(f32, f32)]) -> f32 {
    y.windows(2).map(|w| (w[1].0 - w[0].0).abs().max((w[1].1 - w[0].1).abs())).fold(0.0, f32::max)
}

fn stereo_noise(n: usize, amp: f32, seed: u32) -> Vec<(f32, f32)> {
    let (l, r) = (crate::test_signals::noise(n, amp, seed), crate::test_signals::noise(n, amp, seed + 1));
    l.into_iter().zip(r).collect()
}

#[test]
fn latency_is_the_chain_plus_the_platform_lookahead_on_or_off() {
    for sr in [44_100.0f32, 48_000.0, 96_000.0] {
        let e = lq_create(sr, 128);
        unsafe {
            let chain = (*e).master.latency_samples() as u32;
            let look = (crate::loudness::platforms::PLAYBACK_LIMITER_MAX_ATTACK_MS * sr as f64 / 1000.0).round() as u32;
            assert_eq!(lq_latency(e), chain + look);
            assert_eq!(lq_set_platform_limiter(e, 1, -1.0, 5.0, 100.0), 0);
            assert_eq!(lq_latency(e), chain + look);
            // Refused figures change nothing.
            assert_eq!(lq_set_platform_limiter(e, 1, 2.0, 5.0, 100.0), -1);
            assert_eq!(lq_set_platform_limiter(e, 1, -1.0, 6.0, 100.0), -1);
            assert_eq!(lq_set_monitor_gains(e, f32::NAN, 0.0), -1);
            assert_eq!(lq_set_monitor_gains(e, 0.0, 61.0), -1);
            // Off ignores the figures (the worklet sends zeros).
            assert_eq!(lq_set_platform_limiter(e, 0, 0.0, 0.0, 0.0), 0);
            lq_destroy(e);
        }
    }
}

#[test]
fn whole_chain_bypass_is_the_input_delayed_by_lq_latency_after_any_monitor_changes() {
    let sr = 48_000.0;
    let e = lq_create(sr, 128);
    let x = stereo_noise(48_000 * 4, 0.9, 21);
    unsafe {
        let lat = lq_latency(e) as usize;
        lq_set_monitor(e, 1);
        // Gains and the platform limiter move, then go back: the limiter
        // engages on the gained-up noise and releases once it is off.
        let out = run_through(e, &x, |q| match q {
            10 => assert_eq!(lq_set_monitor_gains(e, 6.0, 9.0), 0),
            20 => assert_eq!(lq_set_platform_limiter(e, 1, -1.0, 5.0, 100.0), 0),
            100 => assert_eq!(lq_set_monitor_gains(e, 0.0, 0.0), 0),
            110 => assert_eq!(lq_set_platform_limiter(e, 0, 0.0, 0.0, 0.0), 0),
            _ => {}
        });
        let thr = 10f32.powf(-1.0 / 20.0);
        let limited = &out[20 * 128 + lat..100 * 128];
        assert!(limited.iter().all(|&(l, r)| l.abs() <= thr && r.abs() <= thr), "the +9 dB noise is held under −1 dBFS");
        assert!(limited.iter().any(|&(l, _)| l.abs() > 0.99 * thr));
        // 2.5 s after the limiter went off it has released to exactly 1.
        let from = 110 * 128 + 120_000;
        for (k, &(l, r)) in out.iter().enumerate().skip(from) {
            assert_eq!((l.to_bits(), r.to_bits()), (x[k - lat].0.to_bits(), x[k - lat].1.to_bits()), "frame {k}");
        }
        lq_destroy(e);
    }
}

#[test]
fn monitor_gains_at_0_db_are_bit_exact() {
    let sr = 48_000.0;
    let x = stereo_noise(48_000, 0.3, 3);
    unsafe {
        let (a, b) = (lq_create(sr, 128), lq_create(sr, 128));
        let plain = run_through(a, &x, |_| {});
        let moved = run_through(b, &x, |q| match q {
            5 => assert_eq!(lq_set_monitor_gains(b, 0.0, 0.0), 0),
            10 => assert_eq!(lq_set_monitor_gains(b, -6.0, 3.0), 0),
            40 => assert_eq!(lq_set_monitor_gains(b, 0.0, 0.0), 0),
            _ => {}
        });
        assert!((*b).monitor_gains_are_unity());
        let lat = lq_latency(b) as usize;
        // The gain's ramp (10 ms) and the lookahead's delay after it.
        let settled = 40 * 128 + 480 + lat;
        assert_ne!(plain[10 * 128 + lat + 200], moved[10 * 128 + lat + 200]);
        for k in settled..x.len() {
            assert_eq!((plain[k].0.to_bits(), plain[k].1.to_bits()), (moved[k].0.to_bits(), moved[k].1.to_bits()), "frame {k}");
        }
        lq_destroy(a);
        lq_destroy(b);
    }
}

#[test]
fn a_gain_change_ramps_without_a_step_larger_than_the_signal_s_own() {
    let sr = 48_000.0;
    let amp = 0.5f64;
    let s = sine_at(amp, 997.0, sr, 0.0);
    let x: Vec<(f32, f32)> = (0..48_000).map(|i| (s(i), s(i))).collect();
    let own = largest_step(&x);
    for dry in [0u32, 1] {
        let e = lq_create(sr, 128);
        unsafe {
            transparent(e);
            lq_set_monitor(e, dry);
            let out = run_through(e, &x, |q| {
                if q == 100 {
                    // −12 dB on the path that is heard, at once.
                    let (m, d) = if dry == 1 { (0.0, -12.0) } else { (-12.0, 0.0) };
                    assert_eq!(lq_set_monitor_gains(e, m, d), 0);
                }
            });
            let lat = lq_latency(e) as usize;
            let start = 100 * 128 + lat;
            // Per frame the gain moves by at most (1 − 0.251) / 480.
            let ramp_step = (1.0 - 10f64.powf(-12.0 / 20.0)) / 480.0;
            let bound = own as f64 + amp * ramp_step + 1e-6;
            let step = largest_step(&out[lat + 600..]) as f64;
            assert!(step <= bound, "dry {dry}: step {step} > {bound}");
            // The ramp is over within 10 ms: the sine is at a quarter of its level.
            let peak = |a: usize, b: usize| out[a..b].iter().fold(0.0f32, |p, v| p.max(v.0.abs())) as f64;
            assert!((peak(start - 2400, start) - amp).abs() < 1e-3);
            let after = peak(start + 481, start + 481 + 2400);
            assert!((after - amp * 10f64.powf(-12.0 / 20.0)).abs() < 1e-3, "dry {dry}: {after}");
            lq_destroy(e);
        }
    }
}

#[test]
fn switching_master_and_dry_with_a_sine_in_steps_no_more_than_the_sine() {
    let sr = 48_000.0;
    let amp = 0.1f64; // −20 dBFS: the default chain leaves it about as it is.
    let s = sine_at(amp, 440.0, sr, 0.3);
    let x: Vec<(f32, f32)> = (0..48_000 * 2).map(|i| (s(i), s(i))).collect();
    let own = largest_step(&x) as f64;
    let e = lq_create(sr, 128);
    unsafe {
        let out = run_through(e, &x, |q| match q {
            200 => lq_set_monitor(e, 1),
            400 => lq_set_monitor(e, 0),
            500 => lq_set_monitor(e, 1),
            503 => lq_set_monitor(e, 0),
            _ => {}
        });
        // The crossfade moves 1/480 per frame between two versions of the
        // sine, which differ by at most twice its amplitude.
        let bound = own + 2.0 * amp / 480.0 + 1e-6;
        let lat = lq_latency(e) as usize;
        let step = largest_step(&out[lat + 4800..]) as f64;
        assert!(step <= bound, "step {step} > {bound}");
        lq_destroy(e);
    }
}

#[test]
fn the_platform_limiter_holds_every_sample_under_its_threshold() {
    for sr in [44_100.0f32, 48_000.0] {
        // Noise with bursts and single-sample clicks, raised +12 dB into the limiter.
        let n = sr as usize * 3;
        let bursts = crate::test_signals::noise_bursts(n, 0.5, 9, 0.2);
        let x: Vec<(f32, f32)> = bursts
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let click = if i % 9_973 == 0 { 0.99 } else { 0.0 };
                (v + click, -v * 0.7 + click)
            })
            .collect();
        for dry in [0u32, 1] {
            let e = lq_create(sr, 128);
            unsafe {
                lq_set_monitor(e, dry);
                assert_eq!(lq_set_monitor_gains(e, 12.0, 12.0), 0);
                assert_eq!(lq_set_platform_limiter(e, 1, -1.0, 5.0, 100.0), 0);
                let mut gr = 0.0f32;
                let out = run_through(e, &x, |_| gr = gr.max(*lq_meters_ptr(e).add(Meter::PlatformLimiterGrDb as usize)));
                let thr = 10f32.powf(-1.0 / 20.0);
                let top = out.iter().fold(0.0f32, |p, v| p.max(v.0.abs()).max(v.1.abs()));
                assert!(top <= thr, "{sr} dry {dry}: {top} > {thr}");
                assert!(top > thr * 0.99, "{sr} dry {dry}: {top}: it limits, it does not squash");
                assert!(gr > 6.0, "{gr}");
                // The meters read what is heard.
                let peak = *lq_meters_ptr(e).add(Meter::PeakL as usize);
                let last_quantum = match x.len() % 128 {
                    0 => 128,
                    k => k,
                };
                let last = out[out.len() - last_quantum..].iter().fold(0.0f32, |p, v| p.max(v.0.abs()));
                assert_eq!(peak, last);
                lq_destroy(e);
            }
        }
    }
}

#[test]
fn a_b_matched_loudness_agrees_within_0_1_lu() {
    let sr = 48_000.0;
    // A programme at about −24 LUFS, mastered louder: +8 dB into the chain.
    let x = stereo_noise(48_000 * 12, 0.12, 33);
    let e = lq_create(sr, 128);
    unsafe {
        let s = Settings { input_gain_db: 8.0, ..Settings::default() };
        let json = serde_json::to_string(&s).unwrap();
        let buf = lq_settings_buf(e, json.len() as u32);
        core::ptr::copy_nonoverlapping(json.as_ptr(), buf, json.len());
        assert_eq!(lq_apply_settings(e, json.len() as u32), 0);
        let integrated = |dry: u32, mix_db: f32| {
            lq_set_monitor(e, dry);
            assert_eq!(lq_set_monitor_gains(e, 0.0, mix_db), 0);
            run_through(e, &x[..48_000], |_| {});
            lq_reset_integrated(e);
            run_through(e, &x[48_000..], |_| {});
            lq_update_loudness(e);
            *lq_meters_ptr(e).add(Meter::IntegratedLufs as usize)
        };
        let master = integrated(0, 0.0);
        let mix = integrated(1, 0.0);
        assert!(master - mix > 5.0, "{master} {mix}");
        let matched = integrated(1, master - mix);
        assert!((matched - master).abs() <= 0.1, "{matched} vs {master}");
        lq_destroy(e);
    }
}

#[test]
fn out_of_range_settings_are_refused_by_the_worklet() {
    let e = lq_create(48_000.0, 128);
    unsafe {
        for json in [r#"{"output":{"gain_db":3}}"#, r#"{"limiter":{"ceiling_dbtp":"x"}}"#, r#"{"nope":1}"#] {
            let buf = lq_settings_buf(e, json.len() as u32);
            core::ptr::copy_nonoverlapping(json.as_ptr(), buf, json.len());
            assert_eq!(lq_apply_settings(e, json.len() as u32), -1, "{json}");
        }
        assert_eq!((*e).master.settings(), &Settings::default());
        lq_destroy(e);
    }
}

#[test]
fn a_new_lookahead_prepares_the_chain_again_and_the_dry_path_follows() {
    unsafe {
        let e = lq_create(48_000.0, 128);
        let before = lq_latency(e);
        let mut s = Settings::default();
        s.limiter.lookahead_ms = 10.0;
        let json = serde_json::to_string(&s).unwrap();
        let buf = lq_settings_buf(e, json.len() as u32);
        core::ptr::copy_nonoverlapping(json.as_ptr(), buf, json.len());
        assert_eq!(lq_apply_settings(e, json.len() as u32), 0);
        // 5 ms more lookahead at 48 kHz: 240 frames more latency.
        assert_eq!(lq_latency(e), before + 240);
        // The dry path is the input delayed by the new latency, bit for bit.
        lq_set_monitor(e, 1);
        let lat = lq_latency(e) as usize;
        let total = lat + 4096;
        let src = |i: usize| ((i % 1000) as f32 - 500.0) / 1024.0;
        let mut out = Vec::new();
        for q in 0..total.div_ceil(128) {
            for ch in 0..2 {
                let p = lq_input_ptr(e, ch);
                for i in 0..128 {
                    *p.add(i) = src(q * 128 + i);
                }
            }
            lq_process(e, 128);
            out.extend_from_slice(core::slice::from_raw_parts(lq_output_ptr(e, 0), 128));
        }
        for i in lat + 1024..total {
            assert_eq!(out[i].to_bits(), src(i - lat).to_bits(), "frame {i}");
        }
        lq_destroy(e);
    }
}
