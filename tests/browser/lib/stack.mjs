// The stack under test: either given (LS_DASHBOARD_LOGIN_URL, for a stack you started yourself)
// or brought up here from stack/lightshuttle.yml with the real CLI (LS_CLI = path to lightshuttle):
// `up -d` in a temporary folder under a unique project name, `dashboard --json` for the login URL,
// and `down` at the end.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startStack() {
  if (process.env.LS_DASHBOARD_LOGIN_URL) {
    const login = new URL(process.env.LS_DASHBOARD_LOGIN_URL);
    return {
      loginUrl: login.href,
      base: `${login.protocol}//${login.host}/`,
      project: process.env.LS_DASHBOARD_PROJECT ?? null,
      container: (r) => `${process.env.LS_DASHBOARD_PROJECT}_${r}`,
      async stop() {},
    };
  }
  const cli = process.env.LS_CLI;
  if (!cli) {
    throw new Error('set LS_CLI to the lightshuttle binary (or LS_DASHBOARD_LOGIN_URL to a running stack\'s login URL)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'ls-browser-'));
  const project = `lsbrowser${randomBytes(3).toString('hex')}`;
  const manifest = readFileSync(join(here, '..', 'stack', 'lightshuttle.yml'), 'utf8')
    .replaceAll('@PROJECT@', project)
    .replaceAll('@WEB_PORT@', String(await freePort()));
  writeFileSync(join(dir, 'lightshuttle.yml'), manifest);
  const run = (...args) => execFileSync(cli, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  try {
    run('up', '-d');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`lightshuttle up -d failed: ${e.stderr ?? e.message}`);
  }
  const info = JSON.parse(run('dashboard', '--json', '-p', project));
  return {
    loginUrl: info.login_url,
    base: info.url.endsWith('/') ? info.url : info.url + '/',
    token: info.token,
    project,
    dir,
    container: (r) => `${project}_${r}`,
    async stop() {
      try {
        run('down', '--timeout', '1s');
      } catch (e) {
        console.error(`lightshuttle down failed: ${e.stderr ?? e.message}`);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
