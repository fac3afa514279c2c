//! One loaded file, as the browser's worker holds it: the decoded audio,
//! exactly once, and what was measured of it.
//!
//! The worker owns a [`Session`] and drives it in bounded steps so that it
//! can answer messages between them (playback chunks, cancel):
//!
//! 1. **Load.** A WAV file in a common layout is read in pieces:
//!    [`Session::open_wav`] parses the header from the file's first bytes,
//!    then [`Session::wav_next`] says which bytes to read next and
//!    [`Session::feed_wav`] decodes them (with [`crate::wav::PcmStream`],
//!    the CLI's decoder, so the samples are the CLI's). Other formats are
//!    decoded by the browser and written channel by channel into the storage
//!    that [`Session::begin`] allocates ([`Session::channel_mut`],
//!    [`Session::commit`]).
//! 2. **Analyse.** [`Session::analyze`] feeds the audio to an
//!    [`Analyzer`] a piece at a time: the loudness report, the peak pyramid
//!    and the long-term spectrum.
//! 3. **Export.** [`export::Export`] masters the shared audio without
//!    copying it and hands over the file's bytes a piece at a time; it can
//!    analyse the master on the way, and a preview does only that (the
//!    master's waveform, curves and spectrum, without a file).
//! 4. **Bundle.** [`bundle::BundleJob`] makes the release bundle over the
//!    same shared audio, a piece at a time (the CLI's ZIP, byte for byte).
//! 5. **Verify.** [`verify::Verify`] measures a delivered file as the
//!    browser decoded it again, before the file is offered.

pub mod bundle;
pub mod export;
pub mod outcomes;
pub mod pieces;
pub mod verify;

use crate::analysis::{Analysis, Analyzer, PeakBuilder, PeakPyramid};
use crate::error::DspError;
use crate::wav::PcmStream;
use pieces::PieceReader;
use std::sync::Arc;

/// Most header bytes read before giving up on streaming a WAV file (metadata
/// chunks before the samples can be large: cover art, for one), bytes.
pub const MAX_HEADER_BYTES: usize = 16 << 20;

/// What [`Session::open_wav`] found.
pub enum WavOpen {
    /// A WAV file in a common layout: its samples can now be read in pieces.
    Ready(Box<Session>),
    /// Not a WAV file this reader streams (another layout, or damaged): the
    /// host decodes it another way, which also explains what is wrong.
    NotStreamable,
    /// The header goes on past the bytes given: read more of the file's
    /// start (up to [`MAX_HEADER_BYTES`]) and try again.
    NeedHeader,
}

/// The loaded audio and its analysis.
pub struct Session {
    /// The audio, planar, one `Vec` per channel, allocated once at its full
    /// length. Shared with export jobs, which never copy it.
    input: Arc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Frames per channel in the file.
    frames: usize,
    /// Frames decoded into `input` so far.
    loaded: usize,
    /// The WAV decoder while a WAV file is being read.
    wav: Option<PcmStream<PieceReader>>,
    /// The waveform's peak pyramid while the file loads (cheap), so the
    /// waveform can be drawn before the rest of the analysis.
    loading_peaks: Option<PeakBuilder>,
    /// The finished pyramid, once the file is loaded.
    peaks: Option<PeakPyramid>,
    /// The analysis while it runs.
    analyzer: Option<Analyzer>,
    /// Frames analysed so far.
    analyzed: usize,
    /// The finished analysis.
    analysis: Option<Analysis>,
    /// Master-to-target outcomes found on this audio.
    outcomes: outcomes::Outcomes,
}

impl Session {
    /// Storage for `frames` frames of `channels` channels at `sample_rate`,
    /// to be filled with [`Session::channel_mut`] and [`Session::commit`].
    pub fn begin(channels: usize, frames: usize, sample_rate: u32) -> Result<Self, DspError> {
        if channels == 0 || channels > 2 {
            return Err(DspError::Unsupported(format!("the file has {channels} channels; Lacquer masters mono and stereo files")));
        }
        if !(8_000..=192_000).contains(&sample_rate) {
            return Err(DspError::Unsupported(format!(
                "the file is at {sample_rate} Hz; Lacquer works with sample rates from 8 to 192 kHz"
            )));
        }
        if frames == 0 {
            return Err(DspError::BadInput("the file holds no audio".into()));
        }
        Ok(Self {
            input: Arc::new(crate::render::zeroed(channels, frames)),
            sample_rate,
            frames,
            loaded: 0,
            wav: None,
            loading_peaks: Some(PeakBuilder::new(channels, frames)),
            peaks: None,
            analyzer: None,
            analyzed: 0,
            analysis: None,
            outcomes: outcomes::Outcomes::default(),
        })
    }

