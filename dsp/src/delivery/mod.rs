//! Release files: the master converted to the delivery rate, dithered to the
//! delivery word length, checked against the true-peak ceiling, tagged and
//! encoded as WAV or FLAC, a piece at a time.
//!
//! ## Formats
//! [`Format`]: 16-bit WAV (TPDF-dithered), 24-bit WAV, 32-bit float WAV, and
//! FLAC at 16 or 24 bits. Integer WAV has format code 1 (`WAVE_FORMAT_PCM`),
//! float WAV format code 3, tags in a `LIST`/`INFO` chunk before `data` and
//! nothing after the data chunk but its pad byte ([`crate::wav::header`]).
//! FLAC frames come from the `flacenc` crate; the container and its
//! `STREAMINFO` are written here ([`flac`]).
//!
//! ## Rate
//! [`Rate::Source`] keeps the master's own rate (never converted). An
//! explicit rate (44.1 or 48 kHz) converts with `rubato`'s sinc resampler at
//! its most exact settings (see [`resample`]: a 256-tap-or-longer sinc
//! windowed by the squared Blackman-Harris window, cut-off midway between a
//! 20 kHz passband edge and a stopband edge at 1.04 × the lower Nyquist rate,
//! every sinc phase precomputed so that no phases are interpolated, rubato's
//! scalar interpolator in f64), with no net delay and exactly
//! `round(frames × out / in)` frames. Asking for a higher rate than the
//! source's upsamples: only an explicit rate does.
//!
//! ## Dither: where it happens
//! Files are dithered here, once, after the rate conversion, at the file's
//! word length, never by the chain: the hosts render the master with the
//! chain's output-stage dither off ([`chain_settings`]) and this stage
//! dithers ([`dither_for`]): always for 16-bit files; for 24-bit files when
//! `Settings.output.dither` is on (with its noise shaping and seed); never
//! for 32-bit float. The chain's own dither (and its `dither_bits`) serves
//! the real-time preview only.
//!
//! ## True-peak ceiling
//! The ceiling must hold on the file's own samples: after conversion and
//! dither. The quantised samples, as a decoder reads them, are measured by
//! the 16× meter ([`crate::loudness::true_peak16`], a piece at a time);
//! when their true peak is over the ceiling, the file's gain is lowered by
//! the overshoot plus [`CEILING_MARGIN_DB`] and the file is measured again
//! (up to [`MAX_CHECKS`] measurements). Only the finished, verified samples
//! are encoded, so the bytes handed out are never taken back:
//! - the converted signal is kept (as f32 at the delivery rate) when it
//!   takes at most `keep_limit_bytes`: the master is pushed once, and
//!   [`Delivery::step`] then measures and encodes from the kept signal;
//! - a longer file is not kept: the host pushes the master once to measure
//!   it, then again (from the start, [`Delivery::wants_input_again`]) for
//!   every further measurement and for the encoding pass, whose samples are
//!   the verified ones. The master job is deterministic, so the browser's
//!   export renders it again with the chosen settings
//!   ([`crate::session::export`]).
//!
//! Without a ceiling (`None`) the file is encoded as the master comes,
//! measured on the way.
//!
//! ## The file's figures
//! The encoding pass writes exactly the samples of the last measuring pass
//! (same gain, and the dither restarts from its seed), so that pass's 16×
//! reading is the file's. Asked with [`Delivery::measure_loudness`], the
//! encoding pass also meters the samples it writes (BS.1770:
//! [`crate::loudness::file_meter`]), and [`Delivered::figures`] holds what
//! the file measures, without decoding it again.
//!
//! ## Streaming
//! [`Delivery::push`] takes the master in pieces; [`Delivery::take_bytes`]
//! gives the file's bytes as they are encoded; [`Delivery::finish`] gives
//! the last bytes and, for FLAC, the header patch: the finished `STREAMINFO`
//! (with the frame sizes and the MD5 of the samples), to write over the
//! file's first [`flac::HEADER_PATCH_LEN`] bytes. A WAV file's header is
//! final from the start (its length is known).
//!
//! Natively, a stereo conversion runs its two channels on two threads and
//! FLAC encodes its blocks on two threads; the bytes are the same as one
//! thread gives (and as wasm gives).

