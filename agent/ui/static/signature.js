// The signature pad: strokes drawn with mouse, pen or finger (Pointer
// Events) on a canvas, sent to the agent as a compact SVG. signatureBox is
// the pad with its hint and its undo and clear buttons, for any page where
// someone signs: the customer at pickup, the courier and the clerk at a
// handover, the courier taking a batch out, the recipient's proof of
// delivery.
//
// A stroke is a list of [x, y] points in CSS pixels from the pad's top left.
// The encoding (strokePath, strokesToSVG) is pure, so it is tested without a
// browser.

import { h } from './dom.js';
import { t } from './i18n.js';

// strokePath is one stroke's path data: integer coordinates, a point that
// rounds onto the one before it left out, and a tap (a single point) drawn
// as a zero-length line so the round cap shows a dot.
export function strokePath(stroke) {
  const pts = [];
  for (const [x, y] of stroke) {
    const p = [Math.round(x), Math.round(y)];
    const last = pts[pts.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
  }
  const [first, ...rest] = pts;
  return `M${first[0]} ${first[1]}` + (rest.length ? 'L' + rest.map((p) => `${p[0]} ${p[1]}`).join(' ') : 'l0 0');
}

// strokesToSVG is the whole signature: one <path> per stroke, the drawing
// attributes on the root so each path is just its "d", the view box the
// pad's size.
export function strokesToSVG(strokes, width, height) {
  const paths = strokes.map((s) => `<path d="${strokePath(s)}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Math.round(width)} ${Math.round(height)}" ` +
    'fill="none" stroke="#000" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round">' + paths.join('') + '</svg>';
}

// SignaturePad records the strokes drawn on a canvas and draws them back.
export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.strokes = [];
    this.current = null;
  }

  attach(scope) {
    const c = this.canvas;
    const on = (type, fn) => { c.addEventListener(type, fn); scope.push(() => c.removeEventListener(type, fn)); };
    on('pointerdown', (e) => this.down(e));
    on('pointermove', (e) => this.move(e));
    on('pointerup', () => this.up());
    on('pointercancel', () => this.up());
    // The canvas follows its box; resizing clears a canvas, so redraw.
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(c);
    scope.push(() => ro.disconnect());
    this.resize();
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.redraw();
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  down(e) {
    e.preventDefault();
    // Capture keeps the stroke when the pen leaves the box mid-stroke.
    try { this.canvas.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.redraw();
  }

  move(e) {
    if (!this.current) return;
    // Coalesced events keep fast strokes smooth on slow PCs.
    const evs = e.getCoalescedEvents?.() || [];
    for (const ev of evs.length ? evs : [e]) this.current.push(this.point(ev));
    this.redraw();
  }

  up() {
    this.current = null;
  }

  undo() {
    this.strokes.pop();
    this.redraw();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.redraw();
  }

  empty() {
    return this.strokes.length === 0;
  }

  redraw() {
    const ctx = this.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.lineWidth = 2.5;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111827';
    for (const s of this.strokes) {
      ctx.beginPath();
      ctx.moveTo(s[0][0], s[0][1]);
      // A tap is a dot: a zero-length line with round caps.
      if (s.length === 1) ctx.lineTo(s[0][0], s[0][1]);
      for (const [x, y] of s.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
  }

  toSVG() {
    const r = this.canvas.getBoundingClientRect();
    return strokesToSVG(this.strokes, r.width, r.height);
  }
}

// signatureBox builds a pad with its hint and its undo and clear buttons;
// tools are extra controls placed on the buttons' row. The pad listens until
// the page's scope ends. hint may be nodes (a sentence with a name in it);
// label, the pad's name for screen readers, is then the screen's own words.
export function signatureBox({ id, hint, label, scope, tools = [], compact = false }) {
  const canvas = h('canvas', { id, class: 'sign-pad' + (compact ? ' sign-pad-compact' : ''), 'aria-label': label ?? hint });
  const pad = new SignaturePad(canvas);
  const undo = h('button', { type: 'button', class: 'btn' + (compact ? ' btn-small' : ''), id: id + '-undo', onclick: () => pad.undo() }, t('pickup.undo'));
  const clear = h('button', { type: 'button', class: 'btn' + (compact ? ' btn-small' : ''), id: id + '-clear', onclick: () => pad.clear() }, t('pickup.clear'));
  const el = h('div', { class: 'sign-box' },
    h('div', { class: 'pad-wrap' }, canvas, h('span', { class: 'pad-hint' }, hint)),
    h('div', { class: 'row pad-tools' }, undo, clear, tools));
  pad.attach(scope);
  return { el, pad, canvas };
}
