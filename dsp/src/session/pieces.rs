//! A file that arrives in pieces, read through `Read + Seek`.
//!
//! The browser's worker reads a dropped file with `File.slice()` a piece at a
//! time and hands each piece over; [`crate::wav::PcmStream`] reads the WAV
//! header and then the samples through this reader, as it reads a file on
//! disk natively. Only the current piece is held.

use std::io::{Error, ErrorKind, Read, Seek, SeekFrom};

/// The bytes of one stretch of a larger file, and a read position in that file.
#[derive(Debug, Default)]
pub struct PieceReader {
    /// The current piece.
    piece: Vec<u8>,
    /// Offset of the piece's first byte in the file, bytes.
    piece_at: u64,
    /// Read position in the file, bytes.
    pos: u64,
    /// Length of the whole file, bytes.
    file_len: u64,
}

impl PieceReader {
    /// A reader of a `file_len`-byte file whose first bytes are `head`.
    pub fn new(head: Vec<u8>, file_len: u64) -> Self {
        Self { piece: head, piece_at: 0, pos: 0, file_len }
    }

    /// Replaces the current piece with `bytes`, which start at `at` in the file.
    pub fn set_piece(&mut self, bytes: &[u8], at: u64) {
        self.piece.clear();
        self.piece.extend_from_slice(bytes);
        self.piece_at = at;
    }

    /// Read position in the file, bytes.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Length of the whole file, bytes.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = self.piece_at + self.piece.len() as u64;
        if self.pos >= self.file_len || buf.is_empty() {
            return Ok(0);
        }
        if self.pos < self.piece_at || self.pos >= end {
            return Err(Error::new(ErrorKind::UnexpectedEof, "that part of the file has not been read yet"));
        }
        let from = (self.pos - self.piece_at) as usize;
        let n = buf.len().min(self.piece.len() - from);
        buf[..n].copy_from_slice(&self.piece[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PieceReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.file_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| Error::new(ErrorKind::InvalidInput, "seek before the start of the file"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_the_piece_and_refuses_outside_it() {
        let mut r = PieceReader::new(vec![1, 2, 3, 4], 10);
        let mut b = [0u8; 3];
        assert_eq!(r.read(&mut b).unwrap(), 3);
        assert_eq!(b, [1, 2, 3]);
        assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), 10);
        assert_eq!(r.read(&mut b).unwrap(), 0, "end of file");
        r.seek(SeekFrom::Start(6)).unwrap();
        assert_eq!(r.read(&mut b).unwrap_err().kind(), ErrorKind::UnexpectedEof);
        r.set_piece(&[7, 8, 9, 10], 6);
        let mut b = [0u8; 4];
        r.read_exact(&mut b).unwrap();
        assert_eq!(b, [7, 8, 9, 10]);
        assert_eq!(r.position(), 10);
    }
}
