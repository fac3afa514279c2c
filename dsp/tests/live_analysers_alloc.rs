//! The worklet's live analysers allocate nothing after `lq_create`: the
//! chain, the loudness meters (momentary, short-term, integrated), the true
//! peaks and the spectrum analyser, driven through the C-ABI as the
//! AudioWorklet drives them, with every control the worklet sends between
//! quanta. Proved with a counting global allocator.
#![cfg(feature = "worklet")]

use lacquer_dsp::ffi::worklet::*;
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
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(|c| c.get())
}

/// A dense test programme: a decaying 55 Hz kick, noise and two tones,
/// loud enough to work the compressor and limiter.
fn programme(i: usize, sr: f32, ch: usize) -> f32 {
    let t = i as f32 / sr;
    let beat = (t * 2.0) % 1.0;
    let kick = (2.0 * std::f32::consts::PI * 55.0 * t).sin() * (-beat * 10.0).exp();
    let mut x = (i as u32).wrapping_mul(2_654_435_761) ^ (ch as u32 * 0x9E37_79B9);
    x ^= x >> 15;
    let noise = (x as f32 / u32::MAX as f32 - 0.5) * 0.4;
    let tone = 0.1 * (2.0 * std::f32::consts::PI * [440.0, 660.0][ch] * t).sin();
    0.9 * kick + noise + tone
}

#[test]
fn live_analysers_allocate_nothing_after_create() {
    for (sr, max_block) in [(48_000.0f32, 128u32), (44_100.0, 128), (96_000.0, 256)] {
        let e = lq_create(sr, max_block);
        assert!(!e.is_null());
        let mut checksum = 0.0f64;
        let n = unsafe {
            allocations(|| {
                let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
                let meters = lq_meters_ptr(e);
                let spectrum = lq_spectrum_ptr(e);
                let points = lq_spectrum_points(e) as usize;
                // About 30 spectrum and meter updates a second.
                let every = (sr / 30.0 / 128.0).round() as usize;
                let quanta = (12.0 * sr / 128.0) as usize;
                for q in 0..quanta {
                    for i in 0..128 {
                        *l.add(i) = programme(q * 128 + i, sr, 0);
                        *r.add(i) = programme(q * 128 + i, sr, 1);
                    }
                    if q == 500 {
                        // Bad values in the input.
                        *l.add(3) = f32::NAN;
                        *r.add(9) = f32::INFINITY;
                    }
                    lq_process(e, 128);
                    checksum += *meters.add(Meter::TruePeakL as usize) as f64;
                    if q % every == 0 {
                        lq_update_loudness(e);
                        lq_spectrum_update(e);
                        checksum += *spectrum.add(q % (4 * points)) as f64;
                        checksum += *meters.add(Meter::IntegratedLufs as usize) as f64;
                    }
                    // Every control the worklet sends between quanta.
                    match q {
                        100 => assert_eq!(lq_spectrum_set(e, 30, 3), 0),
                        200 => assert_eq!(lq_spectrum_set(e, 45, 12), 0),
                        250 => assert_eq!(lq_spectrum_set(e, 7, 12), -1),
                        300 => lq_spectrum_reset_peaks(e),
                        400 => lq_reset_integrated(e),
                        600 => lq_set_meter_channels(e, 1),
                        700 => lq_set_meter_channels(e, 2),
                        800 => lq_set_monitor(e, 1),
                        900 => lq_set_monitor(e, 0),
                        1000 => lq_reset(e),
                        1100 => lq_set_meter_channels(e, 0),
                        1200 => lq_set_meter_channels(e, 2),
                        _ => {}
                    }
                    // Odd quantum lengths too.
                    if q % 97 == 0 {
                        lq_process(e, 1 + (q as u32 % max_block));
                    }
                }
                lq_update_loudness(e);
                lq_spectrum_update(e);
            })
        };
        assert_eq!(n, 0, "{sr} Hz: {n} allocations after lq_create");
        assert!(checksum.is_finite() || checksum == f64::NEG_INFINITY);
        unsafe {
            let meters = std::slice::from_raw_parts(lq_meters_ptr(e), LQ_METERS);
            let i = meters[Meter::IntegratedLufs as usize];
            assert!(i.is_finite() && i > -30.0, "{sr} Hz: integrated {i}");
            assert!(meters[Meter::TruePeakL as usize] > 0.0 && meters[Meter::TruePeakR as usize] > 0.0);
            let points = lq_spectrum_points(e) as usize;
            let v = std::slice::from_raw_parts(lq_spectrum_ptr(e), 4 * points);
            assert!(v.iter().all(|x| x.is_finite() && *x >= -150.0));
            assert!(v[points + points / 2] > -100.0, "{sr} Hz: the output's spectrum is empty");
            lq_destroy(e);
        }
    }
}
