// Driving the studio's controls from the tests: loading a file, the target,
// master and export, the advanced panel's fields, waiting for the master.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built app (LACQUER_DIST overrides dist/). */
export const DIST = process.env.LACQUER_DIST || path.join(ROOT, 'dist');

/** Loads `file` through the file input and waits for its analysis. */
export async function loadFile(page, file) {
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=file-name]')?.innerText === n, path.basename(file),
    { timeout: 60_000 });
  await page.waitForSelector('[data-testid=analysis][data-ready=true]', { timeout: 120_000 });
}

/** The master status's state: waiting | mastering | on-target | stale. */
export function masterState(page) {
  return page.getByTestId('master-status').getAttribute('data-state');
}

/**
 * Waits until the master is on target and stays there for `quietMs` (no
 * remaster started meanwhile).
 */
export async function waitOnTarget(page, { timeout = 180_000, quietMs = 900 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    await page.waitForSelector('[data-testid=master-status][data-state=on-target]', { timeout: Math.max(1, end - Date.now()) });
    await page.waitForTimeout(quietMs);
    if ((await masterState(page)) === 'on-target') return;
  }
}

/** Picks a platform target by id. */
export async function pickTarget(page, id) {
  await page.locator(`.target-option[data-platform="${id}"] input[type=radio]`).check();
}

/** Exports, saves the download to `dest`, and waits for the done message; returns the download's name. */
export async function exportTo(page, dest, { timeout = 180_000 } = {}) {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout }),
    page.getByTestId('export').click(),
  ]);
  await download.saveAs(dest);
  await page.getByTestId('export-done').waitFor({ timeout: 30_000 });
  assertFile(dest);
  return download.suggestedFilename();
}

function assertFile(f) {
  if (!fs.existsSync(f) || fs.statSync(f).size === 0) throw new Error(`no download at ${f}`);
}

/** The locator of a settings field's control block. */
export function field(page, pointer) {
  return page.locator(`.field[data-path="${pointer}"]`);
}

/** Opens the advanced panel. */
export async function openAdvanced(page) {
  await page.getByTestId('mode-advanced').click();
  await page.locator('.field[data-path]').first().waitFor();
}

/**
 * Sets a field the way the artist does: a number typed into its value box
 * (then Enter), a toggle clicked to the state wanted, a choice picked in
 * its list (the option's value is its JSON).
 */
export async function setField(page, pointer, value) {
  const f = field(page, pointer);
  if (typeof value === 'boolean') {
    const box = f.locator('input[type=checkbox]');
    if ((await box.isChecked()) !== value) await box.click();
    return;
  }
  const select = f.locator('select');
  if (await select.count()) {
    await select.selectOption(JSON.stringify(value));
    return;
  }
  const box = f.locator('input.value');
  await box.fill(String(value));
  await box.press('Enter');
}

/** The value a JSON pointer names in `obj`. */
export function getPointer(obj, pointer) {
  return pointer.split('/').slice(1).reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** A copy of `obj` with `pointer` set to `value`. */
export function withPointer(obj, pointer, value) {
  const out = structuredClone(obj);
  const keys = pointer.split('/').slice(1);
  let o = out;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys[keys.length - 1]] = value;
  return out;
}

/** The studio as kept in localStorage (parsed). */
export async function savedStudio(page) {
  return JSON.parse(await page.evaluate(() => localStorage.getItem('lacquer.studio.v1')));
}
