// Times the release bundle from the page for a 4-minute 44.1 kHz stereo song
// (streaming + CD masters, no variants): from the click to the download offered,
// every file decoded again and measured; then to the Opus check's answer,
// which runs once the files are checked and comes into the panel after.
// Run: cd tests && node ../bench/release-bundle.mjs   (RUNS=n, COLD=1: see below)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveDir } from '../tests/lib/server.mjs';
import { launch } from '../tests/lib/browser.mjs';
import { encodeWav } from '../tests/lib/wav.mjs';
import { programme } from '../tests/lib/fixtures.mjs';
import { DIST, loadFile, waitOnTarget } from '../tests/lib/studio.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lacquer-bench-'));
const input = path.join(work, 'song.wav');
fs.writeFileSync(input, encodeWav(programme(44_100, 240), 44_100, 24));
const server = await serveDir(DIST);
const browser = await launch();
const page = await browser.context.newPage();
if (process.env.BENCH_CONSOLE) page.on('console', (m) => console.log('  [page]', m.text()));
await page.goto(server.url);
await page.getByTestId('file-input').waitFor({ state: 'attached', timeout: 30_000 });
await loadFile(page, input);
// As an artist works: the studio masters the file to the target first (the
// bundle then renders that master once instead of searching again). With
// COLD=1 the bundle is asked for at once, and searches.
if (!process.env.COLD) await waitOnTarget(page);
for (let run = 1; run <= Number(process.env.RUNS || 3); run++) {
  const t0 = Date.now();
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.getByTestId('export-bundle').click()]);
  const ms = Date.now() - t0;
  const summary = await page.locator('[data-testid=export-done] .summary').innerText();
  await page.locator('[data-testid=codec-check][data-pending=false]').waitFor({ timeout: 600_000 });
  const codecMs = Date.now() - t0;
  console.log(`run ${run}: bundle offered ${(ms / 1000).toFixed(2)} s after the click (${summary}) → ${d.suggestedFilename()}; ` +
    `Opus check shown ${(codecMs / 1000).toFixed(2)} s after the click`);
}
await browser.close();
server.close();
fs.rmSync(work, { recursive: true, force: true });
