/**
 * Bar charts as inline SVG for the report page: no script, no font, no network — the page stays one
 * self-contained file. Pure: points in, markup out. Every point is one `<rect class="point">` carrying
 * its label and value, so a reader's tooltip and a test see the same figures.
 */

export interface ChartPoint {
  label: string;
  value: number;
}

// About a phone's width in CSS pixels, so the 11px ticks stay near 11px where the page is narrowest.
const WIDTH = 360;
const HEIGHT = 140;
const LEFT = 28;
const RIGHT = 4;
const TOP = 10;
const BOTTOM = 18;

export function barChart(title: string, points: readonly ChartPoint[]): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const top = Math.max(0, ...points.map((p) => p.value));
  // An empty series still draws its axis: a flat line at zero reads as "nothing happened".
  const scale = top === 0 ? 0 : plotHeight / top;
  const slot = points.length === 0 ? plotWidth : plotWidth / points.length;
  const barWidth = Math.max(1, slot * 0.8);
  const bars = points.map((point, i) => {
    const height = round(point.value * scale);
    const x = round(LEFT + i * slot + (slot - barWidth) / 2);
    const y = round(TOP + plotHeight - height);
    return `<rect class="point" x="${x}" y="${y}" width="${round(barWidth)}" height="${height}" data-label="${escape(point.label)}" data-value="${point.value}"><title>${escape(point.label)}: ${point.value}</title></rect>`;
  });
  const baseline = TOP + plotHeight;
  const first = points[0]?.label ?? '';
  const last = points.length > 1 ? points[points.length - 1]!.label : '';
  return [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(title)}">`,
    `<line class="axis" x1="${LEFT}" y1="${baseline}" x2="${WIDTH - RIGHT}" y2="${baseline}"/>`,
    `<text class="tick" x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${top}</text>`,
    `<text class="tick" x="${LEFT - 4}" y="${baseline}" text-anchor="end">0</text>`,
    ...bars,
    `<text class="tick" x="${LEFT}" y="${HEIGHT - 4}">${escape(first)}</text>`,
    `<text class="tick" x="${WIDTH - RIGHT}" y="${HEIGHT - 4}" text-anchor="end">${escape(last)}</text>`,
    '</svg>',
  ].join('');
}

/** Text and attribute values of the page: names and labels come from the database. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
