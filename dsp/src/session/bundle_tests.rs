//! Tests of [`super`] (bundle.rs).
use super::*;
use crate::bundle::make::{make, Source};
use crate::bundle::Tags;

/// A loaded and analysed session of `audio`.
fn session(audio: &[Vec<f32>], sr: u32) -> Session {
    let mut s = Session::begin(audio.len(), audio[0].len(), sr).unwrap();
    for (c, a) in audio.iter().enumerate() {
        s.channel_mut(c).unwrap().copy_from_slice(a);
    }
    s.commit(audio[0].len());
    while !s.analyze(30_000).unwrap() {}
    s
}

fn meta(tags_in_files: bool) -> BundleMeta {
    BundleMeta {
        settings: Settings::default(),
        platform: "spotify".into(),
        tags: Tags { title: "Song".into(), artist: "Band".into(), isrc: "GB-AYE-26-00001".into(), ..Tags::default() },
        tags_in_files,
        source_name: "mix.wav".into(),
    }
}

/// Stepped in small pieces, the bundle is byte for byte the CLI's
/// ([`crate::bundle::make::make`]), with and without the variants and the
/// tags, at 48 kHz (the CD master converted), kept or rendered again; the
/// entries found in the ZIP are its files and reports.
#[test]
fn stepped_bundle_equals_the_cli_bundle() {
    let sr = 48_000;
    let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 3, 0.3, 60 + c, 4.0)).collect();
    let s = session(&audio, sr);
    let source = Source { channels: Arc::new(audio.clone()), sample_rate: sr, report: None };
    for (loud, quiet, tags, keep) in [(true, true, true, KEEP_PASS_LIMIT_BYTES), (false, false, false, 0)] {
        let m = meta(tags);
        let want = make(&source, &m, loud, quiet).unwrap();
        let mut job = BundleJob::start_keeping(&s, m, loud, quiet, keep).unwrap();
        assert_eq!(job.plan().len(), 2 + loud as usize + quiet as usize);
        let mut steps = 0;
        while !job.step(7_000).done {
            steps += 1;
        }
        assert!(steps > 10, "the work comes in steps");
        let got = job.finish().unwrap();
        assert!(got.zip == want.zip, "loud {loud} quiet {quiet} tags {tags} keep {keep}");
        assert_eq!(got.report, want.report);
        let names: Vec<&str> = got.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), got.report.files.len() + 2);
        for f in &got.report.files {
            let e = got.entries.iter().find(|e| e.name == f.name).unwrap();
            let bytes = &got.zip[e.offset..e.offset + e.len];
            assert_eq!(crate::bundle::measure::sha256_hex(bytes), f.measured.sha256);
        }
        assert!(names.contains(&"report.json") && names.contains(&"report.html"));
    }
}

#[test]
fn bad_tags_and_unanalysed_files_are_refused() {
    let sr = 44_100;
    let audio: Vec<Vec<f32>> = vec![crate::test_signals::noise(sr as usize, 0.3, 1)];
    let s = session(&audio, sr);
    let mut m = meta(true);
    m.tags.isrc = "not-an-isrc".into();
    let e = BundleJob::start(&s, m, false, false).err().unwrap();
    assert!(e.to_lowercase().contains("isrc"), "{e}");
    let fresh = Session::begin(1, 10, sr).unwrap();
    assert!(BundleJob::start(&fresh, meta(true), false, false).is_err());
    assert!(zip_entries(b"not a zip").is_err());
}

/// After the studio has mastered the file to the platform's target (a
/// preview with the same settings), the bundle's streaming master skips the
/// search: fewer steps, and still the CLI's ZIP byte for byte.
#[test]
fn a_bundle_after_a_preview_takes_its_master_and_is_the_same() {
    let sr = 44_100;
    let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 8, 0.3, 70 + c, 4.0)).collect();
    let source = Source { channels: Arc::new(audio.clone()), sample_rate: sr, report: None };
    let m = meta(true);
    let want = make(&source, &m, false, false).unwrap();
    let steps = |s: &Session| {
        let mut job = BundleJob::start(s, m.clone(), false, false).unwrap();
        let mut n = 0;
        while !job.step(7_000).done {
            n += 1;
        }
        let got = job.finish().unwrap();
        assert!(got.zip == want.zip);
        n
    };
    let cold = steps(&session(&audio, sr));
    let warm_session = session(&audio, sr);
    let p = crate::loudness::platforms::find("spotify").unwrap();
    let mut studio = m.settings;
    studio.limiter.ceiling_dbtp = p.ceiling_dbtp as f32;
    let target = Some(crate::loudness::target::Target { lufs: p.target_lufs.expect("a loudness target"), ceiling_dbtp: p.ceiling_dbtp });
    let mut preview = crate::session::export::Export::start_analysis_only(&warm_session, studio, target).unwrap();
    while !preview.step(50_000).done {}
    assert!(warm_session.outcomes().keeps_master(), "the preview keeps its master for the session");
    let warm = steps(&warm_session);
    assert!(warm < cold, "{warm} steps after the preview, {cold} without");
}
