//! The default chain over N seconds (default 10) of the benchmark's dense
//! programme, in 4096-frame blocks, for profilers and quick A/B timing:
//! prints × realtime and a hash of the output.
//!
//!     cargo build --release -p lacquer-dsp --example chain_prof
//!     target/release/examples/chain_prof 60
//!     valgrind --tool=callgrind target/release/examples/chain_prof 5
//!
//! `ABL=comp|schp|peak|eq|dither|dc|stereo|lim|hot` changes one setting (bypass, no
//! side-chain high-pass, peak detection, ...) to see what a module costs.
#[path = "../benches/common/programme.rs"]
mod programme;

use lacquer_dsp::{Master, Settings};
fn main() {
    let fs = 48_000.0;
    let n = (fs as usize) * std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let (mut l, mut r) = programme::dense_programme(fs, n);
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
        "hot" => st.limiter.ceiling_dbtp = -6.0,
        _ => {}
    }
    if let Ok(module) = std::env::var("MODULE") {
        return module_only(&module, &st, &l, &r, fs);
    }
    let mut m = Master::new(st);
    m.prepare(fs, 4096);
    let t0 = std::time::Instant::now();
    for (a, b) in l.chunks_mut(4096).zip(r.chunks_mut(4096)) { m.process(a, b); }
    let el = t0.elapsed().as_secs_f64();
    let h = l.iter().chain(r.iter()).fold(0u64, |h, v| h.wrapping_mul(1099511628211) ^ v.to_bits() as u64);
    eprintln!("{:.0}x realtime, hash {h:016x}", n as f64 / fs / el);
}

/// One module alone over the signal in 32-frame segments (as `benches/chain.rs`
/// runs it): `MODULE=eq|comp|stereo|limiter|output`.
fn module_only(module: &str, st: &Settings, l: &[f32], r: &[f32], fs: f64) {
    use lacquer_dsp::chain::{compressor::Compressor, eq::Eq, limiter::Limiter, output::Output, stereo::Stereo};
    let mut eq = Eq::new();
    let mut comp = Compressor::new();
    let mut stereo = Stereo::new();
    let mut lim = Limiter::new();
    let mut out = Output::new();
    eq.prepare(fs, &st.eq);
    comp.prepare(fs, &st.compressor);
    stereo.prepare(fs, &st.stereo);
    lim.prepare(fs, &st.limiter);
    out.prepare(fs, &st.output);
    let (mut a, mut b) = ([0.0f64; 32], [0.0f64; 32]);
    let mut lanes = [0u64; 8];
    let t0 = std::time::Instant::now();
    for pos in (0..l.len()).step_by(32) {
        let k = 32.min(l.len() - pos);
        for i in 0..k {
            a[i] = l[pos + i] as f64;
            b[i] = r[pos + i] as f64;
        }
        let (x, y) = (&mut a[..k], &mut b[..k]);
        match module {
            "eq" => eq.process(x, y, 0),
            "comp" => comp.process(x, y, 0),
            "stereo" => stereo.process(x, y, 0),
            "limiter" => lim.process(x, y, 0),
            "output" => out.process(x, y, 0),
            _ => panic!("MODULE=eq|comp|stereo|limiter|output"),
        }
        // A checksum cheap enough not to be the bottleneck (lanes of sums).
        for (j, v) in x.iter().chain(y.iter()).enumerate() {
            lanes[j & 7] = lanes[j & 7].wrapping_add(v.to_bits().rotate_left(j as u32));
        }
    }
    let el = t0.elapsed().as_secs_f64();
    let h = lanes.iter().fold(0u64, |h, v| h.wrapping_mul(1099511628211) ^ v);
    eprintln!("{:.0}x realtime, hash {h:016x}", l.len() as f64 / fs / el);
}