    /// Opens a WAV file of `file_len` bytes from its first bytes, `head`.
    pub fn open_wav(head: Vec<u8>, file_len: u64) -> Result<WavOpen, DspError> {
        let head_len = head.len();
        match PcmStream::new(PieceReader::new(head, file_len)) {
            Some(pcm) => {
                let mut s = Self::begin(pcm.channels(), pcm.frames(), pcm.sample_rate())?;
                s.wav = Some(pcm);
                Ok(WavOpen::Ready(Box::new(s)))
            }
            None if (head_len as u64) < file_len && head_len < MAX_HEADER_BYTES => Ok(WavOpen::NeedHeader),
            None => Ok(WavOpen::NotStreamable),
        }
    }

    /// The next stretch of the WAV file to read, as `(offset, length)` in
    /// bytes, at most `max_bytes` long (whole frames); `None` when every
    /// frame has been read.
    pub fn wav_next(&self, max_bytes: usize) -> Option<(u64, usize)> {
        let pcm = self.wav.as_ref()?;
        let left = self.frames - self.loaded;
        if left == 0 {
            return None;
        }
        let step = pcm.frame_bytes();
        let n = (max_bytes / step).clamp(1, left);
        Some((pcm_position(pcm), n * step))
    }

    /// Decodes `bytes`, the stretch [`Session::wav_next`] asked for.
    pub fn feed_wav(&mut self, bytes: &[u8]) -> Result<(), DspError> {
        let Some(pcm) = self.wav.as_mut() else {
            return Err(DspError::BadInput("no WAV file is being read".into()));
        };
        let at = pcm_position(pcm);
        let n = (bytes.len() / pcm.frame_bytes()).min(self.frames - self.loaded);
        pcm.get_mut().set_piece(bytes, at);
        let from = self.loaded;
        let input = Arc::get_mut(&mut self.input).ok_or_else(busy)?;
        let mut out: Vec<&mut [f32]> = input.iter_mut().map(|c| &mut c[from..from + n]).collect();
        pcm.read_into(&mut out)?;
        self.mark_loaded(from + n);
        if self.loaded == self.frames {
            self.wav = None;
        }
        Ok(())
    }

    /// Channel `c`'s storage, to be written by a host that decodes the file
    /// itself (then [`Session::commit`]). `None` once an export shares it.
    pub fn channel_mut(&mut self, c: usize) -> Option<&mut [f32]> {
        Arc::get_mut(&mut self.input)?.get_mut(c).map(Vec::as_mut_slice)
    }

    /// Marks the first `frames` frames of every channel as written.
    pub fn commit(&mut self, frames: usize) {
        self.mark_loaded(frames.min(self.frames));
    }

    /// Frames up to `to` are in storage: they go into the peak pyramid.
    fn mark_loaded(&mut self, to: usize) {
        if to <= self.loaded {
            return;
        }
        if let Some(p) = self.loading_peaks.as_mut() {
            let piece: Vec<&[f32]> = self.input.iter().map(|c| &c[self.loaded..to]).collect();
            p.add(&piece);
        }
        self.loaded = to;
        if self.loaded == self.frames {
            self.peaks = self.loading_peaks.take().map(PeakBuilder::finish);
        }
    }

    /// The waveform's peak pyramid, once the file is loaded (before the
    /// analysis is done).
    pub fn peaks(&self) -> Option<&PeakPyramid> {
        self.peaks.as_ref()
    }

    /// True once every frame is in storage (playback can start).
    pub fn loaded(&self) -> bool {
        self.loaded == self.frames
    }

    /// Fraction of the file in storage, 0..1.
    pub fn load_fraction(&self) -> f64 {
        self.loaded as f64 / self.frames as f64
    }

    /// Analyses up to `budget_frames` more frames. Returns true when the
    /// analysis is finished (call only once the file is loaded).
    pub fn analyze(&mut self, budget_frames: usize) -> Result<bool, DspError> {
        if self.analysis.is_some() {
            return Ok(true);
        }
        if !self.loaded() {
            return Err(DspError::BadInput("the file is not loaded yet".into()));
        }
        if self.analyzer.is_none() {
            self.analyzer = Some(Analyzer::new(self.channels(), self.sample_rate, self.frames)?);
        }
        let a = self.analyzer.as_mut().expect("analyser");
        let end = self.frames.min(self.analyzed + budget_frames.max(1));
        let piece: Vec<&[f32]> = self.input.iter().map(|c| &c[self.analyzed..end]).collect();
        a.add(&piece);
        self.analyzed = end;
        if end == self.frames {
            self.analysis = self.analyzer.take().map(Analyzer::finish);
        }
        Ok(self.analysis.is_some())
    }

