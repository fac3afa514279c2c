// Writes the tests' generated programme as a 24-bit WAV, for the native
// benchmarks: node bench/song.mjs OUT.wav [SECONDS=240] [RATE=44100]
import fs from 'node:fs';
import { encodeWav } from '../tests/lib/wav.mjs';
import { programme } from '../tests/lib/fixtures.mjs';

const [out, seconds = '240', rate = '44100'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node bench/song.mjs OUT.wav [SECONDS] [RATE]');
  process.exit(2);
}
fs.writeFileSync(out, encodeWav(programme(Number(rate), Number(seconds)), Number(rate), 24));
