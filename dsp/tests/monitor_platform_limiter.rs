//! The platform playback limiter (the monitor's model of Spotify Loud's):
//! no sample over its threshold on hard material, a pure delay when idle,
//! click-free switching, block-size invariance, and no allocation after
//! `prepare`.

mod common;

use common::*;
use lacquer_dsp::chain::platform_limiter::PlatformLimiter;
use lacquer_dsp::loudness::platforms::SPOTIFY_LOUD_LIMITER as SPOTIFY;
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

fn spotify(fs: f64) -> PlatformLimiter {
    let mut pl = PlatformLimiter::new();
    pl.prepare(fs, SPOTIFY.attack_ms);
    assert!(pl.set(true, SPOTIFY.threshold_dbfs, SPOTIFY.attack_ms, SPOTIFY.release_ms));
    pl
}

fn run(pl: &mut PlatformLimiter, x: &[Vec<f32>; 2], block: usize) -> [Vec<f32>; 2] {
    let (mut l, mut r) = (x[0].clone(), x[1].clone());
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        pl.process(a, b);
    }
    [l, r]
}

fn gained(x: &[Vec<f32>; 2], db: f64) -> [Vec<f32>; 2] {
    let g = 10f64.powf(db / 20.0);
    [x[0].iter().map(|v| (*v as f64 * g) as f32).collect(), x[1].iter().map(|v| (*v as f64 * g) as f32).collect()]
}

#[test]
fn no_sample_over_the_threshold_on_hard_material() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let n = fs as usize * 4;
        let thr = 10f32.powf(SPOTIFY.threshold_dbfs as f32 / 20.0);
        for (name, x) in [
            ("drums +12 dB", gained(&drums(n, fs, 0.9, 3), 12.0)),
            ("programme +9 dB", gained(&programme(n, fs, 4), 9.0)),
            ("white +20 dB", gained(&white(n, 0.5, 5), 20.0)),
        ] {
            for (attack, release) in [(SPOTIFY.attack_ms, SPOTIFY.release_ms), (1.0, 20.0), (0.05, 1.0)] {
                let mut pl = PlatformLimiter::new();
                pl.prepare(fs, SPOTIFY.attack_ms);
                assert!(pl.set(true, SPOTIFY.threshold_dbfs, attack, release));
                let y = run(&mut pl, &x, 128);
                let top = y.iter().flatten().fold(0.0f32, |p, v| p.max(v.abs()));
                assert!(top <= thr, "{fs} {name} {attack} ms: {top} > {thr}");
                assert!(top >= 0.98 * thr, "{fs} {name}: {top}");
            }
        }
    }
}

#[test]
fn the_same_output_whatever_the_block_size() {
    let fs = 48_000.0;
    let x = gained(&programme(48_000 * 2, fs, 8), 10.0);
    let want = run(&mut spotify(fs), &x, x[0].len());
    for block in [1, 64, 128, 4096] {
        assert!(run(&mut spotify(fs), &x, block) == want, "block {block}");
    }
}

#[test]
fn switching_on_and_off_is_click_free() {
    let fs = 48_000.0;
    // A 100 Hz sine at 0 dBFS, 1 dB over the threshold.
    let s = sine(fs as usize * 3, 100.0, fs, 1.0, 0.0);
    let x = [s.clone(), s];
    let step = |y: &[f32]| y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max) as f64;
    let own = step(&x[0]);
    let thr = 10f64.powf(SPOTIFY.threshold_dbfs / 20.0);
    // The gain moves by at most (1 − thr) over the attack's frames in one
    // frame, which moves the sine by at most that much of its amplitude.
    let attack_frames = SPOTIFY.attack_ms * fs / 1000.0;
    let bound = own + (1.0 - thr) / attack_frames + 1e-6;
    let mut pl = PlatformLimiter::new();
    pl.prepare(fs, SPOTIFY.attack_ms);
    let (mut l, mut r) = (x[0].clone(), x[1].clone());
    for (i, (a, b)) in l.chunks_mut(128).zip(r.chunks_mut(128)).enumerate() {
        match i {
            100 => assert!(pl.set(true, SPOTIFY.threshold_dbfs, SPOTIFY.attack_ms, SPOTIFY.release_ms)),
            500 => assert!(pl.set(false, 0.0, 0.0, 0.0)),
            700 => assert!(pl.set(true, SPOTIFY.threshold_dbfs, SPOTIFY.attack_ms, SPOTIFY.release_ms)),
            _ => {}
        }
        pl.process(a, b);
    }
    let got = step(&l);
    assert!(got <= bound, "{got} > {bound}");
    // On, it holds the threshold; off, it releases with its 100 ms time
    // constant: within 0.2 % of the sine 400 ms (four time constants) later.
    assert!(l[300 * 128..500 * 128].iter().all(|v| v.abs() as f64 <= thr));
    let top_off = l[650 * 128..700 * 128].iter().fold(0.0f32, |p, v| p.max(v.abs()));
    assert!(top_off > 0.997, "{top_off}");
}

#[test]
fn prepare_allocates_then_nothing_does() {
    let fs = 48_000.0;
    let x = gained(&programme(48_000, fs, 2), 12.0);
    let mut pl = PlatformLimiter::new();
    pl.prepare(fs, SPOTIFY.attack_ms);
    let (mut l, mut r) = (x[0].clone(), x[1].clone());
    let n = allocations_in(|| {
        for (i, (a, b)) in l.chunks_mut(128).zip(r.chunks_mut(128)).enumerate() {
            match i {
                10 => assert!(pl.set(true, -1.0, 5.0, 100.0)),
                100 => assert!(pl.set(true, -3.0, 2.0, 50.0)),
                200 => pl.reset(),
                300 => assert!(pl.set(false, 0.0, 0.0, 0.0)),
                _ => {}
            }
            pl.process(a, b);
        }
    });
    assert_eq!(n, 0);
    assert!(pl.gain_reduction_db() >= 0.0);
}
