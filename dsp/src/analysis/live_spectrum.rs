//! The live spectrum analyser: the chain's input (the mix) and output (the
//! master), on a fixed log-frequency grid, about 30 times a second while the
//! AudioWorklet plays. Computed here with `realfft`, not by the browser's
//! `AnalyserNode`, so its numbers match the rest of Lacquer's.
//!
//! ## Signals
//! Each signal is analysed as its mid, (L + R) / 2: a mono source (the same
//! samples in both channels) is its channel, and a full-scale sine in both
//! channels is a full-scale sine. NaN and ±Inf samples count as 0.
//!
//! ## Estimate
//! A ring keeps the newest N samples of each signal, N the smallest power of
//! two whose bins are at most 6 Hz apart: 8192 at 44.1 and 48 kHz (5.4 and
//! 5.9 Hz), 16384 at 88.2 and 96 kHz, 32768 at 176.4 and 192 kHz, 2048 at
//! 8 kHz. [`LiveSpectrum::update`] windows them with a Hann window,
//! `sin²(π(i + ½)/N)` (F. J. Harris, 1978), transforms them with `realfft`,
//! and normalises the squared magnitudes by the window's energy, so each bin
//! holds a share of the signal's mean square and all of them add up to it
//! (Parseval), as in [`super::spectrum`].
//!
//! ## Grid and smoothing
//! [`POINTS`] = 480 frequencies `20 · 1000^(i/479)` Hz, from 20 Hz to 20 kHz,
//! 1/48.06 octave apart ([`LiveSpectrum::freqs_hz`]). Points at or above
//! Nyquist read [`FLOOR_DB`]. Smoothing is 1/3, 1/6 (the default) or 1/12
//! octave ([`LiveSpectrum::set_smoothing_octave_fraction`]).
//!
//! The power is first integrated over one cell per point (the 1/48 octave
//! around it), the power density taken as linear between bin centres, so at
//! low frequencies, where a cell is narrower than a bin, a cell reads the
//! interpolated bin power. Fractional-octave smoothing of 1/n octave (n = 3,
//! 6 or 12) then weights the cells around each point with a Hann-shaped
//! kernel in log-frequency, `cos²(π·u·n/2)` for a distance of |u| < 1/n
//! octave: its half-power points are the edges of the 1/n-octave band,
//! `f · 2^(±1/(2n))`, and its equivalent noise bandwidth is exactly 1/n
//! octave, so noise reads what the average power over that band reads. A
//! flat average over the band would have a top as wide as the band, across
//! which a tone's peak could land anywhere; this kernel peaks at its centre,
//! so a tone's peak stays at its frequency whatever the smoothing.
//!
//! ## Level and slope
//! The display is a power density, like an FFT analyser's: white noise reads
//! flat with no slope, pink noise falls 3 dB per octave. The display slope
//! ([`LiveSpectrum::set_slope_db_per_oct`]: 0, 3 or 4.5 dB per octave,
//! default 4.5) adds `slope · log2(f / 1000 Hz)` dB, pivoting at 1 kHz: with 3
//! pink noise reads flat, with 4.5 a typical mix does. Levels are dB
//! relative to a full-scale sine (`10 · log10(2 · power)`, the convention of
//! [`super::spectrum`]), and the density is expressed per the 1/n octave at
//! 1 kHz (1000 · ln 2 / n Hz, 57.8 Hz at 1/12 octave). So:
//!
//! - a full-scale sine at 1 kHz reads 0 dB, whatever the slope and
//!   smoothing (the pivot);
//! - a tone at f reads its level plus (slope − 3.01) · log2(f / 1000) dB:
//!   with the 3 dB slope it reads its level everywhere (within 0.01 dB per
//!   octave), and the display is then the power in the 1/n-octave band
//!   around each point, [`super::spectrum`]'s curve; with no slope a tone an
//!   octave below 1 kHz reads 3 dB above its level, as a density must (its
//!   power sits in a narrower band);
//! - where the kernel is narrower than the window's main lobe (±2 bins:
//!   below about 100 Hz at 1/12 octave), a tone reads lower, being spread
//!   wider than the kernel.
//!
//! ## Ballistics and peaks
//! Each cell's power is averaged exponentially with a time constant of
//! [`BALLISTICS_TAU_S`] (300 ms; the exponential time weighting of
//! IEC 61672-1, between its Fast 125 ms and Slow 1 s): each update moves it
//! `1 − exp(−Δt / τ)` of the way to the new spectrum, Δt being the audio
//! pushed since the previous update, so the response does not depend on how
//! often the host calls [`LiveSpectrum::update`]. The first update after
//! `prepare` or `reset` takes the spectrum as it is. The peak line of each
//! signal is the largest displayed value at each point, held (not decaying)
//! until [`LiveSpectrum::reset_peaks`], `reset`, or a change of slope or
//! smoothing (the held line is in the display's units, so it starts again).
//!
//! ## Output
//! [`LiveSpectrum::values`] is one contiguous buffer of `4 · POINTS` f32, dB,
//! never below [`FLOOR_DB`] (−150 dB, which digital silence reads):
//! `[input × POINTS, output × POINTS, input peak × POINTS, output peak × POINTS]`
//! (see [`Row`]). Values come from f32 transforms whose algorithm depends on
//! the CPU's vector unit: native and wasm figures can differ in the last bits
//! (this is a display, not part of the audio path).
//!
//! ## Lifecycle
//! [`LiveSpectrum::new`] allocates nothing; [`LiveSpectrum::prepare`]
//! allocates everything; [`LiveSpectrum::reset`], [`LiveSpectrum::push`],
//! [`LiveSpectrum::update`] and the setters never allocate, lock or panic.
//! `push` costs a few operations per frame; `update` two transforms of N
//! samples and a pass over the 514 cells: 0.2 to 0.35 ms in the worklet's
//! wasm at 48 kHz on a shared 2-core VM, about 1 % of the real-time budget
//! at 30 updates a second (`dsp/benches/wasm_bench.mjs` measures it with the
//! chain).
//!
//! ## References
//! - F. J. Harris, "On the use of windows for harmonic analysis with the
//!   discrete Fourier transform", Proc. IEEE 66 (1978) (the Hann window, its
//!   main lobe and equivalent noise bandwidth).
//! - IEC 61672-1:2013, *Electroacoustics — Sound level meters — Part 1*
//!   (exponential time weighting).
//! - IEC 61260-1:2014, *Octave-band and fractional-octave-band filters*
//!   (fractional-octave band edges `f · 2^(±1/(2n))`, base 2).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Points on the display grid.
pub const POINTS: usize = 480;

