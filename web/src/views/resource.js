// The resource page (#/resource/NAME): the live view, the detail (env with secrets as the server
// sends them, "***"; healthcheck; restart policy; command; volumes), CPU and memory charts from
// the stats WebSocket, its logs, and an opt-in terminal.

import { h, clear } from '../lib/dom.js';
import { api, sockets } from '../lib/api.js';
import { formatBytes, formatDuration, formatClock, parseTime } from '../lib/format.js';
import { SparkChart } from '../lib/chart.js';
import { ReconnectingSocket } from '../lib/socket.js';
import { statusPill, healthPill, portLinks, operationButtons } from './common.js';
import { logPanel } from './logpanel.js';

function ms(v) {
  return v == null ? '—' : v >= 1000 && v % 1000 === 0 ? `${v / 1000} s` : `${v} ms`;
}

export function resourceView(ctx, name) {
  let root;
  let summary;
  let detailBox;
  let statsSock = null;
  let statsTimer = null;
  let cpuChart;
  let memChart;
  let statsText;
  let panel;
  let term = null;
  let termBox;
  let termButton;
  let termStatus;

  function drawSummary() {
    clear(summary);
    const v = ctx.store.resources.get(name);
    if (!v) {
      summary.appendChild(h('p', { class: 'muted', text: ctx.store.synced ? `No resource named "${name}".` : 'Connecting…' }));
      return;
    }
    const act = ctx.store.activity.get(name);
    summary.appendChild(h('div', { class: 'res-head', data: { resource: name, status: v.status, health: v.health ?? 'none' } },
      h('h1', { text: name }),
      h('span', { class: 'kind', text: v.kind ?? '' }),
      statusPill(v), healthPill(v),
      operationButtons(v, ctx)));
    const rows = [
      ['Image', v.image ?? '—'],
      ['Container', v.container_name ? `${v.container_name} (${(v.container_id ?? '').slice(0, 12)})` : '—'],
      ['Restarts', String(v.restarts ?? 0)],
      ['Started', v.started_at ? `${formatClock(parseTime(v.started_at))} (${formatDuration(Date.now() - parseTime(v.started_at))} ago)` : '—'],
      ['Ready', v.ready_at ? formatClock(parseTime(v.ready_at)) : '—'],
      ['Exit code', v.exit_code == null ? '—' : String(v.exit_code)],
      ['Depends on', (v.depends_on ?? []).length ? null : '—', (v.depends_on ?? []).map((d) =>
        h('a', { href: `#/resource/${encodeURIComponent(d)}`, text: d, class: 'dep' }))],
      ['Ports', null, portLinks(v)],
      ['Last event', act?.text || '—'],
      ['Last error', v.last_error ?? '—'],
    ];
    summary.appendChild(h('dl', { class: 'facts' },
      rows.map(([k, text, node]) => [h('dt', { text: k }), h('dd', { text: text ?? undefined }, node ?? null)])));
  }

  function drawDetail(d) {
    clear(detailBox);
    const env = Object.entries(d.env ?? {});
    detailBox.appendChild(h('section', { class: 'card', attrs: { 'aria-labelledby': 'env-title' } },
      h('h2', { id: 'env-title', text: 'Environment' }),
      env.length
        ? h('table', { class: 'kv', id: 'env' },
          h('tbody', {}, env.map(([k, val]) => h('tr', {},
            h('th', { text: k, attrs: { scope: 'row' } }),
            h('td', { text: String(val), class: val === '***' ? 'secret' : '', title: val === '***' ? 'secret: masked by the server' : undefined })))))
        : h('p', { class: 'muted', text: 'No variables.' })));
    const hc = d.healthcheck;
    detailBox.appendChild(h('section', { class: 'card', attrs: { 'aria-labelledby': 'hc-title' } },
      h('h2', { id: 'hc-title', text: 'Healthcheck and restart' }),
      h('dl', { class: 'facts' },
        h('dt', { text: 'Test' }), h('dd', {}, hc ? h('code', { text: (hc.test ?? []).join(' ') }) : h('span', { class: 'muted', text: 'none' })),
        hc ? [h('dt', { text: 'Interval' }), h('dd', { text: ms(hc.interval_ms) }),
          h('dt', { text: 'Timeout' }), h('dd', { text: ms(hc.timeout_ms) }),
          h('dt', { text: 'Retries' }), h('dd', { text: String(hc.retries ?? '—') }),
          h('dt', { text: 'Start period' }), h('dd', { text: ms(hc.start_period_ms) })] : null,
        h('dt', { text: 'Restart policy' }), h('dd', { id: 'restart-policy', text: d.restart_policy ?? '—' }),
        h('dt', { text: 'Command' }), h('dd', {}, d.command?.length ? h('code', { text: d.command.join(' ') }) : h('span', { class: 'muted', text: 'image default' })),
        h('dt', { text: 'Volumes' }), h('dd', { text: d.volumes?.length ? d.volumes.join(', ') : '—' }))));
  }

  function startStats() {
    statsSock?.close();
    statsSock = new ReconnectingSocket(() => sockets.stats(name), {
      onMessage: (s) => {
        cpuChart.push(Number(s.cpu_percent) || 0);
        memChart.push(Number(s.memory_bytes) || 0);
        statsText.textContent = `CPU ${(+s.cpu_percent || 0).toFixed(1)} % · memory ${formatBytes(+s.memory_bytes || 0)}` +
          (s.memory_limit_bytes ? ` of ${formatBytes(+s.memory_limit_bytes)}` : '') +
          ` · ${s.pids ?? '?'} pids · net ↓${formatBytes(+s.net_rx_bytes || 0)} ↑${formatBytes(+s.net_tx_bytes || 0)}`;
      },
      onState: (state, e) => {
        if (state === 'closed' && (!statsText.textContent || e?.code === 1011)) {
          statsText.textContent = e?.reason ? `No samples: ${e.reason}.` : 'No samples (is the container running?).';
        }
      },
      // 1011: no running container; the stream restarts when the view says running again.
      retry: (e) => e.code !== 1011,
    });
  }

  function confirmTerminal() {
    const dialog = h('dialog', { class: 'confirm', attrs: { 'aria-labelledby': 'term-confirm-title' } },
      h('form', { method: 'dialog' },
        h('h2', { id: 'term-confirm-title', text: `Open a shell in ${name}?` }),
        h('p', { text: 'This runs sh inside the running container, as its user, with a real TTY. What you type runs there.' }),
        h('div', { class: 'dialog-buttons' },
          h('button', { value: 'cancel', class: 'btn', text: 'Cancel', type: 'submit' }),
          h('button', { value: 'open', class: 'btn btn-primary', text: 'Open terminal', type: 'submit', id: 'term-confirm-open' }))));
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'open') {
        openTerm();
      }
      dialog.remove();
      termButton.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    dialog.querySelector('#term-confirm-open').focus();
  }

  async function openTerm() {
    termButton.disabled = true;
    termStatus.textContent = 'loading…';
    try {
      const mod = await import('../terminal.js');
      termBox.hidden = false;
      term = mod.openTerminal(termBox, name, {
        onState: (s, code) => {
          termStatus.textContent = s === 'exited' ? `exited (${code})` : s;
          if (s === 'closed' || s === 'exited') {
            termButton.disabled = false;
            termButton.textContent = 'Reopen terminal';
          }
        },
      });
      window.lightshuttleDashboard.terminal = term.term;
    } catch (e) {
      termStatus.textContent = `could not open: ${e.message}`;
      termButton.disabled = false;
    }
  }

  return {
    title: name,
    mount(container) {
      summary = h('div', { class: 'summary' });
      detailBox = h('div', { class: 'detail-grid' }, h('p', { class: 'muted', text: 'Loading…' }));
      const cpuCanvas = h('canvas', { class: 'chart chart-cpu', id: 'cpu-chart', attrs: { role: 'img', 'aria-label': 'CPU percent over the last two minutes' } });
      const memCanvas = h('canvas', { class: 'chart chart-mem', id: 'mem-chart', attrs: { role: 'img', 'aria-label': 'memory over the last two minutes' } });
      cpuChart = new SparkChart(cpuCanvas, { floor: 5, format: (v) => `${v.toFixed(v < 10 ? 1 : 0)} %`, colorVar: '--chart-cpu' });
      memChart = new SparkChart(memCanvas, { floor: 1024 * 1024, format: formatBytes, colorVar: '--chart-mem' });
      statsText = h('p', { class: 'stats-text', id: 'stats-text', attrs: { 'aria-live': 'off' } });
      termBox = h('div', { class: 'terminal', id: 'terminal', hidden: true });
      termStatus = h('span', { class: 'muted term-status', id: 'term-status' });
      termButton = h('button', { type: 'button', class: 'btn', id: 'open-terminal', text: 'Open terminal…', on: { click: () => {
        if (term) {
          term.close();
          term = null;
          clear(termBox);
        }
        confirmTerminal();
      } } });
      panel = logPanel(ctx, { resources: [name], fixed: true, idPrefix: 'rlogs' });
      root = h('section', { class: 'page page-resource' },
        h('p', { class: 'crumbs' }, h('a', { href: '#/', text: 'Stack' }), ' / ', name),
        summary,
        h('section', { class: 'card', attrs: { 'aria-labelledby': 'stats-title' } },
          h('h2', { id: 'stats-title', text: 'CPU and memory' }),
          h('div', { class: 'charts' },
            h('figure', {}, h('figcaption', { text: 'CPU %' }), cpuCanvas),
            h('figure', {}, h('figcaption', { text: 'Memory' }), memCanvas)),
          statsText),
        detailBox,
        h('section', { class: 'card', attrs: { 'aria-labelledby': 'rlogs-title' } },
          h('h2', { id: 'rlogs-title' }, 'Logs ', h('a', { href: `#/logs/${encodeURIComponent(name)}`, class: 'small', text: '(full page)' })),
          panel.element),
        h('section', { class: 'card', attrs: { 'aria-labelledby': 'term-title' } },
          h('h2', { id: 'term-title', text: 'Terminal' }),
          h('p', {}, termButton, ' ', termStatus),
          termBox));
      container.appendChild(root);
      drawSummary();
      panel.start();
      startStats();
      api.resource(name).then(drawDetail, (e) => {
        clear(detailBox);
        detailBox.appendChild(h('p', { class: 'error', text: `Could not load the detail: ${e.message}` }));
      });
      cpuChart.draw();
      memChart.draw();
    },
    update(changed) {
      if (changed.resources.has(name) || changed.structure) {
        const before = summary.querySelector('.res-head')?.dataset.status;
        drawSummary();
        const v = ctx.store.resources.get(name);
        // A restart gives a new container: the stats stream of the old one has ended.
        if (v && v.status === 'running' && before !== 'running') {
          clearTimeout(statsTimer);
          statsTimer = setTimeout(startStats, 300);
        }
      }
    },
    unmount() {
      clearTimeout(statsTimer);
      statsSock?.close();
      panel?.stop();
      term?.close();
      root?.remove();
    },
  };
}
