// End-to-end: the built app in Debian's headless Chromium.
//
// Feeds generated audio through the file input, plays it through the worklet
// chain, exports, and checks the downloaded WAV with an independent reader and
// byte for byte against the native `lacquer master` CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serveDir } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { encodeWav, decodeWav } from '../lib/wav.mjs';
import { programme, sine } from '../lib/fixtures.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const CLI = path.join(ROOT, 'target/release/lacquer');
const SHOTS = path.join(ROOT, 'target/screenshots');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-e2e-'));

let server, browser, page;
const consoleErrors = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is built (run trunk build --release --offline)');
  assert.ok(fs.existsSync(CLI), 'the lacquer CLI is built (cargo build -p lacquer-dsp --release --bin lacquer)');
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await serveDir(DIST);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.getByTestId('file-input').waitFor({ state: 'attached', timeout: 30_000 });
  await page.screenshot({ path: path.join(SHOTS, '01-empty.png') });
});

after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(WORK, { recursive: true, force: true });
});

test('dist/ holds the app wasm and the worklet DSP wasm', () => {
  const files = fs.readdirSync(DIST);
  assert.ok(files.some((f) => /^lacquer-.*_bg\.wasm$/.test(f)), `app wasm in ${files}`);
  assert.ok(files.includes('lacquer_dsp.wasm'), `worklet DSP wasm in ${files}`);
  assert.ok(files.includes('lacquer-processor.js'), `worklet processor in ${files}`);
  const dsp = fs.readFileSync(path.join(DIST, 'lacquer_dsp.wasm'));
  const mod = new WebAssembly.Module(dsp);
  const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
  for (const name of ['lq_create', 'lq_process', 'lq_input_ptr', 'lq_output_ptr', 'memory']) {
    assert.ok(exports.includes(name), `DSP wasm exports ${name}`);
  }
  assert.equal(WebAssembly.Module.imports(mod).length, 0, 'DSP wasm needs no imports (no glue)');
});

