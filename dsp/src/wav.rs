//! WAV reading and writing (via `hound`).
//!
//! Reading scales integer PCM exactly as Chromium's `decodeAudioData` does, so the
//! CLI and the browser feed the chain identical samples:
//! - 24-bit: `int / 2^23`; 32-bit: `int / 2^31`;
//! - 16-bit: positive values times the f32 reciprocal of 32767 (`1.0f32 / 32767.0`,
//!   which rounds differently from a true division for about 2% of values),
//!   negative values `/ 32768`;
//! - 8-bit (unsigned): centred on 128, positive times `1.0f32 / 127.0`, negative `/ 128`;
//! - 32-bit float: as stored.
//!
//! Writing quantises by rounding to the nearest step (any dither has already
//! been added at the target word length) and clips at full scale. Written
//! files have format code 1 (`WAVE_FORMAT_PCM`) for integer samples and 3
//! (`WAVE_FORMAT_IEEE_FLOAT`) for float, any metadata chunks before `data`,
//! and nothing after it but its pad byte ([`header`]).

use crate::error::DspError;
use std::io::Cursor;

/// Decoded audio: planar channels and the file's own sample rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    /// One `Vec` per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    pub sample_rate: u32,
}

impl Audio {
    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, |c| c.len())
    }
}

/// Frames decoded at a time by [`read`].
pub const PIECE: usize = 1 << 15;

/// Reads a WAV file from bytes.
pub fn read(bytes: &[u8]) -> Result<Audio, DspError> {
    let reader = hound::WavReader::new(Cursor::new(bytes))
        .map_err(|e| DspError::BadInput(format!("not a readable WAV file ({e})")))?;
    let spec = reader.spec();
    let ch = spec.channels as usize;
    if ch == 0 {
        return Err(DspError::BadInput("the WAV file declares zero channels".into()));
    }
    if spec.sample_rate == 0 {
        return Err(DspError::BadInput("the WAV file declares a sample rate of 0 Hz".into()));
    }
    let frames = reader.duration() as usize;
    if let Some(mut pcm) = PcmStream::new(Cursor::new(bytes)) {
        let mut channels = crate::render::zeroed(ch, frames);
        for mut out in crate::render::in_step(channels.iter_mut().map(|c| c.chunks_mut(PIECE)).collect()) {
            pcm.read_into(&mut out)?;
        }
        return Ok(Audio { channels, sample_rate: spec.sample_rate });
    }
    let mut channels: Vec<Vec<f32>> = (0..ch).map(|_| Vec::with_capacity(frames)).collect();
    let mut push = |i: usize, v: f32| channels[i % ch].push(v);
    let bad = |e: hound::Error| DspError::BadInput(format!("the WAV data is damaged ({e})"));
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for (i, s) in reader.into_samples::<f32>().enumerate() {
                push(i, s.map_err(bad)?);
            }
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            for (i, s) in reader.into_samples::<i32>().enumerate() {
                push(i, int_to_f32(s.map_err(bad)?, bits));
            }
        }
        (fmt, bits) => {
            return Err(DspError::Unsupported(format!(
                "{bits}-bit {} WAV is not supported",
                if fmt == hound::SampleFormat::Float { "float" } else { "integer" }
            )))
        }
    }
    // A truncated final frame leaves channels uneven: drop the partial frame.
    let n = channels.iter().map(Vec::len).min().unwrap_or(0);
    for c in &mut channels {
        c.truncate(n);
    }
    Ok(Audio { channels, sample_rate: spec.sample_rate })
}

/// How the samples of a [`PcmStream`] are stored.
#[derive(Clone, Copy, Debug)]
enum Packed {
    I16,
    I24,
    F32,
}

/// The samples of a WAV file in one of the common layouts (16- and 24-bit
/// integer, 32-bit float, packed in whole bytes, data chunk complete), decoded
/// straight from its bytes piece by piece, in order, with the same scaling as
/// [`read`]. A file can be decoded while the first pieces are already in use
/// and without holding its bytes in memory.
pub struct PcmStream<R> {
    /// The file, positioned at the next undecoded frame.
    reader: R,
    /// Sample layout.
    packed: Packed,
    /// Channels.
    channels: usize,
    /// Frames in the file.
    frames: usize,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Frames decoded so far.
    done: usize,
    /// The bytes of the piece being decoded.
    bytes: Vec<u8>,
}

