// End-to-end: the studio's one-click master, the A/B switch and "listen as
// on" a platform, in Debian's headless Chromium.
//
// Generated songs go in through the file input. The exported file is read
// by independent meters (pyloudnorm with the DeMan filter, a 16× true-peak
// meter, ffmpeg's ebur128); what the artist hears is recorded sample for
// sample from the worklet's output (tests/lib/tap.mjs) and measured the
// same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openApp } from '../lib/app.mjs';
import { encodeWav, decodeWav } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';
import { meterBatch } from '../lib/loudness.mjs';
import { installTap, tapStart, tapStop, tapMark, sentTo } from '../lib/tap.mjs';
import { DIST, loadFile, pickTarget, waitOnTarget, exportTo, masterState } from '../lib/studio.mjs';

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-studio-master-'));
let page, consoleErrors, close;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), `the app is built in ${DIST}`);
  ({ page, consoleErrors, close } = await openApp(DIST, { beforeLoad: installTap }));
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

const nowPlaying = async () => (await page.getByTestId('now-playing').innerText()).replace(/^Playing\s*/, '').trim();
const dbfs = (v) => 20 * Math.log10(v);

/** Keys go to the page, not to whatever control was last used. */
async function blur() {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
}

async function waitPosition(seconds) {
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid=position]').dataset.seconds) >= s,
    seconds, { timeout: 60_000 });
}

async function pause() {
  if ((await page.getByTestId('play').getAttribute('aria-label')) === 'Pause') await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Play');
}

/** The first frame of `ch` louder than −40 dBFS (the start of what played). */
function onset(ch) {
  const i = ch.findIndex((v) => Math.abs(v) > 0.01);
  assert.ok(i >= 0, 'something played');
  return i;
}

/** Largest sample-to-sample step over frames `from..to` of either channel. */
function maxStep(channels, from, to) {
  let m = 0;
  for (const c of channels) for (let i = Math.max(1, from); i < Math.min(to, c.length); i++) m = Math.max(m, Math.abs(c[i] - c[i - 1]));
  return m;
}

/** Frames a..b of planar channels. */
const cut = (channels, a, b) => channels.map((c) => c.slice(a, b));

/**
 * Least-squares gain g of the recording against the source over `frames`
 * (recording frame i plays source frame i − d), and the largest residual
 * |rec − g·src| there.
 */
function fitGain(rec, src, d, from, to) {
  let rs = 0, ss = 0;
  for (let c = 0; c < 2; c++) for (let i = from; i < to; i++) { rs += rec[c][i] * src[c][i - d]; ss += src[c][i - d] ** 2; }
  const g = rs / ss;
  let worst = 0;
  for (let c = 0; c < 2; c++) for (let i = from; i < to; i++) worst = Math.max(worst, Math.abs(rec[c][i] - g * src[c][i - d]));
  return { g, worst };
}

