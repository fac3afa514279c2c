//! Tests of [`super`] (worker.rs).
use super::*;
use crate::analysis::{range_stats, LoudnessCurves};

/// The output buffer's bytes.
unsafe fn out(h: *mut Host) -> Vec<u8> {
    core::slice::from_raw_parts(lqs_out_ptr(h), lqs_out_len(h) as usize).to_vec()
}

/// The output buffer as JSON.
unsafe fn out_json(h: *mut Host) -> serde_json::Value {
    serde_json::from_slice(&out(h)).unwrap()
}

/// Loads `audio` as a browser-decoded file and analyses it.
unsafe fn load(h: *mut Host, audio: &[Vec<f32>], sr: u32) {
    let n = audio[0].len();
    assert_eq!(lqs_begin(h, audio.len() as u32, n as f64, sr as f64), 0);
    for (c, a) in audio.iter().enumerate() {
        core::slice::from_raw_parts_mut(lqs_channel_ptr(h, c as u32), n).copy_from_slice(a);
    }
    lqs_commit(h, n as f64);
    while lqs_analyze(h, 50_000) == 0 {}
}

/// Runs the job started on `h` to the end: the bytes it wrote.
unsafe fn run(h: *mut Host) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let done = lqs_export_step(h, 20_000);
        assert!(done >= 0);
        bytes.extend(out(h));
        if done == 1 {
            break;
        }
    }
    assert_eq!(lqs_export_finish(h), 0);
    bytes.extend(out(h));
    bytes
}

#[test]
fn preview_summaries_and_waveform_queries() {
    let sr = 44_100;
    let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 5, 0.25, 3 + c, 3.0)).collect();
    let n = audio[0].len();
    unsafe {
        let h = lqs_create();
        assert_eq!(lqs_peaks(h, 0, 0.0, n as f64, 10), -1, "nothing loaded");
        load(h, &audio, sr);
        let mix = (*h).session.as_ref().unwrap().analysis().unwrap().clone();

        // The mix's waveform, in place of PeakPyramid::columns.
        assert_eq!(lqs_peaks(h, 0, 1000.0, 90_000.0, 300), 2);
        let b = out(h);
        assert_eq!(b.len(), 300 * 2 * 2 * 4);
        let got: Vec<f32> = b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(got, mix.peaks.columns(1000, 90_000, 300));
        assert_eq!(lqs_peaks(h, 0, -5.0, f64::NAN, 4), 2, "bad frames read nothing");
        assert_eq!(lqs_peaks(h, 2, 0.0, n as f64, 4), -1);

        // No master yet.
        assert_eq!(lqs_master_summary(h, 100), -1);
        assert!(String::from_utf8(out(h)).unwrap().contains("previewed"));
        assert_eq!(lqs_peaks(h, 1, 0.0, n as f64, 100), -1);

        // A preview: no bytes; then the master's summary and waveform.
        let settings = br#"{"output": {"dither": false}}"#;
        let len = settings.len() as u32;
        core::slice::from_raw_parts_mut(lqs_in_buf(h, len), settings.len()).copy_from_slice(settings);
        assert_eq!(lqs_preview_start(h, len, 1, -12.0, -1.0), 0);
        assert!(run(h).is_empty(), "a preview writes no file");
        lqs_export_report(h);
        let report = out_json(h);
        assert_eq!(lqs_master_summary(h, 100), 0);
        let summary = out_json(h);
        let master = (*h).master.clone().unwrap();
        let output: crate::loudness::meter::LoudnessReport =
            serde_json::from_value(report["report"]["output_loudness"].clone()).unwrap();
        assert!((master.loudness.integrated_lufs.unwrap() - output.integrated_lufs.unwrap()).abs() < 1e-9);
        assert_eq!(summary["overview"]["columns"], 100);
        let curves: LoudnessCurves = serde_json::from_value(summary["curves"].clone()).unwrap();
        let whole = range_stats(&curves, 0.0, 5.0).integrated_lufs.unwrap();
        assert!((whole - output.integrated_lufs.unwrap()).abs() < 0.01, "{whole} vs {output:?}");
        assert!((whole + 12.0).abs() < 0.5, "mastered to −12 LUFS: {whole}");
        assert_eq!(lqs_peaks(h, 1, 0.0, n as f64, 64), 2);
        let got: Vec<f32> = out(h).chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(got, master.peaks.columns(0, n, 64));
        assert_ne!(got, mix.peaks.columns(0, n, 64), "the master is not the mix");

        // The same settings exported: a file, and the preview's master
        // still there (an export does not analyse).
        core::slice::from_raw_parts_mut(lqs_in_buf(h, len), settings.len()).copy_from_slice(settings);
        assert_eq!(lqs_export_start(h, len, 1, -12.0, -1.0, 0, 0, 0), 0);
        let file = run(h);
        let decoded = crate::wav::read(&file).unwrap();
        let mut m = crate::analysis::Analyzer::new(2, sr, n).unwrap();
        m.add(&[&decoded.channels[0], &decoded.channels[1]]);
        assert!((m.finish().loudness.integrated_lufs.unwrap() - whole).abs() < 0.01);
        assert_eq!((*h).master.as_ref(), Some(&master));

        // A new file drops the master.
        load(h, &audio, sr);
        assert_eq!(lqs_master_summary(h, 10), -1);
        drop(Box::from_raw(h));
    }
}
