// The logs page: #/logs (every resource, merged) or #/logs/NAME[,NAME…] (the chosen ones).

import { h } from '../lib/dom.js';
import { logPanel } from './logpanel.js';

export function logsView(ctx, names) {
  let root;
  let panel;
  function start() {
    // No names in the address: every resource of the plan, merged.
    panel = logPanel(ctx, { resources: names.length ? names : ctx.store.order });
    root.appendChild(panel.element);
    panel.start();
  }
  return {
    title: 'Logs',
    mount(container) {
      root = h('section', { class: 'page page-logs', attrs: { 'aria-labelledby': 'logs-title' } },
        h('h1', { id: 'logs-title', class: 'visually-hidden', text: 'Logs' }));
      container.appendChild(root);
      if (names.length || ctx.store.synced) {
        start();
      } else {
        root.appendChild(h('p', { class: 'muted waiting', text: 'Connecting…' }));
      }
    },
    update(changed) {
      if (!panel) {
        if (ctx.store.synced) {
          root.querySelector('.waiting')?.remove();
          start();
        }
        return;
      }
      if (changed.structure) {
        panel.structureChanged();
      }
    },
    unmount() {
      panel?.stop();
      root?.remove();
    },
  };
}
