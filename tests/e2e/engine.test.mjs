// End-to-end: the engine worker with a 5-minute song in Debian's headless
// Chromium. The page never freezes (no main-thread task over 50 ms while
// loading, analysing, mastering and exporting), long work can be cancelled
// without losing the file, and a dead worker is restarted with the file
// loaded again. Also records the stage timings beside the native CLI's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openApp, longTasksSince } from '../lib/app.mjs';
import { writeWavFile } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const CLI = path.join(ROOT, 'target/release/lacquer');
const SHOTS = path.join(ROOT, 'target/screenshots');
const BENCH = path.join(ROOT, 'target/bench');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-engine-'));
const RATE = 44_100;
const SECONDS = 288; // a 4:48 song

let server, browser, page, song, consoleErrors, close;

const now = () => page.evaluate(() => performance.now());

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(BENCH, { recursive: true });
  song = path.join(WORK, 'Long Song.wav');
  // Ten-second programme pieces with their own seeds: a song-like file, written piece by piece.
  const piece = 10 * RATE;
  writeWavFile(song, 2, RATE, 24, RATE * SECONDS, (at, n) => {
    const seed = 100 + Math.floor(at / piece);
    return programme(RATE, n / RATE, seed).map((c, i) => c.map((v) => v * (i ? 0.9 : 1) * (0.7 + 0.3 * ((seed % 5) / 4))));
  }, piece);
  ({ server, browser, page, consoleErrors, close } = await openApp(DIST));
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

test('a 5-minute song loads, analyses, masters and exports without freezing the page', async () => {
  const t0 = await now();
  const wall0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(song);
  await page.getByTestId('file-name').waitFor({ timeout: 60_000 });
  const playable = Date.now() - wall0;
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 120_000 });
  const analysed = Date.now() - wall0;
  const lufs = await page.getByTestId('mix-lufs').innerText();
  assert.match(lufs, /^-?\d+\.\d LUFS$/, `the mix's loudness is shown (${lufs})`);

  // Cancel leaves the file and its analysis as they were.
  await page.getByTestId('export').click();
  await page.getByTestId('export-cancel').click({ timeout: 30_000 });
  await page.getByTestId('export-cancelled').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('file-name').innerText(), 'Long Song.wav');
  assert.equal(await page.getByTestId('mix-lufs').innerText(), lufs);

  const wall1 = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.getByTestId('export').click(),
  ]);
  const exported = Date.now() - wall1;
  const got = path.join(WORK, 'browser-master.wav');
  await download.saveAs(got);
  await page.getByTestId('export-done').waitFor({ timeout: 10_000 });

  const long = await longTasksSince(page, t0);
  assert.deepEqual(long, [], `no main-thread task over 50 ms: ${JSON.stringify(long)}`);

  // The same master as the CLI's, byte for byte; and the CLI's time for it.
  const cliOut = path.join(WORK, 'cli-master.wav');
  const c0 = process.hrtime.bigint();
  execFileSync(CLI, ['master', song, '-o', cliOut], { stdio: 'pipe' });
  const cli = Number(process.hrtime.bigint() - c0) / 1e6;
  assert.ok(fs.readFileSync(got).equals(fs.readFileSync(cliOut)), 'byte-identical to lacquer master');
  await page.screenshot({ path: path.join(SHOTS, '10-long-song-exported.png'), fullPage: true });

  const figures = { file: `${SECONDS} s, ${RATE} Hz stereo 24-bit WAV`, playableMs: playable, analysedMs: analysed, exportMs: exported, cliMs: Math.round(cli), exportOverCli: +(exported / cli).toFixed(2) };
  fs.writeFileSync(path.join(BENCH, 'engine-song.json'), JSON.stringify(figures, null, 2));
  console.log('# stage timings', JSON.stringify(figures));
});

test('a dead worker is restarted and the file loaded again, without reloading the page', async () => {
  const [worker] = page.workers().filter((w) => /lacquer-worker/.test(w.url()));
  assert.ok(worker, 'the engine worker runs');
  // An error the worker does not handle: the kind a bug or a trap would raise.
  await worker.evaluate(() => { setTimeout(() => { throw new Error('simulated failure'); }, 0); });
  await page.waitForFunction(() => /restarted/.test(document.querySelector('[data-testid=error]')?.innerText || ''), null, { timeout: 20_000 });
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 120_000 });
  assert.equal(await page.getByTestId('file-name').innerText(), 'Long Song.wav');
  // It plays again: the worklet's frame counter moves on.
  const frames = () => page.evaluate(() => Number(document.querySelector('[data-testid=worklet-frames]').dataset.frames));
  const before = await frames();
  await page.getByTestId('play').click();
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid=worklet-frames]').dataset.frames) > b + 22_050, before, { timeout: 20_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=position]')?.dataset.seconds || 0) > 0.2, null, { timeout: 20_000 });
  await page.getByTestId('play').click();
  assert.deepEqual(consoleErrors.filter((e) => !/favicon|simulated failure/.test(e)), [], 'no errors in the console');
});
