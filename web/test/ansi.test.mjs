// The ANSI SGR → segments model behind the log pane (log text is hostile input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnsi, parseAnsiWithState, stripAnsi, markRanges, xterm256 } from '../src/lib/ansi.js';

test('plain text is one unstyled segment', () => {
  assert.deepEqual(parseAnsi('hello world'), [{ text: 'hello world', style: {} }]);
  assert.deepEqual(parseAnsi(''), []);
});

test('basic, bright, 256 and true colours; reset', () => {
  assert.deepEqual(parseAnsi('\x1b[31merror\x1b[0m ok'), [
    { text: 'error', style: { fg: 1 } },
    { text: ' ok', style: {} },
  ]);
  assert.deepEqual(parseAnsi('\x1b[1;92mB\x1b[22;39mn'), [
    { text: 'B', style: { bold: true, fg: 10 } },
    { text: 'n', style: {} },
  ]);
  assert.deepEqual(parseAnsi('\x1b[38;5;208mo\x1b[48;2;0;180;120mt'), [
    { text: 'o', style: { fg: 208 } },
    { text: 't', style: { fg: 208, bg: '#00b478' } },
  ]);
  assert.deepEqual(parseAnsi('\x1b[38:5:1mc'), [{ text: 'c', style: { fg: 1 } }]);
  assert.deepEqual(parseAnsi('\x1b[mx'), [{ text: 'x', style: {} }]);
  assert.deepEqual(parseAnsi('\x1b[4;7;9;3mu\x1b[24;27;29;23mv'), [
    { text: 'u', style: { underline: true, inverse: true, strike: true, italic: true } },
    { text: 'v', style: {} },
  ]);
});

test('non-SGR escapes, OSC titles and control characters are dropped', () => {
  assert.equal(stripAnsi('\x1b[2K\x1b[1Aa\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c\x1b(Bd\x00\x08e\tf'), 'abcde\tf');
  assert.equal(stripAnsi('trunc\x1b[31'), 'trunc');
  assert.equal(stripAnsi('\x1b[?25lhidden cursor'), 'hidden cursor');
});

test('markup stays text: segments carry strings, never parsed HTML', () => {
  const segs = parseAnsi('\x1b[31m<script>alert(1)</script>\x1b[0m');
  assert.deepEqual(segs, [{ text: '<script>alert(1)</script>', style: { fg: 1 } }]);
});

test('malformed extended colours do not throw and keep the text', () => {
  assert.deepEqual(parseAnsi('\x1b[38;5mx'), [{ text: 'x', style: {} }]);
  assert.ok(stripAnsi('\x1b[38;2;300;-1;5mx').endsWith('x')); // '-' ends the CSI early, as in a terminal
  assert.equal(parseAnsi('\x1b[38;2;300;1;5mx')[0].style.fg, '#ff0105');
});

test('style carries across lines when asked', () => {
  const a = parseAnsiWithState('\x1b[32mgreen');
  assert.deepEqual(a.style, { fg: 2 });
  assert.deepEqual(parseAnsiWithState('still', a.style).segments, [{ text: 'still', style: { fg: 2 } }]);
});

test('xterm 256-colour palette', () => {
  assert.equal(xterm256(3), null);
  assert.equal(xterm256(16), '#000000');
  assert.equal(xterm256(196), '#ff0000');
  assert.equal(xterm256(231), '#ffffff');
  assert.equal(xterm256(232), '#080808');
  assert.equal(xterm256(255), '#eeeeee');
});

test('markRanges splits coloured segments at search matches', () => {
  const segs = parseAnsi('ab\x1b[31mcdef\x1b[0mgh');
  const out = markRanges(segs, [[1, 3], [5, 7]]);
  assert.deepEqual(out.map((s) => [s.text, s.style.fg ?? null, Boolean(s.mark)]), [
    ['a', null, false], ['b', null, true], ['c', 1, true], ['de', 1, false], ['f', 1, true], ['g', null, true], ['h', null, false],
  ]);
  assert.equal(out.map((s) => s.text).join(''), 'abcdefgh');
  assert.equal(markRanges(segs, []), segs);
});
