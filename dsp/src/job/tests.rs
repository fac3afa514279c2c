//! The job's invariants: the same samples and report whatever the step
//! sizes, the keep limit, the driver (native `run`, stepped `step` or
//! streamed `step_with`) and whether the input report was given.

use super::*;
use crate::loudness::platforms;
use crate::loudness::target::Target;
use crate::render::PIECE;
use crate::test_signals::noise;

#[test]
fn step_sizes_do_not_change_the_result() {
    let sr = 44_100;
    let l = noise(sr as usize * 4, 0.1, 1);
    let r = noise(sr as usize * 4, 0.1, 2);
    let t = Some(Target { lufs: -16.0, ceiling_dbtp: -1.0 });
    let a = MasterJob::new(vec![l.clone(), r.clone()], sr, Settings::default(), t).unwrap().run();
    let mut job = MasterJob::new(vec![l, r], sr, Settings::default(), t).unwrap();
    let mut last = 0.0;
    loop {
        let p = job.step(777);
        assert!(p.fraction >= last && p.fraction <= 1.0);
        last = p.fraction;
        if p.done {
            break;
        }
    }
    let b = job.into_result();
    assert_eq!(a.channels, b.channels);
    assert_eq!(a.report, b.report);
    let o = a.report.output_lufs.unwrap();
    assert!((o + 16.0).abs() <= 0.005, "{o}");
    assert_eq!(a.report.platforms.len(), platforms::PLATFORMS.len());
    assert!(a.report.passes >= 1);
}

#[test]
fn run_with_encodes_the_master_and_reports_the_same() {
    // With a target (the measurement overlaps the encoding) and without
    // (rendered and metered in one go): `run_with` hands the encoder the
    // master and returns what `run` returns.
    let sr = 48_000;
    let input: Vec<Vec<f32>> = (0..2).map(|c| noise(sr as usize * 3, 0.3, 20 + c as u32)).collect();
    for t in [Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 }), None] {
        let plain = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run();
        let mut encoded: Vec<Vec<f32>> = vec![Vec::new(); 2];
        let (res, written) = MasterJob::new(input.clone(), sr, Settings::default(), t)
            .unwrap()
            .run_with(|piece| {
                encoded.iter_mut().zip(piece).for_each(|(e, p)| e.extend_from_slice(p));
                Ok::<(), ()>(())
            });
        assert_eq!(written, Ok(()));
        assert_eq!(encoded, plain.channels);
        assert_eq!(res.channels, plain.channels);
        assert_eq!(res.report, plain.report);
        // An encoder that fails is not called again, and the job still finishes.
        let mut calls = 0;
        let (res, written) = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run_with(|_| {
            calls += 1;
            if calls == 2 { Err("disk full") } else { Ok(()) }
        });
        assert_eq!((written, calls), (Err("disk full"), 2));
        assert_eq!(res.report, plain.report);
        // Stepped partway first (into any phase), then run: the same,
        // whether the chosen pass was kept or is rendered again.
        for (stop, limit) in [0.2, 0.5, 0.7, 0.9].into_iter().flat_map(|s| [(s, usize::MAX), (s, 0)]) {
            let mut job = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().keep_passes_up_to(limit);
            while job.step(3000).fraction < stop {}
            let mut encoded: Vec<Vec<f32>> = vec![Vec::new(); 2];
            let (res, _) = job.run_with(|piece| {
                encoded.iter_mut().zip(piece).for_each(|(e, p)| e.extend_from_slice(p));
                Ok::<(), ()>(())
            });
            assert_eq!(encoded, plain.channels, "stopped at {stop}, keeping {limit} bytes");
            assert_eq!(res.channels, plain.channels, "stopped at {stop}, keeping {limit} bytes");
            assert_eq!(res.report, plain.report, "stopped at {stop}, keeping {limit} bytes");
        }
    }
}