impl<R: std::io::Read + std::io::Seek> PcmStream<R> {
    /// The stream of `reader`'s samples, or `None` when the file is not in one
    /// of the common layouts (or not a readable WAV file): [`read`] then
    /// decodes it, or says what is wrong with it.
    pub fn new(reader: R) -> Option<Self> {
        use hound::SampleFormat::{Float, Int};
        use std::io::SeekFrom;
        let wav = hound::WavReader::new(reader).ok()?;
        let spec = wav.spec();
        let (channels, frames) = (spec.channels as usize, wav.duration() as usize);
        let (packed, width) = match (spec.sample_format, spec.bits_per_sample) {
            (Int, 16) => (Packed::I16, 2),
            (Int, 24) => (Packed::I24, 3),
            (Float, 32) => (Packed::F32, 4),
            _ => return None,
        };
        if channels == 0 || spec.sample_rate == 0 {
            return None;
        }
        // hound leaves the reader at the start of the data chunk's payload; the
        // chunk's declared size is the four bytes before it.
        let mut reader = wav.into_inner();
        let start = reader.stream_position().ok()?;
        reader.seek(SeekFrom::Start(start.checked_sub(4)?)).ok()?;
        let mut size = [0u8; 4];
        reader.read_exact(&mut size).ok()?;
        let size = u32::from_le_bytes(size) as usize;
        let len = reader.seek(SeekFrom::End(0)).ok()?;
        reader.seek(SeekFrom::Start(start)).ok()?;
        let need = frames.checked_mul(channels)?.checked_mul(width)?;
        // Only when the samples fill the chunk exactly (no padding to wider
        // containers) and the file holds all of them.
        if size / width / channels != frames || size < need || size - need >= width * channels {
            return None;
        }
        if (len - start) < need as u64 {
            return None;
        }
        Some(Self { reader, packed, channels, frames, sample_rate: spec.sample_rate, done: 0, bytes: Vec::new() })
    }
}

impl<R: std::io::Read> PcmStream<R> {
    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames in the file.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Frames decoded so far.
    pub fn frames_done(&self) -> usize {
        self.done
    }

    /// Bytes per frame in the file.
    pub fn frame_bytes(&self) -> usize {
        self.channels
            * match self.packed {
                Packed::I16 => 2,
                Packed::I24 => 3,
                Packed::F32 => 4,
            }
    }

    /// The reader, positioned at the next undecoded frame.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader, positioned at the next undecoded frame.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Decodes the next `out[0].len()` frames into `out`, one slice per
    /// channel (all the same length, at most the frames left).
    pub fn read_into(&mut self, out: &mut [&mut [f32]]) -> Result<(), DspError> {
        let n = out.first().map_or(0, |c| c.len());
        assert!(out.len() == self.channels && out.iter().all(|c| c.len() == n), "one slice per channel, same lengths");
        assert!(n <= self.frames - self.done, "past the end of the file");
        let width = match self.packed {
            Packed::I16 => 2,
            Packed::I24 => 3,
            Packed::F32 => 4,
        };
        let step = width * self.channels;
        self.bytes.resize(n * step, 0);
        self.reader
            .read_exact(&mut self.bytes)
            .map_err(|e| DspError::BadInput(format!("the WAV data cannot be read ({e})")))?;
        for (c, dst) in out.iter_mut().enumerate() {
            let src = self.bytes[c * width..].chunks(step);
            match self.packed {
                Packed::I16 => dst
                    .iter_mut()
                    .zip(src)
                    .for_each(|(o, s)| *o = int_to_f32(i16::from_le_bytes([s[0], s[1]]) as i32, 16)),
                Packed::I24 => dst
                    .iter_mut()
                    .zip(src)
                    .for_each(|(o, s)| *o = int_to_f32(i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8, 24)),
                Packed::F32 => dst.iter_mut().zip(src).for_each(|(o, s)| *o = f32::from_le_bytes([s[0], s[1], s[2], s[3]])),
            }
        }
        self.done += n;
        Ok(())
    }
}

