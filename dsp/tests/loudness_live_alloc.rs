//! `LiveMeter::process` (the AudioWorklet's per-block metering) never allocates:
//! proved with a counting global allocator.

use lacquer_dsp::loudness::meter::LiveMeter;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn live_meter_process_and_reset_do_not_allocate() {
    for (channels, sr) in [(2, 48_000), (1, 44_100)] {
        let mut m = LiveMeter::new(channels, sr).unwrap();
        // Ten seconds of 128-frame render quanta plus odd sizes, with NaNs.
        let mut l = vec![0.0f32; 5000];
        let mut r = vec![0.0f32; 5000];
        for i in 0..l.len() {
            l[i] = (i as f32 * 0.05).sin() * 0.3;
            r[i] = (i as f32 * 0.07).cos() * 0.3;
        }
        l[17] = f32::NAN;
        let mut readings = 0.0f64;
        COUNTING.store(true, Ordering::SeqCst);
        for k in 0..(10 * sr as usize / 128) {
            let n = [128, 1, 4096, 333][k % 4].min(l.len());
            m.process(&l[..n], &r[..n]);
            readings += m.momentary_lufs().unwrap_or(0.0) + m.short_term_lufs().unwrap_or(0.0);
            readings += m.take_sample_peak_dbfs().unwrap_or(0.0);
        }
        m.reset();
        m.process(&l[..128], &r[..128]);
        COUNTING.store(false, Ordering::SeqCst);
        assert_eq!(ALLOCS.load(Ordering::SeqCst), 0, "LiveMeter allocated ({channels} ch)");
        assert!(readings.is_finite());
        assert!(m.momentary_lufs().is_some());
    }
}
