//! The delivery's FLAC encoder: frames from `flacenc`, the container written
//! here.
//!
//! `flacenc` encodes each block of [`BLOCK`] frames ([`flacenc::encode_fixed_size_frame`]);
//! the stream's metadata is ours (RFC 9639, *Free Lossless Audio Codec*):
//! `fLaC`, a `STREAMINFO` block, then a `VORBIS_COMMENT` block when there are
//! tags (see [`super::tags`]), then the frames. `STREAMINFO` is written
//! first with the block sizes and the total sample count (known up front)
//! and finished at the end ([`FlacEncoder::finish`] gives it as the header
//! patch, the file's first [`HEADER_PATCH_LEN`] bytes): the smallest and
//! largest frame sizes, and the MD5 of the samples as signed little-endian
//! integers of `bits / 8` bytes, interleaved. The smallest block size is
//! that of every block but the last (RFC 9639 §8.2); a stream shorter than
//! one block declares its own length (at least 16, the format's minimum).
//!
//! A frame is never larger than its block stored VERBATIM
//! ([`super::flac_verbatim`]): `flacenc`'s Rice coder can make a loud,
//! noisy 24-bit block many times larger than its samples.
//!
//! Natively, blocks are encoded [`PARALLEL_BLOCKS`] at a time on two
//! threads; the bytes are the same as one at a time (each frame depends only
//! on its own samples and number).

use crate::error::DspError;
use flacenc::component::{BitRepr, StreamInfo};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Fill, FrameBuf};
use md5::{Digest, Md5};

/// Frames per FLAC block (the reference encoder's default at levels 3 to 8).
pub const BLOCK: usize = 4096;

/// Length of the header patch: `fLaC`, the metadata block header and the
/// 34-byte `STREAMINFO`, bytes.
pub const HEADER_PATCH_LEN: usize = 42;

/// Blocks gathered before encoding them (natively split over two threads).
pub const PARALLEL_BLOCKS: usize = 16;

/// A FLAC file written as its samples come.
pub struct FlacEncoder {
    /// Bytes written and not yet taken.
    pub out: Vec<u8>,
    /// The encoder's settings.
    config: Verified<config::Encoder>,
    /// flacenc's view of the stream (rate, channels, bits).
    info: StreamInfo,
    /// Channels.
    channels: usize,
    /// Bits per sample.
    bits: u16,
    /// Sample rate, Hz.
    rate: u32,
    /// Frames in the file.
    frames: usize,
    /// Block size, frames.
    block: usize,
    /// Interleaved samples not yet encoded (up to [`PARALLEL_BLOCKS`] blocks).
    pending: Vec<i32>,
    /// Frames encoded so far.
    done: usize,
    /// Blocks encoded so far.
    blocks: usize,
    /// Smallest and largest frame, bytes.
    frame_bytes: (usize, usize),
    /// MD5 of the samples so far.
    md5: Md5,
    /// Scratch for the MD5's bytes.
    md5_buf: Vec<u8>,
}

/// Encodes the blocks of interleaved `samples` (whole blocks of `block`
/// frames but maybe the last), numbered from `first`, appending the frames'
/// bytes to `out` and returning each frame's size.
fn encode_blocks(
    config: &Verified<config::Encoder>,
    info: &StreamInfo,
    channels: usize,
    block: usize,
    samples: &[i32],
    first: usize,
    out: &mut Vec<u8>,
) -> Result<Vec<usize>, DspError> {
    let mut fb = FrameBuf::with_size(channels, block).map_err(|e| DspError::BadInput(format!("FLAC: {e}")))?;
    let mut sizes = Vec::new();
    for (i, chunk) in samples.chunks(block * channels).enumerate() {
        fb.fill_interleaved(chunk).map_err(|e| DspError::BadInput(format!("FLAC: {e}")))?;
        let frame = flacenc::encode_fixed_size_frame(config, &fb, first + i, info)
            .map_err(|e| DspError::BadInput(format!("FLAC: {e}")))?;
        let mut sink = flacenc::bitsink::ByteSink::new();
        frame.write(&mut sink).map_err(|e| DspError::BadInput(format!("FLAC: {e:?}")))?;
        let bytes = super::flac_verbatim::bounded(sink.as_slice().to_vec(), chunk, channels, info.bits_per_sample() as u16);
        sizes.push(bytes.len());
        out.extend_from_slice(&bytes);
    }
    Ok(sizes)
}

