// End-to-end: the sound card's advanced controls, in Debian's headless
// Chromium. Every field of the settings table has its control; every
// control, moved in the page, changes what the worklet is told and what it
// then plays; a value out of range is refused with a message naming the
// field; each module's bypass takes its effect away; the global bypass
// plays the mix bit for bit.
//
// What the page tells the worklet is read from its messages (tests/lib/tap.mjs);
// what the worklet plays for those settings is rendered offline through the
// page's own lacquer-processor.js and DSP wasm over a generated song, and
// recorded from the live worklet for the global bypass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp } from '../lib/app.mjs';
import { encodeWav, decodeWav } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';
import { meterBatch } from '../lib/loudness.mjs';
import { readFields, fieldName } from '../lib/fields.mjs';
import { installTap, tapStart, tapStop, sentTo, sentCount, lastSettings, setRenderInput, renderChain } from '../lib/tap.mjs';
import {
  DIST, loadFile, pickTarget, waitOnTarget, openAdvanced, setField, field, getPointer, withPointer,
} from '../lib/studio.mjs';

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-studio-controls-'));
const RATE = 48_000;
const FIELDS = readFields();
let page, consoleErrors, close, song;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), `the app is built in ${DIST}`);
  ({ page, consoleErrors, close } = await openApp(DIST, { beforeLoad: installTap }));
  const input = path.join(WORK, 'Controls Song.wav');
  fs.writeFileSync(input, encodeWav(programme(RATE, 6, 9), RATE, 24));
  song = decodeWav(fs.readFileSync(input)).samples.map((c) => Float32Array.from(c));
  await loadFile(page, input);
  await waitOnTarget(page);
  await setRenderInput(page, song.map((c) => c.subarray(0, 2 * RATE)), RATE);
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

/** Runs `act` and returns the first settings the page sends the worklet after it. */
async function settingsAfter(act, what) {
  const n = (await sentTo(page, 'settings')).length;
  await act();
  try {
    await page.waitForFunction((n) => window.__lq.sent.filter((s) => s.msg.type === 'settings').length > n, n, { timeout: 10_000 });
  } catch {
    assert.fail(`${what}: the page told the worklet nothing`);
  }
  return JSON.parse((await sentTo(page, 'settings'))[n].msg.json);
}

/** Sets a field through its control and checks the worklet was told exactly that. */
async function set(pointer, value) {
  const before = await lastSettings(page);
  if (JSON.stringify(getPointer(before, pointer)) === JSON.stringify(value)) return before;
  const after = await settingsAfter(() => setField(page, pointer, value), pointer);
  assert.ok(near(getPointer(after, pointer), value), `${pointer}: the worklet was told ${getPointer(after, pointer)}, want ${value}`);
  assert.deepEqual(after, withPointer(before, pointer, getPointer(after, pointer)), `${pointer}: nothing else changed`);
  return after;
}

