//! The worker's wasm build analyses and previews exactly as the native code
//! does: builds lacquer-dsp for wasm32-unknown-unknown with SIMD (as Trunk's
//! hook does), runs it under Node through the worker's C-ABI, and compares
//! the true peak (overall and every 100 ms), the loudness curves and the
//! waveform queries with the native `Analyzer` and preview. The true-peak
//! interpolator has its own SIMD128 path in wasm: these must match to the
//! bit. Missing Node or wasm target is a failure, not a skip.

mod common;

use common::*;
use lacquer_dsp::analysis::Analysis;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::session::export::Export;
use lacquer_dsp::session::Session;
use lacquer_dsp::Settings;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds the DSP wasm as Trunk.toml's hook does (SIMD on), into the same
/// directory as the chain's parity test.
fn build_wasm() -> PathBuf {
    let root = workspace_root();
    let target_dir = root.join("target/wasm-parity");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "-p", "lacquer-dsp", "--lib", "--release", "--features", "worklet"])
        .args(["--config", r#"target.wasm32-unknown-unknown.rustflags=["-Ctarget-feature=+simd128"]"#])
        .args(["--target", "wasm32-unknown-unknown", "--target-dir"])
        .arg(&target_dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building lacquer-dsp for wasm32-unknown-unknown failed");
    target_dir.join("wasm32-unknown-unknown/release/lacquer_dsp.wasm")
}

/// `json`'s value at `path` (keys separated by '/').
fn at<'a>(json: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.split('/').fold(json, |v, k| &v[k])
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

#[test]
fn wasm_worker_analysis_matches_native() {
    let wasm = build_wasm();
    let dir = std::env::temp_dir().join(format!("lacquer-analysis-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sr = 44_100u32;
    // Programme with overs (inter-sample peaks past full scale) and quiet
    // stretches, so that the interpolator both runs and skips.
    let mut x = programme(sr as usize * 12, sr as f64, 5);
    for c in x.iter_mut() {
        for (i, v) in c.iter_mut().enumerate() {
            *v *= if (i / sr as usize) % 4 == 1 { 0.02 } else { 1.6 };
        }
    }
    let n = x[0].len();
    let input: Vec<u8> = x[0].iter().chain(&x[1]).flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("in.f32"), &input).unwrap();
    let st = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/analysis_wasm_parity.mjs"))
        .arg(&wasm)
        .arg(dir.join("in.f32"))
        .arg(sr.to_string())
        .arg(&dir)
        .status()
        .expect("node runs (install Node.js)");
    assert!(st.success(), "node failed on the wasm build");
    let read = |name: &str| -> serde_json::Value { serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap() };

    // Native: the same session, analysis and preview.
    let mut s = Session::begin(2, n, sr).unwrap();
    for (c, a) in x.iter().enumerate() {
        s.channel_mut(c).unwrap().copy_from_slice(a);
    }
    s.commit(n);
    while !s.analyze(30_000).unwrap() {}
    let mix: Analysis = s.analysis().unwrap().clone();
    let mut e = Export::start_analysis_only(&s, Settings::default(), Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 })).unwrap();
    while !e.step(50_000).done {}
    let master = e.finish().unwrap().analysis.unwrap();

    for (name, native, peaks) in [("summary.json", &mix, "peaks-mix.f32"), ("master.json", &master, "peaks-master.f32")] {
        let wasm = read(name);
        let native_json: serde_json::Value = serde_json::from_str(&native.summary_json(100)).unwrap();
        // The true peak, overall and every 100 ms, and the sample peak: to the bit.
        for key in ["loudness/true_peak_dbtp", "loudness/sample_peak_dbfs", "curves/true_peak_dbtp", "overview"] {
            assert_eq!(at(&wasm, key), at(&native_json, key), "{name}: {key}");
        }
        let tp = at(&wasm, "loudness/true_peak_dbtp").as_f64().unwrap();
        assert!(if name == "summary.json" { tp > 0.0 } else { tp <= -1.0 }, "{name}: overs in the mix, none in the master ({tp})");
        // Loudness (ebur128's own log10 may round differently in wasm's std).
        let ticks = |j: &serde_json::Value| -> Vec<f64> {
            at(j, "curves/tick_lufs").as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
        };
        let (w, nat) = (ticks(&wasm), ticks(&native_json));
        assert_eq!(w.len(), nat.len());
        assert!(w.iter().zip(&nat).all(|(a, b)| (a - b).abs() <= 0.01), "{name}: tick loudness");
        let i = |j: &serde_json::Value| at(j, "loudness/integrated_lufs").as_f64().unwrap();
        assert!((i(&wasm) - i(&native_json)).abs() < 1e-9, "{name}");
        // The waveform query.
        let got = f32s(&std::fs::read(dir.join(peaks)).unwrap());
        assert_eq!(got, native.peaks.columns(0, n, 500), "{name}: lqs_peaks");
    }
    std::fs::remove_dir_all(&dir).ok();
}
