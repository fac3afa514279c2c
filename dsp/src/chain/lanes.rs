//! Two f64 lanes (left and right) processed as one value: SSE2 on x86-64, SIMD128
//! on wasm32 builds with `simd128`, and a pair of scalars elsewhere.
//!
//! Every operation is the IEEE-754 operation on each lane, in the order written,
//! so all three implementations give the same bits as the scalar code they
//! replace (there is no fused multiply-add and no reassociation).

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
        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_add_pd(self.0, o.0) })
        }
        /// Lane-wise difference.
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_sub_pd(self.0, o.0) })
        }
        /// Lane-wise product.
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Self(unsafe { _mm_mul_pd(self.0, o.0) })
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
        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(f64x2_add(self.0, o.0))
        }
        /// Lane-wise difference.
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self(f64x2_sub(self.0, o.0))
        }
        /// Lane-wise product.
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(f64x2_mul(self.0, o.0))
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
        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self([self.0[0] + o.0[0], self.0[1] + o.0[1]])
        }
        /// Lane-wise difference.
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self([self.0[0] - o.0[0], self.0[1] - o.0[1]])
        }
        /// Lane-wise product.
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self([self.0[0] * o.0[0], self.0[1] * o.0[1]])
        }
    }
}

pub use imp::F64x2;

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
        assert_eq!(a.add(b).split(), (0.1 + 1e-300, -3.7 + 2.5));
        assert_eq!(a.sub(b).split(), (0.1 - 1e-300, -3.7 - 2.5));
        assert_eq!(a.mul(b).split(), (0.1 * 1e-300, -3.7 * 2.5));
        assert_eq!(F64x2::splat(0.3).split(), (0.3, 0.3));
    }
}
