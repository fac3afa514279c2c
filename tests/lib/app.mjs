// Opens the built app in Debian's headless Chromium, served statically, with
// the page's long tasks recorded (window.__longTasks, every task of 50 ms or
// more, from a PerformanceObserver) and its console errors collected.
import { serveDir } from './server.mjs';
import { launch } from './browser.mjs';

/**
 * { server, browser, page, consoleErrors, close } with the app loaded and ready for a file.
 * `beforeLoad(page)`, if given, runs before the page is first opened (to add init scripts).
 */
export async function openApp(dist, { beforeLoad } = {}) {
  const server = await serveDir(dist);
  const browser = await launch();
  const page = await browser.context.newPage();
  const consoleErrors = [];
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  if (beforeLoad) await beforeLoad(page);
  await page.goto(server.url);
  await page.getByTestId('file-input').waitFor({ state: 'attached', timeout: 30_000 });
  // Start-up done (the audio system brought up): what follows is the artist's work.
  await page.waitForFunction(() => performance.getEntriesByName('lacquer:started').length > 0, null, { timeout: 30_000 });
  const close = async () => {
    await browser.close();
    server.close();
  };
  return { server, browser, page, consoleErrors, close };
}

/** The page's long tasks that started at or after `since` (performance.now() ms). */
export function longTasksSince(page, since) {
  return page.evaluate((t) => window.__longTasks.filter((e) => e.start >= t), since);
}
