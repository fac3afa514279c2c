//! The default chain over N seconds (default 10) of the benchmark's dense
//! programme, in 4096-frame blocks, for profilers and quick A/B timing:
//! prints × realtime and a hash of the output.
//!
//!     cargo build --release -p lacquer-dsp --example chain_prof
//!     target/release/examples/chain_prof 60
//!     valgrind --tool=callgrind target/release/examples/chain_prof 5
//!
//! `ABL=comp|schp|peak|eq|dither|dc|stereo` changes one setting (bypass, no
//! side-chain high-pass, peak detection, ...) to see what a module costs.
use lacquer_dsp::{Master, Settings};
fn main() {
    let fs = 48_000.0;
    let n = (fs as usize) * std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let mut s: u32 = 1;
    let mut rnd = move || { s ^= s << 13; s ^= s >> 17; s ^= s << 5; s as f64 / u32::MAX as f64 * 2.0 - 1.0 };
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / fs;
        let beat = (t * 2.0).fract();
        let kick = (2.0 * std::f64::consts::PI * 55.0 * t).sin() * (-beat * 10.0).exp();
        let nz = rnd() * 0.2;
        l.push((0.6 * kick + nz + 0.1 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as f32);
        r.push((0.6 * kick - nz + 0.1 * (2.0 * std::f64::consts::PI * 660.0 * t).sin()) as f32);
    }
    let mut st = Settings::default();
    match std::env::var("ABL").unwrap_or_default().as_str() {
        "comp" => st.compressor.bypass = true,
        "schp" => st.compressor.sidechain_hpf_hz = 0.0,
        "peak" => st.compressor.detector = lacquer_dsp::settings::Detector::Peak,
        "eq" => st.eq.bypass = true,
        "dither" => st.output.dither = false,
        "dc" => st.output.dc_remove = false,
        "stereo" => st.stereo.bypass = true,
        "lim" => st.limiter.bypass = true,
        _ => {}
    }
    let mut m = Master::new(st);
    m.prepare(fs, 4096);
    let t0 = std::time::Instant::now();
    for (a, b) in l.chunks_mut(4096).zip(r.chunks_mut(4096)) { m.process(a, b); }
    let el = t0.elapsed().as_secs_f64();
    let h = l.iter().chain(r.iter()).fold(0u64, |h, v| h.wrapping_mul(1099511628211) ^ v.to_bits() as u64);
    eprintln!("{:.0}x realtime, hash {h:016x}", n as f64 / fs / el);
}
