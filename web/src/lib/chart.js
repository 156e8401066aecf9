// A small time-series chart on a canvas: one line with a filled area, the newest sample at the
// right edge, the y axis from 0 to max(floor, peak). Drawn with the page's CSS colours.

export class SparkChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{capacity?: number, floor?: number, format: (v: number) => string, colorVar: string}} opts
   */
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.capacity = opts.capacity ?? 120;
    this.floor = opts.floor ?? 1;
    this.format = opts.format;
    this.colorVar = opts.colorVar;
    /** @type {number[]} */
    this.values = [];
  }

  push(v) {
    this.values.push(Number.isFinite(v) ? v : 0);
    if (this.values.length > this.capacity) {
      this.values.shift();
    }
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 300;
    const hgt = c.clientHeight || 80;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const css = getComputedStyle(c);
    const line = css.getPropertyValue(this.colorVar).trim() || '#3b82f6';
    const grid = css.getPropertyValue('--grid').trim() || '#8884';
    const text = css.getPropertyValue('--muted').trim() || '#888';
    const peak = Math.max(this.floor, ...this.values);
    const top = 14;
    const plotH = hgt - top - 2;
    g.strokeStyle = grid;
    g.lineWidth = 1;
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(top + plotH * (1 - f)) + 0.5;
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(w, y);
      g.stroke();
    }
    g.fillStyle = text;
    g.font = '11px system-ui, sans-serif';
    g.fillText(this.format(peak), 4, 11);
    const n = this.values.length;
    if (n < 2) {
      return;
    }
    const step = w / (this.capacity - 1);
    const x0 = w - (n - 1) * step;
    const y = (v) => top + plotH * (1 - v / peak);
    g.beginPath();
    this.values.forEach((v, i) => (i ? g.lineTo(x0 + i * step, y(v)) : g.moveTo(x0, y(v))));
    g.strokeStyle = line;
    g.lineWidth = 1.5;
    g.stroke();
    g.lineTo(x0 + (n - 1) * step, top + plotH);
    g.lineTo(x0, top + plotH);
    g.closePath();
    g.globalAlpha = 0.15;
    g.fillStyle = line;
    g.fill();
    g.globalAlpha = 1;
  }
}