test('Master for Apple Music: the exported file measures −16.00 LUFS and at most −1.0 dBTP (16×) on independent meters', async () => {
  const rate = 48_000, seconds = 24;
  const input = path.join(WORK, 'Harbour Lights (mix 5).wav');
  fs.writeFileSync(input, encodeWav(programme(rate, seconds, 7), rate, 24));
  await loadFile(page, input);
  // Mastering starts by itself once the mix is analysed (to the default target).
  await waitOnTarget(page);

  await pickTarget(page, 'apple');
  const ceiling = await page.getByTestId('ceiling').inputValue();
  assert.equal(Number(ceiling.replace('−', '-')), -1, `Apple Music sets the ceiling to −1.0 dBTP (${ceiling})`);
  const button = page.getByTestId('master');
  assert.equal((await button.innerText()).trim(), 'Master for Apple Music (Sound Check)');
  assert.equal(await masterState(page), 'stale', 'a new target leaves the master off target');
  await button.click();
  await waitOnTarget(page);
  const status = await page.getByTestId('master-status').innerText();
  assert.match(status, /On target · −16\.0 LUFS · −1\.\d dBTP/, status);
  assert.match(await page.getByTestId('export-target').innerText(), /Apple Music.*−16\.0 LUFS.*−1\.0 dBTP/);
  // The loudness view draws the target picked, and the ceiling.
  assert.equal(await page.getByTestId('loudness-canvas').getAttribute('data-target-lufs'), '-16.0');
  assert.equal(await page.getByTestId('loudness-canvas').getAttribute('data-ceiling-dbtp'), '-1.0');

  const out = path.join(WORK, 'apple.wav');
  const name = await exportTo(page, out);
  assert.match(name, /^Harbour.*\.wav$/, `the download is named after the song (${name})`);
  const wav = decodeWav(fs.readFileSync(out));
  assert.equal(wav.sampleRate, rate);
  assert.equal(wav.channels, 2);
  assert.equal(wav.frames, rate * seconds, 'the whole song, no tail cut or added');

  const [m] = meterBatch([{ file: out }]);
  console.log(`# Apple master: ${m.lufs.toFixed(3)} LUFS (pyloudnorm, DeMan), true peak ${m.true_peak_dbtp.toFixed(3)} dBTP (16×), sample peak ${m.sample_peak_dbfs.toFixed(3)} dBFS`);
  assert.ok(Math.abs(m.lufs + 16) <= 0.02, `integrated ${m.lufs.toFixed(3)} LUFS, want −16.00 ± 0.02`);
  assert.ok(m.true_peak_dbtp <= -1.0, `16× true peak ${m.true_peak_dbtp.toFixed(3)} dBTP, want ≤ −1.0`);

  // Cross-check with ffmpeg's EBU R128 meter (integrated to 0.1 LU, 4× true peak).
  const ff = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', out, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' });
  assert.equal(ff.status, 0, ff.stderr);
  const summary = ff.stderr.slice(ff.stderr.lastIndexOf('Summary:'));
  const I = Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)[1]);
  const tp = Number(/Peak:\s+(-?[\d.]+) dBFS/.exec(summary)[1]);
  console.log(`# ffmpeg ebur128: I ${I} LUFS, true peak ${tp} dBFS (4×)`);
  assert.ok(Math.abs(I + 16) <= 0.1, `ffmpeg reads ${I} LUFS`);
  assert.ok(tp <= -1.0, `ffmpeg's 4× true peak ${tp}`);
});

// A shorter song at 44.1 kHz for what is played in real time, so that the
// whole of it can be recorded.
const SHORT_RATE = 44_100, SHORT_S = 8;
const short = programme(SHORT_RATE, SHORT_S, 3);
// The song as the worker decodes it (24-bit values, exact in float32).
let shortSrc;

test('listen as on Spotify (Quiet): the preview of the Apple master measures −19 ± 0.1 LUFS over the song', async () => {
  const input = path.join(WORK, 'Short Song.wav');
  fs.writeFileSync(input, encodeWav(short, SHORT_RATE, 24));
  shortSrc = decodeWav(fs.readFileSync(input)).samples.map((c) => Float32Array.from(c));
  await loadFile(page, input);
  await waitOnTarget(page); // the Apple target is kept, and the new song is mastered to it
  assert.match(await page.getByTestId('master-status').innerText(), /On target · −16\.0 LUFS/);

  const quiet = page.locator('[data-testid=listen-row][data-platform=spotify-quiet]');
  assert.equal((await quiet.locator('[data-testid=listen-master] .gain').innerText()).trim(), '−3.0 dB', 'Spotify (Quiet) turns a −16 LUFS master down 3 dB');
  await quiet.locator('input[type=radio]').check();
  assert.equal(await nowPlaying(), 'Master · as on Spotify (Quiet)');
  const monitor = (await sentTo(page, 'monitor')).at(-1).msg;
  assert.equal(monitor.dry, false);
  assert.ok(Math.abs(monitor.masterGainDb + 3) < 0.02, `the worklet plays the master at ${monitor.masterGainDb} dB`);

  // The whole song, from the start to its end.
  await blur();
  await page.keyboard.press('Home');
  await tapStart(page, SHORT_S + 4);
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Pause');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Play',
    null, { timeout: 60_000 });
  const rec = await tapStop(page);
  assert.equal(rec.rate, SHORT_RATE, 'the worklet runs at the song\'s rate');
  assert.ok(!rec.full, 'the recording holds the whole song');
  const start = onset(rec.channels[0]);
  const played = rec.channels[0].length - start;
  assert.ok(played >= SHORT_S * SHORT_RATE, `the song played to its end (${(played / SHORT_RATE).toFixed(2)} s recorded)`);

  const [m] = meterBatch([{ samples: rec.channels, rate: SHORT_RATE, truePeak: false }]);
  console.log(`# listen as Spotify (Quiet): ${m.lufs.toFixed(3)} LUFS`);
  assert.ok(Math.abs(m.lufs + 19) <= 0.1, `the preview measures ${m.lufs.toFixed(3)} LUFS, want −19 ± 0.1`);
});

