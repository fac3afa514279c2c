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

/// Puts `bytes` in the input buffer.
unsafe fn put(h: *mut Host, bytes: &[u8]) -> u32 {
    core::slice::from_raw_parts_mut(lqs_in_buf(h, bytes.len() as u32), bytes.len()).copy_from_slice(bytes);
    bytes.len() as u32
}

/// A FLAC export through the C-ABI, with its header patch written at offset
/// 0, is the CLI's file; the report carries what was delivered.
#[test]
fn flac_export_with_its_header_patch_is_the_cli_file() {
    use crate::delivery::{DeliverySpec, Format, Rate, Tags};
    let sr = 48_000;
    let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 3, 0.25, 11 + c, 3.0)).collect();
    let target = crate::loudness::target::Target { lufs: -14.0, ceiling_dbtp: -1.0 };
    let tags = Tags { title: "T".into(), isrc: "GB-AYE-26-00001".into(), ..Tags::default() };
    let s = Settings::default();
    let job = crate::delivery::host::job(audio.clone(), sr, &s, Some(target)).unwrap();
    let mut want = std::io::Cursor::new(Vec::new());
    let spec = DeliverySpec { format: Format::Flac16, rate: Rate::Hz(44_100), tags };
    crate::delivery::host::master_to_file(job, &s, Some(target), spec, || Ok(&mut want)).unwrap();
    unsafe {
        let h = lqs_create();
        load(h, &audio, sr);
        let sl = put(h, b"");
        let tags = br#"{"title":"T","isrc":"GB-AYE-26-00001"}"#;
        let all = [&b""[..], tags].concat();
        put(h, &all);
        assert_eq!(lqs_export_start(h, sl, 1, -14.0, -1.0, 3, 44_100, tags.len() as u32), 0);
        let mut file = run(h);
        let n = lqs_export_patch(h) as usize;
        assert_eq!(n, 42, "FLAC's STREAMINFO block");
        file[..n].copy_from_slice(&out(h));
        assert!(file == want.get_ref().as_slice(), "the CLI's bytes");
        lqs_export_report(h);
        let r = out_json(h);
        assert_eq!(r["delivered"]["sample_rate"], 44_100);
        assert_eq!(lqs_export_patch(h), 0, "taken once");
        drop(Box::from_raw(h));
    }
}

/// The bundle through the C-ABI is the CLI's ZIP; its entries are found in
/// it; a decoded file's figures come back as JSON; a bad ISRC is refused.
#[test]
fn bundle_and_verify_through_the_c_abi() {
    use crate::ffi::release::*;
    let sr = 44_100;
    let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 3, 0.25, 21 + c, 3.0)).collect();
    let meta = crate::bundle::BundleMeta {
        settings: Settings::default(),
        platform: "apple".into(),
        tags: crate::bundle::Tags { title: "Song".into(), ..Default::default() },
        tags_in_files: true,
        source_name: "mix.wav".into(),
    };
    let source = crate::bundle::make::Source { channels: std::sync::Arc::new(audio.clone()), sample_rate: sr, report: None };
    let want = crate::bundle::make::make(&source, &meta, true, false).unwrap();
    unsafe {
        let h = lqs_create();
        load(h, &audio, sr);
        let mut bad = serde_json::to_value(&meta).unwrap();
        bad["tags"]["isrc"] = "nope".into();
        let len = put(h, bad.to_string().as_bytes());
        assert_eq!(lqs_bundle_start(h, len, 1, 0), -1);
        assert!(String::from_utf8(out(h)).unwrap().to_lowercase().contains("isrc"));
        let len = put(h, serde_json::to_string(&meta).unwrap().as_bytes());
        assert_eq!(lqs_bundle_start(h, len, 1, 0), 0);
        // Each file is handed out once, as soon as it is finished.
        let mut handed = Vec::new();
        loop {
            let done = lqs_bundle_step(h, 20_000) == 1;
            while lqs_bundle_next_file(h) == 1 {
                let entry = out_json(h);
                let bytes = core::slice::from_raw_parts(lqs_bundle_file_ptr(h), lqs_bundle_file_len(h) as usize).to_vec();
                handed.push((entry["name"].as_str().unwrap().to_string(), bytes));
            }
            if done {
                break;
            }
        }
        assert_eq!(lqs_bundle_next_file(h), 0);
        assert_eq!(lqs_bundle_finish(h), 0);
        let done = out_json(h);
        let zip = core::slice::from_raw_parts(lqs_zip_ptr(h), lqs_zip_len(h) as usize).to_vec();
        assert!(zip == want.zip);
        assert_eq!(handed.len(), 3);
        for e in done["entries"].as_array().unwrap().iter().filter(|e| e["name"].as_str().unwrap().ends_with(".wav")) {
            let (at, n) = (e["offset"].as_u64().unwrap() as usize, e["len"].as_u64().unwrap() as usize);
            let (_, bytes) = handed.iter().find(|(name, _)| name == e["name"].as_str().unwrap()).expect("handed out");
            assert!(bytes[..] == zip[at..at + n], "{}", e["name"]);
        }
        assert_eq!(done["zip_len"], zip.len());
        assert_eq!(done["report"]["files"].as_array().unwrap().len(), 3);
        let entries = done["entries"].as_array().unwrap();
        let first = &entries[0];
        let (at, n) = (first["offset"].as_u64().unwrap() as usize, first["len"].as_u64().unwrap() as usize);
        let bytes = &zip[at..at + n];
        lqs_zip_drop(h);
        assert_eq!(lqs_zip_len(h), 0.0);

        // The first file, decoded as the browser does (integers / 2^(bits − 1)),
        // measured through lqs_verify_*.
        let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
        let (rate, scale) = (r.spec().sample_rate, 1.0 / (1u64 << (r.spec().bits_per_sample - 1)) as f64);
        let inter: Vec<f32> = r.samples::<i32>().map(|v| (v.unwrap() as f64 * scale) as f32).collect();
        let channels: Vec<Vec<f32>> = (0..2).map(|c| inter.iter().skip(c).step_by(2).copied().collect()).collect();
        let frames = channels[0].len();
        assert_eq!(lqs_verify_begin(h, 2, frames as f64, rate as f64), 0);
        let mut at = 0;
        while at < frames {
            let n = 30_000.min(frames - at);
            let piece = core::slice::from_raw_parts_mut(lqs_verify_piece(h, n as u32), 2 * n);
            for (c, d) in channels.iter().enumerate() {
                piece[c * n..(c + 1) * n].copy_from_slice(&d[at..at + n]);
            }
            assert_eq!(lqs_verify_add(h, n as u32), 0);
            at += n;
        }
        assert_eq!(lqs_verify_fraction(h), 1.0);
        lqs_verify_piece(h, 1);
        assert_eq!(lqs_verify_add(h, 1), -1, "past the announced length");
        assert_eq!(lqs_verify_report(h), 0);
        let v = out_json(h);
        let m = crate::bundle::FileReport::measure(bytes).unwrap();
        assert_eq!(v["frames"], m.frames);
        // (The check's integrated-only meter may differ in the last bit: see session::verify's test.)
        assert!((v["integrated_lufs"].as_f64().unwrap() - m.integrated_lufs.unwrap()).abs() < 1e-12);
        assert_eq!(v["true_peak_dbtp"].as_f64(), m.true_peak_dbtp);
        assert_eq!(lqs_verify_report(h), -1, "taken once");
        drop(Box::from_raw(h));
    }
}
