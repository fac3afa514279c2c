//! The worklet engine's monitoring stage allocates nothing per quantum:
//! gains ramping, the crossfade moving, the platform limiter switching and
//! limiting, a seek.
#![cfg(feature = "worklet")]

use lacquer_dsp::ffi::*;
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

#[test]
fn the_monitor_never_allocates_per_quantum() {
    let e = lq_create(48_000.0, 128);
    assert!(!e.is_null());
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    unsafe {
        for q in 0..2000usize {
            match q {
                50 => assert_eq!(lq_set_monitor_gains(e, 9.0, 12.0), 0),
                100 => assert_eq!(lq_set_platform_limiter(e, 1, -1.0, 5.0, 100.0), 0),
                300 => lq_set_monitor(e, 1),
                600 => lq_reset(e),
                900 => lq_set_monitor(e, 0),
                1200 => assert_eq!(lq_set_platform_limiter(e, 0, 0.0, 0.0, 0.0), 0),
                1500 => assert_eq!(lq_set_monitor_gains(e, 0.0, 0.0), 0),
                _ => {}
            }
            let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
            for i in 0..128 {
                let t = (q * 128 + i) as f32 / 48_000.0;
                let v = 0.8 * (t * 2.0 * std::f32::consts::PI * 220.0).sin();
                *l.add(i) = v;
                *r.add(i) = -v;
            }
            lq_process(e, 128);
            if q % 10 == 0 {
                lq_update_loudness(e);
            }
        }
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(COUNT.with(|c| c.get()), 0);
    unsafe { lq_destroy(e) };
}