test('a damaged file gets a clear message and the app keeps working', async () => {
  const bad = path.join(WORK, 'broken.wav');
  fs.writeFileSync(bad, Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WAVEjunk'), Buffer.alloc(64, 7)]));
  await page.getByTestId('file-input').setInputFiles(bad);
  const err = page.getByTestId('error');
  await err.waitFor({ timeout: 20_000 });
  assert.match(await err.innerText(), /broken\.wav/);
  fs.writeFileSync(path.join(WORK, 'notes.txt'), 'not audio at all');
  await page.getByTestId('file-input').setInputFiles(path.join(WORK, 'notes.txt'));
  await page.waitForFunction(() => /notes\.txt/.test(document.querySelector('[data-testid=error]')?.innerText || ''));
  assert.match(await err.innerText(), /does not look like an audio file/);
});

test('load, play through the worklet chain, export: byte-identical to the CLI', async () => {
  const rate = 44_100;
  const seconds = 12;
  const input = path.join(WORK, 'Night Drive (mix 3).wav');
  fs.writeFileSync(input, encodeWav(programme(rate, seconds), rate, 24));

  await page.getByTestId('file-input').setInputFiles(input);
  await page.getByTestId('file-name').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('file-name').innerText(), 'Night Drive (mix 3).wav');
  assert.equal(await page.getByTestId('file-rate').getAttribute('data-hz'), String(rate));
  assert.equal(await page.getByTestId('file-channels').getAttribute('data-channels'), '2');
  const dur = Number(await page.getByTestId('file-duration').getAttribute('data-seconds'));
  assert.ok(Math.abs(dur - seconds) < 1e-6, `duration ${dur}`);
  // The earlier error was cleared by the successful load.
  assert.equal(await page.getByTestId('error').count(), 0,
    `no error shown, got: ${await page.getByTestId('error').allInnerTexts()}`);

  // Play: the worklet's own frame counter must advance, and its meters must see signal.
  const frames = async () => Number(await page.getByTestId('worklet-frames').getAttribute('data-frames'));
  const before = await frames();
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid=worklet-frames]').dataset.frames) > b + 44_100,
    before, { timeout: 20_000 },
  );
  const after = await frames();
  assert.ok(after > before, `worklet processed frames: ${before} → ${after}`);
  await page.screenshot({ path: path.join(SHOTS, '02-playing.png') });
  await page.getByTestId('play').click(); // pause
  assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Play');

  // Export and capture the download.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId('export').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'Night-Drive-mix-3_master_24bit_44k1.wav', 'a name safe for distributors');
  const got = path.join(WORK, 'browser-master.wav');
  await download.saveAs(got);
  await page.getByTestId('export-done').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: path.join(SHOTS, '03-exported.png'), fullPage: true });

  const wav = decodeWav(fs.readFileSync(got));
  // Plain PCM, or WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
  assert.ok(wav.format === 1 || (wav.format === 0xfffe && wav.subFormat === 1), `PCM (format ${wav.format})`);
  assert.equal(wav.bits, 24);
  assert.equal(wav.channels, 2);
  assert.equal(wav.sampleRate, rate);
  assert.equal(wav.frames, rate * seconds, 'same length as the input');
  let peak = 0, sumsq = 0;
  for (const ch of wav.samples) for (const v of ch) { peak = Math.max(peak, Math.abs(v)); sumsq += v * v; }
  const rmsDb = 10 * Math.log10(sumsq / (wav.frames * wav.channels));
  assert.ok(peak > 0.1 && rmsDb > -40, `not silent: peak ${peak}, rms ${rmsDb.toFixed(1)} dBFS`);

  // The native CLI, same input, default settings.
  const cliOut = path.join(WORK, 'cli-master.wav');
  const cliReport = path.join(WORK, 'cli-report.json');
  execFileSync(CLI, ['master', input, '-o', cliOut, '--report', cliReport], { stdio: 'pipe' });
  const a = fs.readFileSync(got), b = fs.readFileSync(cliOut);
  assert.equal(a.length, b.length, 'same size as the CLI output');
  assert.ok(a.equals(b), `byte-identical to lacquer master (first difference at byte ${a.findIndex((x, i) => x !== b[i])})`);

  // The report the artist sees: the master at −14 LUFS under −1 dBTP, the same
  // figures the CLI reports, and every platform's playback.
  const report = JSON.parse(fs.readFileSync(cliReport, 'utf8'));
  const shownLufs = await page.getByTestId('report-lufs').getAttribute('data-lufs');
  assert.equal(shownLufs, report.output_lufs.toFixed(3));
  assert.ok(Math.abs(Number(shownLufs) + 14) <= 0.005, `master at ${shownLufs} LUFS`);
  const shownTp = Number(await page.getByTestId('report-tp').getAttribute('data-dbtp'));
  assert.ok(shownTp <= -1, `true peak ${shownTp} dBTP under the ceiling`);
  const rows = page.getByTestId('platform-row');
  assert.equal(await rows.count(), report.platforms.length);
  assert.ok(report.platforms.length >= 11, `${report.platforms.length} platforms`);
  const spotifyGain = Number(await page.locator('[data-platform=spotify] [data-gain]').getAttribute('data-gain'));
  assert.ok(Math.abs(spotifyGain) <= 0.01, `Spotify Normal plays a −14 LUFS master as is (gain ${spotifyGain})`);

  assert.deepEqual(consoleErrors.filter((e) => !/favicon/.test(e)), [], 'no errors in the console');
});