impl FlacEncoder {
    /// Starts a file of `frames` frames of `bits`-bit samples (16 or 24);
    /// `comments` is a `VORBIS_COMMENT` body, or `None` for no tags.
    pub fn new(channels: usize, frames: usize, rate: u32, bits: u16, comments: Option<Vec<u8>>) -> Result<Self, DspError> {
        let bad = |e: String| DspError::BadInput(format!("FLAC: {e}"));
        let block = if frames >= BLOCK { BLOCK } else { frames.max(16) };
        let mut cfg = config::Encoder::default();
        cfg.block_size = block;
        cfg.multithread = false;
        if bits > 16 {
            // The Tukey window's cosines come from the platform's maths
            // library, a last bit apart natively and in wasm, and at 24 bits
            // that moves the quantised LPC coefficients: a rectangular window
            // needs no transcendental functions, so the browser writes the
            // CLI's bytes.
            cfg.subframe_coding.qlpc.window = config::Window::Rectangle;
        }
        let config = cfg.into_verified().map_err(|(_, e)| bad(e.to_string()))?;
        let info = StreamInfo::new(rate as usize, channels, bits as usize).map_err(|e| bad(e.to_string()))?;
        let mut e = Self {
            out: Vec::new(),
            config,
            info,
            channels,
            bits,
            rate,
            frames,
            block,
            pending: Vec::with_capacity(PARALLEL_BLOCKS * block * channels),
            done: 0,
            blocks: 0,
            frame_bytes: (usize::MAX, 0),
            md5: Md5::new(),
            md5_buf: Vec::new(),
        };
        e.out = e.streaminfo(comments.is_none());
        if let Some(c) = comments {
            e.out.push(0x80 | 4);
            e.out.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
            e.out.extend_from_slice(&c);
        }
        Ok(e)
    }

    /// `fLaC` and the `STREAMINFO` block as things stand.
    fn streaminfo(&self, last: bool) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_PATCH_LEN);
        b.extend_from_slice(b"fLaC");
        b.push(if last { 0x80 } else { 0 });
        b.extend_from_slice(&34u32.to_be_bytes()[1..]);
        let block = self.block as u16;
        b.extend_from_slice(&block.to_be_bytes());
        b.extend_from_slice(&block.to_be_bytes());
        let (lo, hi) = if self.frame_bytes.1 == 0 { (0, 0) } else { self.frame_bytes };
        b.extend_from_slice(&(lo as u32).to_be_bytes()[1..]);
        b.extend_from_slice(&(hi as u32).to_be_bytes()[1..]);
        let packed: u64 = ((self.rate as u64) << 44)
            | (((self.channels as u64) - 1) << 41)
            | (((self.bits as u64) - 1) << 36)
            | (self.frames as u64 & ((1 << 36) - 1));
        b.extend_from_slice(&packed.to_be_bytes());
        let digest: [u8; 16] = if self.done == self.frames { self.md5.clone().finalize().into() } else { [0; 16] };
        b.extend_from_slice(&digest);
        b
    }

    /// Appends interleaved samples.
    pub fn write(&mut self, x: &[i32]) -> Result<(), DspError> {
        let w = self.bits as usize / 8;
        self.md5_buf.clear();
        for &v in x {
            self.md5_buf.extend_from_slice(&v.to_le_bytes()[..w]);
        }
        self.md5.update(&self.md5_buf);
        let full = PARALLEL_BLOCKS * self.block * self.channels;
        let mut x = x;
        while !x.is_empty() {
            let n = (full - self.pending.len()).min(x.len());
            self.pending.extend_from_slice(&x[..n]);
            x = &x[n..];
            if self.pending.len() == full {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Encodes the pending samples.
    fn encode_pending(&mut self) -> Result<(), DspError> {
        let step = self.block * self.channels;
        let n_blocks = self.pending.len().div_ceil(step);
        let sizes;
        #[cfg(not(target_arch = "wasm32"))]
        {
            // First half of the blocks here, the rest on another thread.
            let split = n_blocks / 2 * step;
            let (a, b) = self.pending.split_at(split);
            let (cfg, info, ch, block, first) = (&self.config, &self.info, self.channels, self.block, self.blocks);
            let mut other = Vec::new();
            let (ra, rb) = std::thread::scope(|sc| {
                let h = sc.spawn(|| encode_blocks(cfg, info, ch, block, b, first + n_blocks / 2, &mut other));
                let ra = encode_blocks(cfg, info, ch, block, a, first, &mut self.out);
                (ra, h.join().expect("FLAC encoding thread"))
            });
            let (mut sa, sb) = (ra?, rb?);
            self.out.extend_from_slice(&other);
            sa.extend(sb);
            sizes = sa;
        }
        #[cfg(target_arch = "wasm32")]
        {
            sizes = encode_blocks(&self.config, &self.info, self.channels, self.block, &self.pending, self.blocks, &mut self.out)?;
        }
        for s in sizes {
            self.frame_bytes = (self.frame_bytes.0.min(s), self.frame_bytes.1.max(s));
        }
        self.blocks += n_blocks;
        self.done += self.pending.len() / self.channels;
        self.pending.clear();
        Ok(())
    }

    /// Encodes what is left and gives the file's last bytes and the header
    /// patch (the finished `STREAMINFO`, to write over the file's first
    /// [`HEADER_PATCH_LEN`] bytes). All the declared frames must have come.
    pub fn finish(mut self, tagged: bool) -> Result<(Vec<u8>, Vec<u8>), DspError> {
        if !self.pending.is_empty() {
            self.encode_pending()?;
        }
        if self.done != self.frames {
            return Err(DspError::BadInput(format!("FLAC: {} of {} frames written", self.done, self.frames)));
        }
        let patch = self.streaminfo(!tagged);
        Ok((std::mem::take(&mut self.out), patch))
    }
}
