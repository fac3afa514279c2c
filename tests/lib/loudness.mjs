// Independent loudness and true-peak readings for the end-to-end tests:
// tests/lib/meter.py (pyloudnorm with the DeMan filter class, a 16×
// oversampling true-peak meter, FFT alignment), run with Python.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const METER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'meter.py');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-meter-'));
let serial = 0;

function run(request) {
  const out = execFileSync('python3', [METER], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out);
}

/** Writes planar float channels as raw float32 for the meter; returns its audio spec. */
function rawAudio(channels, rate) {
  const frames = channels[0].length;
  const buf = Buffer.alloc(frames * channels.length * 4);
  channels.forEach((ch, c) => {
    const f = Float32Array.from(ch);
    Buffer.from(f.buffer).copy(buf, c * frames * 4);
  });
  const file = path.join(TMP, `audio-${process.pid}-${serial++}.f32`);
  fs.writeFileSync(file, buf);
  return { kind: 'raw', path: file, rate, channels: channels.length };
}

/**
 * Integrated loudness (LUFS, DeMan), 16× true peak (dBTP) and sample peak
 * (dBFS) of a WAV file, or of the stretch `fromS`..`toS` of it.
 */
export function measureFile(file, { fromS, toS, truePeak = true } = {}) {
  return run({ op: 'measure', audio: { kind: 'wav', path: file }, from_s: fromS, to_s: toS, true_peak: truePeak });
}

/** The same readings for planar float channels at `rate`. */
export function measureSamples(channels, rate, { truePeak = true } = {}) {
  const audio = rawAudio(channels, rate);
  try {
    return run({ op: 'measure', audio, true_peak: truePeak });
  } finally {
    fs.rmSync(audio.path, { force: true });
  }
}

/**
 * Where `recording` (planar channels) best matches `reference` (planar
 * channels, same rate): { offset (frames into the reference), correlation }.
 */
export function alignTo(recording, reference, rate) {
  const a = rawAudio(recording, rate), b = rawAudio(reference, rate);
  try {
    return run({ op: 'align', audio: a, reference: b });
  } finally {
    fs.rmSync(a.path, { force: true });
    fs.rmSync(b.path, { force: true });
  }
}

/**
 * Several readings in one run of the meter (Python starts slowly):
 * `jobs` are { file, fromS, toS, truePeak } or { samples, rate, truePeak }
 * for a measurement, or { align: recording, reference, rate }.
 */
export function meterBatch(jobs) {
  const made = [];
  const batch = jobs.map((j) => {
    if (j.align) {
      const a = rawAudio(j.align, j.rate), b = rawAudio(j.reference, j.rate);
      made.push(a.path, b.path);
      return { op: 'align', audio: a, reference: b };
    }
    const audio = j.file ? { kind: 'wav', path: j.file } : rawAudio(j.samples, j.rate);
    if (!j.file) made.push(audio.path);
    return { op: 'measure', audio, from_s: j.fromS, to_s: j.toS, true_peak: j.truePeak ?? true };
  });
  try {
    return run({ batch });
  } finally {
    for (const f of made) fs.rmSync(f, { force: true });
  }
}
