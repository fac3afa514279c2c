// End-to-end: the views (waveform, loudness over time, live spectrum, tonal
// balance, meters) in Debian's headless Chromium, with generated signals
// whose answers are known: a 10 dB loudness step at 20 s, a 1 kHz sine, pink
// noise. Also the drawing budget while everything plays, and screenshots at
// desktop and phone width.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openApp, longTasksSince } from '../lib/app.mjs';
import { encodeWav } from '../lib/wav.mjs';
import { programme, sine } from '../lib/fixtures.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const CLI = path.join(ROOT, 'target/release/lacquer');
const SHOTS = path.join(ROOT, 'target/screenshots');
const BENCH = path.join(ROOT, 'target/bench');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-views-'));
const RATE = 48_000;

let server, browser, page, consoleErrors, close;

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 * 2 - 1; };
}

/** White noise, 10 dB louder from `stepS` on. */
function stepNoise(seconds, stepS) {
  const n = RATE * seconds, l = new Float32Array(n), r = new Float32Array(n);
  const a = rng(1), b = rng(2);
  for (let i = 0; i < n; i++) {
    const g = i < stepS * RATE ? 0.05 : 0.05 * 10 ** 0.5;
    l[i] = g * a(); r[i] = g * b();
  }
  return [l, r];
}

/** Pink noise by Paul Kellet's refined filter of white noise (±0.05 dB above 9 Hz). */
function pink(seconds) {
  const n = RATE * seconds, out = new Float32Array(n), w = rng(3);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const x = w();
    b0 = 0.99886 * b0 + x * 0.0555179; b1 = 0.99332 * b1 + x * 0.0750759;
    b2 = 0.96900 * b2 + x * 0.1538520; b3 = 0.86650 * b3 + x * 0.3104856;
    b4 = 0.55000 * b4 + x * 0.5329522; b5 = -0.7616 * b5 - x * 0.0168980;
    out[i] = 0.05 * (b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362);
    b6 = x * 0.115926;
  }
  return [out, out.slice()];
}

async function load(file) {
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=file-name]')?.innerText === n, path.basename(file));
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 60_000 });
}

const attr = (testid, name) => page.getByTestId(testid).getAttribute(name);

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(BENCH, { recursive: true });
  ({ server, browser, page, consoleErrors, close } = await openApp(DIST));
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

test('a 10 dB step at 20 s shows in the loudness curve at 20 s, and the curve is the dsp meter\'s', async () => {
  const file = path.join(WORK, 'step.wav');
  fs.writeFileSync(file, encodeWav(stepNoise(40, 20), RATE, 24));
  await load(file);
  // Zoom in fully (3 s) around 20 s with the wheel over the waveform.
  const wave = page.getByTestId('waveform-canvas');
  const box = await wave.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -400);
  const start = Number(await attr('waveform', 'data-start'));
  const end = Number(await attr('waveform', 'data-end'));
  assert.ok(Math.abs(end - start - 3) < 1e-6 && start <= 20 && end >= 20, `full zoom is 3 s around 20 s: ${start}..${end}`);
  // Find, column by column, where the momentary curve steps up (bisection over the pointer's x).
  const loud = page.getByTestId('loudness-canvas');
  const lbox = await loud.boundingBox();
  const mAt = async (x) => {
    await page.mouse.move(lbox.x + x + 0.5, lbox.y + lbox.height / 2);
    return Number(await attr('loudness-readout', 'data-mix-m'));
  };
  const low = await mAt(2), high = await mAt(lbox.width - 2);
  assert.ok(high - low > 8, `the step is about 10 LU: ${low} → ${high}`);
  let a = 2, b = Math.floor(lbox.width) - 2;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if ((await mAt(m)) > (low + high) / 2) b = m; else a = m;
  }
  const want = (20 - start) / (end - start) * lbox.width;
  assert.ok(Math.abs(b - want) <= 1, `the step is drawn at column ${b}, 20 s is at ${want.toFixed(1)}`);

  // Back to the whole track: the short-term curve where it is read equals the CLI's meter.
  await page.getByRole('button', { name: 'Show the whole track' }).click();
  const cli = JSON.parse(execFileSync(CLI, ['analyze', file, '--json'], { encoding: 'utf8' })).loudness;
  for (const t of [8, 15, 30, 38]) {
    const x = t / 40 * lbox.width;
    await page.mouse.move(lbox.x + x, lbox.y + lbox.height / 2);
    const shownT = Number(await attr('loudness-readout', 'data-t'));
    const shown = Number(await attr('loudness-readout', 'data-mix-st'));
    const k = Math.floor(shownT / cli.curve_interval_s);
    assert.ok(Math.abs(shown - cli.short_term_curve[k]) <= 0.1, `at ${shownT.toFixed(2)} s: ${shown} vs the meter's ${cli.short_term_curve[k]}`);
  }
});

