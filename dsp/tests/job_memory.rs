//! A mastering job streamed over a shared input (the browser's export) never
//! holds a copy of the file: measured with a tracking global allocator. Its
//! search passes keep only their measurements, and the master goes out piece
//! by piece; what it does hold is the proxy's excerpts and the meters.

use lacquer_dsp::job::MasterJob;
use lacquer_dsp::loudness::meter::analyze;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::Settings;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct Tracking;

/// Bytes allocated and not freed, bytes.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Most bytes live at once since the last reset, bytes.
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Largest single allocation since the last reset, bytes.
static LARGEST: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(live, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        LARGEST.fetch_max(l.size(), Ordering::SeqCst);
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        LARGEST.fetch_max(l.size(), Ordering::SeqCst);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::SeqCst);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if n > l.size() {
            grew(n - l.size());
        } else {
            LIVE.fetch_sub(l.size() - n, Ordering::SeqCst);
        }
        LARGEST.fetch_max(n, Ordering::SeqCst);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Tracking = Tracking;

/// Seeded noise, louder 6 s in every 10.
fn programme(n: usize, sr: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let g = if (i / sr) % 10 < 4 { 0.15 } else { 0.6 };
            ((s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * g
        })
        .collect()
}

/// Streams a job to the end; returns the most bytes it held at once over
/// what was live before, its largest single allocation, and the frames handed out.
fn stream(job: impl FnOnce() -> MasterJob) -> (usize, usize, usize) {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    LARGEST.store(0, Ordering::SeqCst);
    let mut job = job();
    let mut frames = 0;
    while !job.step_with(48_000, |piece| frames += piece[0].len()).done {}
    let (_, report) = job.finish();
    assert!(report.output_lufs.is_some());
    (PEAK.load(Ordering::SeqCst) - base, LARGEST.load(Ordering::SeqCst), frames)
}

#[test]
fn a_streamed_job_holds_no_copy_of_the_file() {
    // Long enough for the proxy's excerpts to be their usual share of it
    // (a shorter file still gets four of them).
    let sr = 16_000u32;
    let n = sr as usize * 150;
    let input = Arc::new(vec![programme(n, sr as usize, 1), programme(n, sr as usize, 2)]);
    let report = analyze(&input, sr);
    let file_bytes = 2 * n * 4;
    for target in [Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 }), None] {
        let job = |limit: usize| {
            let (input, report) = (input.clone(), report.clone());
            move || {
                MasterJob::shared(input, sr, Settings::default(), target)
                    .unwrap()
                    .with_input_report(report)
                    .keep_passes_up_to(limit)
            }
        };
        let (peak, largest, frames) = stream(job(0));
        assert_eq!(frames, n);
        // The proxy's excerpts (about 12 % of the file) and the meters: no
        // buffer the length of a channel, and well under a copy of the file.
        assert!(largest < n * 4 / 4, "target {target:?}: an allocation of {largest} bytes (a channel is {})", n * 4);
        assert!(peak < file_bytes / 4, "target {target:?}: held {peak} bytes at once (the file is {file_bytes})");
        // Keeping the passes (where they fit) holds one, which this test sees.
        if target.is_some() {
            let (kept, _, frames) = stream(job(usize::MAX));
            assert_eq!(frames, n);
            assert!(kept >= file_bytes, "target {target:?}: held {kept} bytes keeping the passes");
        }
    }
}