    /// Fraction of the file analysed, 0..1.
    pub fn analyze_fraction(&self) -> f64 {
        self.analyzed as f64 / self.frames as f64
    }

    /// The master-to-target outcomes found on this audio so far.
    pub fn outcomes(&self) -> &outcomes::Outcomes {
        &self.outcomes
    }

    /// The analysis, once finished.
    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref()
    }

    /// The audio, shared (for export jobs).
    pub fn input(&self) -> &Arc<Vec<Vec<f32>>> {
        &self.input
    }

    /// Channels, 1 or 2.
    pub fn channels(&self) -> usize {
        self.input.len()
    }

    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
}

/// Where a WAV decoder will read next, bytes.
fn pcm_position(pcm: &PcmStream<PieceReader>) -> u64 {
    pcm.get_ref().position()
}

fn busy() -> DspError {
    DspError::BadInput("the audio is in use by an export".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wav;

    /// A stereo 24-bit and a mono 16-bit WAV file, each read in pieces of
    /// several sizes, give exactly the samples `wav::read` gives.
    #[test]
    fn wav_read_in_pieces_equals_the_whole_file_read() {
        let sr = 48_000;
        for (channels, bits) in [(2usize, 24u16), (1, 16)] {
            let audio: Vec<Vec<f32>> =
                (0..channels).map(|c| crate::test_signals::noise(10_007, 0.5, 3 + c as u32)).collect();
            let bytes = wav::write_pcm(&audio, sr, bits);
            let want = wav::read(&bytes).unwrap();
            for (head, piece) in [(44usize, 1000usize), (12, 6), (64 << 10, 1 << 20)] {
                let mut head = head.min(bytes.len());
                let mut s = loop {
                    match Session::open_wav(bytes[..head].to_vec(), bytes.len() as u64).unwrap() {
                        WavOpen::Ready(s) => break *s,
                        WavOpen::NeedHeader => head = (head * 2).min(bytes.len()),
                        WavOpen::NotStreamable => panic!("a plain PCM WAV streams"),
                    }
                };
                while let Some((at, len)) = s.wav_next(piece) {
                    s.feed_wav(&bytes[at as usize..at as usize + len]).unwrap();
                }
                assert!(s.loaded());
                assert_eq!(s.peaks().map(|p| p.frames()), Some(want.frames()), "the pyramid is built while reading");
                assert_eq!(s.sample_rate(), sr);
                assert_eq!(**s.input(), want.channels, "{channels} ch {bits} bit, pieces of {piece}");
            }
        }
    }

    #[test]
    fn other_layouts_and_bad_formats_are_refused_clearly() {
        // 8-bit PCM is not streamed: the host decodes it another way.
        let spec = hound::WavSpec { channels: 1, sample_rate: 44_100, bits_per_sample: 8, sample_format: hound::SampleFormat::Int };
        let mut cur = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for i in 0..100 {
            w.write_sample(i as i8).unwrap();
        }
        w.finalize().unwrap();
        let b = cur.into_inner();
        assert!(matches!(Session::open_wav(b.clone(), b.len() as u64).unwrap(), WavOpen::NotStreamable));
        assert!(matches!(Session::open_wav(b"RIFF".to_vec(), 1000).unwrap(), WavOpen::NeedHeader));
        assert!(matches!(Session::begin(3, 10, 48_000), Err(DspError::Unsupported(_))));
        assert!(matches!(Session::begin(2, 10, 4_000), Err(DspError::Unsupported(_))));
        assert!(matches!(Session::begin(2, 0, 48_000), Err(DspError::BadInput(_))));
    }

    #[test]
    fn decoded_channels_written_in_place_then_analysed() {
        let sr = 44_100;
        let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise(sr as usize * 5, 0.3, 9 + c as u32)).collect();
        let mut s = Session::begin(2, audio[0].len(), sr).unwrap();
        for (c, a) in audio.iter().enumerate() {
            s.channel_mut(c).unwrap().copy_from_slice(a);
        }
        assert!(!s.loaded());
        s.commit(audio[0].len());
        assert!(s.loaded());
        // The waveform's pyramid is ready at load, and is the analysis's own.
        let at_load = s.peaks().cloned().expect("peaks at load");
        while !s.analyze(10_000).unwrap() {}
        assert_eq!(&at_load, &s.analysis().unwrap().peaks);
        let mut m = crate::loudness::meter::Meter::new(2, sr).unwrap();
        m.add_channels(&audio, 0, audio[0].len());
        assert_eq!(s.analysis().unwrap().loudness, m.report());
    }
}
