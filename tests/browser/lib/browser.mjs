// Debian's Chromium under playwright-core: never a downloaded browser, one instance at a time,
// a fresh profile per launch, background networking off.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.LS_CHROMIUM ?? '/usr/bin/chromium';

/** Launches a persistent context on a fresh profile; close() removes the profile. */
export async function launch({ viewport = { width: 1280, height: 800 }, colorScheme = 'light' } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'ls-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    colorScheme,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** Collects console errors, page errors and CSP violations of a page. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      errors.push(`console: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
