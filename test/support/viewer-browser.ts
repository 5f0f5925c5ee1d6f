import { AxeBuilder } from '@axe-core/playwright';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the viewer specs write their screenshots (the README shows one). */
export const VIEWER_SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots', 'viewer');

/** Headless, in a container as root, with no network of its own: nothing but the app under test. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Every axe-core violation of impact serious or critical on the page as it is now, one line each. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  const { violations, passes } = await new AxeBuilder({ page }).analyze();
  // NOTE: a scan that checked nothing (axe not injected) must not pass as a clean page.
  if (passes.length === 0) throw new Error('axe-core ran no check on the page');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(VIEWER_SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(VIEWER_SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * What the page reported that it should not have: uncaught errors, and console errors (a CSP
 * refusal is one); a refused API call's HTTP status (the console names it) is expected there.
 */
export function watchPageProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (400|401|403)/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

/**
 * Waits until the viewer shows the page of the URL's hash: `waitForURL` resolves a task before the
 * hashchange that renders it, while the previous page's rows are still on screen.
 */
export async function routeShown(page: Page): Promise<void> {
  await page.waitForFunction("document.querySelector('main')?.dataset.route === location.hash");
}