function near(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value clearly away from `cur` within the field's range, on its fine step. */
function moved(f, cur) {
  if (f.kind === 'toggle') return !cur;
  if (f.kind === 'choice') return JSON.parse(f.options.find((o) => JSON.stringify(JSON.parse(o.json)) !== JSON.stringify(cur)).json);
  let v;
  if (f.log) v = cur * 4 <= f.max ? cur * 4 : cur / 4;
  else v = cur + (f.max - f.min) / 4 <= f.max ? cur + (f.max - f.min) / 4 : cur - (f.max - f.min) / 4;
  v = Math.round(v / f.fineStep) * f.fineStep;
  return Math.round(v * 1e6) / 1e6;
}

/**
 * What has to be so for a field to matter to the sound: the band it shapes
 * lifted, the mode it belongs to chosen, the switch it refines on.
 */
function needs(p) {
  const m = /^\/eq\/(low_shelf|high_shelf|peaks\/\d)\/(freq_hz|slope|q)$/.exec(p);
  if (m) return [[`/eq/${m[1]}/gain_db`, 6]];
  if (/^\/eq\/highpass_(hz|slope)$/.test(p)) return [['/eq/highpass_enabled', true]];
  if (p === '/eq/tilt_pivot_hz') return [['/eq/tilt_db', 3]];
  if (p === '/eq/bypass') return [['/eq/peaks/1/gain_db', 6]];
  const band = /^\/compressor\/bands\/(\d)\//.exec(p);
  if (band) return [['/compressor/mode', 'multiband'], [`/compressor/bands/${band[1]}/threshold_db`, -40]];
  if (/^\/compressor\/crossover_/.test(p)) return [['/compressor/mode', 'multiband']];
  if (/^\/compressor\/(single\/|detector|sidechain|bypass)/.test(p)) return [['/compressor/mode', 'single']];
  if (p === '/stereo/mono_bass_hz') return [['/stereo/mono_bass_enabled', true]];
  if (p === '/stereo/bypass') return [['/stereo/width_pct', 150]];
  if (/^\/output\/(dither_bits|noise_shaping|dither_seed)$/.test(p)) return [['/output/dither', true]];
  return [];
}

/** The compressor mode a field is shown in (null: shown in both). */
function modeOf(p) {
  if (/^\/compressor\/(bands|crossover_)/.test(p)) return 'multiband';
  if (p.startsWith('/compressor/single/')) return 'single';
  return null;
}

const shownFields = () => page.locator('.field[data-path]').evaluateAll((els) => els.map((e) => e.dataset.path));

test('the advanced panel has one control for every field of the settings table, in its order', async () => {
  await openAdvanced(page);
  // The compressor's full-band figures in single-band mode, its crossovers
  // and bands in three-band mode; everything else always.
  assert.equal(getPointer(await lastSettings(page), '/compressor/mode'), 'single');
  assert.deepEqual(await shownFields(), FIELDS.filter((f) => modeOf(f.pointer) !== 'multiband').map((f) => f.pointer));
  await set('/compressor/mode', 'multiband');
  assert.deepEqual(await shownFields(), FIELDS.filter((f) => modeOf(f.pointer) !== 'single').map((f) => f.pointer));
  await set('/compressor/mode', 'single');
  for (const f of FIELDS) {
    if (modeOf(f.pointer)) await set('/compressor/mode', modeOf(f.pointer));
    const el = field(page, f.pointer);
    if (f.kind === 'number') {
      const range = el.locator('input[type=range]');
      assert.equal(await range.getAttribute('min'), '0');
      assert.equal(await range.getAttribute('max'), '1000');
      const vt = await range.getAttribute('aria-valuetext');
      assert.ok(f.unit === '' || vt.endsWith(` ${f.unit}`), `${f.pointer}: aria-valuetext "${vt}" names the unit ${f.unit}`);
      assert.equal(await el.locator('input.value').count(), 1);
    } else if (f.kind === 'toggle') {
      assert.equal(await el.locator('input[type=checkbox]').count(), 1, f.pointer);
    } else {
      const values = await el.locator('select option').evaluateAll((os) => os.map((o) => o.value));
      assert.deepEqual(values, f.options.map((o) => o.json), `${f.pointer}: the table's choices`);
    }
  }
  // Master-to-target sets the input and output gains when the target has a loudness.
  for (const p of ['/input_gain_db', '/output/gain_db']) {
    assert.equal(await field(page, p).locator('input.value').isDisabled(), true, `${p} is set by mastering`);
  }
  await pickTarget(page, 'cd');
  assert.equal(await page.getByTestId('loudness-canvas').getAttribute('data-target-lufs'), '', 'no loudness target line for CD');
  assert.equal(await page.getByTestId('loudness-canvas').getAttribute('data-ceiling-dbtp'), '-0.1');
  for (const p of ['/input_gain_db', '/output/gain_db']) {
    assert.equal(await field(page, p).locator('input.value').isDisabled(), false, `${p} is the artist's on the CD target`);
  }
  await waitOnTarget(page);
});

test('a value out of range is refused with a message naming the field, and changes nothing', async () => {
  for (const f of FIELDS.filter((x) => x.kind === 'number')) {
    if (modeOf(f.pointer)) await set('/compressor/mode', modeOf(f.pointer));
    const el = field(page, f.pointer);
    const n = await sentCount(page);
    const before = await lastSettings(page);
    const bad = f.max + 10 * f.step;
    await el.locator('input.value').fill(String(bad));
    await el.locator('input.value').press('Enter');
    const err = el.locator('.field-error[role=alert]');
    await err.waitFor({ timeout: 5_000 });
    const text = await err.innerText();
    assert.ok(text.startsWith(`${fieldName(f)}:`), `${f.pointer}: "${text}" names the field (${fieldName(f)})`);
    assert.match(text, /outside/, `${f.pointer}: "${text}"`);
    await page.waitForTimeout(50);
    assert.equal(await sentCount(page), n, `${f.pointer}: nothing was sent to the worklet`);
    assert.deepEqual(await lastSettings(page), before);
    // A good value clears the message.
    await setField(page, f.pointer, getPointer(before, f.pointer));
    await el.locator('.field-error').waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {});
  }
  assert.deepEqual(await page.locator('.field-error').allInnerTexts(), [], 'no message is left once good values are typed');
});

