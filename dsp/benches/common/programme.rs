//! The benchmarks' test programme, shared by `benches/chain.rs` and
//! `examples/chain_prof.rs` (and written out again in JavaScript in
//! `benches/wasm_bench.mjs`): 48 kHz-style stereo of a 2 Hz kick, seeded noise
//! and two tones, dense and loud enough that the limiter works on most of it.

/// `frames` frames of the programme at `fs` Hz, left and right.
pub fn dense_programme(fs: f64, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let mut s: u32 = 1;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as f64 / u32::MAX as f64 * 2.0 - 1.0
    };
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    for i in 0..frames {
        let t = i as f64 / fs;
        let beat = (t * 2.0).fract();
        let kick = (2.0 * std::f64::consts::PI * 55.0 * t).sin() * (-beat * 10.0).exp();
        let nz = rnd() * 0.2;
        l.push((0.6 * kick + nz + 0.1 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as f32);
        r.push((0.6 * kick - nz + 0.1 * (2.0 * std::f64::consts::PI * 660.0 * t).sin()) as f32);
    }
    (l, r)
}