test('A/B: the matched mix plays at the master\'s loudness (within 0.1 LU) and the switch makes no step larger than the music\'s own', async () => {
  await page.locator('[data-testid=listen-row][data-platform=mastered] input[type=radio]').check();
  assert.equal(await nowPlaying(), 'Master');
  assert.equal(await page.getByTestId('ab-match').isChecked(), true, 'matching is on by default');
  assert.equal(await page.getByTestId('ab-master').getAttribute('aria-pressed'), 'true');
  const label = await page.locator('label:has([data-testid=ab-match])').innerText();
  const shownGain = Number(/\(([+−-]?[\d.]+) dB on the mix\)/.exec(label)[1].replace('−', '-'));

  // 1. Master from the start, then B: the mix.
  await blur();
  await page.keyboard.press('Home');
  await tapStart(page, 10);
  await page.keyboard.press('Space');
  await waitPosition(4.7);
  await tapMark(page, 'switch');
  await page.keyboard.press('b');
  assert.equal(await page.getByTestId('ab-mix').getAttribute('aria-pressed'), 'true');
  const mixText = await nowPlaying();
  assert.match(mixText, /^Mix · matched [+−]\d+\.\d dB$/);
  await page.waitForTimeout(1500);
  const r1 = await tapStop(page);
  await pause();

  // 2. The mix from the start, then B: the master.
  await page.keyboard.press('Home');
  await tapStart(page, 10);
  await page.keyboard.press('Space');
  await waitPosition(4.7);
  await tapMark(page, 'switch');
  await page.getByTestId('ab-master').click();
  assert.equal(await nowPlaying(), 'Master');
  await page.waitForTimeout(1500);
  const r2 = await tapStop(page);
  await pause();

  const rate = SHORT_RATE, src = shortSrc;
  // Where each recording sits in the song: from the stretch that is the mix.
  const m1 = r1.marks.switch, m2 = r2.marks.switch;
  const tail1 = [m1 + Math.round(0.5 * rate), r1.channels[0].length - rate / 10];
  const head2 = [onset(r2.channels[0]) + 2048, m2 - rate / 10];
  const [a1, a2] = meterBatch([
    { align: cut(r1.channels, ...tail1), reference: src, rate },
    { align: cut(r2.channels, ...head2), reference: src, rate },
  ]);
  const d1 = tail1[0] - a1.offset, d2 = head2[0] - a2.offset;
  // The mix path is the mix times one gain, sample for sample.
  const fit1 = fitGain(r1.channels, src, d1, ...tail1), fit2 = fitGain(r2.channels, src, d2, ...head2);
  const g1 = dbfs(fit1.g), g2 = dbfs(fit2.g);
  const told = (await sentTo(page, 'monitor')).filter((s) => s.msg.dry).at(-1).msg.mixGainDb;
  console.log(`# matched gain: shown ${shownGain} dB, sent ${told.toFixed(4)} dB, played ${g1.toFixed(4)} / ${g2.toFixed(4)} dB; residuals ${fit1.worst.toExponential(1)} / ${fit2.worst.toExponential(1)}`);
  assert.ok(fit1.worst < 1e-5 && fit2.worst < 1e-5, 'the matched mix is the mix at one gain, untouched otherwise');
  assert.equal(shownGain, Math.round(told * 10) / 10, 'the gain shown is the gain sent');
  assert.ok(Math.abs(g1 - told) <= 0.001 && Math.abs(g2 - told) <= 0.001, `the mix plays at ${g1.toFixed(4)} dB, sent ${told}`);

  // The same stretch of the song, 0.3..4.3 s, as the master (r1) and as the matched mix (r2).
  const win = (d) => [Math.round(0.3 * rate) + d, Math.round(4.3 * rate) + d];
  const [master, mix, mixAlone] = meterBatch([
    { samples: cut(r1.channels, ...win(d1)), rate, truePeak: false },
    { samples: cut(r2.channels, ...win(d2)), rate, truePeak: false },
    { samples: cut(src, ...win(0)), rate, truePeak: false },
  ]);
  console.log(`# A/B over 0.3–4.3 s: master ${master.lufs.toFixed(3)} LUFS, matched mix ${mix.lufs.toFixed(3)} LUFS (the mix alone ${mixAlone.lufs.toFixed(3)})`);
  assert.ok(Math.abs(master.lufs - mix.lufs) <= 0.1, `master ${master.lufs.toFixed(3)} vs matched mix ${mix.lufs.toFixed(3)} LUFS`);

  // The switch: where the recording stops (r1) or starts (r2) being the
  // mix, within 0.5 s of the key press, and no step there larger than the
  // largest step of the music elsewhere in the recording.
  const isMix = (rec, d, g, i) => Math.abs(rec.channels[0][i] - g * src[0][i - d]) < 1e-5 && Math.abs(rec.channels[1][i] - g * src[1][i - d]) < 1e-5;
  let firstMix = tail1[0];
  while (firstMix > m1 && isMix(r1, d1, fit1.g, firstMix - 1)) firstMix--;
  let lastMix = head2[1];
  while (lastMix < r2.channels[0].length && isMix(r2, d2, fit2.g, lastMix + 1)) lastMix++;
  for (const [name, rec, at, mark] of [['master → mix', r1, firstMix, m1], ['mix → master', r2, lastMix, m2]]) {
    assert.ok(at >= mark && at <= mark + 0.5 * rate, `${name}: the switch (${at}) follows the key (${mark})`);
    const from = Math.max(mark - rate / 100, 0), to = at + rate / 50;
    const switchStep = maxStep(rec.channels, from, to);
    const start = onset(rec.channels[0]) + 256;
    const musicStep = Math.max(maxStep(rec.channels, start, from), maxStep(rec.channels, to, rec.channels[0].length - 256));
    console.log(`# ${name}: largest step at the switch ${switchStep.toFixed(4)}, in the music ${musicStep.toFixed(4)}`);
    assert.ok(switchStep <= musicStep, `${name}: step ${switchStep} at the switch, the music's largest ${musicStep}`);
  }
});