test('every control changes what the worklet plays', async () => {
  await set('/compressor/mode', 'single');
  // The song driven into the limiter and the compressor, so that their
  // times and figures are heard.
  await set('/input_gain_db', 6);
  await set('/compressor/single/threshold_db', -30);
  const jobs = [], rows = [];
  for (const f of FIELDS) {
    for (const [p, v] of needs(f.pointer)) await set(p, v);
    const before = await lastSettings(page);
    const was = getPointer(before, f.pointer);
    const to = moved(f, was);
    const after = await set(f.pointer, to);
    jobs.push({ settings: before });
    jobs.push({ settings: after, against: jobs.length - 1 });
    rows.push({ f, was, to });
    await set(f.pointer, was); // back, so each field is heard against the same song
  }
  const res = [];
  for (let i = 0; i < jobs.length; i += 20) {
    const part = jobs.slice(i, i + 20).map((j) => (j.against === undefined ? j : { ...j, against: j.against - i }));
    res.push(...(await renderChain(page, part, { seconds: 1 })));
  }
  const silent = [], latency = [];
  rows.forEach((r, k) => {
    const a = res[2 * k], b = res[2 * k + 1];
    assert.deepEqual([a.errors, b.errors], [[], []], `${r.f.pointer}: the worklet took the settings`);
    const rel = 20 * Math.log10(b.rmsDiff / b.rms);
    console.log(`# ${r.f.pointer}: ${JSON.stringify(r.was)} → ${JSON.stringify(r.to)}: difference ${Number.isFinite(rel) ? rel.toFixed(1) : '−∞'} dB (peak ${b.maxDiff.toExponential(2)})`);
    if (!(b.maxDiff > 0)) silent.push(r.f.pointer);
    if (r.f.pointer === '/limiter/lookahead_ms') {
      // The lookahead is the chain's latency: the worklet's grows with it.
      const want = Math.round((r.to - r.was) / 1000 * RATE);
      if (b.latency - a.latency !== want) latency.push(`${r.f.pointer} ${r.was} → ${r.to} ms: latency ${a.latency} → ${b.latency} frames, want +${want}`);
    }
  });
  assert.deepEqual(silent, [], 'controls whose change the worklet does not play');
  assert.deepEqual(latency, [], 'the worklet follows the lookahead');
});

/** Every field of a module with a value unlike its own (bypass and lookahead left alone). */
function unlike(settings, mod) {
  let s = settings;
  for (const f of FIELDS) {
    if (!f.pointer.startsWith(`/${mod}/`) || /bypass|lookahead/.test(f.pointer)) continue;
    s = withPointer(s, f.pointer, moved(f, getPointer(s, f.pointer)));
  }
  return s;
}