#[test]
fn decoding_while_measuring_gives_the_same_master() {
    // The CLI's path (the input decoded piece by piece while it is
    // metered) against decoding first: same samples, same report.
    let sr = 48_000;
    let input: Vec<Vec<f32>> = (0..2).map(|c| noise(sr as usize * 35, 0.2, 30 + c as u32)).collect();
    let bytes = crate::wav::write_pcm(&input, sr, 24);
    let t = Some(Target { lufs: -14.0, ceiling_dbtp: -1.0 });
    let decoded = crate::wav::read(&bytes).unwrap();
    let plain = MasterJob::new(decoded.channels, sr, Settings::default(), t).unwrap().run();
    let mut pcm = crate::wav::PcmStream::new(std::io::Cursor::new(&bytes)).unwrap();
    let job = MasterJob::decode_and_measure(2, pcm.frames(), sr, Settings::default(), t, |piece| pcm.read_into(piece))
        .unwrap();
    let (res, written) = job.run_with(|_| Ok::<(), ()>(()));
    assert_eq!(written, Ok(()));
    assert_eq!(res.channels, plain.channels);
    assert_eq!(res.report, plain.report);
    assert!(res.report.target_outcome.as_ref().unwrap().proxy_passes > 0);
    // A decoding error comes back as the job's error.
    let failed = MasterJob::decode_and_measure(2, 1000, sr, Settings::default(), t, |_| {
        Err(DspError::BadInput("the WAV data cannot be read".into()))
    });
    assert!(failed.is_err());
}

#[test]
fn master_is_a_plain_render_of_its_settings() {
    // The search renders without the output stage and trims afterwards;
    // the master must still be exactly what its reported settings render.
    let sr = 48_000;
    for ch in [1, 2] {
        let input: Vec<Vec<f32>> = (0..ch).map(|c| noise(sr as usize * 3, 0.3, 10 + c as u32)).collect();
        let t = Some(Target { lufs: -11.0, ceiling_dbtp: -1.0 });
        let res = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run();
        let plain = crate::render::render(&input, sr, &res.settings);
        assert_eq!(plain, res.channels, "{ch} channels");
        let r = &res.report;
        assert!(r.output_gain_db <= 0.0 && r.output_gain_db == res.settings.output.gain_db as f64);
        assert!((r.output_lufs.unwrap() + 11.0).abs() <= 0.005, "{r:?}");
        assert!(r.output_loudness.true_peak_dbtp.unwrap() <= -1.0);
        let o = r.target_outcome.as_ref().unwrap();
        assert_eq!(o.reached_lufs, r.output_lufs);
        // The report is what the master measures.
        let m = crate::loudness::meter::analyze(&res.channels, sr);
        let near = |a: Option<f64>, b: Option<f64>, tol: f64| (a.unwrap() - b.unwrap()).abs() <= tol;
        let got = &r.output_loudness;
        assert!(near(got.integrated_lufs, m.integrated_lufs, 1e-6), "{got:?} {m:?}");
        assert!(near(got.true_peak_dbtp, m.true_peak_dbtp, 1e-4));
        assert!(near(got.sample_peak_dbfs, m.sample_peak_dbfs, 1e-4));
        assert!(near(got.max_short_term_lufs, m.max_short_term_lufs, 1e-6));
        assert!((got.lra_lu - m.lra_lu).abs() <= 1e-6);
        assert_eq!(got.short_term_curve.len(), m.short_term_curve.len());
        for (a, b) in got.short_term_curve.iter().zip(&m.short_term_curve) {
            assert!(near(*a, *b, 1e-6));
        }
    }
}

#[test]
fn proxy_search_is_the_same_stepped_and_run() {
    // A file long enough for the proxy search: `run` (two threads) and
    // small steps (one thread, as in the browser) give the same master.
    let sr = 22_050;
    let n = sr as usize * 40;
    let env = |i: usize| if (i / sr as usize) % 10 < 4 { 0.15 } else { 0.6 };
    let l: Vec<f32> = noise(n, 1.0, 21).iter().enumerate().map(|(i, x)| x * env(i)).collect();
    let r: Vec<f32> = noise(n, 1.0, 22).iter().enumerate().map(|(i, x)| x * env(i)).collect();
    let t = Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 });
    let a = MasterJob::new(vec![l.clone(), r.clone()], sr, Settings::default(), t).unwrap().run();
    let mut job = MasterJob::new(vec![l, r], sr, Settings::default(), t).unwrap();
    while !job.step(5000).done {}
    let b = job.into_result();
    assert!(a.report.target_outcome.as_ref().unwrap().proxy_passes > 0);
    assert_eq!(a.channels, b.channels);
    assert_eq!(a.report, b.report);
    assert!((a.report.output_lufs.unwrap() + 12.0).abs() <= 0.005);
}

