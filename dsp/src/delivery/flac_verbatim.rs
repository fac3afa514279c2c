//! A bound on the size of a FLAC frame: when `flacenc`'s frame is larger
//! than the block's samples stored as they are, the frame is written again
//! with VERBATIM subframes (RFC 9639 §9.2.4), so a file is never much larger
//! than the same samples in a WAV file.
//!
//! `flacenc` 0.5 codes residuals with Rice parameters up to 14 only (no
//! RICE2 partitions, no escape codes). The residual of a loud, noisy 24-bit
//! block can be millions wide, and each value then costs its quotient in
//! unary: hundreds of bits where 24 would do (a 10-second 24-bit noise
//! master came out 14 times the size of its WAV). Its frame header is kept
//! (the frame's number, block size, rate and sample size), with the channel
//! assignment set to independent channels (its own may be a stereo
//! decorrelation) and the header's CRC-8 made again; the subframes follow,
//! each the header byte of a VERBATIM subframe and the samples as signed
//! big-endian integers of `bits` bits; then the frame's CRC-16.

/// Length of a frame header that starts `frame`, CRC-8 included (RFC 9639
/// §9.1), or `None` if it is not one.
fn header_len(frame: &[u8]) -> Option<usize> {
    if frame.len() < 5 || frame[0] != 0xFF || frame[1] & 0xFE != 0xF8 {
        return None;
    }
    let block_code = frame[2] >> 4;
    let rate_code = frame[2] & 0x0F;
    // The coded frame number: as many bytes as the first byte's leading ones
    // (one byte for none).
    let lead = frame[4].leading_ones() as usize;
    let number = match lead {
        0 => 1,
        2..=7 => lead,
        _ => return None,
    };
    let mut len = 4 + number;
    len += match block_code {
        0b0110 => 1,
        0b0111 => 2,
        _ => 0,
    };
    len += match rate_code {
        0b1100 => 1,
        0b1101 | 0b1110 => 2,
        _ => 0,
    };
    let len = len + 1;
    (len <= frame.len()).then_some(len)
}

/// CRC-8 of a frame header: polynomial x⁸ + x² + x + 1, initial value 0.
fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |mut crc, &b| {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
        }
        crc
    })
}

/// CRC-16 of a frame: polynomial x¹⁶ + x¹⁵ + x² + 1, initial value 0.
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |mut crc, &b| {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x8005 } else { crc << 1 };
        }
        crc
    })
}

/// Size of the block's frame with VERBATIM subframes, given its header's
/// length, bytes.
fn verbatim_len(header: usize, channels: usize, frames: usize, bits: u16) -> usize {
    header + channels * (1 + frames * bits as usize / 8) + 2
}

/// `frame` (the frame `flacenc` wrote for the interleaved `samples` of
/// `channels` channels at `bits` bits, 16 or 24), or the same block with
/// VERBATIM subframes when that is smaller.
pub fn bounded(frame: Vec<u8>, samples: &[i32], channels: usize, bits: u16) -> Vec<u8> {
    let Some(header) = header_len(&frame) else { return frame };
    let frames = samples.len() / channels.max(1);
    if frame.len() <= verbatim_len(header, channels, frames, bits) || !(bits == 16 || bits == 24) {
        return frame;
    }
    let mut out = Vec::with_capacity(verbatim_len(header, channels, frames, bits));
    out.extend_from_slice(&frame[..header - 1]);
    // Independent channels: assignment `channels − 1` in the high nibble.
    out[3] = (((channels - 1) as u8) << 4) | (out[3] & 0x0F);
    out.push(crc8(&out));
    let bytes = bits as usize / 8;
    for c in 0..channels {
        // Subframe header: zero bit, type 000001 (VERBATIM), no wasted bits.
        out.push(0b0000_0010);
        for s in samples.iter().skip(c).step_by(channels) {
            out.extend_from_slice(&s.to_be_bytes()[4 - bytes..]);
        }
    }
    let crc = crc16(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crcs_match_the_format_check_values() {
        // The standard check input "123456789": CRC-8 (poly 0x07) 0xF4,
        // CRC-16/UMTS (poly 0x8005, no reflection) 0xFEE8.
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }

    #[test]
    fn header_lengths() {
        // Fixed blocking, 4096-frame code, rate from STREAMINFO, stereo,
        // 24-bit, frame number 5 (one byte), CRC-8.
        let h = [0xFF, 0xF8, 0xC0, 0x18, 0x05, 0x00];
        assert_eq!(header_len(&h), Some(6));
        // A 16-bit block size at the end, and a two-byte frame number.
        let h = [0xFF, 0xF8, 0x70, 0x18, 0xC2, 0x80, 0x01, 0x23, 0x00];
        assert_eq!(header_len(&h), Some(9));
        assert_eq!(header_len(&[0x00, 0xF8, 0xC0, 0x18, 0x05, 0x00]), None);
    }
}