/// Lowest grid frequency, Hz.
pub const LOW_HZ: f64 = 20.0;

/// Highest grid frequency, Hz.
pub const HIGH_HZ: f64 = 20_000.0;

/// The pivot of the display slope, and the frequency at which a tone reads
/// its level whatever the settings, Hz.
pub const PIVOT_HZ: f64 = 1000.0;

/// The lowest value displayed (silence), dB.
pub const FLOOR_DB: f32 = -150.0;

/// Time constant of the exponential ballistics, s.
pub const BALLISTICS_TAU_S: f64 = 0.3;

/// Display slope unless set otherwise, dB per octave.
pub const DEFAULT_SLOPE_DB_PER_OCT: f32 = 4.5;

/// Smoothing unless set otherwise, as the n of 1/n octave.
pub const DEFAULT_SMOOTHING: u32 = 6;

/// Largest bin spacing the transform length is chosen for, Hz.
const MAX_BIN_HZ: f64 = 6.0;

/// Widest smoothing, as the n of 1/n octave.
const WIDEST_SMOOTHING: u32 = 3;

/// Cell powers below this are flushed to zero (no subnormal numbers in the
/// ballistics), share of full-scale mean square.
const FLUSH_POWER: f64 = 1e-30;

/// The rows of [`LiveSpectrum::values`], each [`POINTS`] long, in this order.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// The chain's input (the mix), dB.
    Input = 0,
    /// The chain's output (the master), dB.
    Output = 1,
    /// Peak hold of the input, dB.
    InputPeak = 2,
    /// Peak hold of the output, dB.
    OutputPeak = 3,
}

/// The transform length for `sample_rate_hz`: the smallest power of two with
/// bins at most 6 Hz apart.
pub fn fft_size_for(sample_rate_hz: f64) -> usize {
    ((sample_rate_hz / MAX_BIN_HZ).ceil().max(2.0) as usize).next_power_of_two()
}

