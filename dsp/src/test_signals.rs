//! Seeded test signals for the crate's unit tests.

/// `n` samples of uniform noise in ±`amp` from a seeded LCG; every third
/// stretch of 3000 samples is `burst` times louder.
pub fn noise_bursts(n: usize, amp: f32, seed: u32, burst: f32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let g = if (i / 3000) % 3 == 0 { burst } else { 1.0 };
            ((s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * amp * g
        })
        .collect()
}

/// `n` samples of uniform noise in ±`amp` from a seeded LCG.
pub fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
    noise_bursts(n, amp, seed, 1.0)
}
