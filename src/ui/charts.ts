/** Inline SVG charts (no library): lines over cycles, bars per lane, horizontal bars per sample. */

const NS = 'http://www.w3.org/2000/svg';
const W = 420;
const H = 220;
const PAD = { l: 44, r: 10, t: 10, b: 30 };

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const niceMax = (v: number) => {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
};

function frame(
  title: string,
  xMax: number,
  yMax: number,
  xLabel: string,
): {
  root: SVGSVGElement;
  x: (v: number) => number;
  y: (v: number) => number;
} {
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
    width: '100%',
  }) as SVGSVGElement;
  root.append(svg('title', {}, title));
  const x = (v: number) => PAD.l + (v / (xMax || 1)) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  root.append(
    svg('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, stroke: '#888' }),
    svg('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, stroke: '#888' }),
  );
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    root.append(
      svg('text', { x: PAD.l - 4, y: y(v) + 3, 'text-anchor': 'end' }, String(+v.toFixed(1))),
      svg('line', { x1: PAD.l, y1: y(v), x2: W - PAD.r, y2: y(v), stroke: '#eee' }),
    );
  }
  root.append(svg('text', { x: (W + PAD.l) / 2, y: H - 4, 'text-anchor': 'middle' }, xLabel));
  return { root, x, y };
}

/** Lines (one per series) over x = cycle. */
export function lineChart(title: string, series: Series[], yMaxFixed?: number): SVGSVGElement {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = yMaxFixed ?? niceMax(Math.max(0, ...all.map((p) => p[1])));
  const { root, x, y } = frame(title, xMax, yMax, 'Cycle');
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points
      .map(([px, py], j) => `${j ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`)
      .join('');
    root.append(
      svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'data-series': s.name }),
      svg(
        'text',
        { x: W - PAD.r - 4, y: PAD.t + 10 + i * 12, 'text-anchor': 'end', fill: s.color },
        s.name,
      ),
    );
  });
  return root;
}

/** Bars, one per category (lanes). */
export function barChart(
  title: string,
  bars: { label: string; value: number }[],
  unit: string,
  yMaxFixed?: number,
): SVGSVGElement {
  const yMax = yMaxFixed ?? niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const { root, y } = frame(title, 1, yMax, unit);
  const slot = (W - PAD.l - PAD.r) / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const x0 = PAD.l + i * slot + slot * 0.2;
    root.append(
      svg('rect', {
        x: x0,
        y: y(b.value),
        width: slot * 0.6,
        height: Math.max(0, H - PAD.b - y(b.value)),
        fill: '#0b57a4',
        'data-value': b.value,
      }),
      svg('text', { x: x0 + slot * 0.3, y: H - PAD.b + 12, 'text-anchor': 'middle' }, b.label),
      svg(
        'text',
        { x: x0 + slot * 0.3, y: y(b.value) - 3, 'text-anchor': 'middle' },
        b.value.toFixed(1),
      ),
    );
  });
  return root;
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1));

/**
 * Horizontal bars, one row per label (as many as there are samples: the chart grows in height).
 * `desc` goes in the SVG's `<desc>` for screen readers; each bar carries `data-label` and
 * `data-value`. Pages put a table of the same numbers next to it.
 */
export function hbarChart(
  title: string,
  desc: string,
  bars: { label: string; value: number; muted?: boolean }[],
  unit: string,
): SVGSVGElement {
  const WIDE = 600;
  const ROW = 18;
  const LABEL = 190;
  const height = PAD.t + bars.length * ROW + 34;
  const xMax = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const root = svg('svg', {
    viewBox: `0 0 ${WIDE} ${height}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
    width: '100%',
  }) as SVGSVGElement;
  root.append(svg('title', {}, title), svg('desc', {}, desc));
  const plotW = WIDE - LABEL - PAD.r - 40;
  const x = (v: number) => LABEL + (v / xMax) * plotW;
  const bottom = PAD.t + bars.length * ROW;
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    root.append(
      svg('line', { x1: x(v), y1: PAD.t, x2: x(v), y2: bottom, stroke: i ? '#eee' : '#888' }),
      svg('text', { x: x(v), y: bottom + 12, 'text-anchor': 'middle' }, fmt(+v.toPrecision(3))),
    );
  }
  root.append(svg('text', { x: LABEL + plotW / 2, y: bottom + 28, 'text-anchor': 'middle' }, unit));
  bars.forEach((b, i) => {
    const y0 = PAD.t + i * ROW;
    const label = b.label.length > 32 ? `${b.label.slice(0, 31)}…` : b.label;
    root.append(
      svg('text', { x: LABEL - 4, y: y0 + ROW * 0.65, 'text-anchor': 'end' }, label),
      svg('rect', {
        x: LABEL,
        y: y0 + 2,
        width: Math.max(0, x(b.value) - LABEL),
        height: ROW - 4,
        fill: b.muted ? '#8a8a8a' : '#0b57a4',
        'data-label': b.label,
        'data-value': b.value,
      }),
      svg('text', { x: x(b.value) + 3, y: y0 + ROW * 0.65 }, fmt(b.value)),
    );
  });
  return root;
}
