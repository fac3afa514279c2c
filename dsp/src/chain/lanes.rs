//! Small fixed-width vectors: two f64 lanes (left and right processed as one
//! value) and four f32 lanes (the limiter's interpolator). SSE2 on x86-64,
//! SIMD128 on wasm32 builds with `simd128`, and plain arrays elsewhere.
//!
//! `+`, `-` and `*` work lane by lane. Every operation is the IEEE-754
//! operation on each lane, in the order written, so all three implementations
//! give the same bits as the scalar code they replace (there is no fused
//! multiply-add and no reassociation).

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2(__m128d);

    impl F64x2 {
        /// Lanes `(a, b)`.
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_set_pd(b, a) })
        }
        /// Both lanes `v`.
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_set1_pd(v) })
        }
        /// The lanes as `(a, b)`.
        #[inline(always)]
        pub fn split(self) -> (f64, f64) {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { (_mm_cvtsd_f64(self.0), _mm_cvtsd_f64(_mm_unpackhi_pd(self.0, self.0))) }
        }
    }

    impl core::ops::Add for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_add_pd(self.0, o.0) })
        }
    }

    impl core::ops::Sub for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_sub_pd(self.0, o.0) })
        }
    }

    impl core::ops::Mul for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_mul_pd(self.0, o.0) })
        }
    }

    /// Four f32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(__m128);

    impl F32x4 {
        /// All lanes zero.
        #[inline(always)]
        pub fn zero() -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_setzero_ps() })
        }
        /// The first four values of `v` (panics if shorter).
        #[inline(always)]
        pub fn load(v: &[f32]) -> Self {
            let v: &[f32; 4] = v[..4].try_into().expect("four values");
            // SAFETY: `v` holds four f32; the load is unaligned.
            Self(unsafe { _mm_loadu_ps(v.as_ptr()) })
        }
        /// `(a0 + a2) + (a1 + a3)`.
        #[inline(always)]
        pub fn sum_pairs(self) -> f32 {
            // SAFETY: SSE is part of the x86-64 baseline.
            unsafe {
                let t = _mm_add_ps(self.0, _mm_movehl_ps(self.0, self.0));
                _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps::<0b01>(t, t)))
            }
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_add_ps(self.0, o.0) })
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            // SAFETY: SSE is part of the x86-64 baseline.
            Self(unsafe { _mm_mul_ps(self.0, o.0) })
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2(v128);

    impl F64x2 {
        /// Lanes `(a, b)`.
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            Self(f64x2(a, b))
        }
        /// Both lanes `v`.
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self(f64x2_splat(v))
        }
        /// The lanes as `(a, b)`.
        #[inline(always)]
        pub fn split(self) -> (f64, f64) {
            (f64x2_extract_lane::<0>(self.0), f64x2_extract_lane::<1>(self.0))
        }
    }

    impl core::ops::Add for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(f64x2_add(self.0, o.0))
        }
    }

    impl core::ops::Sub for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            Self(f64x2_sub(self.0, o.0))
        }
    }

    impl core::ops::Mul for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(f64x2_mul(self.0, o.0))
        }
    }

    /// Four f32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(v128);

    impl F32x4 {
        /// All lanes zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self(f32x4_splat(0.0))
        }
        /// The first four values of `v` (panics if shorter).
        #[inline(always)]
        pub fn load(v: &[f32]) -> Self {
            let v: &[f32; 4] = v[..4].try_into().expect("four values");
            // SAFETY: `v` holds four f32 (16 bytes); v128 loads need no alignment.
            Self(unsafe { v128_load(v.as_ptr() as *const v128) })
        }
        /// `(a0 + a2) + (a1 + a3)`.
        #[inline(always)]
        pub fn sum_pairs(self) -> f32 {
            let t = f32x4_add(self.0, i32x4_shuffle::<2, 3, 2, 3>(self.0, self.0));
            f32x4_extract_lane::<0>(t) + f32x4_extract_lane::<1>(t)
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(f32x4_add(self.0, o.0))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(f32x4_mul(self.0, o.0))
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
mod imp {
    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2([f64; 2]);

    impl F64x2 {
        /// Lanes `(a, b)`.
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            Self([a, b])
        }
        /// Both lanes `v`.
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self([v, v])
        }
        /// The lanes as `(a, b)`.
        #[inline(always)]
        pub fn split(self) -> (f64, f64) {
            (self.0[0], self.0[1])
        }
    }

    impl core::ops::Add for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self([self.0[0] + o.0[0], self.0[1] + o.0[1]])
        }
    }

    impl core::ops::Sub for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            Self([self.0[0] - o.0[0], self.0[1] - o.0[1]])
        }
    }

    impl core::ops::Mul for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self([self.0[0] * o.0[0], self.0[1] * o.0[1]])
        }
    }

    /// Four f32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4([f32; 4]);

    impl F32x4 {
        /// All lanes zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self([0.0; 4])
        }
        /// The first four values of `v` (panics if shorter).
        #[inline(always)]
        pub fn load(v: &[f32]) -> Self {
            Self(v[..4].try_into().expect("four values"))
        }
        /// `(a0 + a2) + (a1 + a3)`.
        #[inline(always)]
        pub fn sum_pairs(self) -> f32 {
            (self.0[0] + self.0[2]) + (self.0[1] + self.0[3])
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(core::array::from_fn(|i| self.0[i] + o.0[i]))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(core::array::from_fn(|i| self.0[i] * o.0[i]))
        }
    }
}

pub use imp::{F32x4, F64x2};

impl Default for F64x2 {
    fn default() -> Self {
        Self::splat(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_ieee_per_lane() {
        let (a, b) = (F64x2::new(0.1, -3.7), F64x2::new(1e-300, 2.5));
        assert_eq!((a + b).split(), (0.1 + 1e-300, -3.7 + 2.5));
        assert_eq!((a - b).split(), (0.1 - 1e-300, -3.7 - 2.5));
        assert_eq!((a * b).split(), (0.1 * 1e-300, -3.7 * 2.5));
        assert_eq!(F64x2::splat(0.3).split(), (0.3, 0.3));
    }

    #[test]
    fn four_lanes_sum_in_the_stated_order() {
        let v = [1e8f32, 1.0, -1e8, 0.5, 7.0];
        let x = F32x4::load(&v);
        assert_eq!(x.sum_pairs(), (1e8 + -1e8) + (1.0 + 0.5));
        let y = F32x4::load(&v[1..]);
        let p = x * y + F32x4::zero();
        assert_eq!(p.sum_pairs(), (1e8 * 1.0 + -1e8 * 0.5) + (1.0 * -1e8 + 0.5 * 7.0));
    }
}
