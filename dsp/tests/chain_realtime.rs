//! Real-time safety and determinism of the whole chain: no allocation in
//! `process`/`reset`/`set_settings`, block-size invariance, NaN/Inf recovery, and
//! no subnormal numbers left in state after long silence.

mod common;

use common::*;
use lacquer_dsp::{Master, Settings};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread while counting is on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(|c| c.get())
}

fn run(settings: &Settings, x: &[Vec<f32>; 2], fs: f64, block: usize) -> [Vec<f32>; 2] {
    let mut m = Master::new(*settings);
    m.prepare(fs, block.min(4096));
    let mut l = x[0].clone();
    let mut r = x[1].clone();
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        m.process(a, b);
    }
    [l, r]
}

#[test]
fn process_reset_and_settings_changes_never_allocate() {
    let fs = 48_000.0;
    let x = programme(48_000, fs, 1);
    for settings in [Settings::default(), busy_settings()] {
        let mut m = Master::new(settings);
        m.prepare(fs, 128);
        let mut l = x[0].clone();
        let mut r = x[1].clone();
        let mut other = busy_settings();
        other.stereo.width_pct = 60.0;
        other.compressor.mode = lacquer_dsp::settings::CompressorMode::Single;
        let n = allocations_in(|| {
            for (i, (a, b)) in l.chunks_mut(128).zip(r.chunks_mut(128)).enumerate() {
                if i == 100 {
                    m.set_settings(&other);
                }
                if i == 200 {
                    m.reset();
                }
                m.process(a, b);
                let _ = m.meters();
            }
        });
        assert_eq!(n, 0, "process/reset/set_settings allocated {n} times");
    }
}

#[test]
fn output_is_identical_for_any_block_size() {
    let fs = 44_100.0;
    let x = programme(44_100 * 2, fs, 2);
    for settings in [Settings::default(), busy_settings()] {
        let whole = run(&settings, &x, fs, x[0].len());
        for block in [1, 7, 128, 4096] {
            let y = run(&settings, &x, fs, block);
            assert!(y == whole, "block size {block} changed the output");
        }
    }
}

#[test]
fn nan_and_inf_are_replaced_and_the_chain_recovers_within_a_block() {
    let fs = 48_000.0;
    let x = programme(48_000, fs, 3);
    let mut bad = x.clone();
    let mut zeroed = x.clone();
    for &i in &[1000usize, 1001, 5000, 20_000] {
        bad[0][i] = f32::NAN;
        bad[1][i] = if i % 2 == 0 { f32::INFINITY } else { f32::NEG_INFINITY };
        zeroed[0][i] = 0.0;
        zeroed[1][i] = 0.0;
    }
    // A whole block of NaN too.
    for i in 30_000..30_128 {
        bad[0][i] = f32::NAN;
        bad[1][i] = f32::NAN;
        zeroed[0][i] = 0.0;
        zeroed[1][i] = 0.0;
    }
    let s = busy_settings();
    let y = run(&s, &bad, fs, 128);
    assert!(y.iter().flatten().all(|v| v.is_finite()), "non-finite output");
    // Exactly what the chain gives with zeros in place of the bad samples: nothing
    // poisoned any state, so it has recovered by the next block.
    let want = run(&s, &zeroed, fs, 128);
    assert!(y == want, "bad samples left a trace beyond being treated as silence");
}

#[test]
fn long_silence_after_loud_material_leaves_no_subnormals() {
    let fs = 48_000.0;
    for settings in [Settings::default(), busy_settings()] {
        let mut m = Master::new(settings);
        m.prepare(fs, 128);
        let loud = white(96_000, 1.0, 4);
        let (mut l, mut r) = (loud[0].clone(), loud[1].clone());
        m.process(&mut l, &mut r);
        let mut zl = vec![0.0f32; 128];
        let mut zr = vec![0.0f32; 128];
        for _ in 0..(10 * 48_000 / 128) {
            zl.iter_mut().for_each(|v| *v = 0.0);
            zr.iter_mut().for_each(|v| *v = 0.0);
            m.process(&mut zl, &mut zr);
        }
        assert!(m.state_is_clean(), "subnormal numbers in chain state after 10 s of silence");
        assert!(zl.iter().chain(&zr).all(|v| *v == 0.0 || v.is_normal()), "subnormal output");
    }
}

#[test]
fn mono_material_stays_identical_in_both_channels_before_dither() {
    let fs = 48_000.0;
    let x = programme(48_000, fs, 6);
    let mono = [x[0].clone(), x[0].clone()];
    let mut s = busy_settings();
    s.output.dither = false;
    let y = run(&s, &mono, fs, 128);
    assert!(y[0] == y[1], "identical channels must stay identical");
}
