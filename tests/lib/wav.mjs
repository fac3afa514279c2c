// Minimal PCM WAV writing and reading for the tests (independent of the app).
import fs from 'node:fs';

/** Encodes planar float channels as PCM WAV (16 or 24 bit), rounding to nearest. */
export function encodeWav(channels, sampleRate, bits) {
  const nch = channels.length;
  const frames = channels[0].length;
  const bps = bits / 8;
  const dataLen = frames * nch * bps;
  const buf = Buffer.alloc(44 + dataLen);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + dataLen, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(nch, 22); buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * nch * bps, 28); buf.writeUInt16LE(nch * bps, 32);
  buf.writeUInt16LE(bits, 34); buf.write('data', 36); buf.writeUInt32LE(dataLen, 40);
  const full = 2 ** (bits - 1);
  let o = 44;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      const q = Math.max(-full, Math.min(full - 1, Math.round(channels[c][i] * full)));
      if (bits === 16) buf.writeInt16LE(q, o); else buf.writeIntLE(q, o, 3);
      o += bps;
    }
  }
  return buf;
}

/** Parses a PCM WAV: returns { channels, sampleRate, bits, frames, samples (planar floats) }. */
export function decodeWav(buf) {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let i = 12, fmt = null, data = null;
  while (i + 8 <= buf.length) {
    const id = buf.toString('ascii', i, i + 4);
    const len = buf.readUInt32LE(i + 4);
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(i + 8), channels: buf.readUInt16LE(i + 10), sampleRate: buf.readUInt32LE(i + 12), bits: buf.readUInt16LE(i + 22) };
      // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first two bytes name the codec.
      if (fmt.format === 0xfffe && len >= 40) fmt.subFormat = buf.readUInt16LE(i + 8 + 24);
    }
    if (id === 'data') data = buf.subarray(i + 8, i + 8 + len);
    i += 8 + len + (len & 1);
  }
  if (!fmt || !data) throw new Error('missing fmt or data chunk');
  const bps = fmt.bits / 8;
  const frames = data.length / (bps * fmt.channels);
  if (!Number.isInteger(frames)) throw new Error('data length is not a whole number of frames');
  const samples = Array.from({ length: fmt.channels }, () => new Float64Array(frames));
  const full = 2 ** (fmt.bits - 1);
  for (let f = 0, o = 0; f < frames; f++) {
    for (let c = 0; c < fmt.channels; c++, o += bps) {
      samples[c][f] = (bps === 2 ? data.readInt16LE(o) : data.readIntLE(o, 3)) / full;
    }
  }
  return { ...fmt, frames, samples };
}

/**
 * Writes a long PCM WAV file to `path` piece by piece (never the whole file
 * in memory): `pieceOf(startFrame, frames)` returns planar float channels
 * for each stretch.
 */
export function writeWavFile(path, channels, sampleRate, bits, frames, pieceOf, pieceFrames = 1 << 18) {
  const bps = bits / 8;
  const dataLen = frames * channels * bps;
  const header = encodeWav(Array.from({ length: channels }, () => new Float32Array(0)), sampleRate, bits);
  header.writeUInt32LE(36 + dataLen + (dataLen & 1), 4);
  header.writeUInt32LE(dataLen, 40);
  const fd = fs.openSync(path, 'w');
  try {
    fs.writeSync(fd, header);
    for (let at = 0; at < frames; at += pieceFrames) {
      const n = Math.min(pieceFrames, frames - at);
      fs.writeSync(fd, packPcm(pieceOf(at, n), bits));
    }
    if (dataLen & 1) fs.writeSync(fd, Buffer.alloc(1));
  } finally {
    fs.closeSync(fd);
  }
}

/** Interleaved little-endian PCM of planar float channels (16 or 24 bit), rounding to nearest. */
function packPcm(channels, bits) {
  const nch = channels.length, frames = channels[0].length, bps = bits / 8;
  const out = Buffer.allocUnsafe(frames * nch * bps);
  const full = 2 ** (bits - 1);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      const q = Math.max(-full, Math.min(full - 1, Math.round(channels[c][i] * full)));
      out[o] = q & 255;
      out[o + 1] = (q >> 8) & 255;
      if (bps === 3) out[o + 2] = (q >> 16) & 255;
      o += bps;
    }
  }
  return out;
}
