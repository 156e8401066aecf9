// Dev only: on a running stack, event → DOM latency (the page's clock minus the event's `time`,
// taken after the views are updated) over N restarts of one resource, and the first load of `/`
// (Navigation Timing, with the session cookie set, cache disabled).
//
//   node tests/browser/dev-latency-probe.mjs "$(lightshuttle dashboard --json | jq -r .login_url)" web 10
import { launch, watchErrors } from './lib/browser.mjs';

const [loginUrl, resource = 'web', count = '10'] = process.argv.slice(2);
const base = new URL('/', loginUrl).href;
const { context, close } = await launch();
const page = context.pages()[0];
const errors = watchErrors(page);
await page.goto(loginUrl);
await page.waitForSelector(`tr[data-resource="${resource}"][data-ready="true"]`);
const cdp = await context.newCDPSession(page);
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
const loads = [];
for (let i = 0; i < 5; i++) {
  await page.goto(base);
  await page.waitForSelector(`tr[data-resource="${resource}"][data-ready="true"]`);
  loads.push(await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { responseEnd: Math.round(n.responseEnd), domContentLoaded: Math.round(n.domContentLoadedEventEnd),
      load: Math.round(n.loadEventEnd), stackDrawn: window.lightshuttleDashboard.firstSnapshotMs };
  }));
}
await page.evaluate(() => { window.lightshuttleDashboard.latencies.length = 0; });
for (let i = 0; i < Number(count); i++) {
  await page.click(`tr[data-resource="${resource}"] button[data-op="restart"]`);
  await page.waitForSelector(`tr[data-resource="${resource}"][data-operation="restart"]`).catch(() => {});
  await page.waitForSelector(`tr[data-resource="${resource}"][data-ready="true"][data-operation=""]`);
  await page.waitForTimeout(200);
}
const lat = (await page.evaluate(() => window.lightshuttleDashboard.latencies)).sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(JSON.stringify({ firstLoads: loads, events: lat.length, p50: q(0.5), p99: q(0.99), max: lat.at(-1), errors }));
await close();
