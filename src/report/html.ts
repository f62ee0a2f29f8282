/**
 * The report page (SPEC §5.9): one self-contained HTML file drawn from the report's data object — the
 * same object `--format json` prints. No script, no external style, font or image: it opens from a mail
 * attachment or a file share, offline, and reads on a phone (viewport meta, one column when narrow).
 */
import { barChart, escape } from './chart.js';
import type { DayCount, Durations, ReportData, ReportFigures } from './figures.js';

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#f5f5f7}
header,section{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:0 0 .75rem;overflow-wrap:anywhere}
section{background:#fff;border-radius:.5rem;margin-bottom:1rem}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.5rem;margin:0 0 1rem}
.figures div{background:#f5f5f7;border-radius:.4rem;padding:.5rem .65rem}
dt{font-size:.8rem;color:#555}
dd{margin:0;font-size:1.15rem;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
figure{margin:0;min-width:0}
figcaption{font-size:.85rem;color:#555}
.chart{display:block;width:100%;height:auto}
.chart .point{fill:#2f6f4f}
.chart .axis{stroke:#999;stroke-width:1}
.chart .tick{font-size:11px;fill:#555}
.late{font-size:.85rem;overflow-wrap:anywhere}
p.note{font-size:.85rem;color:#555;margin:.25rem 0}
`;

export function renderReportHtml(data: ReportData): string {
  const title = `John Lewis channel report, ${data.from} to ${data.to}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>${escape(title)}</h1>`,
    `<p class="note">${data.days} days (London dates), made ${data.generated_at.slice(0, 16).replace('T', ' ')} UTC. Times run from receiving the order; percentiles are ${escape(data.percentile_method)}.</p></header>`,
    section(data.overall),
    ...data.accounts.map(section),
    '</body></html>',
    '',
  ].join('\n');
}

function section(figures: ReportFigures): string {
  const { dispatches, cancellations } = figures;
  const tiles = [
    tile('orders-received', 'Orders received', figures.orders_received, String(figures.orders_received)),
    ...durationTiles('ack', 'acknowledge', figures.time_to_acknowledge),
    ...durationTiles('dispatch', 'dispatch', figures.time_to_dispatch),
    tile('late-dispatches', 'Late dispatches', dispatches.late, `${dispatches.late} of ${dispatches.total}`),
    tile(
      'cancel-before-rate',
      `Cancelled before dispatch (${cancellations.before_dispatch})`,
      cancellations.before_dispatch_rate,
      percent(cancellations.before_dispatch_rate),
    ),
    tile(
      'cancel-after-rate',
      `Cancelled after dispatch (${cancellations.after_dispatch})`,
      cancellations.after_dispatch_rate,
      percent(cancellations.after_dispatch_rate),
    ),
  ];
  const late = dispatches.late_dispatches.map(
    (d) => `<li>order ${escape(d.order_number)}: dispatched ${d.dispatch_date}, due ${d.due_date}</li>`,
  );
  return [
    `<section data-account="${escape(figures.account)}">`,
    `<h2>${escape(figures.account)}</h2>`,
    `<dl class="figures">${tiles.join('')}</dl>`,
    '<div class="charts">',
    chart('orders-per-day', 'Orders per day', figures.orders_per_day),
    chart('stock-errors-per-day', 'Stock errors per day', figures.stock_errors_per_day),
    chart('failed-updates-per-day', 'Failed updates per day', figures.failed_updates_per_day),
    '</div>',
    late.length > 0
      ? `<details class="late"><summary>Late dispatches</summary><ul>${late.join('')}</ul></details>`
      : '',
    '</section>',
  ].join('\n');
}

function durationTiles(key: string, verb: string, durations: Durations): string[] {
  const over = `${durations.orders} order${durations.orders === 1 ? '' : 's'}`;
  return [
    tile(
      `${key}-median`,
      `Time to ${verb}, median (${over})`,
      durations.median_minutes,
      duration(durations.median_minutes),
    ),
    tile(`${key}-p95`, `Time to ${verb}, 95th percentile`, durations.p95_minutes, duration(durations.p95_minutes)),
  ];
}

function tile(key: string, label: string, value: number | null, text: string): string {
  return `<div><dt>${escape(label)}</dt><dd data-figure="${key}" data-value="${value ?? ''}">${escape(text)}</dd></div>`;
}

function chart(key: string, caption: string, days: DayCount[]): string {
  const svg = barChart(
    caption,
    days.map((day) => ({ label: day.date, value: day.count })),
  );
  return `<figure data-chart="${key}"><figcaption>${escape(caption)}</figcaption>${svg}</figure>`;
}

/** Minutes as people read them: minutes under an hour, hours under two days, then days. */
export function duration(minutes: number | null): string {
  if (minutes === null) return '—';
  if (minutes < 60) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}

export function percent(fraction: number | null): string {
  return fraction === null ? '—' : `${(fraction * 100).toFixed(1)} %`;
}
