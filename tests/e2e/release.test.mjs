// End-to-end: release files from the page, in headless Chromium.
//
// Every format (WAV 16/24/32f, FLAC 16/24) and the release bundle are
// exported from the page and checked by independent tools: ffprobe (format
// code, rate, bit depth, length), flac -t, sox, pyloudnorm (DeMan) for the
// loudness and a 16× oversampling meter for the true peak (tests/lib/meter.py);
// every file is byte for byte what `lacquer master` / `lacquer bundle` write
// for the same input and options. The source is at 48 kHz, so the 16-bit
// WAV at 44.1 kHz is converted and dithered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { serveDir } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { encodeWav } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';
import { measureFile } from '../lib/loudness.mjs';
import { ROOT, DIST, loadFile } from '../lib/studio.mjs';

const CLI = path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'release/lacquer');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-release-'));
const RATE = 48_000;
const SECONDS = 10;
const TAGS = { title: 'Night Drive', artist: 'The Testers', album: 'Tests', year: '2026', isrc: 'GB-AYE-26-00001' };

let server, browser, page, input;
const consoleErrors = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is built (trunk build --release --offline)');
  assert.ok(fs.existsSync(CLI), `the lacquer CLI is built at ${CLI}`);
  server = await serveDir(DIST);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.getByTestId('file-input').waitFor({ state: 'attached', timeout: 30_000 });
  input = path.join(WORK, 'Night Drive (mix 3).wav');
  fs.writeFileSync(input, encodeWav(programme(RATE, SECONDS), RATE, 24));
  await loadFile(page, input);
  for (const [k, v] of Object.entries(TAGS)) await page.getByTestId(`tag-${k}`).fill(v);
});

after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(WORK, { recursive: true, force: true });
});

/** Clicks `testId`, saves the download to `dest`; returns its suggested name. */
async function download(testId, dest) {
  const [d] = await Promise.all([
    page.waitForEvent('download', { timeout: 180_000 }),
    page.getByTestId(testId).click(),
  ]);
  await d.saveAs(dest);
  await page.getByTestId('export-done').waitFor({ timeout: 30_000 });
  return d.suggestedFilename();
}

/** ffprobe's view of the first audio stream. */
function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-count_packets', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out).streams[0];
}

/** Frames in a file, by sox. */
function soxFrames(file) {
  return Number(execFileSync('soxi', ['-s', file], { encoding: 'utf8' }).trim());
}

/** The WAV `fmt ` chunk's format code. */
function wavFormatCode(buf) {
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4), size = buf.readUInt32LE(pos + 4);
    if (id === 'fmt ') return buf.readUInt16LE(pos + 8);
    pos += 8 + size + (size % 2);
  }
  return -1;
}

const tagArgs = Object.entries(TAGS).flatMap(([k, v]) => [`--${k}`, v]);

