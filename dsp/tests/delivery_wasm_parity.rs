//! The worker's wasm build writes the same release files as the native
//! code: builds lacquer-dsp for wasm32-unknown-unknown with SIMD (as Trunk's
//! hook does), exports a file in every format, at the source rate and
//! converted to 44.1 kHz, under Node through `lqs_export_start`, and compares
//! the bytes with the native [`Export`]'s, to the byte (rate conversion,
//! dither, the true-peak check and the FLAC frames included; the FLAC header
//! patch is not part of the worker's stream, so neither side applies it).
//! No loudness target: the chain renders once, so the comparison is of the
//! delivery stage, in every format (24-bit FLAC included: its LPC window is
//! rectangular so that no platform maths enters its coefficients).
//! Missing Node or the wasm target is a failure, not a skip.

mod common;

use lacquer_dsp::delivery::{DeliverySpec, Format, Rate, Tags};
use lacquer_dsp::session::export::Export;
use lacquer_dsp::session::Session;
use lacquer_dsp::Settings;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds the DSP wasm as Trunk.toml's hook does (SIMD on).
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

#[test]
fn wasm_worker_writes_the_native_files() {
    let wasm = build_wasm();
    let dir = std::env::temp_dir().join(format!("lacquer-delivery-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sr = 48_000u32;
    let x = common::programme(sr as usize * 3 + 777, sr as f64, 11);
    let n = x[0].len();
    let input: Vec<u8> = x[0].iter().chain(&x[1]).flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("in.f32"), &input).unwrap();
    let st = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/delivery_wasm_parity.mjs"))
        .arg(&wasm)
        .arg(dir.join("in.f32"))
        .arg(sr.to_string())
        .arg(&dir)
        .status()
        .expect("node runs (install Node.js)");
    assert!(st.success(), "node failed on the wasm build");

    let mut s = Session::begin(2, n, sr).unwrap();
    for (c, a) in x.iter().enumerate() {
        s.channel_mut(c).unwrap().copy_from_slice(a);
    }
    s.commit(n);
    while !s.analyze(30_000).unwrap() {}
    let tags = Tags { title: "T".into(), isrc: "GB-AYE-26-00001".into(), ..Tags::default() };
    for (code, format) in Format::ALL.into_iter().enumerate() {
        for to in [0u32, 44_100] {
            let rate = if to == 0 { Rate::Source } else { Rate::Hz(to) };
            let spec = DeliverySpec { format, rate, tags: tags.clone() };
            let mut e = Export::start(&s, Settings::default(), None, spec).unwrap();
            let mut native = Vec::new();
            while !e.step(50_000).done {
                native.extend(e.take_bytes());
            }
            native.extend(e.take_bytes());
            native.extend(e.finish().unwrap().tail);
            let wasm = std::fs::read(dir.join(format!("{code}-{to}.bin"))).unwrap();
            assert_eq!(wasm.len(), native.len(), "{format:?} {rate:?}: length");
            let first = wasm.iter().zip(&native).position(|(a, b)| a != b);
            assert!(first.is_none(), "{format:?} {rate:?}: the wasm file differs from byte {first:?}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
