//! The `lacquer` CLI: `master` with default settings and with a settings file,
//! checked against the library it wraps, and clear errors for bad input.

mod common;

use common::*;
use lacquer_dsp::job::MasterJob;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::{wav, Settings};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lacquer");

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lacquer-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn master_applies_a_settings_file_exactly_as_the_library_does() {
    let dir = scratch("settings");
    let fs = 44_100u32;
    let x = programme(44_100 * 4, fs as f64, 8);
    let input = dir.join("in.wav");
    std::fs::write(&input, wav::write_pcm(&[x[0].clone(), x[1].clone()], fs, 24)).unwrap();
    let audio = wav::read(&std::fs::read(&input).unwrap()).unwrap();

    // A partial settings file: everything not named keeps its default.
    let json = r#"{ "eq": { "tilt_db": 2.0, "peaks": [{"freq_hz": 200, "gain_db": -3, "q": 1}, {"freq_hz": 1000, "gain_db": 0, "q": 1}, {"freq_hz": 5000, "gain_db": 2, "q": 0.8}] },
                   "stereo": { "width_pct": 130 }, "output": { "dither": false } }"#;
    let settings_path = dir.join("chain.json");
    std::fs::write(&settings_path, json).unwrap();
    let settings = Settings::from_json(json).unwrap();
    assert_eq!(settings.stereo.width_pct, 130.0);
    assert_eq!(settings.limiter, Settings::default().limiter);

    let out = dir.join("out.wav");
    let st = Command::new(BIN)
        .args(["master"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--settings")
        .arg(&settings_path)
        .output()
        .unwrap();
    assert!(st.status.success(), "lacquer master failed: {}", String::from_utf8_lossy(&st.stderr));
    let want = MasterJob::new(audio.channels.clone(), fs, settings, Some(Target::default())).unwrap().run();
    assert_eq!(std::fs::read(&out).unwrap(), wav::write_pcm(&want.channels, fs, 24), "CLI output differs from the library's");

    // And the settings made a difference against the defaults.
    let out_default = dir.join("out-default.wav");
    let st = Command::new(BIN).arg("master").arg(&input).arg("-o").arg(&out_default).output().unwrap();
    assert!(st.status.success());
    assert_ne!(std::fs::read(&out).unwrap(), std::fs::read(&out_default).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_and_bad_settings_fail_with_a_clear_message() {
    let dir = scratch("errors");
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, b"this is not a wav file").unwrap();
    let out = Command::new(BIN).arg("master").arg(&junk).arg("-o").arg(dir.join("o.wav")).output().unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("junk.wav") && msg.contains("not a readable WAV"), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");

    let fs = 48_000u32;
    let good = dir.join("good.wav");
    std::fs::write(&good, wav::write_pcm(&[vec![0.1; 4800]], fs, 24)).unwrap();
    let bad_settings = dir.join("bad.json");
    std::fs::write(&bad_settings, r#"{ "limiter": { "celing_dbtp": -2 } }"#).unwrap();
    let out = Command::new(BIN)
        .arg("master")
        .arg(&good)
        .arg("-o")
        .arg(dir.join("o.wav"))
        .arg("--settings")
        .arg(&bad_settings)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("celing_dbtp"), "names the unknown field: {msg}");
    std::fs::remove_dir_all(&dir).ok();
}
