/**
 * SPEC §8: what a person asks of a database after a year in production — `jl-edge status` and
 * `jl-edge orders list --status ready_to_ship` on 500,000 orders / 2,000,000 lines — against the very same
 * command on a database holding only the account. Target ratio ≤ 3.0: what these commands read must
 * follow the open work (a fixed queue of orders to ship here), not the history.
 *
 * The history is written straight into a database made by the real migrations (`jl-edge accounts add`),
 * in one transaction of set-based inserts: going through the CLI order by order would take hours. It has
 * what a year of runs leaves: per order its logged file, an acknowledgement sent, and a shipment (every
 * 50th order a cancellation) recorded per line and sent; the newest OPEN_ORDERS orders wait for dispatch,
 * every 10th of them half shipped. The run log holds what the weekly `prune --older-than 90` keeps of the
 * cron table (crontab.example): 90 days of runs of every step, at every size of history; before each
 * benchmark every step gets a fresh run, so none is stale and `status` exits 0. No ANALYZE: jl-edge never runs it, so the planner has no statistics in
 * production either. Built once per size and kept in bench/.work/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ACCOUNT, removeDatabase, runJlEdge, withDatabase } from './edge-server.js';
import { cronEnvironment, type BenchContext, type Benchmark, type TimedProcess } from './harness.js';

const FULL_ORDERS = 500_000;
const LINES_PER_ORDER = 4;
/** Orders waiting for dispatch: the open work, the same at every size of history. */
const OPEN_ORDERS = 200;
const CATALOGUE_PRODUCTS = 200;
/** The run log after a weekly prune of runs older than 90 days. */
const RUN_LOG_DAYS = 90;
/** The steps crontab.example runs every 5 minutes, and those it runs every 15. */
const FIVE_MINUTE_STEPS = [
  'download-orders',
  'ack-orders',
  'send-shipments',
  'send-cancels',
  'send-refunds',
  'export-orders',
  'import-shipments',
];
const QUARTER_HOUR_STEPS = ['import-products', 'push-stock'];

const orderCount = (ctx: BenchContext): number => Math.max(OPEN_ORDERS, Math.round(FULL_ORDERS * ctx.scale));
/** What `seedHistory` writes; a new value builds the kept databases again. */
const SEED_VERSION = 2;
/** Shared by both benchmarks: a folder of its own beside theirs. */
const largeDatabase = (ctx: BenchContext): string =>
  join(ctx.workDir, '..', 'large-database', `orders-${orderCount(ctx)}-v${SEED_VERSION}.sqlite`);
const emptyDatabase = (ctx: BenchContext): string => join(ctx.workDir, 'empty.sqlite');

/** A database holding the benchmark account only, made by the real migrations. */
function createAccountOnly(ctx: BenchContext, db: string): void {
  removeDatabase(db);
  runJlEdge(ctx, db, ['accounts', 'add', ACCOUNT, '--local-root', join(ctx.workDir, 'exchange')]);
}