test('every format exported from the page is the CLI file, checked by independent tools', async () => {
  const cases = [
    { format: 'wav16', rate: '44100', code: 1, bits: 16, hz: 44_100 },
    { format: 'wav24', rate: 'source', code: 1, bits: 24, hz: RATE },
    { format: 'wav32f', rate: 'source', code: 3, bits: 32, hz: RATE },
    { format: 'flac16', rate: 'source', bits: 16, hz: RATE },
    { format: 'flac24', rate: '44100', bits: 24, hz: 44_100 },
  ];
  for (const c of cases) {
    await page.getByTestId('release-format').selectOption(c.format);
    await page.getByTestId('release-rate').selectOption(c.rate);
    const ext = c.format.startsWith('flac') ? 'flac' : 'wav';
    const got = path.join(WORK, `browser-${c.format}.${ext}`);
    const t0 = Date.now();
    const name = await download('export', got);
    const label = `${c.format} @ ${c.rate}`;
    console.log(`# ${label}: exported and checked in ${((Date.now() - t0) / 1000).toFixed(2)} s → ${name}`);
    assert.match(name, /^[A-Za-z0-9_-]+\.(wav|flac)$/, `safe file name: ${name}`);
    assert.equal(name, `The-Testers-Night-Drive_master_${c.bits}bit_${c.hz === 44_100 ? '44k1' : '48k'}.${ext}`);

    // Byte for byte the CLI's.
    const cliOut = path.join(WORK, `cli-${c.format}.${ext}`);
    execFileSync(CLI, ['master', input, '-o', cliOut, '--format', c.format, '--rate', c.rate, ...tagArgs], { stdio: 'pipe' });
    const a = fs.readFileSync(got), b = fs.readFileSync(cliOut);
    assert.ok(a.equals(b), `${label}: byte-identical to lacquer master (sizes ${a.length}, ${b.length}; first difference at ${a.findIndex((x, i) => x !== b[i])})`);

    // Independent tools.
    const s = probe(got);
    const frames = Math.round(SECONDS * c.hz);
    assert.equal(Number(s.sample_rate), c.hz, `${label}: rate`);
    assert.equal(s.channels, 2);
    assert.equal(soxFrames(got), frames, `${label}: length by sox`);
    if (ext === 'wav') {
      assert.equal(wavFormatCode(a), c.code, `${label}: WAV format code`);
      assert.equal(Number(s.bits_per_sample), c.bits, `${label}: bits`);
      assert.equal(Number(s.duration_ts), frames, `${label}: length by ffprobe`);
    } else {
      execFileSync('flac', ['-t', '-s', got]);
      assert.equal(s.codec_name, 'flac');
      assert.equal(Number(s.bits_per_raw_sample), c.bits, `${label}: bits`);
    }
    const m = measureFile(got);
    assert.ok(Math.abs(m.lufs + 14) <= 0.02, `${label}: ${m.lufs} LUFS, target −14 ± 0.02`);
    assert.ok(m.true_peak_dbtp <= -1, `${label}: true peak ${m.true_peak_dbtp} dBTP (16×) under −1 dBTP`);

    // What the page shows is the file as the browser decoded it.
    const row = page.getByTestId('checked-file');
    assert.equal(await row.count(), 1);
    assert.equal(Number(await row.getAttribute('data-frames')), frames, `${label}: decoded length shown`);
    assert.equal(Number(await row.getAttribute('data-rate')), c.hz);
    assert.equal(await row.getAttribute('data-ok'), 'true', `${label}: ${await row.innerText()}`);
    const shown = Number(await row.getAttribute('data-lufs'));
    assert.ok(Math.abs(shown - m.lufs) <= 0.02, `${label}: shown ${shown} LUFS vs pyloudnorm ${m.lufs}`);
    const shownTp = Number(await row.getAttribute('data-dbtp'));
    assert.ok(Math.abs(shownTp - m.true_peak_dbtp) <= 0.05, `${label}: shown TP ${shownTp} vs ${m.true_peak_dbtp}`);
    // The file is offered once checked; the codec check ends after.
    const codec = page.locator('[data-testid=codec-check][data-pending=false]');
    await codec.waitFor({ timeout: 120_000 });
    assert.match(await codec.innerText(), /Opus 160 kbps: decoded peak/);
  }
  assert.deepEqual(consoleErrors.filter((e) => !/favicon/.test(e)), [], 'no errors in the console');
});

test('a malformed ISRC is explained and the export refused until it is fixed', async () => {
  await page.getByTestId('tag-isrc').fill('GB-AYE-26-0001X');
  await page.getByTestId('tags-problem').waitFor();
  assert.match(await page.getByTestId('tags-problem').innerText(), /CC-XXX-YY-NNNNN/);
  assert.equal(await page.getByTestId('export').isDisabled(), true);
  assert.equal(await page.getByTestId('export-bundle').isDisabled(), true);
  await page.getByTestId('no-tags').check();
  assert.equal(await page.getByTestId('tags-problem').count(), 0, 'no tags: nothing to check');
  assert.equal(await page.getByTestId('export').isDisabled(), false);
  await page.getByTestId('no-tags').uncheck();
  await page.getByTestId('tag-isrc').fill(TAGS.isrc);
  assert.equal(await page.getByTestId('tags-problem').count(), 0);
  assert.equal(await page.getByTestId('export').isDisabled(), false);
});

