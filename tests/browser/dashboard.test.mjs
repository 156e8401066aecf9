// Browser tests of the dashboard (issue 14), in Debian's Chromium driven by playwright-core,
// against a real supervised stack (lib/stack.mjs). One browser, the tests in order.
//
//   LS_CLI=build/debug/src/cli/lightshuttle node --test --test-concurrency=1 tests/browser/dashboard.test.mjs
//   LS_DASHBOARD_LOGIN_URL=http://127.0.0.1:PORT/login?token=… LS_DASHBOARD_PROJECT=name node --test …
//
// Screenshots go to $LS_ARTIFACTS_DIR (default ./browser-artifacts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watchErrors } from './lib/browser.mjs';
import { startStack } from './lib/stack.mjs';

const artifacts = process.env.LS_ARTIFACTS_DIR ?? join(process.cwd(), 'browser-artifacts');
mkdirSync(artifacts, { recursive: true });
const WAIT = { timeout: 60000 };

let stack;
let browser;
let page;
let errors;

/** The numbers of the "line N" rows of a log pane, asserted consecutive (no gap, no repeat). */
async function assertConsecutive(pane) {
  const ns = await page.$$eval(`${pane} .line .text`, (els) =>
    els.map((e) => Number(/^line (\d+)$/.exec(e.textContent)?.[1])).filter(Boolean));
  for (let i = 1; i < ns.length; i++) {
    assert.equal(ns[i], ns[i - 1] + 1, `${pane}: line ${ns[i]} follows line ${ns[i - 1]}`);
  }
  return ns;
}

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Marks the document so a test can tell that the page was not reloaded. */
async function markDocument() {
  await page.evaluate(() => {
    window.__lsNoReload = true;
  });
}
async function assertNotReloaded() {
  assert.equal(await page.evaluate(() => window.__lsNoReload === true), true, 'the page was reloaded');
}