pub mod dither;
pub mod flac;
mod flac_verbatim;
#[cfg(not(target_arch = "wasm32"))]
pub mod host;
pub mod resample;
pub mod tags;
mod wav_out;

use crate::error::DspError;
use std::sync::Arc;
use crate::loudness::file_meter::{FileFigures, FileLoudness, FilePeaks};
use crate::loudness::true_peak16::Peak16;
use crate::loudness::target::Target;
use crate::settings::{OutputSettings, Settings};
pub use dither::DitherSpec;
use dither::Quantizer;
use resample::Converter;
use serde::{Deserialize, Serialize};
pub use tags::Tags;

/// Margin added to the measured overshoot when lowering a file's gain, dB.
pub const CEILING_MARGIN_DB: f64 = 0.01;

/// Most true-peak measurements of one file.
pub const MAX_CHECKS: usize = 4;

/// A release file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// 16-bit integer WAV, TPDF-dithered.
    Wav16,
    /// 24-bit integer WAV.
    #[default]
    Wav24,
    /// 32-bit float WAV.
    Wav32f,
    /// 16-bit FLAC, TPDF-dithered.
    Flac16,
    /// 24-bit FLAC.
    Flac24,
}

impl Format {
    /// Every format, in the order of their codes.
    pub const ALL: [Format; 5] = [Format::Wav24, Format::Wav16, Format::Wav32f, Format::Flac16, Format::Flac24];

    /// The format's name: `wav16`, `wav24`, `wav32f`, `flac16`, `flac24`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Wav16 => "wav16",
            Format::Wav24 => "wav24",
            Format::Wav32f => "wav32f",
            Format::Flac16 => "flac16",
            Format::Flac24 => "flac24",
        }
    }

    /// The format of a name ([`Format::name`]).
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| format!("unknown format '{name}': choose one of wav16, wav24, wav32f, flac16, flac24"))
    }

    /// The format of a code: 0 wav24, 1 wav16, 2 wav32f, 3 flac16, 4 flac24.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            Format::Wav16 | Format::Flac16 => 16,
            Format::Wav24 | Format::Flac24 => 24,
            Format::Wav32f => 32,
        }
    }

    /// True for FLAC.
    pub fn is_flac(self) -> bool {
        matches!(self, Format::Flac16 | Format::Flac24)
    }

    /// True for float samples.
    pub fn is_float(self) -> bool {
        self == Format::Wav32f
    }

    /// The file name extension: `wav` or `flac`.
    pub fn extension(self) -> &'static str {
        if self.is_flac() {
            "flac"
        } else {
            "wav"
        }
    }
}

/// The delivery sample rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rate {
    /// The master's own rate.
    #[default]
    Source,
    /// This rate, Hz (44 100 or 48 000).
    Hz(u32),
}

impl Rate {
    /// `source`, `44100` or `48000`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "source" => Ok(Rate::Source),
            "44100" | "44.1k" => Ok(Rate::Hz(44_100)),
            "48000" | "48k" => Ok(Rate::Hz(48_000)),
            _ => Err(format!("unknown rate '{s}': choose source, 44100 or 48000")),
        }
    }

    /// The rate of a code: 0 the source's, else the rate itself (44 100 or 48 000).
    pub fn from_code(code: u32) -> Result<Self, String> {
        match code {
            0 => Ok(Rate::Source),
            44_100 | 48_000 => Ok(Rate::Hz(code)),
            _ => Err(format!("{code} Hz: the delivery rate is the source's, 44100 or 48000")),
        }
    }

    /// The delivery rate for a master at `source` Hz.
    pub fn resolve(self, source: u32) -> u32 {
        match self {
            Rate::Source => source,
            Rate::Hz(r) => r,
        }
    }
}

/// What to deliver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliverySpec {
    /// File format.
    pub format: Format,
    /// Sample rate.
    pub rate: Rate,
    /// Tags (all empty: none written).
    pub tags: Tags,
}

/// The chain settings a host renders a master with for delivery: the
/// chain's output-stage dither off (this stage dithers).
pub fn chain_settings(mut settings: Settings) -> Settings {
    settings.output.dither = false;
    settings
}

