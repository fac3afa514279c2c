//! `lacquer bundle` end to end, on a short generated programme at 48 kHz (so
//! the CD master is converted to 44.1 kHz and dithered to 16 bits), with the
//! loud and quiet variants, checked with tools that share no code with
//! Lacquer's writers:
//! - the ZIP: built twice, byte-identical; opened and tested by `unzip -t`
//!   (or Python's `zipfile` when `unzip` is missing), entries sorted, names
//!   safe, dated 1980-01-01 00:00 with `rw-r--r--` permissions;
//! - every SHA-256 in `report.json` against its entry's bytes (Python's
//!   `hashlib`);
//! - every WAV by ffprobe (format tag, rate, bits, channels, length), its
//!   loudness by pyloudnorm (`Meter(rate, filter_class='DeMan')`) within
//!   ±0.02 LU of its target, and its true peak by the tests' own 16×
//!   interpolating meter (f64, sharing no code with the library's) at or
//!   below its ceiling;
//! - `report.json`'s true peaks against that meter too.
//!
//! Needs `ffprobe` and python3 with pyloudnorm, soundfile and numpy
//! (`scripts/install.sh` installs them); a missing tool fails the test with
//! a message saying which.

mod common;

use common::{db, programme, true_peak_16x};
use lacquer_dsp::wav;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_lacquer");
const RATE: u32 = 48_000;
const SECONDS: usize = 10;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lacquer-bundle-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().is_ok_and(|o| o.status.success())
}

fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test (scripts/install.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "python3 failed (it needs pyloudnorm, soundfile and numpy: scripts/install.sh installs them): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The input file, and the bundle made from it twice.
struct Made {
    dir: PathBuf,
    zip: PathBuf,
    again: PathBuf,
}

fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(|| {
        let dir = scratch("release");
        let x = programme(RATE as usize * SECONDS, RATE as f64, 21);
        // Quieter than any target, so every master is raised into its limiter.
        let x: Vec<Vec<f32>> = x.iter().map(|c| c.iter().map(|v| v * 0.5).collect()).collect();
        let input = dir.join("My Song (final mix).wav");
        std::fs::write(&input, wav::write_pcm(&x, RATE, 24)).unwrap();
        let run = |out: &Path| {
            let st = Command::new(BIN)
                .arg("bundle")
                .arg(&input)
                .arg("-o")
                .arg(out)
                .args(["--platform", "spotify", "--loud", "--quiet"])
                .args(["--artist", "Lacquer Test", "--title", "Über Song", "--album", "Tests", "--year", "2026"])
                .args(["--isrc", "GB-AYE-26-00001"])
                .output()
                .unwrap();
            assert!(st.status.success(), "lacquer bundle failed: {}", String::from_utf8_lossy(&st.stderr));
        };
        let (zip, again) = (dir.join("release.zip"), dir.join("again.zip"));
        run(&zip);
        run(&again);
        let files = dir.join("files");
        std::fs::create_dir_all(&files).unwrap();
        python("import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", &[&zip, &files]);
        Made { dir, zip, again }
    })
}

fn report() -> Value {
    serde_json::from_slice(&std::fs::read(made().dir.join("files/report.json")).unwrap()).unwrap()
}

fn entry(name: &str) -> PathBuf {
    made().dir.join("files").join(name)
}

#[test]
fn the_same_input_gives_the_same_zip() {
    let m = made();
    assert_eq!(std::fs::read(&m.zip).unwrap(), std::fs::read(&m.again).unwrap(), "two runs gave different ZIPs");
}

#[test]
fn the_zip_opens_elsewhere_with_sorted_safe_dated_entries() {
    let m = made();
    if have("unzip") {
        let out = Command::new("unzip").arg("-t").arg(&m.zip).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("No errors detected"), "unzip -t: {text}");
    } else {
        let bad = python("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())", &[&m.zip]);
        assert_eq!(bad.trim(), "None", "zipfile found a bad entry");
    }
    let listing = python(
        "import sys, zipfile\n\
         for i in zipfile.ZipFile(sys.argv[1]).infolist():\n\
         \x20   print(i.filename, i.date_time, oct(i.external_attr >> 16), i.compress_type)",
        &[&m.zip],
    );
    let rows: Vec<&str> = listing.lines().collect();
    let names: Vec<&str> = rows.iter().map(|r| r.split(' ').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Lacquer-Test-Uber-Song_cd_16bit_44k1.wav",
            "Lacquer-Test-Uber-Song_loud_24bit_48k.wav",
            "Lacquer-Test-Uber-Song_quiet_24bit_48k.wav",
            "Lacquer-Test-Uber-Song_streaming_24bit_48k.wav",
            "report.html",
            "report.json",
        ]
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries not sorted by name");
    for r in &rows {
        let name = r.split(' ').next().unwrap();
        let (stem, ext) = name.rsplit_once('.').unwrap();
        assert!(stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "unsafe name {name}");
        assert!(ext.chars().all(|c| c.is_ascii_alphanumeric()), "unsafe extension {name}");
        assert!(r.contains("(1980, 1, 1, 0, 0, 0)"), "not dated at the ZIP epoch: {r}");
        assert!(r.contains(" 0o100644 ") || r.contains(" 0o644 "), "permissions: {r}");
        assert!(r.ends_with(" 0"), "not Stored: {r}");
    }
}

