// End-to-end: presets and the studio kept across reloads, in Debian's
// headless Chromium. A preset saved, the page reloaded and the preset
// loaded give the same settings, byte for byte; every kind of bad preset
// (not JSON, wrong types, values out of range, unknown fields, a 10 MB
// file) gets its own message and changes nothing: not the settings, not
// what is kept, not what the worklet plays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp } from '../lib/app.mjs';
import { encodeWav } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';
import { installTap, sentCount, lastSettings } from '../lib/tap.mjs';
import { DIST, loadFile, waitOnTarget, openAdvanced, setField, field, savedStudio, withPointer } from '../lib/studio.mjs';

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-studio-presets-'));
const SONG = path.join(WORK, 'Preset Song.wav');
let page, consoleErrors, close;

// What the artist sets before saving: a value in every module.
const CHOICES = [
  ['/eq/peaks/1/gain_db', 3.5],
  ['/eq/tilt_db', -1.5],
  ['/compressor/mode', 'multiband'],
  ['/compressor/bands/2/ratio', 2.5],
  ['/stereo/width_pct', 120],
  ['/stereo/mono_bass_enabled', true],
  ['/limiter/release_ms', 80],
  ['/output/dither_bits', 16],
  ['/output/noise_shaping', true],
  ['/amount_pct', 90],
];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), `the app is built in ${DIST}`);
  fs.writeFileSync(SONG, encodeWav(programme(44_100, 4, 13), 44_100, 24));
  ({ page, consoleErrors, close } = await openApp(DIST, { beforeLoad: installTap }));
  await loadFile(page, SONG);
  await waitOnTarget(page);
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

const notice = () => page.getByTestId('studio-notice').innerText();

async function savePreset(dest) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('preset-save').click()]);
  assert.equal(download.suggestedFilename(), 'lacquer-preset.json');
  await download.saveAs(dest);
  return fs.readFileSync(dest, 'utf8');
}

async function loadPreset(file) {
  await page.getByTestId('preset-file').setInputFiles(file);
  const name = path.basename(file);
  await page.waitForFunction((n) => (document.querySelector('[data-testid=studio-notice]')?.innerText || '').includes(n), name);
  return notice();
}

/** The chain's settings the worklet was last told, without what mastering sets (the gains). */
const playedChoices = async () => {
  const s = await lastSettings(page);
  return withPointer(withPointer(s, '/input_gain_db', 0), '/output/gain_db', 0);
};

let savedText, savedPath;

test('save, reload, load: the same settings, byte for byte', async () => {
  await openAdvanced(page);
  for (const [p, v] of CHOICES) await setField(page, p, v);
  savedPath = path.join(WORK, 'saved.json');
  savedText = await savePreset(savedPath);
  assert.equal((await notice()).replace('×', '').trim(), 'Preset saved as lacquer-preset.json.');
  const preset = JSON.parse(savedText);
  for (const [p, v] of CHOICES) {
    const got = p.split('/').slice(1).reduce((o, k) => o[k], preset);
    assert.deepEqual(got, v, `the preset holds ${p}`);
  }
  assert.deepEqual((await savedStudio(page)).settings, preset, 'the preset is the settings the studio keeps');

  // A reload keeps the studio; the song comes back by the file input.
  await page.reload();
  await page.getByTestId('file-input').waitFor({ state: 'attached', timeout: 30_000 });
  assert.deepEqual((await savedStudio(page)).settings, preset, 'the settings survive the reload');
  await loadFile(page, SONG);
  await waitOnTarget(page);
  assert.equal(await page.getByTestId('mode-advanced').getAttribute('aria-pressed'), 'true', 'the advanced panel is still open');
  assert.equal(await field(page, '/stereo/width_pct').locator('input.value').inputValue(), '120.0');
  assert.deepEqual(await playedChoices(), withPointer(withPointer(preset, '/input_gain_db', 0), '/output/gain_db', 0),
    'the worklet plays the kept settings (with the master\'s gains)');

  // Moved away by a style, then the preset loaded back.
  await page.getByTestId('mode-simple').click();
  await page.locator('.style-chip[data-style=bright] input[type=radio]').check();
  assert.notDeepEqual((await savedStudio(page)).settings, preset, 'the style changed the settings');
  const msg = await loadPreset(savedPath);
  assert.match(msg, /Preset “saved\.json” loaded\./);
  assert.deepEqual((await savedStudio(page)).settings, preset, 'the loaded preset is the saved one');
  await waitOnTarget(page);
  assert.deepEqual(await playedChoices(), withPointer(withPointer(preset, '/input_gain_db', 0), '/output/gain_db', 0),
    'and the worklet plays it');
  const again = await savePreset(path.join(WORK, 'again.json'));
  assert.equal(again, savedText, 'saving it again gives the same file, byte for byte');
});

test('every bad preset gets its message and changes nothing', async () => {
  const cases = [
    ['not-json.json', '{"eq": {"tilt_db": 2,', /^“not-json\.json”: The preset file is not valid JSON \(line 1, column \d+\)\. Nothing was changed\.$/],
    ['wrong-type.json', '{"stereo": {"width_pct": "wide"}}', /^“wrong-type\.json”: The preset file cannot be used: Stereo width: .*"wide".* not a number.*\. Nothing was changed\.$/],
    ['wrong-shape.json', '{"eq": {"peaks": 3}}', /^“wrong-shape\.json”: The preset file cannot be used: .*peaks.*list of 3.*\. Nothing was changed\.$/],
    ['out-of-range.json', '{"limiter": {"ceiling_dbtp": 2}}', /^“out-of-range\.json”: The preset file cannot be used: Limiter ceiling: 2 dBTP is outside −30 to 0 dBTP\. Nothing was changed\.$/],
    ['unknown-field.json', '{"eq": {"tilt_db": 1}, "reverb": {"mix_pct": 20}}', /^“unknown-field\.json”: The preset file cannot be used: unknown setting `\/reverb`\. Nothing was changed\.$/],
    ['huge.json', `{"eq": {"tilt_db": 1}}${' '.repeat(10 * 1024 * 1024)}`, /^“huge\.json”: The preset file is 10 MB; a preset is at most 64 KB\. Nothing was changed\.$/],
  ];
  await page.getByTestId('mode-advanced').click();
  const kept = await savedStudio(page);
  const shownTilt = await field(page, '/eq/tilt_db').locator('input.value').inputValue();
  const seen = new Set();
  for (const [name, text, want] of cases) {
    const file = path.join(WORK, name);
    fs.writeFileSync(file, text);
    const n = await sentCount(page);
    const msg = (await loadPreset(file)).replace('×', '').trim();
    console.log(`# ${name}: ${msg}`);
    assert.match(msg, want);
    seen.add(msg.slice(msg.indexOf(':')));
    await page.waitForTimeout(100);
    assert.deepEqual(await savedStudio(page), kept, `${name}: the studio is as it was`);
    assert.equal(await sentCount(page), n, `${name}: the worklet was told nothing`);
    assert.equal(await field(page, '/eq/tilt_db').locator('input.value').inputValue(), shownTilt, `${name}: the controls are as they were`);
  }
  assert.equal(seen.size, cases.length, 'each bad preset has its own message');
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