test('a 1 kHz sine peaks at 1 kHz in the live spectrum, and pink noise reads flat with the 3 dB slope', async () => {
  const tone = path.join(WORK, 'tone-1k.wav');
  fs.writeFileSync(tone, encodeWav(sine(RATE, 10, 1000, -6), RATE, 24));
  await load(tone);
  await page.getByTestId('spectrum-slope').selectOption('0');
  await page.getByTestId('spectrum-smoothing').selectOption('12');
  await page.getByTestId('play').click();
  await page.waitForTimeout(1500);
  const hz = Number(await attr('spectrum-readout', 'data-hz'));
  assert.ok(Math.abs(Math.log2(hz / 1000)) <= 1 / 48, `the spectrum peaks at ${hz} Hz`);
  await page.getByTestId('play').click();

  const noise = path.join(WORK, 'pink.wav');
  fs.writeFileSync(noise, encodeWav(pink(20), RATE, 24));
  await load(noise);
  await page.getByTestId('spectrum-slope').selectOption('3');
  await page.getByTestId('spectrum-smoothing').selectOption('3');
  await page.getByTestId('play').click();
  await page.waitForTimeout(3000);
  const canvas = await page.getByTestId('spectrum-canvas').boundingBox();
  // Noise reads differently from one analyser frame to the next (a 1/3-octave
  // band at 50 Hz holds two FFT bins): read each point in six frames,
  // 250 ms apart, and average them as powers.
  const freqs = [50, 80, 125, 200, 315, 500, 800, 1250, 2000, 3150, 5000, 8000, 10000];
  const power = freqs.map(() => 0);
  const reads = 6;
  for (let k = 0; k < reads; k++) {
    for (const [i, f] of freqs.entries()) {
      const x = Math.log2(f / 20) / Math.log2(1000) * canvas.width;
      await page.mouse.move(canvas.x + x, canvas.y + canvas.height / 2);
      power[i] += 10 ** (Number(await attr('spectrum-readout', 'data-in-db')) / 10) / reads;
    }
    await page.waitForTimeout(250);
  }
  const levels = power.map((p) => 10 * Math.log10(p));
  await page.mouse.move(0, 0);
  await page.getByTestId('play').click();
  const mean = levels.reduce((s, v) => s + v, 0) / levels.length;
  const worst = Math.max(...levels.map((v) => Math.abs(v - mean)));
  assert.ok(worst <= 1.5, `pink noise flat within ±1.5 dB from 50 Hz to 10 kHz: ${levels.map((v) => v.toFixed(1)).join(' ')}`);
});

test('meters and spectrum update at 30 Hz or more; drawing keeps up while everything plays', async () => {
  const file = path.join(WORK, 'Views Song.wav');
  fs.writeFileSync(file, encodeWav(programme(RATE, 30, 5), RATE, 24));
  await load(file);
  await page.getByTestId('play').click();
  await page.waitForTimeout(500);
  const count = async () => ({
    meters: Number(await attr('meters', 'data-reports')),
    spectrum: Number(await attr('spectrum-view', 'data-frames')),
  });
  const t0 = await page.evaluate(() => performance.now());
  const c0 = await count();
  // rAF intervals over 3 s, with every view on screen and updating.
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const gaps = [];
    let last = performance.now();
    const end = last + 3000;
    const step = (t) => { gaps.push(t - last); last = t; if (t < end) requestAnimationFrame(step); else resolve(gaps); };
    requestAnimationFrame(step);
  }));
  const c1 = await count();
  const secs = ((await page.evaluate(() => performance.now())) - t0) / 1000;
  await page.getByTestId('play').click();
  const rate = { meters: (c1.meters - c0.meters) / secs, spectrum: (c1.spectrum - c0.spectrum) / secs };
  assert.ok(rate.meters >= 30, `meters update ${rate.meters.toFixed(1)} times a second`);
  assert.ok(rate.spectrum >= 30, `the spectrum updates ${rate.spectrum.toFixed(1)} times a second`);
  const sorted = frames.slice(1).sort((x, y) => x - y);
  const p95 = sorted[Math.floor(sorted.length * 0.95)];
  const long = await longTasksSince(page, t0);
  fs.writeFileSync(path.join(BENCH, 'views.json'), JSON.stringify({ rafP95Ms: p95, rafFrames: sorted.length, updatesPerS: rate, longTasks: long.length }, null, 2));
  console.log('# drawing', JSON.stringify({ rafP95Ms: p95, updatesPerS: rate }));
  assert.ok(p95 <= 20, `requestAnimationFrame p95 ${p95.toFixed(1)} ms`);
  assert.deepEqual(long, [], 'no main-thread task over 50 ms while playing');
});

test('every view, drawn with music-like content, at desktop and phone width', async () => {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export').click()]);
  await download.path();
  await page.getByTestId('export-done').waitFor();
  await page.waitForSelector('[data-testid=waveform][data-master=true]', { timeout: 30_000 });
  await page.getByTestId('play').click();
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(SHOTS, '20-views-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SHOTS, '21-views-phone.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (${overflow} px over)`);
  await page.getByTestId('play').click();
  await page.setViewportSize({ width: 1280, height: 820 });
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