#[test]
fn silence_gets_a_clear_answer() {
    let sr = 48_000;
    let z = vec![0.0f32; sr as usize * 2];
    let res = MasterJob::new(vec![z.clone(), z], sr, Settings::default(), Some(Target::default()))
        .unwrap()
        .run();
    assert_eq!(res.report.input_gain_db, 0.0);
    assert!(res.report.output_lufs.is_none());
    assert!(res.report.warning.as_deref().unwrap().contains("silent"));
    let j = serde_json::to_string(&res.report).unwrap();
    assert!(!j.contains("NaN"));
}

#[test]
fn no_target_renders_once() {
    let sr = 48_000;
    let l = noise(sr as usize * 2, 0.2, 3);
    let res = MasterJob::new(vec![l], sr, Settings::default(), None).unwrap().run();
    assert_eq!(res.report.passes, 1);
    assert!(res.report.target_outcome.is_none());
    assert_eq!(res.channels.len(), 1);
}

/// Steps `job` to the end with `step_with` in steps of `budget`, checking
/// the pieces and the progress. Returns the master the pieces make, and
/// the job's outcome.
fn stream(mut job: MasterJob, budget: usize) -> (Vec<Vec<f32>>, Settings, MasterReport) {
    let (ch, frames) = (job.channels(), job.frames());
    let mut out: Vec<Vec<f32>> = vec![Vec::new(); ch];
    let mut last = 0.0;
    loop {
        let p = job.step_with(budget, |piece| {
            assert_eq!(piece.len(), ch);
            assert!(!piece[0].is_empty() && piece[0].len() <= PIECE, "a piece of {} frames", piece[0].len());
            assert!(piece.iter().all(|c| c.len() == piece[0].len()));
            out.iter_mut().zip(piece).for_each(|(o, p)| o.extend_from_slice(p));
        });
        assert!(p.fraction >= last && p.fraction <= 1.0, "{} after {last}", p.fraction);
        last = p.fraction;
        if p.done {
            assert_eq!((p.fraction, p.phase), (1.0, "done"));
            break;
        }
        assert!(["measuring the input", "finding the gain for the target", "mastering"].contains(&p.phase));
    }
    assert!(out.iter().all(|c| c.len() == frames));
    let (settings, report) = job.finish();
    (out, settings, report)
}

/// `secs` seconds of noise, louder 6 s in every 10, planar.
fn programme(channels: usize, secs: usize, sr: u32, seed: u32) -> Arc<Vec<Vec<f32>>> {
    let n = secs * sr as usize;
    let env = |i: usize| if (i / sr as usize) % 10 < 4 { 0.15 } else { 0.6 };
    let chans = (0..channels as u32).map(|c| noise(n, 1.0, seed + c).iter().enumerate().map(|(i, x)| x * env(i)).collect());
    Arc::new(chans.collect())
}