/// Converts an integer PCM sample to f32 with the browser's scaling.
fn int_to_f32(v: i32, bits: u16) -> f32 {
    match bits {
        8 => {
            // hound returns 8-bit samples already centred (−128..127).
            if v >= 0 { v as f32 * (1.0f32 / 127.0) } else { v as f32 / 128.0 }
        }
        16 => {
            if v >= 0 { v as f32 * (1.0f32 / 32767.0) } else { v as f32 / 32768.0 }
        }
        24 => v as f32 / 8_388_608.0,
        _ => (v as f64 / 2_147_483_648.0) as f32,
    }
}

/// Quantises one sample to a signed integer of `bits` bits (round to nearest,
/// halves away from zero, as `f64::round`; clip).
pub fn quantize(x: f32, bits: u16) -> i32 {
    let scale = 1i64 << (bits - 1);
    let v = if x.is_finite() { x as f64 * scale as f64 } else { 0.0 };
    // `v` is an f32 times a power of two (24 significant bits at most), so
    // `|v| + 0.5` is exact (below 2^52, far past the clip) and truncating it
    // rounds `|v|`. (The truncating cast is one instruction; `round` is a
    // library call on baseline x86-64.)
    let m = (v.abs() + 0.5) as i64;
    (if v < 0.0 { -m } else { m }).clamp(-scale, scale - 1) as i32
}

/// The header of a WAV file holding `frames` frames, up to the start of the
/// samples, with every size filled in: `RIFF`/`WAVE`, `fmt `, then `extra`
/// (whole chunks, such as a `LIST`/`INFO` chunk of tags, placed before the
/// samples), then the `data` chunk's header. Integer PCM of 16 or 24 bits has
/// format code 1 (`WAVE_FORMAT_PCM`, a 16-byte `fmt ` chunk) whatever the
/// channel count (never `WAVE_FORMAT_EXTENSIBLE`, which some delivery
/// specifications refuse); 32-bit float (`float`) has format code 3
/// (`WAVE_FORMAT_IEEE_FLOAT`, an 18-byte `fmt ` chunk with `cbSize` 0, and
/// the `fact` chunk non-PCM formats carry). Returns the header and the size
/// of the samples, bytes. The samples' data chunk is the file's last chunk:
/// after it comes only its pad byte, when its size is odd.
pub fn header(channels: usize, frames: usize, sample_rate: u32, bits: u16, float: bool, extra: &[u8]) -> (Vec<u8>, usize) {
    assert!(if float { bits == 32 } else { bits == 16 || bits == 24 }, "16- or 24-bit integer, or 32-bit float");
    let block = channels * (bits as usize / 8);
    let data = frames * block;
    let mut out = Vec::with_capacity(64 + extra.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&(if float { 18u32 } else { 16 }).to_le_bytes());
    out.extend_from_slice(&(if float { 3u16 } else { 1 }).to_le_bytes());
    out.extend_from_slice(&(channels as u16).to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * block as u32).to_le_bytes());
    out.extend_from_slice(&(block as u16).to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    if float {
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&(frames as u32).to_le_bytes());
    }
    assert!(extra.len().is_multiple_of(2), "whole, word-aligned chunks");
    out.extend_from_slice(extra);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data as u32).to_le_bytes());
    // RIFF chunks are word aligned: an odd-sized data chunk gets a pad byte.
    let riff = (out.len() - 8 + data + data % 2) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    (out, data)
}

/// The header of a PCM WAV file of 16 or 24 bits holding `frames` frames
/// (format code 1, no other chunks). Returns the header and the size of the
/// samples, bytes.
fn pcm_header(channels: usize, frames: usize, sample_rate: u32, bits: u16) -> (Vec<u8>, usize) {
    header(channels, frames, sample_rate, bits, false, &[])
}