test('listen as on Spotify (Loud): a quiet master is raised and no sample goes above −1 dBFS', async () => {
  await page.getByTestId('custom-lufs').fill('-24');
  await page.getByTestId('custom-lufs').press('Enter');
  assert.equal((await page.getByTestId('master').innerText()).trim(), 'Master for −24.0 LUFS');
  await waitOnTarget(page);
  assert.match(await page.getByTestId('master-status').innerText(), /On target · −24\.0 LUFS/);
  assert.equal(await page.getByTestId('loudness-canvas').getAttribute('data-target-lufs'), '-24.0');
  const loud = page.locator('[data-testid=listen-row][data-platform=spotify-loud]');
  assert.equal((await loud.locator('[data-testid=listen-master] .gain').innerText()).trim(), '+13.0 dB');
  await loud.locator('input[type=radio]').check();
  assert.equal(await nowPlaying(), 'Master · as on Spotify (Loud)');
  const monitor = (await sentTo(page, 'monitor')).at(-1).msg;
  assert.ok(monitor.limiter && monitor.limiterDbfs === -1, `Spotify's limiter at −1 dBFS: ${JSON.stringify(monitor)}`);

  await blur();
  await page.keyboard.press('Home');
  await tapStart(page, 8);
  await page.keyboard.press('Space');
  await waitPosition(4.2);
  const rec = await tapStop(page);
  await pause();
  let peak = 0;
  for (const c of rec.channels) for (const v of c) peak = Math.max(peak, Math.abs(v));
  const limit = Math.fround(10 ** (-1 / 20));
  const start = onset(rec.channels[0]);
  const [m] = meterBatch([{ samples: cut(rec.channels, start, rec.channels[0].length), rate: rec.rate, truePeak: false }]);
  console.log(`# listen as Spotify (Loud) on a −24 LUFS master: peak ${dbfs(peak).toFixed(3)} dBFS, ${m.lufs.toFixed(2)} LUFS`);
  assert.ok(peak <= limit, `highest sample ${dbfs(peak).toFixed(4)} dBFS, want ≤ −1 dBFS`);
  assert.ok(peak >= 10 ** (-1.5 / 20), `the limiter is working (peak ${dbfs(peak).toFixed(2)} dBFS)`);
  assert.ok(m.lufs > -13, `the master is raised toward −11 LUFS (${m.lufs.toFixed(2)} LUFS)`);
  await page.locator('[data-testid=listen-row][data-platform=mastered] input[type=radio]').check();
});

test('no errors in the console through mastering, listening and export', () => {
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