#[test]
fn keep_limit_does_not_change_the_master() {
    // Keeping the chosen pass for the output stage, or metering every pass
    // and dropping it to render the chain again at the end: the same
    // samples and report, run natively, streamed, or stepped partway then
    // run; stereo and mono; with and without a target; a short file (full
    // passes only) and one long enough for the proxy search.
    let sr = 22_050;
    let mut several_passes = false;
    for (ch, secs) in [(2, PROXY_MIN_S as usize + 2), (1, PROXY_MIN_S as usize + 2), (2, 4), (1, 4)] {
        let input = programme(ch, secs, sr, 50);
        for t in [Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 }), Some(Target { lufs: -8.0, ceiling_dbtp: -0.5 }), None] {
            let what = format!("{ch} ch, {secs} s, target {t:?}");
            let job = |limit| MasterJob::shared(input.clone(), sr, Settings::default(), t).unwrap().keep_passes_up_to(limit);
            let kept = job(usize::MAX).run();
            let o = kept.report.target_outcome.as_ref();
            assert_eq!(o.is_some_and(|o| o.proxy_passes > 0), t.is_some() && secs >= PROXY_MIN_S as usize, "{what}");
            several_passes |= kept.report.passes > 1;
            let dropped = job(0).run();
            assert_eq!(dropped.channels, kept.channels, "{what}");
            assert_eq!(dropped.report, kept.report, "{what}");
            assert_eq!(dropped.settings, kept.settings, "{what}");
            for limit in [0, usize::MAX] {
                let (out, settings, report) = stream(job(limit), 40_000);
                assert_eq!(out, kept.channels, "{what}, keeping {limit} bytes, streamed");
                assert_eq!(report, kept.report, "{what}, keeping {limit} bytes, streamed");
                assert_eq!(settings, kept.settings);
                let mut partway = job(limit);
                while partway.step(25_000).fraction < 0.75 {}
                let res = partway.run();
                assert_eq!(res.channels, kept.channels, "{what}, keeping {limit} bytes, stepped then run");
                assert_eq!(res.report, kept.report, "{what}, keeping {limit} bytes, stepped then run");
            }
        }
        // The jobs read the input where it is and leave it alone.
        assert_eq!(Arc::strong_count(&input), 1);
        assert_eq!(input, programme(ch, secs, sr, 50));
    }
    assert!(several_passes, "some case should need more than one full pass");
}

