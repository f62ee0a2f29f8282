/**
 * `jl-edge report` on 30 days of three accounts (test/fixtures/report/thirty-days.ts says how the
 * database is built): the figures as JSON compared whole against a hand computation, the HTML file
 * written quietly and self-contained, and the page opened in a real headless Chromium.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runCli, tempDir } from '../helpers/cli.js';
import { ENGINE_LABEL, TEST_ENGINE, createTestDb } from '../helpers/test-db.js';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { REPORT_NOW, seedThirtyDays } from '../fixtures/report/thirty-days.js';

/** A 30-day series of June 2026 from the days (1 = June 1) that have events. */
function june(counts: Record<number, number>): { date: string; count: number }[] {
  return Array.from({ length: 30 }, (_, i) => ({
    date: `2026-06-${String(i + 1).padStart(2, '0')}`,
    count: counts[i + 1] ?? 0,
  }));
}

function everyNthDay(n: number): Record<number, number> {
  return Object.fromEntries(Array.from({ length: Math.ceil(30 / n) }, (_, i) => [1 + i * n, 1]));
}

const late = (account: string, order: string, dispatched: number, due: number) => ({
  account,
  order_number: order,
  dispatch_date: `2026-06-${String(dispatched).padStart(2, '0')}`,
  due_date: `2026-06-${String(due).padStart(2, '0')}`,
});

/*
 * The hand computation. Percentiles are nearest-rank: of n sorted values the p-th is the ⌈p·n/100⌉-th.
 *
 * north: 30 orders (one a day). Acknowledged: 29, after 2, 4, …, 58 minutes → median = 15th = 30,
 *   p95 = ⌈27.55⌉ = 28th = 56. Shipped: i = 0, 2, …, 20 (11), after 1 + (i mod 3) days: 1 day for
 *   i = 0, 6, 12, 18 (4 × 1440 min), 2 days for i = 4, 10, 16 (3 × 2880), 3 days for i = 2, 8, 14, 20
 *   (4 × 4320) → median = 6th = 2880, p95 = ⌈10.45⌉ = 11th = 4320. Late: the four 3-day ones, 4/11 = 0.3636.
 *   Cancelled before dispatch: i = 1, 5, …, 25 (7) → 7/30 = 0.2333; refunded: i = 0, 4, …, 20 (6) → 0.2.
 *   Stock errors: 1 on June 1, 8, 15, 22, 29, plus 23:30 UTC on May 31 = June 1 in London → 2 on June 1.
 * south: 15 orders (every 2nd day). Acknowledged: 14, after 4, 8, …, 56 → median = 7th = 28, p95 = 14th
 *   = 56. Shipped i = 0, 2, …, 10 (received by June 21): 1440, 4320, 2880, 1440, 4320, 2880 → median =
 *   3rd = 2880, p95 = 6th = 4320. Late: i = 2, 8 → 2/6 = 0.3333. Cancelled i = 1, 5, 9, 13 → 4/15 =
 *   0.2667; refunded i = 0, 4, 8 → 3/15 = 0.2. Stock errors: 2 a day on June 1, 8, 15, 22, 29.
 * west: 10 orders (every 3rd day). Acknowledged: 9, after 6, 12, …, 54 → median = 5th = 30, p95 = 9th =
 *   54. Shipped i = 0, 2, 4, 6: 1440, 4320, 2880, 1440 → median = 2nd = 1440, p95 = 4th = 4320. Late:
 *   i = 2 → 1/4 = 0.25 (due from expected delivery less 3 days' lead time). Cancelled i = 1, 5 → 0.2;
 *   refunded i = 0, 4 → 0.2. Stock errors: 3 a day on June 1, 8, 15, 22, 29.
 * all accounts: 55 orders. Acknowledged 52: values ≤ 28 number 14 + 7 + 4 = 25 and 30 is in north and
 *   west → median = 26th = 30; p95 = ⌈49.4⌉ = 50th = the 3rd largest: 58, 56, 56 → 56. Shipped 21:
 *   8 × 1440, 6 × 2880, 7 × 4320 → median = 11th = 2880, p95 = ⌈19.95⌉ = 20th = 4320. Late 7/21 =
 *   0.3333. Cancelled 13/55 = 0.2364; refunded 11/55 = 0.2. Stock errors 1 + 2 + 3 = 6 a day, 7 on June 1.
 * Every account: one failed file on June 4, 14 and 24 (the sent ones beside them do not count), and
 * nothing from May 31 before midnight in London.
 */
