/**
 * `npm run screenshots`: every hosted page at 1280 and 390 px, written to `docs/screenshots/<page>-<width>.png`.
 * Gatehouse runs in this process on PGlite with a branded tenant and the IdP emulator (`test/harness/pages.ts`);
 * Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`) walks the steps of `pageSteps` in order. A new page is a new step
 * there. `npm run screenshots -- sign-in consent` writes only the pages named.
 */
import { mkdir } from 'node:fs/promises';
import { launchBrowser } from '../test/harness/browser.js';
import { pageSteps, startPagesFixture, type Walk } from '../test/harness/pages.js';

const widths = [1280, 390] as const;
const outDir = new URL('../docs/screenshots/', import.meta.url);

const main = async () => {
  const only = new Set(process.argv.slice(2));
  await mkdir(outDir, { recursive: true });
  const fixture = await startPagesFixture({ start: { storage: 'pglite' } });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: widths[0], height: 800 } });
    const page = await context.newPage();
    const walk: Walk = {};
    for (const step of pageSteps) {
      await page.setViewportSize({ width: widths[0], height: 800 });
      await step.run(page, fixture, walk);
      if (only.size > 0 && !only.has(step.name)) continue;
      for (const width of widths) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
        const path = new URL(`${step.name}-${width}.png`, outDir);
        await page.screenshot({ path: path.pathname, type: 'png', fullPage: true });
        process.stdout.write(`${path.pathname}\n`);
      }
    }
  } finally {
    await browser.close();
    await fixture.close();
  }
};

await main();