/// Spacing of the grid, octaves.
fn step_oct() -> f64 {
    libm::log2(HIGH_HZ / LOW_HZ) / (POINTS - 1) as f64
}

/// Cells beyond each end of the grid, so the widest kernel has cells under
/// it at the first and last points.
fn margin_cells() -> usize {
    (1.0 / WIDEST_SMOOTHING as f64 / step_oct()).ceil() as usize
}

/// Centre frequency of cell `j` (cell `margin_cells()` is grid point 0), Hz.
fn cell_hz(j: usize) -> f64 {
    LOW_HZ * libm::exp2((j as f64 - margin_cells() as f64) * step_oct())
}

/// The live spectrum analyser of the chain's input and output (see the
/// module docs).
pub struct LiveSpectrum {
    /// Sample rate, Hz (0 until prepared).
    sample_rate_hz: f64,
    /// Transform length, samples (0 until prepared).
    size: usize,
    /// The forward transform, `size` real samples to `size / 2 + 1` bins.
    fft: Option<Arc<dyn RealToComplex<f32>>>,
    /// The analysis window, `size` values.
    window: Vec<f32>,
    /// Scale from |X[k]|² to a one-sided share of the mean square,
    /// `2 / (size · Σ window²)` (half that at DC and Nyquist), 1/unit².
    power_scale: f64,
    /// The newest `size` mid samples of the input and of the output, a ring.
    rings: [Vec<f32>; 2],
    /// Next position to write in `rings`, samples.
    ring_pos: usize,
    /// Frames pushed since the previous update, frames.
    pending_frames: u64,
    /// The windowed frame handed to the transform (it is overwritten).
    frame: Vec<f32>,
    /// The transform's output, `size / 2 + 1` bins.
    bins: Vec<Complex<f32>>,
    /// The transform's scratch space.
    scratch: Vec<Complex<f32>>,
    /// Power per bin, share of full-scale mean square.
    power: Vec<f64>,
    /// `cumulative[k]`: integral of the interpolated power from bin 0 to bin
    /// k, share of full-scale mean square × bins.
    cumulative: Vec<f64>,
    /// Cell edges, in bins (clamped to 0..=Nyquist), one more than cells.
    cell_edges_bins: Vec<f64>,
    /// Averaged (ballistic) power per cell, input then output, share of
    /// full-scale mean square.
    cells: [Vec<f64>; 2],
    /// Whether `cells` holds a measurement (false after prepare and reset).
    primed: bool,
    /// Per cell: the density reference (1 kHz / cell frequency) times the
    /// display slope's gain, linear power ratio.
    tilt: Vec<f64>,
    /// The cells times `tilt` (scratch for the smoothing pass).
    tilted: Vec<f64>,
    /// Smoothing kernel weights for offsets −half..=half cells, normalised
    /// so noise reads its 1/n-octave average; room for the widest.
    kernel: Vec<f64>,
    /// Half-width of the current kernel, cells.
    kernel_half: usize,
    /// Display slope, dB per octave.
    slope_db_per_oct: f32,
    /// Smoothing, as the n of 1/n octave.
    smoothing: u32,
    /// Grid points below Nyquist (the rest read the floor).
    points_below_nyquist: usize,
    /// The display, `4 · POINTS` values laid out as [`Row`], dB.
    values: Vec<f32>,
    /// Grid frequencies, Hz.
    freqs_hz: Vec<f32>,
}

impl Default for LiveSpectrum {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveSpectrum {
    /// An analyser that is not prepared yet: `push` and `update` do nothing
    /// and every value reads the floor. Allocates nothing.
    pub fn new() -> Self {
        Self {
            sample_rate_hz: 0.0,
            size: 0,
            fft: None,
            window: Vec::new(),
            power_scale: 0.0,
            rings: [Vec::new(), Vec::new()],
            ring_pos: 0,
            pending_frames: 0,
            frame: Vec::new(),
            bins: Vec::new(),
            scratch: Vec::new(),
            power: Vec::new(),
            cumulative: Vec::new(),
            cell_edges_bins: Vec::new(),
            cells: [Vec::new(), Vec::new()],
            primed: false,
            tilt: Vec::new(),
            tilted: Vec::new(),
            kernel: Vec::new(),
            kernel_half: 0,
            slope_db_per_oct: DEFAULT_SLOPE_DB_PER_OCT,
            smoothing: DEFAULT_SMOOTHING,
            points_below_nyquist: 0,
            values: Vec::new(),
            freqs_hz: Vec::new(),
        }
    }