/// The dither of a file of `format` for a master made with `output`
/// (see the module docs).
pub fn dither_for(format: Format, output: &OutputSettings) -> DitherSpec {
    DitherSpec {
        on: !format.is_float() && (format.bits() == 16 || output.dither),
        noise_shaping: output.noise_shaping,
        seed: output.dither_seed,
    }
}

/// The true-peak ceiling a file must hold, dBTP: the target's, or without a
/// target the limiter's (none when the limiter is bypassed).
pub fn ceiling_for(settings: &Settings, target: Option<Target>) -> Option<f64> {
    match target {
        Some(t) => Some(t.ceiling_dbtp),
        None if !settings.limiter.bypass => Some(settings.limiter.ceiling_dbtp as f64),
        None => None,
    }
}

/// What was measured on a delivered file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Format name.
    pub format: String,
    /// Sample rate of the file, Hz.
    pub sample_rate: u32,
    /// Frames in the file.
    pub frames: usize,
    /// True peak of the file's samples (after conversion and dither), dBTP
    /// (None for digital silence).
    pub true_peak_dbtp: Option<f64>,
    /// The ceiling it was held to, dBTP.
    pub ceiling_dbtp: Option<f64>,
    /// Gain applied to the file to hold the ceiling, dB (0 when none was needed).
    pub gain_db: f64,
    /// True-peak measurements made.
    pub checks: usize,
    /// Whether the converted signal was kept (false: the master was pushed once per check).
    pub kept: bool,
}

/// A finished file's last bytes, header patch and measurements.
#[derive(Debug)]
pub struct Delivered {
    /// The file's last bytes.
    pub tail: Vec<u8>,
    /// Bytes to write over the start of the file (at offset 0) once it is
    /// complete: FLAC's finished `STREAMINFO`. None for WAV.
    pub header_patch: Option<Vec<u8>>,
    /// Measurements of the file.
    pub measured: Measured,
    /// What the file's samples measure, when asked for
    /// ([`Delivery::measure_loudness`]).
    pub figures: Option<FileFigures>,
}

/// The file being written.
#[allow(clippy::large_enum_variant)] // one per file
enum Encoder {
    Wav(wav_out::WavEncoder),
    Flac(flac::FlacEncoder),
}

impl Encoder {
    fn out(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Wav(w) => &mut w.out,
            Encoder::Flac(f) => &mut f.out,
        }
    }
}

/// Where the delivery is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Taking the master: keeping it, measuring it, or encoding it.
    Input(Mode),
    /// Measuring the kept signal, from this frame.
    Measure(usize),
    /// Encoding the kept signal, from this frame.
    Encode(usize),
    /// Finished.
    Done,
}

/// What the pushed master is used for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Kept whole (converted), for [`Delivery::step`].
    Keep,
    /// Measured only.
    Measure,
    /// Measured and encoded.
    Encode,
}

/// A release file in the making (see the module docs).
pub struct Delivery {
    /// What is delivered.
    spec: DeliverySpec,
    /// Channels.
    channels: usize,
    /// Frames of the master.
    in_frames: usize,
    /// The master's rate, Hz.
    source_rate: u32,
    /// The file's rate, Hz.
    out_rate: u32,
    /// Frames of the file.
    out_frames: usize,
    /// The ceiling, dBTP.
    ceiling_dbtp: Option<f64>,
    /// Master frames pushed in this pass.
    pushed: usize,
    /// The rate converter of this pass (None at the source rate).
    converter: Option<Converter>,
    /// The converted signal, while kept (shared with the host when it gave
    /// the whole master at the file's rate: [`Delivery::take_whole`]).
    kept: Option<Arc<Vec<Vec<f32>>>>,
    /// Whether the converted signal is kept (for the whole file).
    keeps: bool,
    /// Where things are.
    phase: Phase,
    /// True between the end of a pass over the master and the first push of the next.
    again: bool,
    /// The file's gain, dB and linear.
    gain_db: f64,
    gain: f64,
    /// Dither and quantisation (None for float).
    quant: Option<Quantizer>,
    /// The 16× true peak of the pass (none in an encoding pass that follows
    /// a measuring one: its samples are the ones measured).
    peaks: Option<FilePeaks>,
    /// Whether the encoding pass meters its samples' loudness.
    measures_loudness: bool,
    /// The encoding pass's loudness meter.
    loudness: Option<FileLoudness>,
    /// Measurements made.
    checks: usize,
    /// The file (while encoding).
    encoder: Option<Encoder>,
    /// Interleaved scratch.
    ints: Vec<i32>,
    floats: Vec<f32>,
    /// The finished samples of a piece, planar, as a decoder reads them.
    planar: Vec<Vec<f32>>,
    /// The 16× reading of the last finished measurement.
    peak: Peak16,
    /// The first measuring pass over the kept signal encodes as it goes
    /// ([`Delivery::encode_while_measuring`]).
    speculates: bool,
    /// True while such a pass runs: its bytes are held back until its
    /// measurement holds the ceiling.
    speculating: bool,
}

