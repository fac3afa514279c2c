// End-to-end: the studio by keyboard alone, its accessibility (axe-core) at
// desktop and phone width, and the README's screenshots, in Debian's
// headless Chromium.
//
// Only the file is handed to the file input by the test; from there on
// everything is done with Tab, arrows, Space, Enter and the studio's keys:
// the target, the master, a style and its intensity, play, A/B (B and the
// buttons), seeking, and the export, whose file is then measured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { openApp } from '../lib/app.mjs';
import { encodeWav, decodeWav } from '../lib/wav.mjs';
import { programme } from '../lib/fixtures.mjs';
import { meterBatch } from '../lib/loudness.mjs';
import { installTap, sentTo } from '../lib/tap.mjs';
import { DIST, ROOT, loadFile, waitOnTarget, masterState, openAdvanced } from '../lib/studio.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-studio-access-'));
const SHOTS = path.join(ROOT, 'target/screenshots');
const DOCS = path.join(ROOT, 'docs');
const RATE = 44_100, SECONDS = 16;
let page, consoleErrors, close;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), `the app is built in ${DIST}`);
  fs.mkdirSync(SHOTS, { recursive: true });
  ({ page, consoleErrors, close } = await openApp(DIST, { beforeLoad: installTap }));
});

after(async () => {
  await close?.();
  fs.rmSync(WORK, { recursive: true, force: true });
});

const focused = () => page.evaluate(() => {
  const e = document.activeElement;
  return e ? `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ''}` : 'none';
});

/**
 * Presses Tab (Shift+Tab with `back`) until the focused element matches
 * `selector`, checking on the way that every control reached by Tab shows
 * a focus ring. Returns the number of presses.
 */
async function tabTo(selector, { back = false, max = 400 } = {}) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const state = await page.evaluate((sel) => {
      const e = document.activeElement;
      if (!e || e === document.body) return { ok: false, ring: true };
      const s = getComputedStyle(e);
      const ring = e.matches(':focus-visible') && ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none');
      return { ok: e.matches(sel), ring, what: e.outerHTML.slice(0, 120) };
    }, selector);
    assert.ok(state.ring, `a focus ring on ${state.what}`);
    if (state.ok) return i;
  }
  assert.fail(`Tab never reached ${selector}`);
}

const nowPlaying = async () => (await page.getByTestId('now-playing').innerText()).replace(/^Playing\s*/, '').trim();
const position = async () => Number(await page.getByTestId('position').getAttribute('data-seconds'));
const isPlaying = async () => (await page.getByTestId('play').getAttribute('aria-label')) === 'Pause';