/// Packs frames `from..` of planar `channels` into `dst` (whole interleaved
/// frames of `bits`-bit samples, as many as `dst` holds).
fn pack<C: AsRef<[f32]>>(dst: &mut [u8], channels: &[C], from: usize, bits: u16) {
    let width = bits as usize / 8;
    let step = width * channels.len();
    if dst.is_empty() {
        return;
    }
    for (c, chan) in channels.iter().enumerate() {
        for (d, &x) in dst[c * width..].chunks_mut(step).zip(&chan.as_ref()[from..]) {
            let q = quantize(x, bits).to_le_bytes();
            d[..width].copy_from_slice(&q[..width]);
        }
    }
}

/// Encodes planar channels as PCM WAV of 16 or 24 bits.
pub fn write_pcm(channels: &[Vec<f32>], sample_rate: u32, bits: u16) -> Vec<u8> {
    let frames = channels.first().map_or(0, |c| c.len());
    let (mut out, data) = pcm_header(channels.len(), frames, sample_rate, bits);
    let header = out.len();
    out.resize(header + data + data % 2, 0);
    let body = &mut out[header..header + data];
    // Natively, the two halves of the file on two threads (same bytes).
    #[cfg(not(target_arch = "wasm32"))]
    {
        let half = frames / 2;
        let (a, b) = body.split_at_mut(half * channels.len() * (bits as usize / 8));
        std::thread::scope(|sc| {
            sc.spawn(|| pack(b, channels, half, bits));
            pack(a, channels, 0, bits);
        });
    }
    #[cfg(target_arch = "wasm32")]
    pack(body, channels, 0, bits);
    out
}

/// Writes a PCM WAV file of 16 or 24 bits as its samples become ready: the
/// header first (the length is known up front), then each piece of frames.
/// The bytes are exactly [`write_pcm`]'s.
pub struct PcmWriter<W: std::io::Write> {
    /// Where the file goes.
    out: W,
    /// Channels.
    channels: usize,
    /// Bits per sample.
    bits: u16,
    /// Frames still to come.
    left: usize,
    /// Whether the data chunk needs a pad byte.
    pad: bool,
    /// The packed bytes of the current piece.
    buf: Vec<u8>,
}

impl<W: std::io::Write> PcmWriter<W> {
    /// Writes the header of a file of `frames` frames of `channels` channels.
    pub fn new(mut out: W, channels: usize, frames: usize, sample_rate: u32, bits: u16) -> std::io::Result<Self> {
        let (header, data) = pcm_header(channels, frames, sample_rate, bits);
        out.write_all(&header)?;
        Ok(Self { out, channels, bits, left: frames, pad: data % 2 == 1, buf: Vec::new() })
    }

    /// Writes the next frames: one slice per channel, all the same length.
    pub fn write(&mut self, piece: &[&[f32]]) -> std::io::Result<()> {
        let n = piece.first().map_or(0, |c| c.len());
        assert!(piece.len() == self.channels && n <= self.left, "one slice per channel, within the declared length");
        self.buf.resize(n * self.channels * (self.bits as usize / 8), 0);
        pack(&mut self.buf, piece, 0, self.bits);
        self.left -= n;
        self.out.write_all(&self.buf)
    }

    /// Where the file goes (for a host that drains what was written so far).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Ends the file (all the declared frames must have been written) and
    /// returns the writer, flushed.
    pub fn finish(mut self) -> std::io::Result<W> {
        assert!(self.left == 0, "{} frames short of the declared length", self.left);
        if self.pad {
            self.out.write_all(&[0])?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm24_round_trips_exactly() {
        let ch = vec![
            vec![0.0, 0.5, -0.5, -1.0, 8_388_607.0 / 8_388_608.0],
            vec![1.0 / 8_388_608.0, -0.25, 0.125, 0.0, 0.0],
        ];
        let bytes = write_pcm(&ch, 44_100, 24);
        let a = read(&bytes).unwrap();
        assert_eq!(a.sample_rate, 44_100);
        assert_eq!(a.channels, ch);
    }

    #[test]
    fn pcm16_uses_browser_asymmetric_scaling() {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cur = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
            for v in [32767i16, -32768, 16384, -16384] {
                w.write_sample(v).unwrap();
            }
            w.finalize().unwrap();
        }
        let a = read(cur.get_ref()).unwrap();
        assert_eq!(a.channels[0], vec![1.0, -1.0, 16384.0 * (1.0f32 / 32767.0), -0.5]);
        // The reciprocal product, not the quotient: they differ for this value.
        assert_ne!(11920.0f32 * (1.0f32 / 32767.0), 11920.0f32 / 32767.0);
        assert_eq!(read_i16(11920), 11920.0f32 * (1.0f32 / 32767.0));
    }

    fn read_i16(v: i16) -> f32 {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cur = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
            w.write_sample(v).unwrap();
            w.finalize().unwrap();
        }
        read(cur.get_ref()).unwrap().channels[0][0]
    }

