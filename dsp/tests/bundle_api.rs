//! The bundle's library API, as the browser's worker calls it: a plan,
//! files added in any order, checks that catch a file that misses its plan,
//! tags in the files or not, and the same ZIP whichever way it is written.

mod common;

use common::programme;
use lacquer_dsp::bundle::make::{make, make_files, Source};
use lacquer_dsp::bundle::{self, BundleBuilder, BundleMeta, BundleReport, FileReport, Origin, Role, Tags};
use lacquer_dsp::Settings;
use std::io::Cursor;
use std::sync::Arc;

fn meta(tags_in_files: bool) -> BundleMeta {
    BundleMeta {
        settings: Settings::default(),
        platform: "spotify".into(),
        tags: Tags { title: "Song".into(), artist: "Band".into(), ..Default::default() },
        tags_in_files,
        source_name: "/tmp/mix.wav".into(),
    }
}

/// Five seconds of mono programme at 44.1 kHz: no conversion for the CD.
fn mono_source() -> Source {
    let x = programme(44_100 * 5, 44_100.0, 3);
    let mono: Vec<f32> = x[0].iter().map(|v| v * 0.5).collect();
    Source { channels: Arc::new(vec![mono]), sample_rate: 44_100, report: None }
}

fn entry_names(zip: &[u8]) -> Vec<String> {
    let z = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    z.file_names().map(str::to_string).collect::<Vec<_>>()
}

#[test]
fn a_mono_source_at_44k1_makes_a_mono_bundle_with_an_unconverted_cd() {
    let made = make(&mono_source(), &meta(true), false, false).unwrap();
    let r = &made.report;
    assert_eq!(r.files.len(), 2);
    assert!(r.all_checks_ok, "{:?}", r.warnings);
    for f in &r.files {
        assert_eq!(f.measured.format.channels, 1);
        assert_eq!(f.measured.format.sample_rate, 44_100);
        assert_eq!(f.measured.frames, 44_100 * 5);
        assert!((f.measured.integrated_lufs.unwrap() + 14.0).abs() < 0.05, "{}: {:?}", f.name, f.measured.integrated_lufs);
    }
    let cd = r.files.iter().find(|f| f.role == Role::Cd).unwrap();
    assert_eq!((cd.name.as_str(), cd.measured.format.bits), ("Band-Song_cd_16bit_44k1.wav", 16));
    // Whatever the entries' order in the archive's directory, it is by name;
    // the JSON report reads back as it was written.
    let names = entry_names(&made.zip);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mut z = zip::ZipArchive::new(Cursor::new(&made.zip)).unwrap();
    let json = std::io::read_to_string(z.by_name(bundle::REPORT_JSON).unwrap()).unwrap();
    let back: BundleReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.files.len(), 2);
    assert_eq!(back.files[0].measured.sha256, r.files[0].measured.sha256);
    assert!(!json.contains("NaN") && !json.contains("inf"));
}

#[test]
fn files_added_in_any_order_give_the_same_zip_written_either_way() {
    let source = mono_source();
    let builder = make_files(&source, &meta(true), false, false).unwrap();
    let report = builder.report();
    let a = builder.finish().unwrap();
    // The same files, added in the other order, written to a writer.
    let mut rebuilt = BundleBuilder::new(meta(true)).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(&a)).unwrap();
    let plan = meta(true).plan(1, 44_100 * 5, 44_100, false, false).unwrap();
    for f in report.files.iter().rev() {
        let mut bytes = Vec::new();
        std::io::copy(&mut z.by_name(&f.name).unwrap(), &mut bytes).unwrap();
        let measured = FileReport::measure(&bytes).unwrap();
        assert_eq!(measured, f.measured);
        let p = plan.iter().find(|p| p.name == f.name).unwrap();
        rebuilt.add_file(p, bytes, measured, Origin { settings: f.settings, ceiling_gain_db: f.ceiling_gain_db }).unwrap();
    }
    let b = rebuilt.finish_to(Cursor::new(Vec::new())).unwrap().into_inner();
    assert_eq!(a, b);
}