test('the worklet meters loudness live, stereo and mono (BS.1770)', async () => {
  // A 997 Hz sine at −20 dBFS passes the default chain unchanged (below the
  // compressor's threshold and the limiter's ceiling): −20 LUFS in both
  // channels of stereo (EBU Tech 3341 case 1), −23 LUFS as mono.
  const rate = 48_000;
  for (const [channels, want] of [[2, -20], [1, -23.01]]) {
    const input = path.join(WORK, `tone-${channels}ch.wav`);
    fs.writeFileSync(input, encodeWav(sine(rate, 8, 997, -20, channels), rate, 24));
    await page.getByTestId('file-input').setInputFiles(input);
    await page.waitForFunction((n) => document.querySelector('[data-testid=file-name]')?.innerText === n,
      path.basename(input));
    // No loudness target (the CD row): the worklet plays the chain as set,
    // not a master raised to a target, and the meters read what is heard.
    await page.locator('.target-option[data-platform=cd] input').check();
    await page.getByTestId('play').click();
    // Wait for a full 3 s short-term window of the tone.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=worklet-frames]').dataset.frames) > 0 &&
        document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Pause',
      null, { timeout: 10_000 });
    const start = Date.now();
    await page.waitForTimeout(3600);
    const st = Number(await page.getByTestId('live-short-term').getAttribute('data-lufs'));
    const m = Number(await page.getByTestId('live-momentary').getAttribute('data-lufs'));
    if (channels === 2) await page.screenshot({ path: path.join(SHOTS, '04-live-loudness.png') });
    await page.getByTestId('play').click(); // pause
    assert.ok(Date.now() - start >= 3600);
    assert.ok(Math.abs(st - want) <= 0.2, `${channels} ch short-term ${st} LUFS, want ${want}`);
    assert.ok(Math.abs(m - want) <= 0.2, `${channels} ch momentary ${m} LUFS, want ${want}`);
  }
  // Back to the default target (Spotify Normal) for the exports that follow.
  await page.locator('.target-option[data-platform=spotify] input').check();
});

test('a mono 16-bit file at 48 kHz decodes at its own rate and exports identically', async () => {
  const rate = 48_000;
  const [l] = programme(rate, 4, 11);
  const input = path.join(WORK, 'vox.wav');
  fs.writeFileSync(input, encodeWav([l], rate, 16));
  await page.getByTestId('file-input').setInputFiles(input);
  await page.waitForFunction(() => document.querySelector('[data-testid=file-name]')?.innerText === 'vox.wav');
  assert.equal(await page.getByTestId('file-rate').getAttribute('data-hz'), '48000');
  assert.equal(await page.getByTestId('file-channels').getAttribute('data-channels'), '1');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId('export').click(),
  ]);
  const got = path.join(process.env.LACQUER_KEEP || WORK, 'vox-browser.wav');
  await download.saveAs(got);
  const cliOut = path.join(process.env.LACQUER_KEEP || WORK, 'vox-cli.wav');
  fs.copyFileSync(input, path.join(process.env.LACQUER_KEEP || WORK, 'vox-in.wav'));
  execFileSync(CLI, ['master', input, '-o', cliOut], { stdio: 'pipe' });
  const wav = decodeWav(fs.readFileSync(got));
  assert.equal(wav.channels, 1);
  assert.equal(wav.sampleRate, rate);
  assert.equal(wav.frames, rate * 4);
  assert.ok(fs.readFileSync(got).equals(fs.readFileSync(cliOut)), 'byte-identical to lacquer master');
});

test('a FLAC file is decoded by the browser at its own rate, handed to the worker and analysed', async () => {
  const rate = 48_000;
  const wav = path.join(WORK, 'flac-source.wav');
  fs.writeFileSync(wav, encodeWav(programme(rate, 6, 21), rate, 24));
  const flac = path.join(WORK, 'Take 2.flac');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', wav, '-c:a', 'flac', flac]);
  await page.getByTestId('file-input').setInputFiles(flac);
  await page.waitForFunction(() => document.querySelector('[data-testid=file-name]')?.innerText === 'Take 2.flac');
  assert.equal(await page.getByTestId('file-rate').getAttribute('data-hz'), String(rate));
  const dur = Number(await page.getByTestId('file-duration').getAttribute('data-seconds'));
  assert.ok(Math.abs(dur - 6) < 1e-6, `duration ${dur}`);
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 30_000 });
  // The same loudness the CLI measures from the WAV it was made from (FLAC is lossless).
  const cli = JSON.parse(execFileSync(CLI, ['analyze', wav, '--json'], { encoding: 'utf8' }));
  const shown = await page.getByTestId('mix-lufs').innerText();
  const want = cli.integrated_lufs ?? cli.loudness?.integrated_lufs;
  assert.equal(shown, `${want.toFixed(1)} LUFS`);
});