test('each module\'s bypass takes its effect away', async () => {
  await set('/eq/peaks/1/gain_db', 6);
  await set('/stereo/width_pct', 150);
  for (const mod of ['eq', 'compressor', 'stereo', 'limiter']) {
    const on = await lastSettings(page);
    const off = await set(`/${mod}/bypass`, true);
    assert.equal(await page.locator(`.field[data-path="/${mod}/bypass"]`).locator('xpath=ancestor::section[contains(@class,"module")]').getAttribute('class').then((c) => /bypassed/.test(c)), true,
      `the ${mod} section shows it is bypassed`);
    const [a, b, c] = await renderChain(page, [
      { settings: off },
      { settings: on, against: 0 },
      { settings: unlike(off, mod), against: 0 },
    ], { seconds: 1 });
    console.log(`# ${mod} bypass: the module's effect ${(20 * Math.log10(b.rmsDiff / b.rms)).toFixed(1)} dB; bypassed, its settings change ${c.maxDiff}`);
    assert.deepEqual([a.errors, b.errors, c.errors], [[], [], []], `${mod}: the worklet took every settings`);
    assert.ok(b.maxDiff > 1e-3, `${mod}: the module does something when it is in`);
    assert.equal(c.maxDiff, 0, `${mod}: bypassed, its settings change nothing (bit for bit)`);
    assert.equal(a.latency, c.latency);
    await set(`/${mod}/bypass`, false);
  }
});

test('the global bypass plays the mix bit for bit, delayed by the chain\'s latency', async () => {
  const n = (await sentTo(page, 'monitor')).length;
  await page.getByTestId('bypass-all').check();
  await page.waitForFunction((n) => window.__lq.sent.filter((s) => s.msg.type === 'monitor').length > n, n);
  const monitor = (await sentTo(page, 'monitor')).at(-1).msg;
  assert.deepEqual({ dry: monitor.dry, masterGainDb: monitor.masterGainDb, mixGainDb: monitor.mixGainDb, limiter: monitor.limiter },
    { dry: true, masterGainDb: 0, mixGainDb: 0, limiter: false });
  assert.match(await page.getByTestId('now-playing').innerText(), /Bypass · the mix, untouched/);

  // Offline: known samples in, the same samples out, `latency` frames later.
  const settings = await lastSettings(page);
  const [r] = await renderChain(page, [{ settings, monitor }], { seconds: 1, keep: true });
  const delay = r.playAt + r.latency;
  const [L, R] = r.out;
  let mismatches = 0;
  const where = [];
  for (let k = delay + 128; k < L.length; k++) {
    if (L[k] !== song[0][k - delay] || R[k] !== song[1][k - delay]) { mismatches++; if (where.length < 10) where.push([k, L[k], song[0][k - delay]]); }
  }
  if (mismatches) console.log('# first frames that differ [frame, out, in]', JSON.stringify(where));
  assert.equal(mismatches, 0, `every frame is the input's, ${r.latency} frames late`);
  assert.ok(L.slice(delay + 128).some((v) => v !== 0), 'and it is not silence');

  // Live: what the worklet plays is the file's samples.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('Home');
  await tapStart(page, 6);
  await page.keyboard.press('Space');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=position]').dataset.seconds) >= 1.6, null, { timeout: 30_000 });
  const rec = await tapStop(page);
  await page.keyboard.press('Space');
  const start = rec.channels[0].findIndex((v) => Math.abs(v) > 0.01) + 256;
  const end = rec.channels[0].length - 128;
  const seg = rec.channels.map((c) => c.slice(start, start + RATE));
  const [{ offset }] = meterBatch([{ align: seg, reference: song, rate: RATE }]);
  const d = start - offset;
  let live = 0;
  for (let i = start; i < end; i++) if (rec.channels[0][i] !== song[0][i - d] || rec.channels[1][i] !== song[1][i - d]) live++;
  console.log(`# bypass, live: ${end - start} frames compared with the file`);
  assert.ok(end - start > RATE, 'more than a second compared');
  assert.equal(live, 0, 'the live output is the file, bit for bit');

  await page.getByTestId('bypass-all').uncheck();
  assert.equal((await page.getByTestId('now-playing').innerText()).replace(/^Playing\s*/, '').trim(), 'Master');
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
