//! Native and wasm builds give identical output: builds lacquer-dsp for
//! wasm32-unknown-unknown (as the AudioWorklet ships it), runs it under Node
//! through the worklet's C-ABI, and compares bit for bit with the native chain.
//! Missing Node or wasm target is a failure, not a skip.

mod common;

use common::*;
use lacquer_dsp::{Master, Settings};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds the worklet wasm exactly as Trunk.toml's hook does (SIMD on), into its
/// own target dir (so this never waits on the build lock of the `cargo test`
/// that runs it).
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

/// The native chain's output (planar), and its latency in frames.
fn native(settings: &Settings, x: &[Vec<f32>; 2], fs: f64) -> (Vec<f32>, usize) {
    let mut m = Master::new(*settings);
    m.prepare(fs, 128);
    let latency = m.latency_samples();
    let (mut l, mut r) = (x[0].clone(), x[1].clone());
    for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
        m.process(a, b);
    }
    (l.into_iter().chain(r).collect(), latency)
}

#[test]
fn wasm_build_matches_native_bit_for_bit() {
    let wasm = build_wasm();
    let dir = std::env::temp_dir().join(format!("lacquer-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fs = 44_100.0;
    let x = programme(44_100 * 3, fs, 21);
    let input: Vec<u8> = x[0].iter().chain(&x[1]).flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("in.f32"), &input).unwrap();
    let mut hot = busy_settings();
    hot.input_gain_db = 12.0; // drive the limiter hard
    for (name, settings) in [("default", Settings::default()), ("busy", busy_settings()), ("hot", hot)] {
        std::fs::write(dir.join("settings.json"), settings.to_json()).unwrap();
        let out = dir.join(format!("out-{name}.f32"));
        let st = Command::new("node")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasm_parity.mjs"))
            .arg(&wasm)
            .arg(dir.join("in.f32"))
            .arg(dir.join("settings.json"))
            .arg(fs.to_string())
            .arg(&out)
            .status()
            .expect("node runs (install Node.js)");
        assert!(st.success(), "node failed on the wasm build");
        let got: Vec<f32> = std::fs::read(&out)
            .unwrap()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let (want, chain_latency) = native(&settings, &x, fs);
        assert_eq!(got.len(), want.len());
        // The worklet's output comes after its monitor, a fixed delay past
        // the chain (the platform limiter's lookahead, on or off): line the
        // two up by it, channel by channel.
        let engine_latency: usize = std::fs::read_to_string(out.with_extension("f32.latency")).unwrap().trim().parse().unwrap();
        let d = engine_latency - chain_latency;
        let n = x[0].len();
        for ch in 0..2 {
            let (g, w) = (&got[ch * n + d..(ch + 1) * n], &want[ch * n..(ch + 1) * n - d]);
            let diff = g.iter().zip(w).position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(diff, None, "{name}: wasm and native differ first at sample {diff:?} of channel {ch}");
        }
        assert!(want.iter().any(|v| v.abs() > 0.1), "{name}: not silent");
    }
    std::fs::remove_dir_all(&dir).ok();
}
