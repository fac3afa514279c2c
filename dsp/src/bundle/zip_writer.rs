//! The bundle's ZIP archive, byte for byte the same for the same entries.
//!
//! Written with the `zip` crate (without its default features: the `time`
//! feature reads the clock, which panics in wasm). Every entry is Stored
//! (audio does not compress, and a Stored entry is its file's bytes as they
//! are), dated the ZIP epoch (1980-01-01 00:00:00, MS-DOS time's first
//! instant), with Unix permissions `rw-r--r--`, in the order of the entries'
//! names (bytewise). Nothing else goes into the archive: no comment, no extra
//! fields, no clock, no randomness.

use std::io::{Cursor, Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Unix permissions of every entry: `rw-r--r--`.
pub const PERMISSIONS: u32 = 0o644;

/// Bytes an entry adds besides its data and (twice) its name: the local
/// header (30) and the central directory record (46), with a little room.
const PER_ENTRY: usize = 30 + 46 + 32;

/// The options of every entry.
fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default())
        .unix_permissions(PERMISSIONS)
        .large_file(false)
}

/// Bytes of the archive of these entries.
pub fn zip_size(entries: &[(String, Vec<u8>)]) -> usize {
    entries.iter().map(|(n, b)| b.len() + 2 * n.len() + PER_ENTRY).sum::<usize>() + 22
}

/// Writes the archive into memory (see [`write_zip_to`]), in a buffer
/// reserved up front for all of it.
pub fn write_zip(entries: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, String> {
    let size = zip_size(&entries);
    write_zip_to(entries, Cursor::new(Vec::with_capacity(size))).map(Cursor::into_inner)
}

/// Writes the archive to `out`: entries sorted by name, each dropped as
/// soon as it is written (so the most held at once is what `out` holds and
/// one entry). Names must be unique.
pub fn write_zip_to<W: Write + Seek>(mut entries: Vec<(String, Vec<u8>)>, out: W) -> Result<W, String> {
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("two entries are named {}", w[0].0));
    }
    let mut zip = ZipWriter::new(out);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options()).map_err(|e| format!("zip {name}: {e}"))?;
        for piece in bytes.chunks(super::HASH_PIECE) {
            zip.write_all(piece).map_err(|e| format!("zip {name}: {e}"))?;
        }
    }
    zip.finish().map_err(|e| format!("zip: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_entries_same_bytes_sorted() {
        let a = vec![("b.txt".to_string(), b"two".to_vec()), ("a.txt".to_string(), b"one".to_vec())];
        let b = vec![("a.txt".to_string(), b"one".to_vec()), ("b.txt".to_string(), b"two".to_vec())];
        let za = write_zip(a).unwrap();
        assert_eq!(za, write_zip(b).unwrap());
        // Local headers in name order, each Stored (method 0) at the ZIP epoch
        // (DOS time 0, date 0x0021 = 1980-01-01).
        assert_eq!(&za[..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([za[8], za[9]]), 0);
        assert_eq!(u16::from_le_bytes([za[10], za[11]]), 0);
        assert_eq!(u16::from_le_bytes([za[12], za[13]]), 0x0021);
        assert_eq!(&za[30..35], b"a.txt");
        assert!(write_zip(vec![("x".into(), vec![]), ("x".into(), vec![1])]).is_err());
    }
}
