//! Container sniffing: the format and native sample rate of an audio file, read
//! from its header, so the browser can decode at the file's own rate instead of
//! silently resampling to the device rate.
//!
//! Sources: the RIFF/WAVE `fmt ` chunk (Microsoft Multimedia Standards Update,
//! 1994); FLAC `STREAMINFO` (RFC 9639 §8.2); MPEG audio frame headers (ISO/IEC
//! 11172-3 §2.4.2.3, with the MPEG-2/2.5 rate tables); Ogg Vorbis identification
//! header (Vorbis I spec §4.2.2); Ogg Opus `OpusHead` (RFC 7845 §5.1: Opus always
//! decodes at 48 kHz); AIFF `COMM` (Apple AIFF 1.3).

/// A recognised container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// RIFF/WAVE or RF64.
    Wav,
    /// Native FLAC.
    Flac,
    /// MPEG-1/2/2.5 Layer III (or I/II).
    Mp3,
    /// Ogg Vorbis.
    OggVorbis,
    /// Ogg Opus.
    OggOpus,
    /// AIFF or AIFF-C.
    Aiff,
    /// ISO base media (MP4/M4A: AAC or ALAC).
    Mp4,
    /// Anything else.
    Unknown,
}

impl Container {
    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            Container::Wav => "WAV",
            Container::Flac => "FLAC",
            Container::Mp3 => "MP3",
            Container::OggVorbis => "Ogg Vorbis",
            Container::OggOpus => "Ogg Opus",
            Container::Aiff => "AIFF",
            Container::Mp4 => "MP4/M4A",
            Container::Unknown => "unknown",
        }
    }
}

/// What the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The container.
    pub container: Container,
    /// The native sample rate, Hz, if the header states one.
    pub sample_rate: Option<u32>,
    /// Channel count, if the header states it.
    pub channels: Option<u16>,
}

