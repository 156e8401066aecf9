// Dev only: the page under 100 lines/s on 10 resources on the merged logs page, either on the mock
// (web/dev/mock-server.mjs --flood 10; pass its base URL) or on a real stack (stack-flood/; pass
// its login URL): long tasks (> 50 ms, the longest reported), JS heap at the start and the end,
// DOM rows, and event → DOM latencies of a few restarts. Heap every 10 s without a forced GC (a
// forced one would be a long task itself); after a GC at the start and the end.
//
//   node web/dev/mock-server.mjs --port 8092 --flood 10 & node tests/browser/dev-flood-probe.mjs http://127.0.0.1:8092 60
//   node tests/browser/dev-flood-probe.mjs "$(lightshuttle dashboard -p lsflood --json | jq -r .login_url)" 60 flood0
import { launch, watchErrors } from './lib/browser.mjs';

const arg = process.argv[2] ?? 'http://127.0.0.1:8092';
const seconds = Number(process.argv[3] ?? 60);
const restarted = process.argv[4] ?? 'ticker';
const loginUrl = arg.includes('/login?token=') ? arg : `${arg.replace(/\/$/, '')}/login?token=devtoken`;
const base = new URL('/', loginUrl).href.replace(/\/$/, '');
const { context, close } = await launch();
const page = context.pages()[0];
const errors = watchErrors(page);
await page.goto(loginUrl);
await page.waitForSelector('tr[data-ready="true"]');
await page.goto(`${base}/#/logs`);
await page.waitForSelector('#logs-pane .line');
await page.evaluate(() => {
  window.__long = [];
  window.__obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration)));
});
const heap = async (gc = false) => {
  const cdp = await context.newCDPSession(page);
  if (gc) {
    await cdp.send('HeapProfiler.collectGarbage');
  }
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize;
};
await page.waitForTimeout(5000);
const h0 = await heap(true);
await page.evaluate(() => window.__obs.observe({ type: 'longtask', buffered: false }));
const samples = [];
for (let t = 0; t < seconds; t += 10) {
  await page.waitForTimeout(10000);
  samples.push(Math.round((await heap()) / 1048576));
}
await page.evaluate(() => window.__obs.disconnect());
const hEnd = await heap(true);
const r = await page.evaluate(() => ({
  long: window.__long,
  rows: document.querySelectorAll('#logs-pane .line').length,
  buffered: [...window.lightshuttleDashboard.followers.store.rings.values()].reduce((a, x) => a + x.length, 0),
}));
await page.goto(`${base}/#/`);
await page.evaluate(() => { window.lightshuttleDashboard.latencies.length = 0; });
for (let i = 0; i < 5; i++) {
  await page.click(`tr[data-resource="${restarted}"] button[data-op="restart"]`);
  await page.waitForSelector(`tr[data-resource="${restarted}"][data-operation="restart"]`).catch(() => {});
  await page.waitForSelector(`tr[data-resource="${restarted}"][data-ready="true"][data-operation=""]`);
  await page.waitForTimeout(300);
}
const lat = (await page.evaluate(() => window.lightshuttleDashboard.latencies)).sort((a, b) => a - b);
console.log(JSON.stringify({
  seconds, heapStartMiB: Math.round(h0 / 1048576), heapEvery10sMiB: samples, rows: r.rows, bufferedLines: r.buffered,
  heapEndAfterGcMiB: Math.round(hEnd / 1048576), longTasks: r.long.length, longestTaskMs: Math.round(Math.max(0, ...r.long)), over100ms: r.long.filter((d) => d > 100).length,
  eventToHandlerMs: { n: lat.length, p50: lat[Math.floor(lat.length / 2)], max: lat.at(-1) }, errors,
}));
await close();