    /// Every sample through hound's general reader, for comparison.
    fn read_slow(bytes: &[u8]) -> Vec<Vec<f32>> {
        let mut r = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let spec = r.spec();
        let ch = spec.channels as usize;
        let mut out = vec![Vec::new(); ch];
        if spec.sample_format == hound::SampleFormat::Float {
            for (i, s) in r.samples::<f32>().enumerate() {
                out[i % ch].push(s.unwrap());
            }
        } else {
            for (i, s) in r.samples::<i32>().enumerate() {
                out[i % ch].push(int_to_f32(s.unwrap(), spec.bits_per_sample));
            }
        }
        out
    }

    #[test]
    fn direct_decoding_matches_the_general_reader() {
        let mut x = 12345u32;
        let mut next = move || {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            x
        };
        for (bits, format, ch) in [
            (16, hound::SampleFormat::Int, 1),
            (16, hound::SampleFormat::Int, 2),
            (24, hound::SampleFormat::Int, 2),
            (32, hound::SampleFormat::Float, 2),
            (8, hound::SampleFormat::Int, 2),
        ] {
            let spec = hound::WavSpec { channels: ch, sample_rate: 44_100, bits_per_sample: bits, sample_format: format };
            let mut cur = Cursor::new(Vec::new());
            {
                let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
                for _ in 0..1001 * ch as usize {
                    let r = next();
                    match (format, bits) {
                        (hound::SampleFormat::Float, _) => w.write_sample((r as f32 / u32::MAX as f32) * 2.0 - 1.0),
                        (_, 8) => w.write_sample((r >> 24) as i8),
                        (_, 16) => w.write_sample((r >> 16) as i16),
                        _ => w.write_sample((r as i32) >> 8),
                    }
                    .unwrap();
                }
                w.finalize().unwrap();
            }
            let a = read(cur.get_ref()).unwrap();
            assert_eq!(a.channels, read_slow(cur.get_ref()), "{bits}-bit {ch} ch");
            assert_eq!(a.frames(), 1001);
        }
    }

    #[test]
    fn streamed_decoding_matches_reading_the_whole_file() {
        // Pieces of any size, from a file on disk, give what `read` gives; a
        // data chunk cut short is left to `read`, which says so.
        let sr = 44_100;
        let (l, r) = ((0..5000).map(|i| ((i * 37) % 201) as f32 / 100.0 - 1.0), (0..5000).map(|i| (i as f32 * 0.01).sin()));
        let ch: Vec<Vec<f32>> = vec![l.collect(), r.collect()];
        for bits in [16, 24] {
            let bytes = write_pcm(&ch, sr, bits);
            let whole = read(&bytes).unwrap();
            let path = std::env::temp_dir().join(format!("lacquer-stream-test-{}-{bits}.wav", std::process::id()));
            std::fs::write(&path, &bytes).unwrap();
            let mut pcm = PcmStream::new(std::fs::File::open(&path).unwrap()).unwrap();
            std::fs::remove_file(&path).unwrap();
            assert_eq!((pcm.channels(), pcm.frames(), pcm.sample_rate()), (2, 5000, sr));
            let mut got = crate::render::zeroed(2, 5000);
            let mut at = 0;
            for n in [1, 7, 4096, 5000 - 4104] {
                let mut piece: Vec<&mut [f32]> = got.iter_mut().map(|c| &mut c[at..at + n]).collect();
                pcm.read_into(&mut piece).unwrap();
                at += n;
            }
            assert_eq!(got, whole.channels, "{bits}-bit");
            // The last frame's second sample missing.
            let cut = &bytes[..bytes.len() - bits as usize / 8];
            assert!(PcmStream::new(Cursor::new(cut)).is_none());
            assert!(matches!(read(cut), Err(DspError::BadInput(m)) if m.contains("damaged")));
        }
    }

