//! Throughput of each chain module and of the whole chain, as × realtime for
//! 48 kHz stereo on one core. Run: `cargo bench -p lacquer-dsp --bench chain`.

use lacquer_dsp::chain::compressor::Compressor;
use lacquer_dsp::chain::eq::Eq;
use lacquer_dsp::chain::limiter::Limiter;
use lacquer_dsp::chain::output::Output;
use lacquer_dsp::chain::stereo::Stereo;
use lacquer_dsp::settings::{CompressorMode, Slope};
use lacquer_dsp::{Master, Settings};
use std::hint::black_box;
use std::time::Instant;

#[path = "common/programme.rs"]
mod programme;

const FS: f64 = 48_000.0;
const SECONDS: usize = 60;

/// Median × realtime of `runs` runs of `f` over the signal.
fn measure(name: &str, runs: usize, mut f: impl FnMut() -> f64) {
    let mut xs: Vec<f64> = (0..runs).map(|_| f()).collect();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = xs[runs / 2];
    println!("{name:<34} {:>8.0}× realtime  (median of {runs}; {:.1} ms per minute of audio)", med, 60_000.0 / med);
}

fn module_bench<M>(sig: &(Vec<f32>, Vec<f32>), m: &mut M, mut process: impl FnMut(&mut M, &mut [f64], &mut [f64])) -> f64 {
    let n = sig.0.len();
    let start = Instant::now();
    let mut l = [0.0f64; 32];
    let mut r = [0.0f64; 32];
    for pos in (0..n).step_by(32) {
        let k = 32.min(n - pos);
        for i in 0..k {
            l[i] = sig.0[pos + i] as f64;
            r[i] = sig.1[pos + i] as f64;
        }
        process(m, &mut l[..k], &mut r[..k]);
        black_box(&l);
    }
    SECONDS as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let sig = programme::dense_programme(FS, FS as usize * SECONDS);
    let s = Settings::default();
    let mut busy = s;
    busy.eq.highpass_slope = Slope::Db24;
    busy.eq.low_shelf.gain_db = 2.0;
    busy.eq.peaks[0].gain_db = -2.0;
    busy.eq.peaks[1].gain_db = 1.0;
    busy.eq.peaks[2].gain_db = 2.0;
    busy.eq.high_shelf.gain_db = 1.0;
    busy.eq.tilt_db = 1.0;
    busy.stereo.width_pct = 130.0;
    busy.stereo.mono_bass_enabled = true;
    let runs = 5;
    println!("48 kHz stereo, {SECONDS} s of dense programme, one core\n");
    measure("EQ (default: high-pass only)", runs, || {
        let mut eq = Eq::new();
        eq.prepare(FS, &s.eq);
        module_bench(&sig, &mut eq, |m, l, r| m.process(l, r, 0))
    });
    measure("EQ (all bands + tilt)", runs, || {
        let mut eq = Eq::new();
        eq.prepare(FS, &busy.eq);
        module_bench(&sig, &mut eq, |m, l, r| m.process(l, r, 0))
    });
    measure("Compressor (single, RMS)", runs, || {
        let mut c = Compressor::new();
        c.prepare(FS, &s.compressor);
        module_bench(&sig, &mut c, |m, l, r| m.process(l, r, 0))
    });
    let mut mb = s.compressor;
    mb.mode = CompressorMode::Multiband;
    measure("Compressor (three band)", runs, || {
        let mut c = Compressor::new();
        c.prepare(FS, &mb);
        module_bench(&sig, &mut c, |m, l, r| m.process(l, r, 0))
    });
    measure("Stereo (width + mono bass)", runs, || {
        let mut st = Stereo::new();
        st.prepare(FS, &busy.stereo);
        module_bench(&sig, &mut st, |m, l, r| m.process(l, r, 0))
    });
    let mut hot = s.limiter;
    hot.ceiling_dbtp = -6.0;
    measure("Limiter (true peak, limiting hard)", runs, || {
        let mut lim = Limiter::new();
        lim.prepare(FS, &hot);
        module_bench(&sig, &mut lim, |m, l, r| m.process(l, r, 0))
    });
    measure("Output (gain + TPDF dither)", runs, || {
        let mut o = Output::new();
        o.prepare(FS, &s.output);
        module_bench(&sig, &mut o, |m, l, r| m.process(l, r, 0))
    });
    for (name, settings) in [("Full chain (default settings)", s), ("Full chain (every module busy)", busy)] {
        measure(name, runs, || {
            let mut m = Master::new(settings);
            m.prepare(FS, 128);
            let (mut l, mut r) = (sig.0.clone(), sig.1.clone());
            let start = Instant::now();
            for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
                m.process(a, b);
            }
            black_box(&l);
            SECONDS as f64 / start.elapsed().as_secs_f64()
        });
    }
}
