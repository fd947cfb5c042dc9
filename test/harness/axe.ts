/** axe-core in a real page: injects `node_modules/axe-core/axe.min.js` and returns the serious and critical findings. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export interface AxeViolation {
  readonly id: string;
  readonly impact: 'serious' | 'critical';
  readonly help: string;
  /** CSS selectors of the offending nodes. */
  readonly targets: readonly string[];
}

let source: Promise<string> | undefined;
const axeSource = (): Promise<string> => {
  source ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return source;
};

/**
 * Runs axe-core (its default rules: WCAG 2.x A and AA and best practices) on the page as it is now; the page's CSP
 * needs no allowance for it.
 * @returns the violations of impact serious or critical (empty when the page passes)
 */
export const seriousAxeViolations = async (page: Page): Promise<AxeViolation[]> => {
  // A string is evaluated as a script through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(await axeSource());
  return page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run: (context: Document) => Promise<unknown> } }).axe.run;
    const results = (await run(document)) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact as 'serious' | 'critical',
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
  });
};
