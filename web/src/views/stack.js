// The stack page: one row per resource, updated in place from the events WebSocket.

import { h, clear } from '../lib/dom.js';
import { formatDuration, parseTime } from '../lib/format.js';
import { isReady } from '../lib/store.js';
import { statusPill, healthPill, portLinks, operationButtons } from './common.js';

export function stackView(ctx) {
  let root;
  let body;
  const rows = new Map();
  let timer;

  function uptime(view) {
    if (view.status !== 'running' || !view.started_at) {
      return '—';
    }
    return formatDuration(Date.now() - parseTime(view.started_at));
  }

  function lastCell(view) {
    const act = ctx.store.activity.get(view.name);
    const parts = [];
    // One line when the event says what the error says.
    if (act && act.text && !(view.last_error && view.last_error.includes(act.text))) {
      parts.push(h('span', { class: `activity tone-${act.tone}`, text: act.text, data: { role: 'activity' } }));
    }
    if (view.last_error && !(act && act.text && act.text.includes(view.last_error))) {
      parts.push(h('span', { class: 'last-error', text: view.last_error, data: { role: 'last-error' }, title: view.last_error }));
    }
    return parts.length ? parts : [h('span', { class: 'muted', text: '—' })];
  }

  function row(view) {
    const tr = h(
      'tr',
      {
        data: {
          resource: view.name,
          status: view.status,
          health: view.health ?? 'none',
          ready: isReady(view) ? 'true' : 'false',
          operation: ctx.store.operation(view.name) ?? '',
        },
      },
      h('td', { data: { label: 'Resource' } },
        h('a', { href: `#/resource/${encodeURIComponent(view.name)}`, class: 'res-name', text: view.name }),
        h('span', { class: 'kind', text: view.kind ?? '' })),
      h('td', { data: { label: 'Status' } }, statusPill(view)),
      h('td', { data: { label: 'Health' } }, healthPill(view)),
      h('td', { class: 'num', data: { label: 'Restarts', role: 'restarts' }, text: String(view.restarts ?? 0) }),
      h('td', { class: 'num', data: { label: 'Uptime', role: 'uptime' }, text: uptime(view) }),
      h('td', { class: 'image', data: { label: 'Image' }, text: view.image ?? '', title: view.image ?? '' }),
      h('td', { data: { label: 'Ports' } }, portLinks(view)),
      h('td', { class: 'last', data: { label: 'Last' } }, lastCell(view)),
      h('td', { class: 'actions', data: { label: '' } },
        operationButtons(view, ctx),
        h('a', { class: 'btn btn-link', href: `#/logs/${encodeURIComponent(view.name)}`, text: 'Logs',
          attrs: { 'aria-label': `Logs of ${view.name}` } })),
    );
    return tr;
  }

  function renderAll() {
    clear(body);
    rows.clear();
    const views = ctx.store.views();
    if (!views.length) {
      body.appendChild(h('tr', {}, h('td', { attrs: { colspan: 9 }, class: 'muted', text: ctx.store.synced ? 'No resources.' : 'Connecting…' })));
      return;
    }
    for (const v of views) {
      const tr = row(v);
      rows.set(v.name, tr);
      body.appendChild(tr);
    }
  }

  function renderOne(name) {
    const v = ctx.store.resources.get(name);
    const old = rows.get(name);
    if (!v || !old) {
      renderAll();
      return;
    }
    // Keep keyboard focus on the button that had it across the row's replacement.
    const focused = old.contains(document.activeElement) ? document.activeElement?.dataset?.op : null;
    const tr = row(v);
    old.replaceWith(tr);
    rows.set(name, tr);
    if (focused) {
      tr.querySelector(`button[data-op="${focused}"]`)?.focus();
    }
  }

  return {
    title: 'Stack',
    mount(container) {
      body = h('tbody');
      root = h('section', { class: 'page page-stack', attrs: { 'aria-labelledby': 'stack-title' } },
        h('h1', { id: 'stack-title', class: 'visually-hidden', text: 'Stack' }),
        h('div', { class: 'table-wrap' },
          h('table', { class: 'resources', id: 'resources' },
            h('thead', {}, h('tr', {},
              ['Resource', 'Status', 'Health', 'Restarts', 'Uptime', 'Image', 'Ports', 'Last event / error', ''].map((t) =>
                h('th', { text: t, attrs: { scope: 'col' } })))),
            body)));
      container.appendChild(root);
      renderAll();
      timer = setInterval(() => {
        for (const [name, tr] of rows) {
          const v = ctx.store.resources.get(name);
          const cell = tr.querySelector('[data-role="uptime"]');
          if (v && cell) {
            cell.textContent = uptime(v);
          }
        }
      }, 1000);
    },
    update(changed) {
      if (changed.structure || rows.size === 0) {
        renderAll();
        return;
      }
      for (const name of changed.resources) {
        renderOne(name);
      }
    },
    unmount() {
      clearInterval(timer);
      root?.remove();
    },
  };
}