#[test]
fn a_file_that_misses_its_plan_is_reported_and_bad_additions_refused() {
    let plan = meta(true).plan(1, 44_100 * 5, 44_100, false, false).unwrap();
    let streaming = plan.iter().find(|p| p.role == Role::Streaming).unwrap();
    // A quiet 3 s tone where a 5 s master at −14 LUFS belongs.
    let tone: Vec<f32> = (0..44_100 * 3).map(|i| (0.1 * (i as f64 * 0.05).sin()) as f32).collect();
    let enc = bundle::encode(streaming, &[tone], 44_100, &Settings::default(), None).unwrap();
    let measured = FileReport::measure(&enc.bytes).unwrap();
    let mut b = BundleBuilder::new(meta(true)).unwrap();
    let wrong = FileReport { bytes: 1, ..measured.clone() };
    assert!(b.add_file(streaming, enc.bytes.clone(), wrong, Origin::default()).is_err());
    let checks = b.add_file(streaming, enc.bytes.clone(), measured.clone(), Origin::default()).unwrap();
    assert!(checks.format_ok && checks.ceiling_ok);
    assert!(!checks.length_ok && !checks.loudness_ok);
    assert!(b.add_file(streaming, enc.bytes.clone(), measured.clone(), Origin::default()).is_err(), "added twice");
    let mut unsafe_name = streaming.clone();
    unsafe_name.name = "../evil name.wav".into();
    assert!(b.add_file(&unsafe_name, enc.bytes, measured, Origin::default()).is_err());
    let r = b.report();
    assert!(!r.all_checks_ok);
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("frames")));
    // Bad tags and platforms are refused up front.
    let mut m = meta(true);
    m.tags.isrc = "not an isrc".into();
    assert!(BundleBuilder::new(m).is_err());
    let mut m = meta(true);
    m.platform = "nowhere".into();
    assert!(BundleBuilder::new(m).is_err());
}

#[test]
fn tags_go_into_the_files_unless_asked_not_to() {
    let source = mono_source();
    for tags_in_files in [true, false] {
        let made = make(&source, &meta(tags_in_files), false, false).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(&made.zip)).unwrap();
        for f in &made.report.files {
            let mut bytes = Vec::new();
            std::io::copy(&mut z.by_name(&f.name).unwrap(), &mut bytes).unwrap();
            let has_info = bytes.windows(4).any(|w| w == b"INFO");
            assert_eq!(has_info, tags_in_files, "{}", f.name);
        }
        assert_eq!(made.report.tags_in_files, tags_in_files);
        // The report names the tags either way.
        assert_eq!(made.report.tags.title, "Song");
    }
    // Tags are validated and normalised by the delivery stage's rules.
    let t = Tags { isrc: "gb-aye-26-00001".into(), ..Default::default() };
    assert_eq!(t.validated().unwrap().isrc, "GBAYE2600001");
}

#[test]
fn the_artists_dither_setting_decides_the_24_bit_files_and_16_bit_ones_are_always_dithered() {
    let source = mono_source();
    let on = make(&source, &meta(true), false, false).unwrap();
    let mut m = meta(true);
    m.settings.output.dither = false;
    let off = make(&source, &m, false, false).unwrap();
    let sum = |r: &BundleReport, role: Role| r.files.iter().find(|f| f.role == role).unwrap().measured.sha256.clone();
    assert_ne!(sum(&on.report, Role::Streaming), sum(&off.report, Role::Streaming));
    assert_eq!(sum(&on.report, Role::Cd), sum(&off.report, Role::Cd));
    // The masters themselves are rendered without the chain's dither.
    for f in &on.report.files {
        assert!(!f.settings.unwrap().output.dither, "{}", f.name);
    }
}

/// What the delivery measured while writing each file is what the file's
/// bytes measure when `hound` decodes them again: every figure, to the bit.
#[test]
fn the_figures_measured_while_writing_are_those_of_the_decoded_bytes() {
    let x = programme(48_000 * 6, 48_000.0, 5);
    let stereo = Source { channels: Arc::new(x.to_vec()), sample_rate: 48_000, report: None };
    for (source, loud) in [(stereo, true), (mono_source(), false)] {
        let made = make(&source, &meta(true), loud, false).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(made.zip)).unwrap();
        assert_eq!(made.report.files.len(), if loud { 3 } else { 2 });
        for f in &made.report.files {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut z.by_name(&f.name).unwrap(), &mut bytes).unwrap();
            let decoded = FileReport::measure(&bytes).unwrap();
            assert_eq!(f.measured, decoded, "{}", f.name);
            assert_eq!(f.measured.momentary_curve, decoded.momentary_curve, "{}", f.name);
            assert_eq!(f.measured.short_term_curve, decoded.short_term_curve, "{}", f.name);
        }
    }
}