    /// Prepares for `sample_rate_hz` (8 to 192 kHz in Lacquer; any positive
    /// rate works). Allocates; keeps the slope and smoothing; clears the rest.
    pub fn prepare(&mut self, sample_rate_hz: f64) {
        let sr = if sample_rate_hz.is_finite() && sample_rate_hz > 0.0 { sample_rate_hz } else { 48_000.0 };
        let size = fft_size_for(sr);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        self.window = (0..size)
            .map(|i| {
                let s = libm::sin(core::f64::consts::PI * (i as f64 + 0.5) / size as f64);
                (s * s) as f32
            })
            .collect();
        let energy: f64 = self.window.iter().map(|&w| w as f64 * w as f64).sum();
        self.power_scale = 2.0 / (size as f64 * energy);
        self.scratch = fft.make_scratch_vec();
        self.bins = fft.make_output_vec();
        self.frame = vec![0.0; size];
        self.fft = Some(fft);
        self.sample_rate_hz = sr;
        self.size = size;
        self.rings = [vec![0.0; size], vec![0.0; size]];
        let nbins = size / 2 + 1;
        self.power = vec![0.0; nbins];
        self.cumulative = vec![0.0; nbins];
        let bin_hz = sr / size as f64;
        let nyquist_bins = (size / 2) as f64;
        let cells = POINTS + 2 * margin_cells();
        let half_step = libm::exp2(step_oct() / 2.0);
        self.cell_edges_bins = (0..=cells)
            .map(|j| {
                let edge_hz = if j < cells { cell_hz(j) / half_step } else { cell_hz(j - 1) * half_step };
                (edge_hz / bin_hz).clamp(0.0, nyquist_bins)
            })
            .collect();
        self.cells = [vec![0.0; cells], vec![0.0; cells]];
        self.tilt = vec![0.0; cells];
        self.tilted = vec![0.0; cells];
        self.kernel = vec![0.0; 2 * margin_cells() + 1];
        self.freqs_hz = (0..POINTS).map(|i| cell_hz(i + margin_cells()) as f32).collect();
        self.points_below_nyquist = self.freqs_hz.iter().filter(|&&f| (f as f64) < sr / 2.0).count();
        self.values = vec![FLOOR_DB; 4 * POINTS];
        self.compute_tilt();
        self.compute_kernel();
        self.reset();
    }

    /// Forgets the audio, the averages and the peaks. Never allocates.
    pub fn reset(&mut self) {
        self.rings.iter_mut().for_each(|r| r.fill(0.0));
        self.ring_pos = 0;
        self.pending_frames = 0;
        self.cells.iter_mut().for_each(|c| c.fill(0.0));
        self.primed = false;
        self.values.fill(FLOOR_DB);
    }

    /// Feeds the next frames of the chain's input and output (any length;
    /// the shortest slice decides). A few operations per frame; never
    /// allocates.
    pub fn push(&mut self, input_l: &[f32], input_r: &[f32], output_l: &[f32], output_r: &[f32]) {
        if self.size == 0 {
            return;
        }
        let n = input_l.len().min(input_r.len()).min(output_l.len()).min(output_r.len());
        let mid = |l: f32, r: f32| {
            let m = 0.5 * (l + r);
            if m.is_finite() {
                m
            } else {
                0.0
            }
        };
        // Only the newest `size` frames can matter.
        let skip = n.saturating_sub(self.size);
        let mut i = skip;
        while i < n {
            let len = (n - i).min(self.size - self.ring_pos);
            let at = self.ring_pos..self.ring_pos + len;
            let [ri, ro] = &mut self.rings;
            for ((d, &l), &r) in ri[at.clone()].iter_mut().zip(&input_l[i..]).zip(&input_r[i..]) {
                *d = mid(l, r);
            }
            for ((d, &l), &r) in ro[at].iter_mut().zip(&output_l[i..]).zip(&output_r[i..]) {
                *d = mid(l, r);
            }
            self.ring_pos += len;
            if self.ring_pos == self.size {
                self.ring_pos = 0;
            }
            i += len;
        }
        self.pending_frames = self.pending_frames.saturating_add(n as u64);
    }

