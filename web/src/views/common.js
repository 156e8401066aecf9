// Pieces shared by the views: pills, operation buttons, port links.

import { h } from '../lib/dom.js';
import { healthDisplay, statusTone, allowedOperations } from '../lib/store.js';
import { portLabels } from '../lib/format.js';
import { api } from '../lib/api.js';

export function statusPill(view) {
  return h('span', {
    class: `pill tone-${statusTone(view)}`,
    text: view?.status ?? 'unknown',
    data: { role: 'status' },
    title: 'status',
  });
}

export function healthPill(view) {
  const d = healthDisplay(view?.health);
  return h('span', { class: `pill pill-health tone-${d.tone}`, text: d.label, data: { role: 'health' }, title: 'health' });
}

export function portLinks(view) {
  const ports = portLabels(view?.ports);
  if (!ports.length) {
    return h('span', { class: 'muted', text: '—' });
  }
  return h(
    'span',
    { class: 'ports' },
    ports.map((p) =>
      p.url
        ? h('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer', text: p.label, class: 'port' })
        : h('span', { class: 'port', text: p.label }),
    ),
  );
}

const OP_LABELS = { start: 'Start', stop: 'Stop', restart: 'Restart' };

/**
 * Operation buttons for one resource. `pending` (shared by the app) remembers a click until the
 * server's view shows the operation or its outcome arrives, so a double click cannot send twice.
 */
export function operationButtons(view, ctx) {
  const operation = ctx.store.operation(view.name);
  const allowed = allowedOperations(view, operation);
  const busy = Boolean(operation) || ctx.pending.has(view.name);
  return h(
    'span',
    { class: 'ops', attrs: { role: 'group', 'aria-label': `operations on ${view.name}` } },
    ['start', 'stop', 'restart'].map((op) =>
      h('button', {
        type: 'button',
        class: `btn btn-${op}`,
        text: OP_LABELS[op],
        disabled: busy || !allowed.has(op),
        data: { op, resource: view.name },
        attrs: { 'aria-label': `${OP_LABELS[op]} ${view.name}` },
        on: { click: () => runOperation(view.name, op, ctx) },
      }),
    ),
  );
}

export async function runOperation(name, op, ctx) {
  ctx.pending.set(name, { op, since: Date.now() });
  ctx.store.expect(name);
  ctx.refresh(name);
  try {
    await api.operate(name, op);
  } catch (e) {
    ctx.pending.delete(name);
    ctx.setActivity(name, { text: `${op} refused: ${e.message}`, tone: 'bad', kind: 'request', time: '' });
    ctx.refresh(name);
  }
}
