// Dev only: a tour of the pages on web/dev/mock-server.mjs with screenshots, to look at the page
// while the real server is not there. Not a test of the product (that is dashboard.test.mjs).
//
//   node web/dev/mock-server.mjs & node tests/browser/dev-mock-tour.mjs [http://127.0.0.1:8090] [outdir]

import { launch, watchErrors } from './lib/browser.mjs';
import { mkdirSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:8090';
const out = process.argv[3] ?? '/tmp/ls-dash-shots';
mkdirSync(out, { recursive: true });

for (const scheme of ['light', 'dark']) {
  const { context, close } = await launch({ colorScheme: scheme });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = watchErrors(page);
  await page.goto(`${base}/login?token=devtoken`);
  await page.waitForSelector('tr[data-resource="db"][data-ready="true"]');
  console.log('url after login:', page.url());
  await page.screenshot({ path: `${out}/stack-${scheme}.png` });
  if (scheme === 'light') {
    await page.click('button[data-op="restart"][data-resource="web"]');
    await page.waitForSelector('tr[data-resource="web"][data-status="restarting"]');
    await page.screenshot({ path: `${out}/stack-restarting.png` });
    await page.waitForSelector('tr[data-resource="web"][data-ready="true"][data-operation=""]');
    await page.request.post(`${base}/dev/external-stop/ticker`);
    await page.waitForSelector('tr[data-resource="ticker"][data-status="exited"]');
  }
  await page.goto(`${base}/#/graph`);
  await page.waitForSelector('svg.graph .node');
  await page.screenshot({ path: `${out}/graph-${scheme}.png` });
  await page.goto(`${base}/#/logs`);
  await page.waitForSelector('.log-pane .line');
  await page.waitForTimeout(1500);
  await page.fill('#logs-search', '/line \\d+5$/');
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${out}/logs-${scheme}.png` });
  await page.goto(`${base}/#/resource/web`);
  await page.waitForSelector('#env tr');
  await page.waitForTimeout(3500);
  if (scheme === 'light') {
    await page.click('#open-terminal');
    await page.click('#term-confirm-open');
    await page.waitForSelector('.xterm-rows');
    await page.waitForTimeout(300);
    await page.keyboard.type('echo $((6*7))\r');
    await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent.includes('42'));
  }
  await page.screenshot({ path: `${out}/resource-${scheme}.png`, fullPage: true });
  await page.setViewportSize({ width: 420, height: 800 });
  await page.goto(`${base}/#/`);
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/stack-narrow-${scheme}.png`, fullPage: true });
  console.log(scheme, 'errors:', errors.length ? errors : 'none');
  await close();
}