const EXPECTED = {
  command: 'report',
  generated_at: REPORT_NOW,
  days: 30,
  from: '2026-06-01',
  to: '2026-06-30',
  percentile_method: 'nearest-rank (the ⌈p/100 × n⌉-th smallest value; median = 50th percentile)',
  overall: {
    account: 'all accounts',
    orders_received: 55,
    orders_per_day: june(
      Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [i + 1, 1 + (i % 2 === 0 ? 1 : 0) + (i % 3 === 0 ? 1 : 0)]),
      ),
    ),
    time_to_acknowledge: { orders: 52, median_minutes: 30, p95_minutes: 56 },
    time_to_dispatch: { orders: 21, median_minutes: 2880, p95_minutes: 4320 },
    dispatches: {
      total: 21,
      late: 7,
      late_rate: 0.3333,
      late_dispatches: [
        late('north', 'N003', 6, 5),
        late('south', 'S003', 8, 7),
        late('west', 'W003', 10, 9),
        late('north', 'N009', 12, 11),
        late('north', 'N015', 18, 17),
        late('south', 'S009', 20, 19),
        late('north', 'N021', 24, 23),
      ],
    },
    cancellations: { before_dispatch: 13, before_dispatch_rate: 0.2364, after_dispatch: 11, after_dispatch_rate: 0.2 },
    stock_errors_per_day: june({ 1: 7, 8: 6, 15: 6, 22: 6, 29: 6 }),
    failed_updates_per_day: june({ 4: 3, 14: 3, 24: 3 }),
  },
  accounts: [
    {
      account: 'north',
      orders_received: 30,
      orders_per_day: june(everyNthDay(1)),
      time_to_acknowledge: { orders: 29, median_minutes: 30, p95_minutes: 56 },
      time_to_dispatch: { orders: 11, median_minutes: 2880, p95_minutes: 4320 },
      dispatches: {
        total: 11,
        late: 4,
        late_rate: 0.3636,
        late_dispatches: [
          late('north', 'N003', 6, 5),
          late('north', 'N009', 12, 11),
          late('north', 'N015', 18, 17),
          late('north', 'N021', 24, 23),
        ],
      },
      cancellations: { before_dispatch: 7, before_dispatch_rate: 0.2333, after_dispatch: 6, after_dispatch_rate: 0.2 },
      stock_errors_per_day: june({ 1: 2, 8: 1, 15: 1, 22: 1, 29: 1 }),
      failed_updates_per_day: june({ 4: 1, 14: 1, 24: 1 }),
    },
    {
      account: 'south',
      orders_received: 15,
      orders_per_day: june(everyNthDay(2)),
      time_to_acknowledge: { orders: 14, median_minutes: 28, p95_minutes: 56 },
      time_to_dispatch: { orders: 6, median_minutes: 2880, p95_minutes: 4320 },
      dispatches: {
        total: 6,
        late: 2,
        late_rate: 0.3333,
        late_dispatches: [late('south', 'S003', 8, 7), late('south', 'S009', 20, 19)],
      },
      cancellations: { before_dispatch: 4, before_dispatch_rate: 0.2667, after_dispatch: 3, after_dispatch_rate: 0.2 },
      stock_errors_per_day: june({ 1: 2, 8: 2, 15: 2, 22: 2, 29: 2 }),
      failed_updates_per_day: june({ 4: 1, 14: 1, 24: 1 }),
    },
    {
      account: 'west',
      orders_received: 10,
      orders_per_day: june(everyNthDay(3)),
      time_to_acknowledge: { orders: 9, median_minutes: 30, p95_minutes: 54 },
      time_to_dispatch: { orders: 4, median_minutes: 1440, p95_minutes: 4320 },
      dispatches: { total: 4, late: 1, late_rate: 0.25, late_dispatches: [late('west', 'W003', 10, 9)] },
      cancellations: { before_dispatch: 2, before_dispatch_rate: 0.2, after_dispatch: 2, after_dispatch_rate: 0.2 },
      stock_errors_per_day: june({ 1: 3, 8: 3, 15: 3, 22: 3, 29: 3 }),
      failed_updates_per_day: june({ 4: 1, 14: 1, 24: 1 }),
    },
  ],
};

