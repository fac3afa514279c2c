//! The release's tags: title, artist, album, year and ISRC, written as a
//! WAV `LIST`/`INFO` chunk or a FLAC `VORBIS_COMMENT` block.
//!
//! - WAV: `INAM` title, `IART` artist, `IPRD` album, `ICRD` year and `ISRC`
//!   ISRC (RIFF *Multimedia Programming Interface and Data Specifications
//!   1.0*, 1991, "INFO List Chunk"; `ISRC` is that list's "source" field, which
//!   the EBU's and Apple's tools read as the recording code). Each value is
//!   NUL-terminated, each sub-chunk padded to an even length. The chunk goes
//!   before `data`.
//! - FLAC: `TITLE`, `ARTIST`, `ALBUM`, `DATE`, `ISRC` (Xiph, *Ogg Vorbis I
//!   specification*, §5 "comment field and header specification", and its
//!   recommended field names), the vendor string "Lacquer".
//!
//! An ISRC (ISO 3901) is CC-XXX-YY-NNNNN: a two-letter country code, a
//! three-character registrant code (letters or digits), two digits of year and
//! five digits of designation. It is accepted with or without the hyphens (and
//! in either case) and written as its 12 characters, upper case, no hyphens.

use serde::{Deserialize, Serialize};

/// Tags for a release file. Empty fields are not written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tags {
    /// Track title.
    pub title: String,
    /// Artist.
    pub artist: String,
    /// Album (or release) title.
    pub album: String,
    /// Year (or date) of release.
    pub year: String,
    /// ISRC, as given (checked and normalised by [`Tags::validated`]).
    pub isrc: String,
}

/// Normalises an ISRC to its 12 characters (upper case, no hyphens), or
/// says what is wrong with it.
pub fn normalize_isrc(code: &str) -> Result<String, String> {
    let bad = || format!("'{code}' is not an ISRC: it takes the form CC-XXX-YY-NNNNN (e.g. GB-AYE-26-00001), with or without the hyphens");
    let t = code.trim();
    let parts: Vec<&str> = t.split('-').collect();
    let joined = match parts.as_slice() {
        [one] => one.to_string(),
        [cc, xxx, yy, nnnnn] if cc.len() == 2 && xxx.len() == 3 && yy.len() == 2 && nnnnn.len() == 5 => parts.concat(),
        _ => return Err(bad()),
    };
    let up = joined.to_ascii_uppercase();
    let b = up.as_bytes();
    let ok = b.len() == 12
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..5].iter().all(u8::is_ascii_alphanumeric)
        && b[5..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(up)
    } else {
        Err(bad())
    }
}

impl Tags {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    /// The tags with the ISRC checked and normalised and every field trimmed,
    /// or what is wrong with them.
    pub fn validated(&self) -> Result<Tags, String> {
        let isrc = if self.isrc.trim().is_empty() { String::new() } else { normalize_isrc(&self.isrc)? };
        let clean = |s: &str, what: &str| -> Result<String, String> {
            let t = s.trim();
            if t.contains('\0') {
                return Err(format!("the {what} contains a NUL character"));
            }
            if t.len() > 4096 {
                return Err(format!("the {what} is longer than 4096 bytes"));
            }
            Ok(t.to_string())
        };
        Ok(Tags {
            title: clean(&self.title, "title")?,
            artist: clean(&self.artist, "artist")?,
            album: clean(&self.album, "album")?,
            year: clean(&self.year, "year")?,
            isrc,
        })
    }

    /// The non-empty fields as (WAV INFO id, Vorbis comment name, value).
    fn fields(&self) -> Vec<(&'static [u8; 4], &'static str, &str)> {
        [
            (b"INAM", "TITLE", self.title.as_str()),
            (b"IART", "ARTIST", self.artist.as_str()),
            (b"IPRD", "ALBUM", self.album.as_str()),
            (b"ICRD", "DATE", self.year.as_str()),
            (b"ISRC", "ISRC", self.isrc.as_str()),
        ]
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .collect()
    }

    /// The WAV `LIST` chunk (type `INFO`) holding the tags, header included,
    /// or nothing when there are none.
    pub fn wav_list_chunk(&self) -> Vec<u8> {
        let fields = self.fields();
        if fields.is_empty() {
            return Vec::new();
        }
        let mut body = b"INFO".to_vec();
        for (id, _, v) in fields {
            let size = v.len() + 1;
            body.extend_from_slice(id);
            body.extend_from_slice(&(size as u32).to_le_bytes());
            body.extend_from_slice(v.as_bytes());
            body.push(0);
            if size % 2 == 1 {
                body.push(0);
            }
        }
        let mut out = b"LIST".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    /// The body of a FLAC `VORBIS_COMMENT` metadata block (without the
    /// block header): the vendor string and one `NAME=value` per tag.
    pub fn vorbis_comment(&self) -> Vec<u8> {
        let vendor = b"Lacquer";
        let fields = self.fields();
        let mut out = Vec::new();
        out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        out.extend_from_slice(vendor);
        out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        for (_, name, v) in fields {
            let c = format!("{name}={v}");
            out.extend_from_slice(&(c.len() as u32).to_le_bytes());
            out.extend_from_slice(c.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isrc_forms() {
        assert_eq!(normalize_isrc("GB-AYE-26-00001").unwrap(), "GBAYE2600001");
        assert_eq!(normalize_isrc("gbaye2600001").unwrap(), "GBAYE2600001");
        assert_eq!(normalize_isrc(" US-S1Z-99-00001 ").unwrap(), "USS1Z9900001");
        for bad in ["", "GB-AYE-26-0001", "GBAYE260000", "GBAYE26000012", "1BAYE2600001", "GB-AYE-2A-00001", "GBA-YE-26-00001", "GB-AY!-26-00001", "GB_AYE_26_00001"] {
            let e = normalize_isrc(bad).unwrap_err();
            assert!(e.contains("CC-XXX-YY-NNNNN"), "{bad}: {e}");
        }
    }

    #[test]
    fn info_chunk_layout() {
        let t = Tags { title: "Ab".into(), isrc: "GBAYE2600001".into(), ..Default::default() };
        let c = t.wav_list_chunk();
        assert_eq!(&c[..4], b"LIST");
        assert_eq!(u32::from_le_bytes(c[4..8].try_into().unwrap()) as usize, c.len() - 8);
        assert_eq!(&c[8..12], b"INFO");
        assert_eq!(&c[12..16], b"INAM");
        assert_eq!(u32::from_le_bytes(c[16..20].try_into().unwrap()), 3);
        assert_eq!(&c[20..24], b"Ab\0\0"); // NUL, then the pad byte
        assert_eq!(&c[24..28], b"ISRC");
        assert_eq!(c.len() % 2, 0);
        assert!(Tags::default().wav_list_chunk().is_empty());
    }
}