impl Delivery {
    /// Starts a file of `spec` from a master of `channels` × `frames` at
    /// `source_rate` Hz, held to `ceiling_dbtp` (see [`ceiling_for`]) and
    /// dithered as `dither` says (see [`dither_for`]). The converted signal
    /// is kept when it takes at most `keep_limit_bytes`.
    pub fn new(
        spec: DeliverySpec,
        channels: usize,
        frames: usize,
        source_rate: u32,
        ceiling_dbtp: Option<f64>,
        dither: DitherSpec,
        keep_limit_bytes: usize,
    ) -> Result<Self, DspError> {
        if channels == 0 || channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: Lacquer delivers mono or stereo")));
        }
        let tags = spec.tags.validated().map_err(DspError::BadSettings)?;
        let spec = DeliverySpec { tags, ..spec };
        let out_rate = spec.rate.resolve(source_rate);
        if !(8_000..=192_000).contains(&out_rate) || !(8_000..=192_000).contains(&source_rate) {
            return Err(DspError::Unsupported(format!("{source_rate} Hz → {out_rate} Hz: Lacquer delivers at 8 to 192 kHz")));
        }
        let out_frames = if out_rate == source_rate { frames } else { resample::converted_len(frames, source_rate, out_rate) };
        if spec.format.is_flac() && out_frames as u64 >= 1 << 36 {
            return Err(DspError::Unsupported("the file is too long for FLAC".into()));
        }
        let keep = ceiling_dbtp.is_some() && channels.saturating_mul(out_frames).saturating_mul(4) <= keep_limit_bytes;
        let mode = match (ceiling_dbtp, keep) {
            (None, _) => Mode::Encode,
            (Some(_), true) => Mode::Keep,
            (Some(_), false) => Mode::Measure,
        };
        let quant = (!spec.format.is_float()).then(|| Quantizer::new(channels, spec.format.bits(), dither));
        let mut d = Self {
            spec,
            channels,
            in_frames: frames,
            source_rate,
            out_rate,
            out_frames,
            ceiling_dbtp,
            pushed: 0,
            converter: None,
            kept: keep.then(|| Arc::new((0..channels).map(|_| Vec::with_capacity(out_frames)).collect())),
            keeps: keep,
            phase: Phase::Input(mode),
            again: false,
            gain_db: 0.0,
            gain: 1.0,
            quant,
            peaks: None,
            measures_loudness: false,
            loudness: None,
            checks: 0,
            encoder: None,
            ints: Vec::new(),
            floats: Vec::new(),
            planar: vec![Vec::new(); channels],
            peak: Peak16::default(),
            speculates: false,
            speculating: false,
        };
        d.start_pass(mode)?;
        Ok(d)
    }

    /// Has the encoding pass meter the loudness of the samples it writes,
    /// for [`Delivered::figures`]. Call before the first push.
    pub fn measure_loudness(&mut self) -> Result<(), DspError> {
        self.measures_loudness = true;
        if self.encoder.is_some() {
            self.loudness = Some(FileLoudness::new(self.channels, self.out_rate)?);
        }
        Ok(())
    }

    /// Has a file that keeps its signal encode it in its first measuring
    /// pass, its bytes held back until that measurement holds the ceiling
    /// (as it almost always does; if not, they are dropped, and the file is
    /// measured and encoded again at the lower gain as usual). The bytes
    /// are the same; the samples are finished once instead of twice. For a
    /// host that hands the file out whole once finished (a bundle); call
    /// before the first push.
    pub fn encode_while_measuring(&mut self) {
        self.speculates = self.keeps;
    }

    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The file's rate, Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Frames in the file.
    pub fn out_frames(&self) -> usize {
        self.out_frames
    }

    /// True when the converted signal is kept (the master is pushed once).
    pub fn keeps_signal(&self) -> bool {
        self.keeps
    }

    /// Starts a pass over the master (or, for `Measure`/`Encode` on the kept
    /// signal, over that).
    fn start_pass(&mut self, mode: Mode) -> Result<(), DspError> {
        self.pushed = 0;
        self.converter = (self.out_rate != self.source_rate && self.in_frames > 0)
            .then(|| Converter::new(self.channels, self.in_frames, self.source_rate, self.out_rate));
        self.start_measuring(mode == Mode::Encode)?;
        if self.in_frames == 0 && self.kept.is_none() {
            self.input_done()?;
        }
        Ok(())
    }

    fn new_encoder(&self) -> Result<Encoder, DspError> {
        let f = self.spec.format;
        let tags = &self.spec.tags;
        Ok(if f.is_flac() {
            let comments = (!tags.is_empty()).then(|| tags.vorbis_comment());
            Encoder::Flac(flac::FlacEncoder::new(self.channels, self.out_frames, self.out_rate, f.bits(), comments)?)
        } else {
            Encoder::Wav(wav_out::WavEncoder::new(self.channels, self.out_frames, self.out_rate, f.bits(), f.is_float(), &tags.wav_list_chunk()))
        })
    }

    /// True when the host must push the master again, from its first frame
    /// (an unkept file's next measurement or its encoding pass).
    pub fn wants_input_again(&self) -> bool {
        self.again
    }

    /// Takes the whole master at once, shared rather than copied, when the
    /// file keeps the master's rate and keeps its signal, before anything
    /// was pushed: then returns true and [`Delivery::step`] measures and
    /// encodes it. Otherwise does nothing and returns false (the host
    /// pushes the master instead).
    pub fn take_whole(&mut self, master: &Arc<Vec<Vec<f32>>>) -> Result<bool, DspError> {
        let fits = master.len() == self.channels && master.iter().all(|c| c.len() == self.in_frames);
        if self.out_rate != self.source_rate || self.pushed != 0 || self.phase != Phase::Input(Mode::Keep) || !fits {
            return Ok(false);
        }
        self.kept = Some(master.clone());
        self.pushed = self.in_frames;
        self.input_done()?;
        Ok(true)
    }

    /// Takes the next piece of the master: one slice per channel, in order.
    pub fn push(&mut self, piece: &[&[f32]]) -> Result<(), DspError> {
        let Phase::Input(mode) = self.phase else {
            panic!("the delivery is not taking input");
        };
        let n = piece.first().map_or(0, |c| c.len());
        assert!(piece.len() == self.channels && piece.iter().all(|c| c.len() == n), "one slice per channel, same lengths");
        assert!(self.pushed + n <= self.in_frames, "more of the master than declared");
        self.again = false;
        self.pushed += n;
        let mut failed = None;
        match self.converter.take() {
            Some(mut conv) => {
                conv.push(piece, &mut |p| {
                    if let Err(e) = self.consume(mode, p) {
                        failed.get_or_insert(e);
                    }
                });
                self.converter = Some(conv);
            }
            None => self.consume(mode, piece)?,
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if self.pushed == self.in_frames {
            self.input_done()?;
        }
        Ok(())
    }

    /// Uses a converted piece.
    fn consume(&mut self, mode: Mode, p: &[&[f32]]) -> Result<(), DspError> {
        match mode {
            Mode::Keep => {
                let kept = Arc::get_mut(self.kept.as_mut().expect("kept")).expect("a kept signal taken whole is never pushed to");
                for (k, c) in kept.iter_mut().zip(p) {
                    k.extend_from_slice(c);
                }
                Ok(())
            }
            Mode::Measure => {
                self.finish_samples(p);
                Ok(())
            }
            Mode::Encode => {
                self.finish_samples(p);
                self.encode_scratch()
            }
        }
    }

    /// Gain, dither, quantisation and measurement of a piece into the
    /// interleaved scratch.
    fn finish_samples(&mut self, p: &[&[f32]]) {
        let n = p.first().map_or(0, |c| c.len());
        let ch = self.channels;
        // The samples as a decoder reads them: integers over 2^(bits − 1),
        // or the floats (NaN and Inf metered as 0).
        match self.quant.as_mut() {
            Some(q) => {
                self.ints.resize(n * ch, 0);
                q.run(p, self.gain, &mut self.ints);
                let inv = 1.0 / q.scale();
                for (c, out) in self.planar.iter_mut().enumerate() {
                    out.clear();
                    out.extend(self.ints[c..].iter().step_by(ch).map(|&v| (v as f64 * inv) as f32));
                }
            }
            None => {
                self.floats.resize(n * ch, 0.0);
                dither::to_float(p, self.gain, &mut self.floats);
                for (c, out) in self.planar.iter_mut().enumerate() {
                    out.clear();
                    out.extend(self.floats[c..].iter().step_by(ch).map(|&v| if v.is_finite() { v } else { 0.0 }));
                }
            }
        }
        let refs: Vec<&[f32]> = self.planar.iter().map(Vec::as_slice).collect();
        if let Some(m) = self.peaks.as_mut() {
            m.add(&refs);
        }
        if let Some(m) = self.loudness.as_mut() {
            m.add(&refs);
        }
    }

    /// Encodes the interleaved scratch.
    fn encode_scratch(&mut self) -> Result<(), DspError> {
        match self.encoder.as_mut().expect("encoding") {
            Encoder::Wav(w) => {
                if self.quant.is_some() {
                    w.write_ints(&self.ints)
                } else {
                    w.write_floats(&self.floats)
                }
                Ok(())
            }
            Encoder::Flac(f) => f.write(&self.ints),
        }
    }

    /// Checks a finished measuring pass: true when the ceiling holds (or
    /// no more checks are allowed); otherwise lowers the gain.
    fn check(&mut self) -> bool {
        self.end_peaks();
        self.checks += 1;
        let (Some(ceiling), Some(tp)) = (self.ceiling_dbtp, crate::loudness::meter::lin_to_db(self.peak.true_peak_16x)) else {
            return true;
        };
        if tp <= ceiling || self.checks >= MAX_CHECKS {
            return true;
        }
        self.gain_db -= tp - ceiling + CEILING_MARGIN_DB;
        self.gain = libm::pow(10.0, self.gain_db / 20.0);
        false
    }

    /// The end of a pass over the master.
    fn input_done(&mut self) -> Result<(), DspError> {
        let Phase::Input(mode) = self.phase else { unreachable!() };
        debug_assert!(self.converter.as_ref().is_none_or(Converter::done));
        match mode {
            Mode::Keep if self.speculates => {
                self.speculating = true;
                self.phase = Phase::Encode(0);
                self.start_measuring(true)?;
            }
            Mode::Keep => {
                self.phase = Phase::Measure(0);
                self.start_measuring(false)?;
            }
            Mode::Measure => {
                let next = if self.check() { Mode::Encode } else { Mode::Measure };
                self.phase = Phase::Input(next);
                self.again = true;
                self.start_pass(next)?;
            }
            Mode::Encode => {
                self.end_peaks();
                self.phase = Phase::Done;
            }
        }
        Ok(())
    }

    /// Starts a measuring pass, or the encoding pass, over the kept signal
    /// or the master: the dither from its seed, the 16× meter (unless the
    /// encoding follows a measurement of the same samples), the encoder and
    /// its loudness meter.
    fn start_measuring(&mut self, encode: bool) -> Result<(), DspError> {
        if let Some(q) = self.quant.as_mut() {
            q.reset();
        }
        let measured_before = encode && self.checks > 0;
        self.peaks = (!measured_before).then(|| FilePeaks::new(self.channels, self.out_rate));
        if encode {
            self.encoder = Some(self.new_encoder()?);
            if self.measures_loudness {
                self.loudness = Some(FileLoudness::new(self.channels, self.out_rate)?);
            }
        }
        Ok(())
    }

    /// Ends the pass's 16× meter, if it ran: the reading becomes the file's.
    fn end_peaks(&mut self) {
        if let Some(p) = self.peaks.take() {
            self.peak = p.finish();
        }
    }

    /// Does up to about `budget_frames` frames of the work on the kept
    /// signal (measuring, then encoding) once the master has been pushed.
    /// Returns true when the file is finished ([`Delivery::finish`] may be
    /// called). Without a kept signal there is nothing to do here: it
    /// returns whether the last pass over the master has ended.
    pub fn step(&mut self, budget_frames: usize) -> Result<bool, DspError> {
        let budget = budget_frames.max(1);
        let mut used = 0;
        while used < budget {
            match self.phase {
                Phase::Input(_) | Phase::Done => break,
                Phase::Measure(pos) | Phase::Encode(pos) => {
                    let encode = matches!(self.phase, Phase::Encode(_));
                    let n = (self.out_frames - pos).min(budget - used).min(crate::render::PIECE);
                    let kept = self.kept.take().expect("kept");
                    {
                        let piece: Vec<&[f32]> = kept.iter().map(|c| &c[pos..pos + n]).collect();
                        self.finish_samples(&piece);
                    }
                    self.kept = Some(kept);
                    if encode {
                        self.encode_scratch()?;
                    }
                    used += n.max(1);
                    let pos = pos + n;
                    if pos < self.out_frames {
                        self.phase = if encode { Phase::Encode(pos) } else { Phase::Measure(pos) };
                    } else if encode && self.speculating && !self.check() {
                        // Over the ceiling: the bytes go, and the file is
                        // measured again at the lower gain, then encoded.
                        self.speculating = false;
                        self.encoder = None;
                        self.loudness = None;
                        self.phase = Phase::Measure(0);
                        self.start_measuring(false)?;
                    } else if encode {
                        self.speculating = false;
                        self.end_peaks();
                        self.kept = None;
                        self.phase = Phase::Done;
                    } else if self.check() {
                        self.phase = Phase::Encode(0);
                        self.start_measuring(true)?;
                    } else {
                        self.phase = Phase::Measure(0);
                        self.start_measuring(false)?;
                    }
                }
            }
        }
        Ok(self.phase == Phase::Done)
    }

    /// True when the file is finished.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The file's bytes encoded since the last call (none while they are
    /// held back: [`Delivery::encode_while_measuring`]).
    pub fn take_bytes(&mut self) -> Vec<u8> {
        if self.speculating {
            return Vec::new();
        }
        self.encoder.as_mut().map(|e| std::mem::take(e.out())).unwrap_or_default()
    }

    /// The bytes encoded since the last call, appended to `out` (cleared
    /// first; none while they are held back).
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        out.clear();
        if let (Some(e), false) = (self.encoder.as_mut(), self.speculating) {
            out.append(e.out());
        }
    }

    /// Ends the file: its last bytes, the header patch (FLAC) and the
    /// measurements. Fails if the file is not finished.
    pub fn finish(mut self) -> Result<Delivered, DspError> {
        if self.phase != Phase::Done {
            return Err(DspError::BadInput("the file is not finished".into()));
        }
        let measured = Measured {
            format: self.spec.format.name().into(),
            sample_rate: self.out_rate,
            frames: self.out_frames,
            true_peak_dbtp: crate::loudness::meter::lin_to_db(self.peak.true_peak_16x),
            ceiling_dbtp: self.ceiling_dbtp,
            gain_db: self.gain_db,
            checks: self.checks,
            kept: self.keeps,
        };
        // (A file of no frames finishes before it could be asked.)
        let loudness = self.loudness.take().or_else(|| {
            self.measures_loudness.then(|| FileLoudness::new(self.channels, self.out_rate).ok()).flatten()
        });
        let figures = loudness.map(|l| FileFigures {
            loudness: l.figures(),
            peak: self.peak,
            frames: self.out_frames as u64,
        });
        let tagged = !self.spec.tags.is_empty();
        let (tail, header_patch) = match self.encoder.take().expect("encoded") {
            Encoder::Wav(w) => (w.finish(), None),
            Encoder::Flac(f) => {
                let (tail, patch) = f.finish(tagged)?;
                (tail, Some(patch))
            }
        };
        Ok(Delivered { tail, header_patch, measured, figures })
    }
}
