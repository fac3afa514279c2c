//! Timings of the delivery stage alone (no mastering) on a WAV file named by
//! `LACQUER_BENCH_WAV`, for BENCHMARKS.md. Ignored by default:
//!
//! ```sh
//! LACQUER_BENCH_WAV=song.wav cargo test --release -p lacquer-dsp --test delivery_speed -- --ignored --nocapture
//! ```

use lacquer_dsp::delivery::resample::Converter;
use lacquer_dsp::delivery::{DeliverySpec, Delivery, DitherSpec, Format, Rate, Tags};
use std::time::Instant;

#[test]
#[ignore]
fn delivery_stage_timings() {
    let path = std::env::var("LACQUER_BENCH_WAV").expect("set LACQUER_BENCH_WAV to a WAV file");
    let audio = lacquer_dsp::wav::read(&std::fs::read(&path).unwrap()).unwrap();
    let (x, fs) = (audio.channels, audio.sample_rate);
    let n = x[0].len();
    println!("{path}: {} ch, {n} frames, {fs} Hz", x.len());
    let piece = 1 << 15;
    let to = if fs == 44_100 { 48_000 } else { 44_100 };
    let t = Instant::now();
    let mut c = Converter::new(x.len(), n, fs, to);
    let mut out = 0;
    for at in (0..n).step_by(piece) {
        let e = (at + piece).min(n);
        let p: Vec<&[f32]> = x.iter().map(|ch| &ch[at..e]).collect();
        c.push(&p, &mut |o| out += o[0].len());
    }
    println!("rate conversion {fs} → {to} alone: {:.3} s ({out} frames)", t.elapsed().as_secs_f64());
    for (format, rate) in [
        (Format::Wav24, Rate::Source),
        (Format::Wav16, Rate::Source),
        (Format::Wav32f, Rate::Source),
        (Format::Flac16, Rate::Source),
        (Format::Flac24, Rate::Source),
        (Format::Flac16, Rate::Hz(to)),
    ] {
        let t = Instant::now();
        let spec = DeliverySpec { format, rate, tags: Tags::default() };
        let mut d = Delivery::new(spec, x.len(), n, fs, Some(-1.0), DitherSpec::default(), usize::MAX).unwrap();
        let mut bytes = 0;
        for at in (0..n).step_by(piece) {
            let e = (at + piece).min(n);
            let p: Vec<&[f32]> = x.iter().map(|ch| &ch[at..e]).collect();
            d.push(&p).unwrap();
            bytes += d.take_bytes().len();
        }
        let pushed = t.elapsed().as_secs_f64();
        while !d.step(1 << 20).unwrap() {
            bytes += d.take_bytes().len();
        }
        bytes += d.take_bytes().len();
        let done = d.finish().unwrap();
        bytes += done.tail.len();
        println!(
            "{} {:?}: {:.3} s (input {:.3} s), {bytes} bytes, {} checks",
            format.name(),
            rate,
            t.elapsed().as_secs_f64(),
            pushed,
            done.measured.checks
        );
    }
}