test('the release bundle is the CLI bundle, made twice the same, every checksum and file right', async () => {
  await page.getByTestId('variant-loud').check();
  await page.getByTestId('variant-quiet').check();
  const zips = [];
  for (const k of [1, 2]) {
    const got = path.join(WORK, `bundle-${k}.zip`);
    const t0 = Date.now();
    const name = await download('export-bundle', got);
    console.log(`# bundle ${k}: made and checked in ${((Date.now() - t0) / 1000).toFixed(2)} s → ${name}`);
    assert.equal(name, 'The-Testers-Night-Drive_release.zip');
    zips.push(fs.readFileSync(got));
  }
  assert.ok(zips[0].equals(zips[1]), 'a bundle exported twice is byte-identical');
  const cliZip = path.join(WORK, 'cli-bundle.zip');
  execFileSync(CLI, ['bundle', input, '-o', cliZip, '--platform', 'spotify', '--loud', '--quiet', ...tagArgs], { stdio: 'pipe' });
  const want = fs.readFileSync(cliZip);

  const dir = path.join(WORK, 'unzipped');
  execFileSync('unzip', ['-q', '-o', path.join(WORK, 'bundle-1.zip'), '-d', dir]);
  const cliDir = path.join(WORK, 'unzipped-cli');
  execFileSync('unzip', ['-q', '-o', cliZip, '-d', cliDir]);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(dir, 'report.html')));
  assert.equal(report.files.length, 4);
  const rows = page.getByTestId('checked-file');
  assert.equal(await rows.count(), 4);
  for (const f of report.files) {
    const file = path.join(dir, f.name);
    assert.match(f.name, /^[A-Za-z0-9_-]+\.wav$/);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    assert.equal(sha, f.measured.sha256, `${f.name}: SHA-256 in report.json`);
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(path.join(cliDir, f.name))), `${f.name}: the CLI's bytes`);
    const s = probe(file);
    const cd = f.role === 'cd';
    assert.equal(Number(s.sample_rate), cd ? 44_100 : RATE, `${f.name}: rate`);
    assert.equal(Number(s.bits_per_sample), cd ? 16 : 24, `${f.name}: bits`);
    assert.equal(wavFormatCode(fs.readFileSync(file)), 1, `${f.name}: PCM format code 1`);
    assert.equal(Number(s.duration_ts), f.expected_frames, `${f.name}: length`);
    assert.equal(soxFrames(file), f.expected_frames);
    const m = measureFile(file);
    assert.ok(Math.abs(m.lufs - f.target_lufs) <= 0.02, `${f.name}: ${m.lufs} LUFS, target ${f.target_lufs}`);
    assert.ok(m.true_peak_dbtp <= f.ceiling_dbtp, `${f.name}: true peak ${m.true_peak_dbtp} dBTP ≤ ${f.ceiling_dbtp}`);
    const row = page.locator(`[data-testid=checked-file][data-name="${f.name}"]`);
    assert.equal(Number(await row.getAttribute('data-frames')), f.expected_frames, `${f.name}: decoded length shown`);
    assert.equal(await row.getAttribute('data-ok'), 'true', `${f.name}: ${await row.innerText()}`);
  }
  // The bundle is offered once its files are checked; the codec check of
  // the streaming master runs after, and its answer comes into the panel.
  const codecDone = page.locator('[data-testid=codec-check][data-pending=false]');
  await codecDone.waitFor({ timeout: 120_000 });
  const peak = await codecDone.getAttribute('data-peak');
  assert.ok(peak !== '' && Number.isFinite(Number(peak)), `Opus decoded peak shown: ${peak}`);
  const over = Number(peak) > 0;
  assert.equal(await page.getByTestId('codec-warning').count(), over ? 1 : 0, 'warned exactly when over 0 dBFS');
  assert.deepEqual(consoleErrors.filter((e) => !/favicon/.test(e)), [], 'no errors in the console');
  assert.ok(fs.readFileSync(path.join(dir, 'report.html')).equals(fs.readFileSync(path.join(cliDir, 'report.html'))), 'report.html: the CLI\'s');
  const [rj, cj] = [dir, cliDir].map((d) => fs.readFileSync(path.join(d, 'report.json'), 'utf8'));
  assert.equal(rj, cj, 'report.json: the CLI\'s, to the last digit');
  assert.ok(zips[0].equals(want), `byte-identical to lacquer bundle (sizes ${zips[0].length}, ${want.length})`);
});
