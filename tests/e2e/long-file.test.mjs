// End-to-end: a 30-minute 48 kHz stereo 24-bit WAV (518 MB) loaded, analysed,
// mastered and exported in Debian's headless Chromium, with Chromium's
// memory (RSS summed over its processes, sampled every 200 ms) above the idle
// page, and the time of each stage. The worker holds the audio once; search
// passes keep only their measurements; the export is written a piece at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApp } from '../lib/app.mjs';
import { writeWavFile } from '../lib/wav.mjs';
import { sampleRss } from '../lib/memory.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const BENCH = path.join(ROOT, 'target/bench');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-long-'));
const RATE = 48_000;
const MINUTES = 30;
/** The budget: Chromium's peak above the idle page, bytes. */
const BUDGET = 1.2e9;

let browser, page, close, input;

/** Music-like and cheap to make: a kick, a bass line and noise, with sections of different levels. */
function piece(at, n) {
  const l = new Float32Array(n), r = new Float32Array(n);
  let s = (at * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    const k = at + i, t = k / RATE;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const noise = s / 2147483648 - 1;
    const tb = t % 0.5;
    const kick = Math.sin(2 * Math.PI * 55 * tb) * Math.exp(-tb * 9);
    const bass = Math.sin(2 * Math.PI * (Math.floor(t / 2) % 2 ? 55 : 41.2) * t);
    const section = 0.35 + 0.25 * (Math.floor(t / 40) % 3);
    l[i] = section * (0.5 * kick + 0.25 * bass + 0.08 * noise);
    r[i] = section * (0.5 * kick + 0.22 * bass - 0.08 * noise);
  }
  return [l, r];
}

before(async () => {
  fs.mkdirSync(BENCH, { recursive: true });
  input = path.join(WORK, 'thirty-minutes.wav');
  writeWavFile(input, 2, RATE, 24, RATE * 60 * MINUTES, piece, 1 << 20);
  ({ browser, page, close } = await openApp(DIST));
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

test('a 30-minute 48 kHz stereo file loads, masters and exports within 1.2 GB above the idle page', async () => {
  await page.waitForTimeout(1500);
  const mem = sampleRss(browser.userDataDir, 200);
  const idle = mem.mark();
  mem.resetPeak();
  const stage = {};
  let t = Date.now();
  await page.getByTestId('file-input').setInputFiles(input);
  await page.getByTestId('file-name').waitFor({ timeout: 300_000 });
  stage.loadMs = Date.now() - t;
  const loadPeak = mem.mark();
  t = Date.now();
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 600_000 });
  stage.analysisMs = Date.now() - t;
  const analysisPeak = mem.mark();
  t = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 900_000 }),
    page.getByTestId('export').click(),
  ]);
  await page.getByTestId('export-done').waitFor({ timeout: 60_000 });
  stage.exportMs = Date.now() - t;
  const { peak, samples } = mem.stop();
  const got = path.join(WORK, 'master.wav');
  await download.saveAs(got);
  const dataBytes = (file) => {
    const head = Buffer.alloc(256);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, head, 0, 256, 0);
    fs.closeSync(fd);
    const at = head.indexOf('data');
    return head.readUInt32LE(at + 4);
  };
  assert.equal(dataBytes(got), dataBytes(input), 'the master has the input\'s frames (24-bit stereo both)');
  const shownLufs = Number(await page.getByTestId('report-lufs').getAttribute('data-lufs'));
  assert.ok(Math.abs(shownLufs + 14) <= 0.02, `master at ${shownLufs} LUFS`);

  const gb = (b) => +(b / 1e9).toFixed(3);
  const figures = {
    file: `${MINUTES} min, ${RATE} Hz stereo 24-bit WAV, ${gb(fs.statSync(input).size)} GB`,
    idleGB: gb(idle), peakAboveIdleGB: gb(peak - idle),
    loadPeakAboveIdleGB: gb(loadPeak - idle), analysisPeakAboveIdleGB: gb(analysisPeak - idle),
    samples: samples.length, ...stage,
  };
  fs.writeFileSync(path.join(BENCH, 'long-file.json'), JSON.stringify(figures, null, 2));
  console.log('# 30-minute file', JSON.stringify(figures));
  assert.ok(peak - idle <= BUDGET, `Chromium's peak ${gb(peak - idle)} GB above idle (budget ${gb(BUDGET)} GB)`);
});

test('loading can be cancelled: the file loaded before comes back', async () => {
  await page.getByTestId('file-input').setInputFiles(input);
  await page.getByTestId('load-cancel').click({ timeout: 30_000 });
  // The file before (the same one here) is read and analysed again.
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 120_000 });
  assert.equal(await page.getByTestId('file-name').innerText(), 'thirty-minutes.wav');
  assert.equal(await page.getByTestId('error').count(), 0, 'a cancel is not an error');
});

test('a 60-minute file\'s waveform paints within 1.5 s of the file being decoded', async () => {
  const hour = path.join(WORK, 'sixty-minutes.wav');
  writeWavFile(hour, 2, RATE, 16, RATE * 3600, piece, 1 << 20);
  await page.evaluate(() => performance.clearMarks());
  await page.getByTestId('file-input').setInputFiles(hour);
  await page.waitForFunction(() => performance.getEntriesByName('lacquer:waveform-painted').length > 0, null, { timeout: 300_000 });
  const ms = await page.evaluate(() =>
    performance.getEntriesByName('lacquer:waveform-painted')[0].startTime - performance.getEntriesByName('lacquer:loaded')[0].startTime);
  fs.writeFileSync(path.join(BENCH, 'hour-waveform.json'), JSON.stringify({ file: '60 min, 48 kHz stereo 16-bit WAV', paintAfterDecodeMs: ms }, null, 2));
  console.log('# 60-minute waveform painted', ms.toFixed(0), 'ms after decoding');
  assert.ok(ms <= 1500, `painted ${ms.toFixed(0)} ms after decoding`);
  fs.rmSync(hour, { force: true });
});
