// The signature pad's stroke encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strokePath, strokesToSVG } from '../static/signature.js';

test('strokePath rounds, drops repeated points, and draws a tap as a dot', () => {
  assert.equal(strokePath([[1.2, 2.7], [10.4, 20.5], [30, 40]]), 'M1 3L10 21 30 40');
  // Points that round onto the one before add nothing.
  assert.equal(strokePath([[1, 1], [1.4, 0.6], [1.2, 1.3], [2, 2], [2.1, 1.9]]), 'M1 1L2 2');
  // A tap, or a stroke that never left its first pixel, is a dot.
  assert.equal(strokePath([[5.5, 6.49]]), 'M6 6l0 0');
  assert.equal(strokePath([[5, 6], [5.2, 5.8]]), 'M5 6l0 0');
  // Returning to an earlier point is a real movement.
  assert.equal(strokePath([[0, 0], [1, 0], [0, 0]]), 'M0 0L1 0 0 0');
  assert.equal(strokePath([[-0.6, 3]]), 'M-1 3l0 0');
});

test('strokesToSVG is one path a stroke in the pad\'s view box', () => {
  const svg = strokesToSVG([[[1, 2], [3, 4]], [[7, 7]]], 320.4, 159.6);
  assert.equal(svg, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 160" ' +
    'fill="none" stroke="#000" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M1 2L3 4"/><path d="M7 7l0 0"/></svg>');
  assert.equal((strokesToSVG([], 10, 10).match(/<path/g) || []).length, 0);
});
