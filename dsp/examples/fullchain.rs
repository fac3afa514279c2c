use lacquer_dsp::{Master, Settings};
fn main() {
    let fs = 48_000.0; let n = 48_000 * 60;
    let mut s: u32 = 1;
    let mut rnd = move || { s ^= s << 13; s ^= s >> 17; s ^= s << 5; s as f64 / u32::MAX as f64 * 2.0 - 1.0 };
    let (mut l0, mut r0) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / fs; let beat = (t * 2.0f64).fract();
        let kick = (2.0 * std::f64::consts::PI * 55.0 * t).sin() * (-beat * 10.0).exp();
        let nz = rnd() * 0.2;
        l0.push((0.6 * kick + nz + 0.1 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as f32);
        r0.push((0.6 * kick - nz + 0.1 * (2.0 * std::f64::consts::PI * 660.0 * t).sin()) as f32);
    }
    for _ in 0..5 {
        let mut m = Master::new(Settings::default()); m.prepare(fs, 128);
        let (mut l, mut r) = (l0.clone(), r0.clone());
        let t = std::time::Instant::now();
        for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) { m.process(a, b); }
        std::hint::black_box(&l);
        eprintln!("{:.0}x", 60.0 / t.elapsed().as_secs_f64());
    }
}