    #[test]
    fn packed_writer_matches_hound_sample_by_sample() {
        // The samples are packed directly: hound must read back exactly the
        // quantised samples, the header must be format code 1, and the file
        // must end with the data chunk and the pad byte RIFF asks for after
        // an odd-sized chunk.
        for (ch, frames, bits) in [(2usize, 1001usize, 24u16), (1, 1001, 24), (1, 7, 16), (2, 0, 24), (1, 1, 24)] {
            let chans: Vec<Vec<f32>> =
                (0..ch).map(|c| (0..frames).map(|i| ((i * 7 + c) as f32 * 0.37).sin() * 1.01).collect()).collect();
            let bytes = write_pcm(&chans, 48_000, bits);
            assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "WAVE_FORMAT_PCM");
            assert_eq!(&bytes[36..40], b"data");
            let data = frames * ch * bits as usize / 8;
            assert_eq!(bytes.len(), 44 + data + data % 2);
            assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize, bytes.len() - 8);
            let mut r = hound::WavReader::new(Cursor::new(&bytes)).unwrap();
            assert_eq!(r.spec().bits_per_sample, bits);
            let got: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
            let want: Vec<i32> = (0..frames).flat_map(|i| chans.iter().map(move |c| quantize(c[i], bits))).collect();
            assert_eq!(got, want, "{ch} ch {frames} frames {bits} bits");
        }
    }

    #[test]
    fn float_header_has_format_code_3_and_a_fact_chunk() {
        let (h, data) = header(2, 10, 44_100, 32, true, &[]);
        assert_eq!(u16::from_le_bytes([h[20], h[21]]), 3);
        assert_eq!(&h[38..42], b"fact");
        assert_eq!(&h[h.len() - 8..h.len() - 4], b"data");
        assert_eq!(data, 80);
    }

    #[test]
    fn quantize_rounds_halves_away_from_zero_and_clips() {
        for bits in [16u16, 24] {
            let scale = (1i64 << (bits - 1)) as f64;
            let reference = |x: f32| {
                let x = if x.is_finite() { x as f64 } else { 0.0 };
                (x * scale).round().clamp(-scale, scale - 1.0) as i32
            };
            let lsb = 1.0 / scale as f32;
            let mut r = 99u32;
            let mut xs: Vec<f32> = vec![0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 1e30, -1e30, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
            for k in [0i32, 1, 2, 3, 1000, (scale as i32) - 1] {
                for half in [-0.5f32, 0.5, 0.25, 0.75] {
                    xs.push((k as f32 + half) * lsb);
                    xs.push(-(k as f32 + half) * lsb);
                }
            }
            for _ in 0..100_000 {
                r = r.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                xs.push(f32::from_bits(r) % 2.5);
            }
            for x in xs {
                assert_eq!(quantize(x, bits), reference(x), "{x} at {bits} bits");
            }
        }
    }

    #[test]
    fn streamed_writer_writes_what_write_pcm_writes() {
        for (ch, frames, bits) in [(2usize, 1001usize, 24u16), (1, 1001, 24), (2, 5, 16), (1, 0, 16)] {
            let chans: Vec<Vec<f32>> = (0..ch).map(|c| (0..frames).map(|i| ((i * 7 + c) % 19) as f32 / 9.0 - 1.0).collect()).collect();
            let mut w = PcmWriter::new(Vec::new(), ch, frames, 48_000, bits).unwrap();
            let mut at = 0;
            for n in [1, 500, 3, frames] {
                let n = n.min(frames - at);
                let piece: Vec<&[f32]> = chans.iter().map(|c| &c[at..at + n]).collect();
                w.write(&piece).unwrap();
                at += n;
            }
            assert_eq!(w.finish().unwrap(), write_pcm(&chans, 48_000, bits), "{ch} ch {frames} frames {bits} bits");
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let e = read(b"definitely not audio").unwrap_err();
        assert!(e.to_string().contains("not a readable WAV"));
    }
}