#[test]
fn a_given_input_report_gives_the_same_master() {
    // The worker measures the file once at load: a job given that report
    // skips measuring the input and gives the same master and report.
    let sr = 44_100;
    for (ch, secs) in [(2, 5), (1, PROXY_MIN_S as usize + 1)] {
        let input = programme(ch, secs, sr, 70);
        let report = crate::loudness::meter::analyze(&input, sr);
        for t in [Some(Target::default()), None] {
            let what = format!("{ch} ch, {secs} s, target {t:?}");
            let job = || MasterJob::shared(input.clone(), sr, Settings::default(), t).unwrap();
            let measured = job().run();
            let given = job().with_input_report(report.clone()).run();
            assert_eq!(given.channels, measured.channels, "{what}");
            assert_eq!(given.report, measured.report, "{what}");
            // Streamed, with the report given, not keeping the passes.
            let mut first = job().with_input_report(report.clone()).keep_passes_up_to(0);
            assert_ne!(first.step_with(1, |_| {}).phase, "measuring the input");
            let (out, settings, rep) = stream(job().with_input_report(report.clone()).keep_passes_up_to(0), 30_000);
            assert_eq!(out, measured.channels, "{what}");
            assert_eq!(rep, measured.report, "{what}");
            assert_eq!(settings, measured.settings, "{what}");
            // A report that cannot be this input's is ignored: the job measures it.
            let mut other = report.clone();
            other.duration_s += 1.0;
            let light = {
                let mut m = Meter::with_mode(ch, sr, false).unwrap();
                m.add_channels(&input, 0, input[0].len());
                m.report()
            };
            for wrong in [other, light, LoudnessReport::default()] {
                let mut j = job().with_input_report(wrong);
                assert_eq!(j.step(1).phase, "measuring the input");
                while !j.step(50_000).done {}
                let res = j.into_result();
                assert_eq!(res.channels, measured.channels, "{what}");
                assert_eq!(res.report, measured.report, "{what}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "handed out by step_with")]
fn a_streamed_master_is_not_collected() {
    let sr = 48_000;
    let mut job = MasterJob::new(vec![noise(sr as usize, 0.2, 5)], sr, Settings::default(), None).unwrap();
    while !job.step_with(10_000, |_| {}).done {}
    job.into_result();
}

#[test]
fn a_known_outcome_gives_the_same_master_and_report() {
    // A job told the outcome of an earlier one (same input, settings and
    // target) renders once and gives the same samples and report: run
    // natively or streamed, with the pass kept or not, with the proxy search
    // or without, through a limiter at less than full amount too.
    let sr = 22_050;
    for (ch, secs) in [(2, PROXY_MIN_S as usize + 2), (1, 4)] {
        let input = programme(ch, secs, sr, 60);
        for (t, amount) in [(Target { lufs: -12.0, ceiling_dbtp: -1.0 }, 100.0), (Target { lufs: -9.0, ceiling_dbtp: -0.5 }, 70.0)] {
            let settings = Settings { amount_pct: amount, ..Settings::default() };
            let what = format!("{ch} ch, {secs} s, {t:?}, amount {amount}");
            let searched = MasterJob::shared(input.clone(), sr, settings, Some(t)).unwrap().run();
            let known = |limit| {
                MasterJob::shared(input.clone(), sr, settings, Some(t))
                    .unwrap()
                    .keep_passes_up_to(limit)
                    .with_known_outcome(searched.settings, searched.report.clone())
            };
            let once = known(usize::MAX).run();
            assert_eq!(once.channels, searched.channels, "{what}");
            assert_eq!(once.report, searched.report, "{what}");
            assert_eq!(once.settings, searched.settings, "{what}");
            for limit in [0, usize::MAX] {
                let (out, s, report) = stream(known(limit), 30_000);
                assert_eq!(out, searched.channels, "{what}, streamed");
                assert_eq!(report, searched.report, "{what}, streamed");
                assert_eq!(s, searched.settings, "{what}, streamed");
            }
            // An outcome for another target is not taken.
            let other = Target { lufs: t.lufs - 3.0, ..t };
            let r = MasterJob::shared(input.clone(), sr, settings, Some(other))
                .unwrap()
                .with_known_outcome(searched.settings, searched.report.clone())
                .run();
            assert_ne!(r.report.output_lufs, searched.report.output_lufs, "{what}");
        }
    }
}

#[test]
fn a_known_master_is_handed_out_as_the_render_would_give_it() {
    // A job given an earlier job's master (same input, settings and target)
    // hands it out instead of rendering: the same samples, settings and
    // report, run natively, stepped and collected, or streamed. A master of
    // another shape is not taken (the job renders).
    let sr = 22_050;
    let input = programme(2, 5, sr, 61);
    let t = Target { lufs: -11.0, ceiling_dbtp: -1.0 };
    let settings = Settings::default();
    let searched = MasterJob::shared(input.clone(), sr, settings, Some(t)).unwrap().run();
    let master = Arc::new(searched.channels.clone());
    let known = |m: Arc<Vec<Vec<f32>>>| {
        MasterJob::shared(input.clone(), sr, settings, Some(t)).unwrap().with_known_master(
            searched.settings,
            searched.report.clone(),
            m,
        )
    };
    assert!(known(master.clone()).known_master().is_some());
    let native = known(master.clone()).run();
    assert_eq!((native.channels, native.settings, &native.report), (searched.channels.clone(), searched.settings, &searched.report));
    let mut job = known(master.clone());
    while !job.step(7_000).done {}
    let collected = job.into_result();
    assert_eq!(collected.channels, searched.channels);
    assert_eq!(collected.report, searched.report);
    let (out, s, report) = stream(known(master.clone()), 9_000);
    assert_eq!((out, s, report), (searched.channels.clone(), searched.settings, searched.report.clone()));
    // A stepped job hands every frame out once, in pieces of at most PIECE.
    let mut job = known(master.clone());
    let (mut frames, mut largest) = (0, 0);
    while !job.step_with(usize::MAX, |p| {
        frames += p[0].len();
        largest = largest.max(p[0].len());
    })
    .done
    {}
    assert_eq!((frames, largest), (master[0].len(), PIECE.min(master[0].len())));
    let short = Arc::new(master.iter().map(|c| c[..c.len() - 1].to_vec()).collect::<Vec<_>>());
    let job = known(short);
    assert!(job.known_master().is_none(), "a master of another length is not taken");
    let rendered = job.run();
    assert_eq!(rendered.channels, searched.channels);
}