/** What each figure tile of a section shows, as the page prints it. */
const SHOWN = {
  'all accounts': ['55', '30 min', '56 min', '2.0 days', '3.0 days', '7 of 21', '23.6 %', '20.0 %'],
  north: ['30', '30 min', '56 min', '2.0 days', '3.0 days', '4 of 11', '23.3 %', '20.0 %'],
  south: ['15', '28 min', '56 min', '2.0 days', '3.0 days', '2 of 6', '26.7 %', '20.0 %'],
  west: ['10', '30 min', '54 min', '24.0 h', '3.0 days', '1 of 4', '20.0 %', '20.0 %'],
};

describe(`report on 30 days of three accounts${ENGINE_LABEL}`, () => {
  const tmp = tempDir();
  const db = createTestDb(tmp.path('db.sqlite'));
  const env = { JL_EDGE_NOW: REPORT_NOW };
  const report = (...args: string[]) => runCli(['report', '--db', db.url, ...args], { env, cwd: tmp.dir });

  before(() => seedThirtyDays(db, tmp.path('edge')));
  after(() => tmp.remove());

  it('gives the figures as JSON, equal as a whole to the hand computation', async () => {
    const run = await report('--format', 'json');
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.deepEqual(run.json(), EXPECTED);
    // The global --json gives the same one document.
    const json = await report('--json');
    assert.deepEqual([json.code, json.stderr], [0, '']);
    assert.deepEqual(json.json(), EXPECTED);
  });

  it('narrows to one account and a shorter window', async () => {
    const run = await report('--format', 'json', '--account', 'west', '--days', '7');
    assert.equal(run.code, 0, run.stderr);
    const data = run.json<typeof EXPECTED>();
    // June 24 to 30: west received on June 25 and 28, the second still awaiting its acknowledgement.
    assert.deepEqual(
      data.accounts.map((a) => [a.account, a.orders_received, a.time_to_acknowledge]),
      [['west', 2, { orders: 1, median_minutes: 54, p95_minutes: 54 }]],
    );
    assert.deepEqual(
      data.overall.orders_per_day.map((d) => d.count),
      [0, 1, 0, 0, 1, 0, 0],
    );
    assert.deepEqual(
      data.overall.failed_updates_per_day.map((d) => d.count),
      [1, 0, 0, 0, 0, 0, 0],
    );
  });

  it('writes one self-contained HTML file quietly, replacing the last one', async () => {
    const out = tmp.path('report.html');
    for (let run = 0; run < 2; run++) {
      const written = await report('--out', out, '--quiet');
      assert.deepEqual([written.code, written.stdout, written.stderr], [0, '', '']);
    }
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.includes('report')),
      ['report.html'],
      'no temporary file left beside it',
    );
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    // Nothing for a browser to fetch: no script, link, image, frame, import or url().
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(|src=|href=|https?:/i);
    assert.equal([...html.matchAll(/<section data-account=/g)].length, 4);
    assert.equal([...html.matchAll(/<rect class="point"/g)].length, 4 * 3 * 30);

    const told = await report('--out', out);
    assert.deepEqual([told.code, told.stdout], [0, `report: wrote ${out} (3 accounts, 2026-06-01 to 2026-06-30)\n`]);
  });

  it('says what is missing or wrong, with exit 2', async () => {
    const noOut = await report();
    assert.deepEqual(
      [noOut.code, noOut.stderr],
      [2, 'jl-edge report: the HTML page needs --out <file.html> (or use --format json for stdout)\n'],
    );
    const badFolder = await report('--out', tmp.path('missing', 'r.html'));
    assert.deepEqual(
      [badFolder.code, badFolder.stderr],
      [2, `jl-edge report: cannot write ${tmp.path('missing', 'r.html')}: its folder does not exist\n`],
    );
    const badDays = await report('--days', '0', '--format', 'json');
    assert.equal(badDays.code, 2);
    assert.match(badDays.stderr, /"0" is not a positive whole number/);
    const tooManyDays = await report('--days', '367', '--format', 'json');
    assert.deepEqual(
      [tooManyDays.code, tooManyDays.stdout, tooManyDays.stderr],
      [2, '', 'jl-edge report: --days 367 is more than a page can show: at most 366 (a bar a day)\n'],
    );
    const dryRun = await report('--out', tmp.path('dry.html'), '--dry-run');
    assert.equal(dryRun.code, 0);
    assert.equal(existsSync(tmp.path('dry.html')), false, '--dry-run writes nothing');
  });

  // The page does not depend on the engine: the browser opens it once, in the SQLite pass.
  describe(
    'in headless Chromium',
    { skip: TEST_ENGINE === 'postgres' ? 'runs in the SQLite pass' : chromiumSkip },
    () => {
      it('shows the hand-computed figures and 30 points a chart, with no console error, no request and no overflow on a phone', async () => {
        const out = tmp.path('browser.html');
        assert.equal((await report('--out', out, '--quiet')).code, 0);
        const url = pathToFileURL(out).href;
        const browser = await launchChromium(tmp.path('profile'));
        try {
          const page = await browser.newPage();
          await page.setViewportSize({ width: 1280, height: 900 });
          const consoleErrors: string[] = [];
          const requests: string[] = [];
          page.on('console', (message) => {
            if (message.type() === 'error') consoleErrors.push(message.text());
          });
          page.on('pageerror', (error) => consoleErrors.push(error.message));
          page.on('request', (request) => {
            if (request.url() !== url) requests.push(request.url());
          });
          await page.goto(url, { waitUntil: 'load' });

          const sections = await page.$$eval('section', (all) =>
            all.map((section) => ({
              account: section.querySelector('h2')!.textContent,
              shown: [...section.querySelectorAll('dd')].map((dd) => dd.textContent),
              values: Object.fromEntries(
                [...section.querySelectorAll('dd')].map((dd) => [dd.dataset.figure, dd.dataset.value]),
              ),
              points: Object.fromEntries(
                [...section.querySelectorAll('figure')].map((figure) => [
                  figure.dataset.chart,
                  [...figure.querySelectorAll('rect.point')].map((rect) => Number(rect.getAttribute('data-value'))),
                ]),
              ),
            })),
          );
          assert.deepEqual(
            sections.map((s) => [s.account, s.shown]),
            Object.entries(SHOWN),
          );
          for (const [section, figures] of sections.map(
            (s, i) => [s, [EXPECTED.overall, ...EXPECTED.accounts][i]!] as const,
          )) {
            assert.deepEqual(section.values, {
              'orders-received': String(figures.orders_received),
              'ack-median': String(figures.time_to_acknowledge.median_minutes),
              'ack-p95': String(figures.time_to_acknowledge.p95_minutes),
              'dispatch-median': String(figures.time_to_dispatch.median_minutes),
              'dispatch-p95': String(figures.time_to_dispatch.p95_minutes),
              'late-dispatches': String(figures.dispatches.late),
              'cancel-before-rate': String(figures.cancellations.before_dispatch_rate),
              'cancel-after-rate': String(figures.cancellations.after_dispatch_rate),
            });
            // Each chart: one point a day of the window, each the day's count.
            assert.deepEqual(section.points, {
              'orders-per-day': figures.orders_per_day.map((d) => d.count),
              'stock-errors-per-day': figures.stock_errors_per_day.map((d) => d.count),
              'failed-updates-per-day': figures.failed_updates_per_day.map((d) => d.count),
            });
          }
          await page.screenshot({ path: tmp.path('report-desktop.png'), fullPage: true });

          await page.setViewportSize({ width: 375, height: 740 });
          const widths = await page.evaluate(() => ({
            page: document.documentElement.scrollWidth,
            viewport: document.documentElement.clientWidth,
            widest: Math.max(
              ...[...document.querySelectorAll('svg, dl, section')].map((e) => e.getBoundingClientRect().right),
            ),
          }));
          assert.equal(widths.viewport, 375);
          assert.ok(widths.page <= widths.viewport, `the page scrolls sideways on a phone: ${JSON.stringify(widths)}`);
          assert.ok(widths.widest <= widths.viewport, `something sticks out on a phone: ${JSON.stringify(widths)}`);
          await page.screenshot({ path: tmp.path('report-phone.png'), fullPage: true });

          assert.deepEqual(consoleErrors, []);
          assert.deepEqual(requests, []);
          assert.ok(readFileSync(tmp.path('report-phone.png')).length > 10_000, 'a screenshot with something on it');
        } finally {
          await browser.close();
        }
      });
    },
  );
});