#[test]
fn every_checksum_in_the_report_is_its_entrys() {
    let r = report();
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let sum = python(
            "import sys, hashlib; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
            &[&entry(name)],
        );
        assert_eq!(f["measured"]["sha256"].as_str().unwrap(), sum.trim(), "{name}");
        assert_eq!(f["measured"]["bytes"].as_u64().unwrap(), std::fs::metadata(entry(name)).unwrap().len(), "{name}");
    }
    assert_eq!(r["all_checks_ok"], Value::Bool(true), "{:#}", r["warnings"]);
    assert_eq!(r["version"].as_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(r["source"].as_str().unwrap(), "My Song (final mix).wav");
    assert_eq!(r["tags"]["isrc"].as_str().unwrap(), "GBAYE2600001");
    assert_eq!(r["files"][0]["platforms"].as_array().unwrap().len(), lacquer_dsp::loudness::platforms::PLATFORMS.len());
    let html = std::fs::read_to_string(entry("report.html")).unwrap();
    for f in files {
        assert!(html.contains(f["measured"]["sha256"].as_str().unwrap()));
    }
    assert!(html.contains("<svg") && html.contains("Spotify (Loud)") && !html.contains("<script"));
}

/// Decodes an integer PCM WAV with `hound`, scaled by 2^(bits − 1) (as
/// libsndfile and ffmpeg scale it).
fn decode(path: &Path) -> Vec<Vec<f32>> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f64;
    let ch = spec.channels as usize;
    let mut out = vec![Vec::new(); ch];
    for (i, s) in r.samples::<i32>().enumerate() {
        out[i % ch].push((s.unwrap() as f64 * scale) as f32);
    }
    out
}

/// What ffprobe says of a file's first stream.
fn probe(path: &Path) -> Value {
    assert!(have("ffprobe"), "ffprobe is needed for this test (apt-get install ffmpeg; scripts/install.sh does)");
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-count_packets", "-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"][0].clone()
}

#[test]
fn every_wav_has_its_format_loudness_and_ceiling() {
    let r = report();
    let frames = (RATE as usize * SECONDS) as u64;
    for f in r["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let path = entry(name);
        let cd = name.contains("_cd_");
        // 10 s: 480 000 frames at 48 kHz, 441 000 at 44.1 kHz.
        let (rate, bits, n) = if cd { (44_100u64, 16u64, frames * 441 / 480) } else { (48_000, 24, frames) };
        // ffprobe: the WAVE format tag 1 (integer PCM), rate, bits, channels, length.
        let s = probe(&path);
        assert_eq!(s["codec_tag"].as_str().unwrap(), "0x0001", "{name}: format tag");
        assert_eq!(s["codec_name"].as_str().unwrap(), if cd { "pcm_s16le" } else { "pcm_s24le" }, "{name}");
        assert_eq!(s["sample_rate"].as_str().unwrap(), rate.to_string(), "{name}");
        assert_eq!(s["bits_per_sample"].as_u64().unwrap(), bits, "{name}");
        assert_eq!(s["channels"].as_u64().unwrap(), 2, "{name}");
        assert_eq!(s["duration_ts"].as_u64().unwrap(), n, "{name}: length");
        // pyloudnorm: within 0.02 LU of the target.
        let target = f["target_lufs"].as_f64().unwrap();
        let lufs: f64 = python(
            "import sys, soundfile as sf, pyloudnorm as pyln\n\
             x, fs = sf.read(sys.argv[1])\n\
             print(pyln.Meter(fs, filter_class='DeMan').integrated_loudness(x))",
            &[&path],
        )
        .trim()
        .parse()
        .unwrap();
        eprintln!("{name}: pyloudnorm {lufs:.4} LUFS (target {target})");
        assert!((lufs - target).abs() <= 0.02, "{name}: {lufs:.4} LUFS by pyloudnorm, target {target}");
        // The tests' 16× meter over the whole file, silence around it.
        let tp = decode(&path)
            .iter()
            .map(|c| {
                let mut padded = vec![0.0f32; 128];
                padded.extend_from_slice(c);
                padded.extend_from_slice(&[0.0; 128]);
                true_peak_16x(&padded, 0)
            })
            .fold(0.0, f64::max);
        let ceiling = f["ceiling_dbtp"].as_f64().unwrap();
        let reported = f["measured"]["true_peak_dbtp"].as_f64().unwrap();
        eprintln!("{name}: 16x true peak {:.4} dBTP (report {reported:.4}), ceiling {ceiling}", db(tp));
        assert!(db(tp) <= ceiling, "{name}: true peak {:.4} dBTP over the {ceiling} dBTP ceiling", db(tp));
        assert!((db(tp) - reported).abs() < 0.005, "{name}: report says {reported} dBTP, the tests' meter {}", db(tp));
        assert_eq!(f["measured"]["frames"].as_u64().unwrap(), n, "{name}");
    }
}