/** The year of history described above, `count` orders, into a database holding only the account. */
function seedHistory(db: string, count: number): void {
  withDatabase(db, (sqlite) => {
    const accountId = (sqlite.prepare('select id from accounts where name = ?').get(ACCOUNT) as { id: number }).id;
    const firstOpen = count - OPEN_ORDERS + 1;
    // One order a minute, the newest about now: created_at of order i.
    const receivedAt = (column: string): string =>
      `strftime('%Y-%m-%dT%H:%M:%S.000Z', 'now', '-${count}.0 minutes', '+' || ${column} || ' minutes')`;
    const numbers = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})`;
    const status = `case when i >= ${firstOpen} then (case when i % 10 = 0 then 'partially_shipped' else 'ready_to_ship' end)
                         when i % 50 = 0 then 'cancelled' else 'shipped' end`;
    const run = (sql: string, ...params: unknown[]): void => void sqlite.prepare(sql).run(...params);
    sqlite.transaction(() => {
      run(
        `${numbers} insert into products (id, account_id, sku, channel_item_id, ean, stock, created_at, updated_at)
         select i, ?, printf('SKU-%05d', i), printf('%08d', 30000000 + i), printf('50%011d', i), 20, ${receivedAt('0')}, ${receivedAt('0')}
         from n where i <= ${CATALOGUE_PRODUCTS}`,
        accountId,
      );
      run(
        `${numbers} insert into inbound_files (id, account_id, flow, remote_dir, remote_name, size, sha256, status, received_at, processed_at)
         select i, ?, 'OrderDownload', '/incoming', printf('Orders_%08d.csv', i), 1024, printf('%064d', i), 'processed', ${receivedAt('i')}, ${receivedAt('i')}
         from n`,
        accountId,
      );
      run(
        `${numbers} insert into orders (id, account_id, order_number, status, inbound_file_id, order_date, fields, acknowledged_at, created_at, updated_at)
         select i, ?, printf('Y2%08d', i), ${status}, i, ${receivedAt('i')},
                json_object('expected_delivery_date', '2099-01-01', 'shipping_full_name', 'Customer Number ' || i, 'shipping_postcode', 'LS1 4AB'),
                ${receivedAt('i')}, ${receivedAt('i')}, ${receivedAt('i')}
         from n`,
        accountId,
      );
      // Line l of order i is line id (i - 1) * LINES_PER_ORDER + l.
      run(
        `insert into order_lines (id, order_id, position, line_ref, part_number, product_id, quantity, shipped_quantity, cancelled_quantity, fields)
         select (o.id - 1) * ${LINES_PER_ORDER} + l.position, o.id, l.position, cast(l.position as text),
                printf('%08d', 30000000 + p.id), p.id, 1 + l.position % 3,
                case when o.status = 'shipped' or (o.status = 'partially_shipped' and l.position = 1) then 1 + l.position % 3 else 0 end,
                case when o.status = 'cancelled' then 1 + l.position % 3 else 0 end,
                json_object('promised_date', '2099-01-01T00:00:00', 'description', 'Linen cushion cover, colour ' || l.position)
         from orders o
         cross join (with recursive p(position) as (select 1 union all select position + 1 from p where position < ${LINES_PER_ORDER}) select position from p) l
         join products p on p.id = 1 + (o.id * 7 + l.position * 13) % ${CATALOGUE_PRODUCTS}
         order by o.id, l.position`,
      );
      // Outbox: the acknowledgement of order i is 2i - 1, its shipment or cancellation file 2i.
      run(
        `insert into outbox (id, account_id, flow, order_id, remote_dir, remote_name, size, sha256, marker, status, attempts, created_at, updated_at, sent_at)
         select 2 * o.id - 1, o.account_id, 'OrderAcknowledge', o.id, '/outgoing', printf('Ack_%08d.csv', o.id), 200, printf('%064d', o.id), 1, 'sent', 1, o.created_at, o.created_at, o.created_at
         from orders o`,
      );
      run(
        `insert into outbox (id, account_id, flow, order_id, remote_dir, remote_name, size, sha256, marker, status, attempts, created_at, updated_at, sent_at)
         select 2 * o.id, o.account_id, case o.status when 'cancelled' then 'OrderCancel' else 'OrderShipment' end, o.id, '/outgoing',
                printf('Update_%08d.csv', o.id), 300, printf('%064d', o.id), 1, 'sent', 1, o.created_at, o.created_at, o.created_at
         from orders o where o.status <> 'ready_to_ship'`,
      );
      run(
        `insert into order_updates (id, order_id, kind, carrier, tracking_number, dispatch_date, outbox_id, created_at)
         select o.id, o.id, case o.status when 'cancelled' then 'cancellation' else 'shipment' end, 'DPD', 'TRK' || o.id,
                substr(o.created_at, 1, 10), 2 * o.id, o.created_at
         from orders o where o.status <> 'ready_to_ship'`,
      );
      run(
        `insert into order_update_lines (update_id, line_id, quantity)
         select l.order_id, l.id, l.shipped_quantity + l.cancelled_quantity
         from order_lines l where l.shipped_quantity + l.cancelled_quantity > 0 order by l.id`,
      );
      const slots = RUN_LOG_DAYS * 288;
      run(
        `with recursive k(i) as (select 1 union all select i + 1 from k where i < ${slots}),
              step(name, every) as (select value, 1 from json_each(?) union all select value, 3 from json_each(?))
         insert into runs (step, account_id, started_at, ended_at, outcome, exit_code, counts)
         select step.name, ?, strftime('%Y-%m-%dT%H:%M:%S.000Z', 'now', '-${RUN_LOG_DAYS} days', '+' || (i * 5) || ' minutes'),
                strftime('%Y-%m-%dT%H:%M:%S.000Z', 'now', '-${RUN_LOG_DAYS} days', '+' || (i * 5) || ' minutes', '+2 seconds'),
                'ok', 0, '{}'
         from k join step on i % step.every = 0
         order by i`,
        JSON.stringify(FIVE_MINUTE_STEPS),
        JSON.stringify(QUARTER_HOUR_STEPS),
        accountId,
      );
    })();
  });
}

/** A run of every step that ended just now, so no step is stale (the benchmark's data is kept for days). */
function addFreshRuns(db: string): void {
  withDatabase(db, (sqlite) => {
    sqlite
      .prepare(
        `insert into runs (step, account_id, started_at, ended_at, outcome, exit_code, counts)
         select value, (select id from accounts where name = ?), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 seconds'),
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'ok', 0, '{}'
         from json_each(?)`,
      )
      .run(ACCOUNT, JSON.stringify([...FIVE_MINUTE_STEPS, ...QUARTER_HOUR_STEPS]));
  });
}

/**
 * The large database for this size: built once (a minute or two at full size), then kept, and brought to
 * the current schema untimed, as an upgrade would.
 */
function ensureLargeDatabase(ctx: BenchContext): void {
  if (!existsSync(largeDatabase(ctx))) {
    const building = `${largeDatabase(ctx)}.building`;
    mkdirSync(dirname(building), { recursive: true });
    createAccountOnly(ctx, building);
    seedHistory(building, orderCount(ctx));
    renameSync(building, largeDatabase(ctx));
  }
  runJlEdge(ctx, largeDatabase(ctx), ['db', 'migrate']);
  addFreshRuns(largeDatabase(ctx));
}

/** `jl-edge <args> --db <db>` as a person runs it: human output, printed (to a discarded stdout). */
function jlEdgeCommand(ctx: BenchContext, db: string, args: string[]): TimedProcess {
  return {
    command: process.execPath,
    args: [ctx.bin, ...args, '--db', db],
    cwd: ctx.workDir,
    env: cronEnvironment(ctx.workDir),
  };
}

/** `jl-edge <args> --json` on the large database, untimed. */
function jsonOf(ctx: BenchContext, args: string[]): unknown {
  const run = jlEdgeCommand(ctx, largeDatabase(ctx), [...args, '--json']);
  const result = spawnSync(run.command, run.args, { cwd: run.cwd, env: run.env, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`jl-edge ${args.join(' ')} --json exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The order counts per status the seed makes for `count` orders. */
function expectedOrdersPerStatus(count: number): Record<string, number> {
  const history = count - OPEN_ORDERS;
  const cancelled = Math.floor(history / 50);
  const partially = Math.floor(count / 10) - Math.floor(history / 10);
  const counts = {
    cancelled,
    partially_shipped: partially,
    ready_to_ship: OPEN_ORDERS - partially,
    shipped: history - cancelled,
  };
  // status lists only the statuses some order is in.
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

function largeDatabaseBenchmark(name: string, args: string[], check: (ctx: BenchContext) => void): Benchmark {
  return {
    name,
    targetRatio: 3.0,
    describe: (ctx) =>
      `\`${args.join(' ')}\`, ${orderCount(ctx).toLocaleString('en-GB')} orders / ${(orderCount(ctx) * LINES_PER_ORDER).toLocaleString('en-GB')} lines vs none`,
    async prepare(ctx) {
      ensureLargeDatabase(ctx);
      createAccountOnly(ctx, emptyDatabase(ctx));
    },
    async reference(ctx) {
      return jlEdgeCommand(ctx, emptyDatabase(ctx), args);
    },
    async subject(ctx) {
      return jlEdgeCommand(ctx, largeDatabase(ctx), args);
    },
    async check(ctx) {
      check(ctx);
    },
  };
}

export const largeDatabaseStatusBenchmark = largeDatabaseBenchmark('status-large-db', ['status'], (ctx) => {
  const result = jsonOf(ctx, ['status']) as { accounts: { orders: Record<string, number>; attention: string[] }[] };
  const expected = expectedOrdersPerStatus(orderCount(ctx));
  const [account] = result.accounts;
  if (JSON.stringify(account?.orders) !== JSON.stringify(expected) || account?.attention.length !== 0)
    throw new Error(
      `status reported orders ${JSON.stringify(account?.orders)} and attention ${JSON.stringify(account?.attention)}, expected ${JSON.stringify(expected)} and none`,
    );
});

export const largeDatabaseOrdersListBenchmark = largeDatabaseBenchmark(
  'orders-list-large-db',
  ['orders', 'list', '--status', 'ready_to_ship'],
  (ctx) => {
    const orders = jsonOf(ctx, ['orders', 'list', '--status', 'ready_to_ship']) as { order_number: string }[];
    const expected = expectedOrdersPerStatus(orderCount(ctx)).ready_to_ship ?? 0;
    if (
      orders.length !== expected ||
      !orders.every((order) => order.order_number >= `Y2${String(orderCount(ctx) - OPEN_ORDERS + 1).padStart(8, '0')}`)
    )
      throw new Error(
        `orders list --status ready_to_ship --json listed ${orders.length} orders, expected the ${expected} newest`,
      );
  },
);