before(async () => {
  stack = await startStack();
  browser = await launch();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  errors = watchErrors(page);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('the login URL opens the stack page with every resource ready, the token gone from the address bar', async () => {
  await page.goto(stack.loginUrl);
  await page.waitForURL((u) => u.pathname === '/' && !u.search.includes('token'), WAIT);
  assert.ok(!page.url().includes('token'), page.url());
  const names = (await (await page.request.get(`${stack.base}api/v1/resources`)).json()).map((r) => r.name);
  assert.deepEqual([...names].sort(), ['colors', 'sleeper', 'ticker', 'web']);
  assert.ok(names.indexOf('web') < names.indexOf('ticker'), 'plan order: a dependency first');
  for (const n of names) {
    await page.waitForSelector(`tr[data-resource="${n}"][data-ready="true"]`, WAIT);
  }
  await page.waitForSelector('#stack-status[data-status="ready"]', WAIT);
  const link = page.locator('tr[data-resource="web"] a.port');
  assert.match(await link.getAttribute('href'), /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await shot('stack');
});

test('a restart click: the row goes to restarting and back to ready, driven by events', async () => {
  await page.goto(`${stack.base}#/`);
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"]', WAIT);
  await markDocument();
  // Record every state the row goes through (a restart can be quicker than a poll of the DOM).
  await page.evaluate(() => {
    window.__lsSeen = [];
    const body = document.querySelector('#resources tbody');
    new MutationObserver(() => {
      const tr = body.querySelector('tr[data-resource="web"]');
      if (tr) {
        window.__lsSeen.push(`${tr.dataset.status}/${tr.dataset.operation}`);
      }
    }).observe(body, { childList: true, subtree: true, attributes: true });
  });
  const restart = page.locator('tr[data-resource="web"] button[data-op="restart"]');
  await restart.click();
  await page.waitForFunction(() => window.__lsSeen.some((s) => s.startsWith('restarting') || s.endsWith('/restart')), null, WAIT);
  assert.equal(await restart.isDisabled(), true, 'restart stays disabled while the operation runs');
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"][data-operation=""]', WAIT);
  await page.waitForSelector('tr[data-resource="web"] button[data-op="restart"]:not([disabled])', WAIT);
  await assertNotReloaded();
});

test('the views sent with a restart\'s events end without the operation and keep the published port', async () => {
  // The page copes without it (the outcome event ends the operation), but the contract says the
  // event carries "the view after the event": after resource_healthy, operation is null.
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"][data-operation=""]', WAIT);
  const raw = await page.evaluate(() => window.lightshuttleDashboard.store.resources.get('web'));
  assert.equal(raw.operation, null, 'the events WebSocket left operation set in the view of web');
  assert.equal(raw.ports.length, 1, 'the events WebSocket dropped the published port of web after the restart');
});

test('`docker stop` of a container outside the tool shows on the page without a reload', async () => {
  await page.waitForSelector('tr[data-resource="sleeper"][data-ready="true"]', WAIT);
  await markDocument();
  execFileSync(process.env.LS_DOCKER ?? 'docker', ['stop', '-t', '1', stack.container('sleeper')], { stdio: 'ignore', timeout: 30000 });
  await page.waitForSelector('tr[data-resource="sleeper"]:is([data-status="exited"],[data-status="stopped"],[data-status="completed"],[data-status="failed"])', WAIT);
  await page.waitForSelector('tr[data-resource="sleeper"] button[data-op="start"]:not([disabled])', WAIT);
  await assertNotReloaded();
  await shot('stack-after-docker-stop');
});

test('logs: numbered lines appear live and in order; search finds one', async () => {
  await page.goto(`${stack.base}#/logs/ticker`);
  await page.waitForSelector('#logs-pane .line', WAIT);
  const numbers = async () =>
    page.$$eval('#logs-pane .line .text', (els) => els.map((e) => Number(/^line (\d+)$/.exec(e.textContent)?.[1])).filter(Boolean));
  const first = await numbers();
  await page.waitForFunction((n) => document.querySelectorAll('#logs-pane .line').length >= n + 10, first.length, WAIT);
  const later = await numbers();
  assert.ok(later.at(-1) > first.at(-1), 'new lines arrived without a reload');
  for (let i = 1; i < later.length; i++) {
    assert.equal(later[i], later[i - 1] + 1, `line ${later[i]} follows line ${later[i - 1]}`);
  }
  const target = later.at(-5);
  await page.fill('#logs-search', `/^line ${target}$/`);
  await page.waitForFunction(() => document.querySelector('#logs-match-count')?.textContent.startsWith('1 matching'), null, WAIT);
  assert.equal(await page.locator('#logs-pane mark').first().textContent(), `line ${target}`);
  await page.fill('#logs-search', '/(/');
  await page.waitForFunction(() => document.querySelector('#logs-search-error')?.textContent.length > 0, null, WAIT);
  await page.fill('#logs-search', 'line');
  await page.check('#logs-filter');
  await page.waitForTimeout(500); // a rebuild, then live batches on top of it
  await assertConsecutive('#logs-pane');
  await shot('logs');
});

test('logs: ANSI colours render as coloured spans, and <script> in a line stays text', async () => {
  await page.goto(`${stack.base}#/logs/colors`);
  await page.waitForSelector('#logs-pane .line .ansi-fg-1', WAIT);
  const red = page.locator('#logs-pane .line .ansi-fg-1').first();
  assert.equal(await red.textContent(), 'red');
  const [redColour, plainColour] = await page.evaluate(() => {
    const r = document.querySelector('#logs-pane .ansi-fg-1');
    return [getComputedStyle(r).color, getComputedStyle(r.closest('.line')).color];
  });
  assert.notEqual(redColour, plainColour);
  assert.equal(await page.locator('#logs-pane .line .ansi-fg-2.ansi-bold').first().textContent(), 'bold green');
  await page.waitForFunction(() => [...document.querySelectorAll('#logs-pane .line')].some((l) => l.textContent.includes('<script>window.__lsXss=1</script>')), null, WAIT);
  assert.equal(await page.locator('#logs-pane script, #logs-pane img').count(), 0);
  assert.equal(await page.evaluate(() => window.__lsXss), undefined);
  // JSON on demand: one line by its {} button, then every JSON line with the toggle.
  await page.uncheck('#logs-json');
  await page.locator('#logs-pane button.json-toggle').last().click();
  await page.waitForSelector('#logs-pane .line .json', WAIT);
  await page.check('#logs-json');
  await page.waitForSelector('#logs-pane .json', WAIT);
  assert.match(await page.locator('#logs-pane .json').first().textContent(), /\{\n {2}"level": "info",/);
  await page.selectOption('#logs-stream', 'stderr');
  await page.waitForFunction(() => [...document.querySelectorAll('#logs-pane .line')].every((l) => l.dataset.stream === 'stderr'), null, WAIT);
  await shot('logs-colors');
});

test('the terminal runs `echo $((6*7))` and shows 42', async () => {
  await page.goto(`${stack.base}#/resource/ticker`);
  await page.waitForSelector('.res-head[data-status="running"]', WAIT);
  await page.click('#open-terminal');
  await page.click('#term-confirm-open');
  await page.waitForSelector('#terminal .xterm-rows', WAIT);
  await page.waitForFunction(() => document.querySelector('#term-status')?.textContent === 'open', null, WAIT);
  await page.waitForTimeout(300); // the shell's prompt
  await page.keyboard.type('echo $((6*7))\r');
  await page.waitForFunction(
    () => [...document.querySelectorAll('#terminal .xterm-rows > div')].some((r) => r.textContent.trim() === '42'),
    null, WAIT);
  await page.waitForSelector('#stats-text:not(:empty)', WAIT);
  // The resource page's own log pane joins lines already buffered with live ones.
  assert.ok((await assertConsecutive('#rlogs-pane')).length > 10);
  await shot('resource');
});

test('a page on another loopback port can neither read the API nor open the WebSocket', async () => {
  const restartsBefore = (await (await page.request.get(`${stack.base}api/v1/resources/web`)).json()).restarts;
  const evil = createServer((req, res) => {
    if (req.url === '/probe.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(`
        const base = ${JSON.stringify(stack.base)};
        window.result = (async () => {
          const out = {};
          try {
            const r = await fetch(base + 'api/v1/resources', { credentials: 'include' });
            out.fetch = 'read ' + r.status + ' ' + (await r.text()).slice(0, 40);
          } catch (e) {
            out.fetch = 'blocked';
          }
          try {
            const r = await fetch(base + 'api/v1/resources/web/restart', { method: 'POST', mode: 'no-cors', credentials: 'include' });
            out.post = 'sent';
          } catch (e) {
            out.post = 'blocked';
          }
          out.ws = await new Promise((resolve) => {
            const ws = new WebSocket(base.replace('http', 'ws') + 'api/v1/events/ws');
            ws.onmessage = (m) => resolve('read ' + String(m.data).slice(0, 40));
            ws.onerror = () => resolve('refused');
            ws.onclose = () => resolve('refused');
            setTimeout(() => resolve('timeout'), 10000);
          });
          return out;
        })();`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>other origin</title><script src="/probe.js"></script>');
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const other = await browser.context.newPage(); // same browser, so the session cookie exists
  try {
    await other.goto(`http://127.0.0.1:${evil.address().port}/`);
    const result = await other.evaluate(() => window.result);
    assert.equal(result.fetch, 'blocked', JSON.stringify(result));
    assert.equal(result.ws, 'refused', JSON.stringify(result));
  } finally {
    await other.close();
    evil.close();
  }
  // The no-cors POST above must not have restarted anything (the server checks Origin).
  await page.goto(`${stack.base}#/`);
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"]', WAIT);
  const view = await (await page.request.get(`${stack.base}api/v1/resources/web`)).json();
  assert.equal(view.restarts, restartsBefore);
  assert.equal(view.operation, null);
});

test('the graph shows every resource with its live status', async () => {
  await page.goto(`${stack.base}#/graph`);
  await page.waitForSelector('svg.graph .node[data-resource="ticker"]', WAIT);
  assert.equal(await page.locator('svg.graph .node').count(), 4);
  assert.equal(await page.locator('svg.graph .edge[data-from="web"][data-to="ticker"]').count(), 1);
  assert.equal(await page.locator('svg.graph .node[data-resource="web"]').getAttribute('data-status'), 'running');
  await shot('graph');
});

test('a wrong token shows the page that says how to get the URL again', async () => {
  const other = await browser.context.newPage();
  try {
    const res = await other.goto(`${stack.base}login?token=${'0'.repeat(64)}`);
    assert.equal(res.status(), 401);
    assert.match(await other.locator('body').textContent(), /lightshuttle dashboard/);
    await other.screenshot({ path: join(artifacts, 'login-failed.png') });
  } finally {
    await other.close();
  }
});

test('a narrow window keeps every control reachable', async () => {
  await page.setViewportSize({ width: 420, height: 800 });
  await page.goto(`${stack.base}#/`);
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"]', WAIT);
  const box = await page.locator('tr[data-resource="web"] button[data-op="restart"]').boundingBox();
  assert.ok(box && box.x + box.width <= 420, 'restart button inside the viewport');
  await shot('stack-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the keyboard reaches the operation buttons, the pages and the log search', async () => {
  await page.goto(`${stack.base}#/`);
  await page.waitForSelector('tr[data-resource="web"][data-ready="true"]', WAIT);
  await page.evaluate(() => document.activeElement?.blur());
  const reached = new Set();
  for (let i = 0; i < 60 && reached.size < 3; i++) {
    await page.keyboard.press('Tab');
    const what = await page.evaluate(() => {
      const el = document.activeElement;
      if (el?.matches('button[data-op="restart"][data-resource="web"]')) return 'restart';
      if (el?.matches('nav a[data-nav="logs"]')) return 'nav';
      if (el?.matches('a.res-name')) return 'resource-link';
      return null;
    });
    if (what) {
      reached.add(what);
    }
  }
  assert.deepEqual([...reached].sort(), ['nav', 'resource-link', 'restart']);
  await page.goto(`${stack.base}#/logs/ticker`);
  await page.waitForSelector('#logs-pane .line', WAIT);
  await page.locator('#logs-pane').focus();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'logs-search');
});

test('dark and light themes follow prefers-color-scheme', async () => {
  await page.goto(`${stack.base}#/`);
  await page.waitForSelector('tr[data-resource="web"]', WAIT);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await bg();
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await bg();
  assert.notEqual(light, dark);
  await shot('stack-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('no console errors on the dashboard pages', () => {
  assert.deepEqual(errors, []);
});