test('a keyboard-only run: target, master, style, play, A/B, seek and export', async () => {
  const input = path.join(WORK, 'Keys Only.wav');
  fs.writeFileSync(input, encodeWav(programme(RATE, SECONDS, 17), RATE, 24));
  await loadFile(page, input);
  await waitOnTarget(page);
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  // The target: Tab into the platforms, arrows to Apple Music.
  await tabTo('.target-option input[type=radio]:checked');
  assert.equal(await page.evaluate(() => document.activeElement.closest('.target-option').dataset.platform), 'spotify');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.closest('.target-option').dataset.platform), 'apple');
  assert.equal(await page.locator('.target-option[data-platform=apple] input').isChecked(), true, 'Apple Music is picked');
  assert.equal(await page.locator('.target-option[data-platform=apple] .tip').isVisible(), true, 'its source shows while it has the focus');
  await tabTo('[data-testid=master]');
  assert.equal((await page.getByTestId('master').innerText()).trim(), 'Master for Apple Music (Sound Check)');
  await page.keyboard.press('Enter');
  await waitOnTarget(page);
  assert.match(await page.getByTestId('master-status').innerText(), /On target · −16\.0 LUFS/);

  // A style by Space, its intensity by arrows.
  await tabTo('.style-chip input[type=radio]', { back: true });
  const style = await page.evaluate(() => document.activeElement.closest('.style-chip').dataset.style);
  await page.keyboard.press('Space');
  assert.equal(await page.locator(`.style-chip[data-style=${style}] input`).isChecked(), true, `the ${style} style is picked`);
  await tabTo('[data-testid=intensity]');
  const was = Number(await page.getByTestId('intensity').inputValue());
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(Number(await page.getByTestId('intensity').inputValue()), was + 2, 'the arrows move the intensity');
  assert.equal(await page.getByTestId('intensity').getAttribute('aria-valuetext'), `${was + 2} %`);
  await waitOnTarget(page);

  // Play with Enter on the play button; B and the buttons switch master and mix.
  await tabTo('[data-testid=play]', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Pause');
  const monitors = (await sentTo(page, 'monitor')).length;
  await page.keyboard.press('b');
  assert.equal(await page.getByTestId('ab-mix').getAttribute('aria-pressed'), 'true', 'B plays the mix');
  assert.match(await nowPlaying(), /^Mix · matched /);
  assert.equal((await sentTo(page, 'monitor')).at(-1).msg.dry, true, 'and the worklet plays the dry path');
  await tabTo('[data-testid=ab-master]');
  await page.keyboard.press('Space');
  assert.equal(await page.getByTestId('ab-master').getAttribute('aria-pressed'), 'true', 'Space on the Master button plays the master');
  assert.equal(await nowPlaying(), 'Master');
  await tabTo('[data-testid=ab-mix]');
  await page.keyboard.press('Enter');
  assert.equal(await page.getByTestId('ab-mix').getAttribute('aria-pressed'), 'true', 'Enter on the Mix button plays the mix');
  await page.keyboard.press('B');
  assert.equal(await page.getByTestId('ab-master').getAttribute('aria-pressed'), 'true', 'Shift+B too');
  assert.ok((await sentTo(page, 'monitor')).length >= monitors + 4, 'each switch told the worklet');

  // Seeking: → 5 s on, Home to the start (the focus is on a button, which leaves arrows to the studio).
  const t0 = await position();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=position]').dataset.seconds) >= t + 4.5, t0);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=position]').dataset.seconds) < 1.5);
  assert.ok(await isPlaying(), 'still playing');
  await tabTo('[data-testid=play]', { back: true });
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Play');
  assert.equal(await focused(), 'button[play]');

  // Export with Enter.
  await tabTo('[data-testid=export]');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 180_000 }), page.keyboard.press('Enter')]);
  const out = path.join(WORK, 'keys.wav');
  await download.saveAs(out);
  await page.getByTestId('export-done').waitFor({ timeout: 30_000 });
  const wav = decodeWav(fs.readFileSync(out));
  assert.equal(wav.frames, RATE * SECONDS);
  const [m] = meterBatch([{ file: out }]);
  console.log(`# keyboard-only export: ${m.lufs.toFixed(3)} LUFS, ${m.true_peak_dbtp.toFixed(2)} dBTP`);
  assert.ok(Math.abs(m.lufs + 16) <= 0.02, `the Apple master: ${m.lufs.toFixed(3)} LUFS`);
  assert.ok(m.true_peak_dbtp <= -1.0, `true peak ${m.true_peak_dbtp.toFixed(3)} dBTP`);
  assert.equal(await masterState(page), 'on-target');
});

/** axe-core's serious and critical violations on the page as it is. */
async function axe() {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`);
}

test('the README\'s screenshots at desktop and phone width, playing', async () => {
  await page.getByTestId('mode-simple').click();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => { window.scrollTo(0, 0); document.activeElement && document.activeElement.blur(); });
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Pause');
  await page.waitForTimeout(2500);
  await page.screenshot({ path: path.join(DOCS, 'screenshot-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(DOCS, 'screenshot-phone.png'), fullPage: true });
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Play');
});

test('no serious or critical accessibility violations (axe-core), and no sideways scrolling on a phone', async () => {
  await openAdvanced(page);
  const found = {};
  let phoneWidth;
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, `30-studio-advanced-${width}.png`), fullPage: true });
    found[`${width}×${height}`] = await axe();
    console.log(`# axe at ${width}×${height}: ${JSON.stringify(found[`${width}×${height}`])}`);
    if (width === 390) phoneWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  }
  await page.setViewportSize({ width: 1280, height: 820 });
  console.log(`# at 390 px the page is ${phoneWidth} px wide`);
  assert.deepEqual(found, { '1280×800': [], '390×844': [] }, 'axe-core finds nothing serious or critical');
  assert.ok(phoneWidth <= 390, `no horizontal scrolling at 390 px (the page is ${phoneWidth} px wide)`);
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