    /// Analyses the newest audio and recomputes [`LiveSpectrum::values`].
    /// Meant for the display rate (about 30 Hz): two transforms of the
    /// transform length, then a pass over the grid. Never allocates.
    pub fn update(&mut self) {
        if self.size == 0 {
            return;
        }
        if self.pending_frames > 0 || !self.primed {
            let alpha = if self.primed {
                let dt_s = self.pending_frames as f64 / self.sample_rate_hz;
                1.0 - libm::exp(-dt_s / BALLISTICS_TAU_S)
            } else {
                1.0
            };
            for signal in 0..2 {
                self.analyse(signal, alpha);
            }
            self.pending_frames = 0;
            self.primed = true;
        }
        for signal in 0..2 {
            self.render(signal);
        }
    }

    /// Transforms the ring of `signal` and moves its cells `alpha` of the
    /// way to the new powers.
    fn analyse(&mut self, signal: usize, alpha: f64) {
        let Some(fft) = &self.fft else { return };
        let ring = &self.rings[signal];
        let (newer, older) = ring.split_at(self.ring_pos);
        // Oldest sample first: the ring from the write position on, then the start.
        for ((d, &x), &w) in self.frame.iter_mut().zip(older.iter().chain(newer)).zip(&self.window) {
            *d = x * w;
        }
        if fft.process_with_scratch(&mut self.frame, &mut self.bins, &mut self.scratch).is_err() {
            return;
        }
        let last = self.bins.len() - 1;
        for (k, (p, b)) in self.power.iter_mut().zip(&self.bins).enumerate() {
            let m = b.re as f64 * b.re as f64 + b.im as f64 * b.im as f64;
            let one_sided = if k == 0 || k == last { 0.5 } else { 1.0 };
            *p = m * self.power_scale * one_sided;
        }
        // Trapezoids between bin centres: the integral of the linearly
        // interpolated power, from bin 0.
        let mut acc = 0.0;
        self.cumulative[0] = 0.0;
        for k in 1..self.power.len() {
            acc += 0.5 * (self.power[k - 1] + self.power[k]);
            self.cumulative[k] = acc;
        }
        let mut below = self.integral_to(self.cell_edges_bins[0]);
        for (j, c) in self.cells[signal].iter_mut().enumerate() {
            let above = integral_to(&self.power, &self.cumulative, self.cell_edges_bins[j + 1]);
            let fresh = (above - below).max(0.0);
            below = above;
            let v = *c + alpha * (fresh - *c);
            *c = if v > FLUSH_POWER { v } else { 0.0 };
        }
    }

    /// [`integral_to`] over this analyser's current power.
    fn integral_to(&self, x_bins: f64) -> f64 {
        integral_to(&self.power, &self.cumulative, x_bins)
    }

    /// Smooths the cells of `signal` onto the grid and updates its row and peaks.
    fn render(&mut self, signal: usize) {
        for ((t, &c), &g) in self.tilted.iter_mut().zip(&self.cells[signal]).zip(&self.tilt) {
            *t = c * g;
        }
        let m = margin_cells();
        let h = self.kernel_half;
        let kernel = &self.kernel[m - h..=m + h];
        let (rows, peaks) = self.values.split_at_mut(2 * POINTS);
        let row = &mut rows[signal * POINTS..(signal + 1) * POINTS];
        let peak = &mut peaks[signal * POINTS..(signal + 1) * POINTS];
        for (i, (v, p)) in row.iter_mut().zip(peak.iter_mut()).enumerate() {
            let db = if i < self.points_below_nyquist {
                let centre = i + m;
                let window = &self.tilted[centre - h..=centre + h];
                let s: f64 = window.iter().zip(kernel).map(|(a, b)| a * b).sum();
                let db = 10.0 * libm::log10(2.0 * s);
                if db > FLOOR_DB as f64 {
                    db as f32
                } else {
                    FLOOR_DB
                }
            } else {
                FLOOR_DB
            };
            *v = db;
            if db > *p {
                *p = db;
            }
        }
    }

