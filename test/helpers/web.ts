/**
 * Debian's chromium through playwright-core for the web dashboards' end-to-end tests, and the
 * directory their screenshots are kept in (test-artifacts/web/, not committed).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} is absent: install Debian's chromium (apt-get install chromium) to run the web end-to-end test`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Containers and CI run as root without user namespaces; the page is our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

export const WEB_ARTIFACTS = new URL('../../test-artifacts/web/', import.meta.url).pathname;

/** A full-page screenshot in test-artifacts/web/<name>.png; returns its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(WEB_ARTIFACTS, { recursive: true });
  const path = join(WEB_ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
