// The log pane used by the logs page (one or several resources) and by the resource page.
//
// Lines come from LogFollowers in batches (one per animation frame). The DOM holds at most
// MAX_DOM_LINES rows (the newest ones that pass the filter); the rings behind it hold 10,000 per
// resource, and the download takes all of those. Following sticks to the bottom until the user
// scrolls up; then new lines are counted, not drawn, until they return to the bottom.

import { h, clear, appendSegments } from '../lib/dom.js';
import { parseAnsi, markRanges } from '../lib/ansi.js';
import { parseQuery, isActive, findRanges, keepLine } from '../lib/search.js';
import { prettyJsonLine, parseJsonLine } from '../lib/jsonline.js';
import { formatClock } from '../lib/format.js';
import { toText } from '../lib/logstore.js';

export const MAX_DOM_LINES = 1000;

function loadPref(key, fallback) {
  try {
    return localStorage.getItem(`ls.logs.${key}`) ?? fallback;
  } catch {
    return fallback;
  }
}
function savePref(key, value) {
  try {
    localStorage.setItem(`ls.logs.${key}`, value);
  } catch {
    // private mode: preferences simply do not persist
  }
}

/**
 * @param {object} ctx the app context
 * @param {{resources: string[], fixed?: boolean, idPrefix?: string}} opts fixed: one resource, no chooser
 */