fn u16le(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32le(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// Reads the container and sample rate from the first bytes of a file (64 KiB is
/// plenty for every supported format).
pub fn probe(b: &[u8]) -> Probe {
    let unknown = Probe { container: Container::Unknown, sample_rate: None, channels: None };
    if b.len() >= 12 && (&b[0..4] == b"RIFF" || &b[0..4] == b"RF64") && &b[8..12] == b"WAVE" {
        return probe_wav(b);
    }
    if b.starts_with(b"fLaC") {
        return probe_flac(b);
    }
    if b.starts_with(b"OggS") {
        return probe_ogg(b).unwrap_or(unknown);
    }
    if b.len() >= 12 && &b[0..4] == b"FORM" && (&b[8..12] == b"AIFF" || &b[8..12] == b"AIFC") {
        return Probe { container: Container::Aiff, sample_rate: None, channels: None };
    }
    if b.len() >= 8 && &b[4..8] == b"ftyp" {
        return Probe { container: Container::Mp4, sample_rate: None, channels: None };
    }
    probe_mpeg(b).unwrap_or(unknown)
}

fn probe_wav(b: &[u8]) -> Probe {
    let mut p = Probe { container: Container::Wav, sample_rate: None, channels: None };
    let mut i = 12;
    while i + 8 <= b.len() {
        let id = &b[i..i + 4];
        let Some(len) = u32le(b, i + 4) else { break };
        if id == b"fmt " {
            p.channels = u16le(b, i + 10);
            p.sample_rate = u32le(b, i + 12);
            break;
        }
        // Chunks are word aligned.
        i = i.saturating_add(8).saturating_add(len as usize + (len as usize & 1));
    }
    p
}

fn probe_flac(b: &[u8]) -> Probe {
    // "fLaC", then a 4-byte metadata block header; STREAMINFO is always first.
    // Its bytes 10..13 hold a 20-bit sample rate, then 3 bits of (channels - 1).
    let mut p = Probe { container: Container::Flac, sample_rate: None, channels: None };
    if b.len() >= 8 + 13 && (b[4] & 0x7f) == 0 {
        let s = &b[8..];
        let rate = ((s[10] as u32) << 12) | ((s[11] as u32) << 4) | ((s[12] as u32) >> 4);
        p.sample_rate = (rate > 0).then_some(rate);
        p.channels = Some((((s[12] >> 1) & 0x07) + 1) as u16);
    }
    p
}

fn probe_ogg(b: &[u8]) -> Option<Probe> {
    // First page: 27-byte header, segment table, then the first packet.
    let segs = *b.get(26)? as usize;
    let body = 27 + segs;
    let pkt = b.get(body..)?;
    if pkt.len() >= 16 && &pkt[0..7] == b"\x01vorbis" {
        return Some(Probe {
            container: Container::OggVorbis,
            sample_rate: u32le(pkt, 12),
            channels: pkt.get(11).map(|&c| c as u16),
        });
    }
    if pkt.len() >= 10 && &pkt[0..8] == b"OpusHead" {
        return Some(Probe {
            container: Container::OggOpus,
            sample_rate: Some(48_000),
            channels: Some(pkt[9] as u16),
        });
    }
    None
}

fn probe_mpeg(b: &[u8]) -> Option<Probe> {
    let mut i = 0;
    // Skip an ID3v2 tag (10-byte header, syncsafe size, optional 10-byte footer).
    if b.len() >= 10 && &b[0..3] == b"ID3" {
        let size = b[6..10].iter().fold(0usize, |a, &x| (a << 7) | (x as usize & 0x7f));
        i = 10 + size + if b[5] & 0x10 != 0 { 10 } else { 0 };
    }
    let end = b.len().min(i + 16 * 1024);
    while i + 4 <= end {
        if b[i] == 0xff && (b[i + 1] & 0xe0) == 0xe0 {
            let version = (b[i + 1] >> 3) & 0x03; // 0: 2.5, 2: 2, 3: 1
            let layer = (b[i + 1] >> 1) & 0x03;
            let rate_idx = (b[i + 2] >> 2) & 0x03;
            let bitrate_idx = b[i + 2] >> 4;
            if version != 1 && layer != 0 && rate_idx != 3 && bitrate_idx != 15 {
                let base = [44_100, 48_000, 32_000][rate_idx as usize];
                let rate = match version {
                    3 => base,
                    2 => base / 2,
                    _ => base / 4,
                };
                let mode = b[i + 3] >> 6;
                return Some(Probe {
                    container: Container::Mp3,
                    sample_rate: Some(rate),
                    channels: Some(if mode == 3 { 1 } else { 2 }),
                });
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_rate_and_channels_from_fmt_chunk() {
        let bytes = crate::wav::write_pcm(&[vec![0.0; 10], vec![0.0; 10]], 88_200, 24);
        let p = probe(&bytes);
        assert_eq!(p, Probe { container: Container::Wav, sample_rate: Some(88_200), channels: Some(2) });
    }

    #[test]
    fn flac_streaminfo() {
        // STREAMINFO for 44.1 kHz stereo 16-bit: rate 0x0AC44 in 20 bits.
        let mut b = b"fLaC\x00\x00\x00\x22".to_vec();
        let mut si = [0u8; 34];
        si[10] = 0x0a;
        si[11] = 0xc4;
        si[12] = 0x42; // low nibble of rate 0x4, channels-1 = 1 (bits 3..1 = 001)
        b.extend_from_slice(&si);
        let p = probe(&b);
        assert_eq!(p.container, Container::Flac);
        assert_eq!(p.sample_rate, Some(44_100));
        assert_eq!(p.channels, Some(2));
    }

    #[test]
    fn mpeg_frame_header_after_id3() {
        let mut b = b"ID3\x04\x00\x00\x00\x00\x00\x04".to_vec();
        b.extend_from_slice(&[0, 0, 0, 0]);
        // MPEG-1 Layer III, 128 kbit/s, 48 kHz, joint stereo.
        b.extend_from_slice(&[0xff, 0xfb, 0x94, 0x40]);
        let p = probe(&b);
        assert_eq!(p.container, Container::Mp3);
        assert_eq!(p.sample_rate, Some(48_000));
        // MPEG-2 Layer III at 22.05 kHz, mono.
        let p = probe(&[0xff, 0xf3, 0x90, 0xc0]);
        assert_eq!((p.sample_rate, p.channels), (Some(22_050), Some(1)));
    }

    #[test]
    fn ogg_vorbis_and_opus() {
        let mut page = b"OggS".to_vec();
        page.resize(26, 0);
        page.push(1);
        page.push(30);
        let mut v = page.clone();
        v.extend_from_slice(b"\x01vorbis\x00\x00\x00\x00\x02");
        v.extend_from_slice(&96_000u32.to_le_bytes());
        let p = probe(&v);
        assert_eq!((p.container, p.sample_rate, p.channels), (Container::OggVorbis, Some(96_000), Some(2)));
        let mut o = page;
        o.extend_from_slice(b"OpusHead\x01\x01");
        assert_eq!(probe(&o).sample_rate, Some(48_000));
    }

    #[test]
    fn aiff_and_garbage() {
        assert_eq!(probe(b"FORM\x00\x00\x00\x00AIFFCOMM").container, Container::Aiff);
        assert_eq!(probe(b"hello").container, Container::Unknown);
        assert_eq!(probe(&[]).container, Container::Unknown);
    }
}
