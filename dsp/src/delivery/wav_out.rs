//! The delivery's WAV encoder: 16- or 24-bit integer PCM (format code 1) or
//! 32-bit float (format code 3), tags in a `LIST`/`INFO` chunk before the
//! samples ([`crate::wav::header`]). The length is known up front, so the
//! header is final from the first byte: no patch at the end.

/// A WAV file written as its samples come.
pub struct WavEncoder {
    /// Bytes written and not yet taken.
    pub out: Vec<u8>,
    /// Bytes per sample.
    width: usize,
    /// Samples (all channels) still to come.
    left: usize,
    /// Whether the data chunk needs a pad byte.
    pad: bool,
}

impl WavEncoder {
    /// Starts a file of `frames` frames; `tags_chunk` is a whole `LIST` chunk or empty.
    pub fn new(channels: usize, frames: usize, rate: u32, bits: u16, float: bool, tags_chunk: &[u8]) -> Self {
        let (out, data) = crate::wav::header(channels, frames, rate, bits, float, tags_chunk);
        Self { out, width: bits as usize / 8, left: frames * channels, pad: data % 2 == 1 }
    }

    /// Appends interleaved integer samples (16 or 24 bits).
    pub fn write_ints(&mut self, x: &[i32]) {
        assert!(x.len() <= self.left, "more samples than declared");
        self.left -= x.len();
        let w = self.width;
        self.out.reserve(x.len() * w);
        for &v in x {
            self.out.extend_from_slice(&v.to_le_bytes()[..w]);
        }
    }

    /// Appends interleaved float samples.
    pub fn write_floats(&mut self, x: &[f32]) {
        assert!(x.len() <= self.left, "more samples than declared");
        self.left -= x.len();
        self.out.reserve(x.len() * 4);
        for &v in x {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// The file's last bytes (the pad byte, if any). All the declared
    /// samples must have been written.
    pub fn finish(mut self) -> Vec<u8> {
        assert!(self.left == 0, "{} samples short of the declared length", self.left);
        if self.pad {
            self.out.push(0);
        }
        self.out
    }
}