    /// Sets the display slope, dB per octave, pivoting at 1 kHz: 0, 3 or 4.5
    /// are accepted (true); anything else is refused (false) and nothing
    /// changes. A new slope restarts the peak hold. Never allocates.
    pub fn set_slope_db_per_oct(&mut self, slope_db_per_oct: f32) -> bool {
        if ![0.0, 3.0, 4.5].contains(&slope_db_per_oct) {
            return false;
        }
        if slope_db_per_oct != self.slope_db_per_oct {
            self.slope_db_per_oct = slope_db_per_oct;
            self.compute_tilt();
            self.reset_peaks();
        }
        true
    }

    /// Sets the smoothing to 1/n octave: n = 3, 6 or 12 are accepted (true);
    /// anything else is refused (false) and nothing changes. A new smoothing
    /// restarts the peak hold. Never allocates.
    pub fn set_smoothing_octave_fraction(&mut self, n: u32) -> bool {
        if ![3, 6, 12].contains(&n) {
            return false;
        }
        if n != self.smoothing {
            self.smoothing = n;
            self.compute_kernel();
            self.reset_peaks();
        }
        true
    }

    /// Clears both peak-hold lines (to the floor; the next update refills
    /// them). Never allocates.
    pub fn reset_peaks(&mut self) {
        if let Some(p) = self.values.get_mut(2 * POINTS..) {
            p.fill(FLOOR_DB);
        }
    }

    /// Recomputes `tilt` for the current slope. Never allocates.
    fn compute_tilt(&mut self) {
        let slope = self.slope_db_per_oct as f64;
        for (j, t) in self.tilt.iter_mut().enumerate() {
            let f = cell_hz(j);
            let octaves = libm::log2(f / PIVOT_HZ);
            *t = (PIVOT_HZ / f) * libm::pow(10.0, slope * octaves / 10.0);
        }
    }

    /// Recomputes `kernel` for the current smoothing. Never allocates.
    fn compute_kernel(&mut self) {
        if self.kernel.is_empty() {
            return;
        }
        let m = margin_cells();
        let width_oct = 1.0 / self.smoothing as f64;
        let half_cells = width_oct / step_oct();
        self.kernel_half = (half_cells.ceil() as usize - 1).min(m);
        let mut sum = 0.0;
        for (i, w) in self.kernel.iter_mut().enumerate() {
            let d = i as f64 - m as f64;
            *w = if d.abs() < half_cells {
                let c = libm::cos(core::f64::consts::FRAC_PI_2 * d / half_cells);
                c * c
            } else {
                0.0
            };
            sum += *w;
        }
        // Equivalent noise bandwidth of exactly 1/n octave: Σ w · step = 1/n.
        let scale = width_oct / (sum * step_oct());
        self.kernel.iter_mut().for_each(|w| *w *= scale);
    }

    /// The display: `4 · POINTS` values, dB, laid out as [`Row`].
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// One row of [`LiveSpectrum::values`] (empty until prepared).
    pub fn row(&self, row: Row) -> &[f32] {
        let r = row as usize;
        self.values.get(r * POINTS..(r + 1) * POINTS).unwrap_or(&[])
    }

    /// The grid frequencies, `POINTS` values, Hz (empty until prepared).
    pub fn freqs_hz(&self) -> &[f32] {
        &self.freqs_hz
    }

    /// Points on the grid.
    pub fn points(&self) -> usize {
        POINTS
    }

    /// Transform length, samples (0 until prepared).
    pub fn fft_size(&self) -> usize {
        self.size
    }

    /// The display slope, dB per octave.
    pub fn slope_db_per_oct(&self) -> f32 {
        self.slope_db_per_oct
    }

    /// The smoothing, as the n of 1/n octave.
    pub fn smoothing_octave_fraction(&self) -> u32 {
        self.smoothing
    }
}

/// Integral of the linearly interpolated `power` from bin 0 to `x_bins`
/// (within 0..=last bin), given its running trapezoid sums `cumulative`.
fn integral_to(power: &[f64], cumulative: &[f64], x_bins: f64) -> f64 {
    let last = power.len().saturating_sub(1);
    if last == 0 {
        return 0.0;
    }
    let x = x_bins.clamp(0.0, last as f64);
    let k = (x.floor() as usize).min(last - 1);
    let t = x - k as f64;
    let (a, b) = (power[k], power[k + 1]);
    cumulative[k] + t * a + 0.5 * t * t * (b - a)
}

#[cfg(test)]
#[path = "live_spectrum_tests.rs"]
mod tests;