export function logPanel(ctx, opts) {
  const id = opts.idPrefix ?? 'logs';
  const st = {
    selected: new Set(opts.resources),
    query: parseQuery(''),
    filter: false,
    stream: 'all',
    timestamps: loadPref('timestamps', 'off'),
    wrap: loadPref('wrap', 'on') === 'on',
    json: loadPref('json', 'off') === 'on',
    following: true,
    pending: 0,
    matchCount: 0,
    current: -1,
    /** seqs of the JSON lines pretty-printed one by one (the {} button) */
    expanded: new Set(),
    /** the newest entry (store seq) already in the pane or counted as pending */
    seenSeq: 0,
  };
  let programmaticScroll = false;
  let unsubscribe = null;
  let searchTimer = null;

  const pane = h('div', {
    class: 'log-pane',
    id: `${id}-pane`,
    tabIndex: 0,
    attrs: { role: 'log', 'aria-label': 'log lines', 'aria-live': 'off' },
  });
  const searchInput = h('input', {
    type: 'search',
    id: `${id}-search`,
    class: 'search',
    placeholder: 'Search (/): text or /regex/i',
    attrs: { 'aria-label': 'Search logs (text or /regex/)', autocomplete: 'off', spellcheck: 'false' },
  });
  const searchError = h('span', { class: 'search-error', attrs: { role: 'status', 'aria-live': 'polite' }, id: `${id}-search-error` });
  const count = h('span', { class: 'match-count', id: `${id}-match-count`, attrs: { 'aria-live': 'polite' } });
  const newLines = h('button', { type: 'button', class: 'btn new-lines', hidden: true, text: '' });
  const status = h('span', { class: 'log-status muted', id: `${id}-status` });

  const checkbox = (label, checked, onChange, extra = {}) => {
    const input = h('input', { type: 'checkbox', checked, on: { change: (e) => onChange(e.target.checked) }, ...extra });
    return [input, h('label', { class: 'check' }, input, ' ', label)];
  };
  const [filterBox, filterLabel] = checkbox('Only matching', st.filter, (v) => { st.filter = v; rebuild(); }, { id: `${id}-filter` });
  const [wrapBox, wrapLabel] = checkbox('Wrap', st.wrap, (v) => { st.wrap = v; savePref('wrap', v ? 'on' : 'off'); applyWrap(); }, { id: `${id}-wrap` });
  const [jsonBox, jsonLabel] = checkbox('Pretty JSON', st.json, (v) => { st.json = v; savePref('json', v ? 'on' : 'off'); rebuild(); }, { id: `${id}-json` });
  const [followBox, followLabel] = checkbox('Follow', true, (v) => setFollowing(v), { id: `${id}-follow` });
  void filterBox; void wrapBox; void jsonBox;

  const select = (label, idSuffix, options, value, onChange) => {
    const s = h('select', { id: `${id}-${idSuffix}`, on: { change: (e) => onChange(e.target.value) } },
      options.map(([v, t]) => h('option', { value: v, text: t, selected: v === value })));
    return h('label', { class: 'select' }, `${label} `, s);
  };

  const chooser = h('fieldset', { class: 'chooser', hidden: Boolean(opts.fixed) }, h('legend', { text: 'Resources' }));

  function drawChooser() {
    if (opts.fixed) {
      return;
    }
    clear(chooser);
    chooser.appendChild(h('legend', { text: 'Resources' }));
    const names = ctx.store.order;
    names.forEach((name, i) => {
      const input = h('input', {
        type: 'checkbox',
        checked: st.selected.has(name),
        value: name,
        data: { resource: name },
        on: {
          change: (e) => {
            if (e.target.checked) {
              st.selected.add(name);
              ctx.followers.follow(name);
            } else {
              st.selected.delete(name);
            }
            rebuild();
          },
        },
      });
      chooser.appendChild(h('label', { class: `chip prefix-${i % 8}` }, input, ' ', name));
    });
  }

  const toolbar = h('div', { class: 'log-toolbar', attrs: { role: 'toolbar', 'aria-label': 'log controls' } },
    chooser,
    h('div', { class: 'tool-row' },
      searchInput,
      h('button', { type: 'button', class: 'btn', text: '↑', title: 'previous match', attrs: { 'aria-label': 'previous match' }, on: { click: () => jump(-1) } }),
      h('button', { type: 'button', class: 'btn', text: '↓', title: 'next match', attrs: { 'aria-label': 'next match' }, on: { click: () => jump(1) } }),
      count, filterLabel, searchError),
    h('div', { class: 'tool-row' },
      select('Stream', 'stream', [['all', 'stdout + stderr'], ['stdout', 'stdout'], ['stderr', 'stderr']], st.stream, (v) => { st.stream = v; rebuild(); }),
      select('Time', 'timestamps', [['off', 'hidden'], ['local', 'local'], ['utc', 'UTC']], st.timestamps, (v) => { st.timestamps = v; savePref('timestamps', v); rebuild(); }),
      wrapLabel, jsonLabel, followLabel,
      h('button', { type: 'button', class: 'btn', id: `${id}-download`, text: 'Download', on: { click: download } }),
      status));

  const root = h('div', { class: 'log-panel' }, toolbar, h('div', { class: 'pane-wrap' }, pane, newLines));

  newLines.addEventListener('click', () => setFollowing(true));

  // One listener for every row's {} button.
  pane.addEventListener('click', (e) => {
    const btn = e.target.closest?.('button.json-toggle');
    if (!btn) {
      return;
    }
    const seq = Number(btn.dataset.seq);
    const row = btn.closest('.line');
    if (st.expanded.has(seq)) {
      st.expanded.delete(seq);
    } else {
      st.expanded.add(seq);
      if (st.expanded.size > 500) {
        st.expanded.delete(st.expanded.values().next().value);
      }
    }
    const entry = ctx.followers.store.merged([row.dataset.resource]).find((x) => x.seq === seq);
    if (entry) {
      const fresh = renderRow(entry);
      row.replaceWith(fresh);
      fresh.querySelector('button.json-toggle')?.focus();
    }
  });

  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => applySearch(searchInput.value), 150);
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(searchTimer);
      if (searchInput.value !== st.query.source) {
        applySearch(searchInput.value);
      } else {
        jump(e.shiftKey ? -1 : 1);
      }
    } else if (e.key === 'Escape') {
      searchInput.value = '';
      applySearch('');
    }
  });

  pane.addEventListener('scroll', () => {
    if (programmaticScroll) {
      programmaticScroll = false;
      return;
    }
    const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 24;
    if (atBottom && !st.following) {
      setFollowing(true);
    } else if (!atBottom && st.following) {
      setFollowing(false);
    }
  });

  function applySearch(text) {
    st.query = parseQuery(text);
    searchError.textContent = st.query.kind === 'invalid' ? st.query.error : '';
    searchInput.classList.toggle('invalid', st.query.kind === 'invalid');
    searchInput.setAttribute('aria-invalid', st.query.kind === 'invalid' ? 'true' : 'false');
    st.current = -1;
    rebuild();
  }

  function applyWrap() {
    pane.classList.toggle('nowrap', !st.wrap);
  }

  function setFollowing(v) {
    st.following = v;
    followBox.checked = v;
    if (v) {
      if (st.pending) {
        st.pending = 0;
        rebuild();
      }
      updateNewLines();
      scrollToBottom();
    }
    updateNewLines();
  }

  function updateNewLines() {
    newLines.hidden = st.following || st.pending === 0;
    newLines.textContent = `${st.pending} new line${st.pending === 1 ? '' : 's'} ↓`;
  }

  function scrollToBottom() {
    if (pane.scrollHeight - pane.scrollTop - pane.clientHeight > 1) {
      programmaticScroll = true;
      pane.scrollTop = pane.scrollHeight;
    }
  }

  const prefixIndex = (name) => {
    const i = ctx.store.order.indexOf(name);
    return (i < 0 ? 0 : i) % 8;
  };

  function renderRow(entry) {
    const multi = st.selected.size > 1 || !opts.fixed;
    const row = h('div', { class: 'line', data: { stream: entry.stream, resource: entry.resource, seq: entry.seq } });
    if (multi) {
      row.appendChild(h('span', { class: `prefix prefix-${prefixIndex(entry.resource)}`, text: entry.resource }));
    }
    if (st.timestamps !== 'off') {
      row.appendChild(h('span', { class: 'ts', text: formatClock(entry.tsMs, st.timestamps), title: entry.ts }));
    }
    const text = h('span', { class: 'text' });
    const pretty = st.json || st.expanded.has(entry.seq) ? prettyJsonLine(entry.plain) : null;
    if (!st.json && (pretty !== null || parseJsonLine(entry.plain) !== undefined)) {
      const open = pretty !== null;
      row.appendChild(h('button', {
        type: 'button',
        class: 'json-toggle',
        text: open ? '−' : '{}',
        title: open ? 'show as one line' : 'pretty-print this JSON line',
        attrs: { 'aria-label': open ? 'show as one line' : 'pretty-print this JSON line', 'aria-expanded': open ? 'true' : 'false' },
        data: { seq: entry.seq },
      }));
    }
    if (pretty !== null) {
      const pre = h('span', { class: 'json' });
      const ranges = findRanges(pretty, st.query);
      appendSegments(pre, markRanges([{ text: pretty, style: {} }], ranges));
      text.appendChild(pre);
      st.matchCount += ranges.length ? 1 : 0;
    } else {
      const segments = parseAnsi(entry.line);
      const ranges = isActive(st.query) ? findRanges(entry.plain, st.query) : [];
      appendSegments(text, markRanges(segments, ranges));
      st.matchCount += ranges.length ? 1 : 0;
    }
    row.appendChild(text);
    return row;
  }

  const keepOpts = () => ({ query: st.query, filter: st.filter, stream: st.stream });

  function rebuild() {
    // Lines stored but not yet delivered in a batch are drawn now; their batch must skip them.
    st.seenSeq = ctx.followers.store.seq;
    const keep = keepOpts();
    const entries = ctx.followers.store.merged([...st.selected]).filter((e) => keepLine(e, e.plain, keep));
    const shown = entries.slice(-MAX_DOM_LINES);
    st.matchCount = 0;
    st.current = -1;
    const frag = document.createDocumentFragment();
    for (const e of shown) {
      frag.appendChild(renderRow(e));
    }
    clear(pane);
    if (!st.selected.size) {
      pane.appendChild(h('div', { class: 'muted empty', text: 'Choose one or more resources above.' }));
    }
    pane.appendChild(frag);
    status.textContent = entries.length > shown.length ? `showing the last ${shown.length} of ${entries.length} lines` : `${entries.length} lines`;
    updateCount();
    if (st.following) {
      scrollToBottom();
    }
  }

  function updateCount() {
    if (!isActive(st.query)) {
      count.textContent = '';
      return;
    }
    const pos = st.current >= 0 ? `${st.current + 1} / ` : '';
    count.textContent = `${pos}${st.matchCount} matching line${st.matchCount === 1 ? '' : 's'}`;
  }

  function jump(dir) {
    const marks = [...pane.querySelectorAll('.line:has(mark)')];
    if (!marks.length) {
      return;
    }
    setFollowing(false);
    pane.querySelector('.line.current')?.classList.remove('current');
    st.current = st.current < 0 ? (dir > 0 ? 0 : marks.length - 1) : (st.current + dir + marks.length) % marks.length;
    const el = marks[st.current];
    el.classList.add('current');
    programmaticScroll = true;
    el.scrollIntoView({ block: 'center' });
    updateCount();
  }

  function onBatch(batch) {
    const keep = keepOpts();
    const mine = batch.filter((e) => e.seq > st.seenSeq && st.selected.has(e.resource) && keepLine(e, e.plain, keep));
    if (batch.length) {
      st.seenSeq = Math.max(st.seenSeq, batch[batch.length - 1].seq);
    }
    if (!mine.length) {
      return;
    }
    if (!st.following) {
      st.pending += mine.length;
      updateNewLines();
      return;
    }
    pane.querySelector('.empty')?.remove();
    const frag = document.createDocumentFragment();
    for (const e of mine.slice(-MAX_DOM_LINES)) {
      frag.appendChild(renderRow(e));
    }
    pane.appendChild(frag);
    let extra = pane.childElementCount - MAX_DOM_LINES;
    while (extra-- > 0) {
      pane.firstElementChild.remove();
    }
    const total = [...st.selected].reduce((a, n) => a + ctx.followers.store.size(n), 0);
    status.textContent = `${pane.childElementCount} shown · ${total} buffered`;
    updateCount();
    scrollToBottom();
  }

  function download() {
    const keep = keepOpts();
    const entries = ctx.followers.store.merged([...st.selected]).filter((e) => keepLine(e, e.plain, keep));
    const blob = new Blob([toText(entries, { withResource: st.selected.size > 1 })], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const project = ctx.store.stack?.project ?? 'stack';
    const a = h('a', { href: url, download: `${project}-${[...st.selected].join('+') || 'logs'}.log` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // "/" focuses the search, as in most log viewers (not while typing in a field).
  const onKey = (e) => {
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '') &&
        !document.activeElement?.closest?.('.terminal') && root.isConnected) {
      e.preventDefault();
      searchInput.focus();
      searchInput.select();
    }
  };

  return {
    element: root,
    start() {
      document.addEventListener('keydown', onKey);
      applyWrap();
      drawChooser();
      st.selected.forEach((n) => ctx.followers.follow(n));
      unsubscribe = ctx.followers.subscribe(onBatch);
      rebuild();
    },
    structureChanged() {
      drawChooser();
    },
    stop() {
      document.removeEventListener('keydown', onKey);
      unsubscribe?.();
      clearTimeout(searchTimer);
    },
  };
}
