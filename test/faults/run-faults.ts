/**
 * `npm run test:faults` (SPEC §6, §9; issue 9): for each of the seven flows, the real binary against a real
 * sshd, SIGKILLed at seeded random moments, then a normal run, then the invariants users rely on:
 *
 * - every order file stored exactly once, no order lost;
 * - every recorded update delivered exactly once, under one name, with one empty marker, byte for byte
 *   what the outbox recorded; nothing on the server the outbox does not account for;
 * - no partial file under a final name (every inventory file complete and accounted for);
 * - stock pushed for every changed product;
 * - the product table after killed imports equal to a clean import's.
 *
 * Prints a table (flow, runs, kills, invariant violations) and exits 1 on any violation.
 * FAULT_ROUNDS (default 15: over 300 kills) sets the size, FAULT_SEED (default 1) the random moments,
 * FAULT_FLOWS (comma-separated) picks flows.
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { runCli, tempDir } from '../helpers/cli.js';
import { sshdAvailability } from '../helpers/sshd.js';
import { item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';
import { EdgeWorld, INCOMING, OUTGOING } from '../fixtures/orders/edge-world.js';

const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 15);
const KILLS_PER_ROUND = 3;
const SEED = Number(process.env.FAULT_SEED ?? 1);
const NOW = { JL_EDGE_NOW: '2026-03-02T10:00:00Z' };
/** CSV files the runner feeds the imports. */
const scratch = tempDir('jl-edge-faults-');

/** mulberry32: a small seeded generator, so a failing run can be repeated moment for moment. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Flow {
  name: string;
  /** The step that is killed, then run to the end. */
  step: (world: EdgeWorld) => string[];
  /** New work for one round, made through the real commands. */
  prepare: (world: EdgeWorld, round: number) => Promise<void>;
  /** Invariant violations after the finishing run (empty: all held). */
  check: (world: EdgeWorld) => Promise<string[]>;
}

let orderSequence = 0;
const orderNumberOf = (n: number) => `F${String(100_000_000 + n)}`;
const orderFileNameOf = (n: number) => `order-20260301000000${String(n).padStart(6, '0')}.txt`;
/** Order numbers put on the server by this runner, per world. */
const putOrders = new WeakMap<EdgeWorld, number[]>();

function putNewOrders(world: EdgeWorld, count: number): number[] {
  const numbers: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = ++orderSequence;
    world.putOrder(
      orderFileNameOf(n),
      orderFile({
        order: orderSection(orderNumberOf(n)),
        items: [item('1', '11111111', '2'), item('2', '22222222', '1', { unit_price: '5.00' })],
      }),
    );
    numbers.push(n);
  }
  putOrders.set(world, [...(putOrders.get(world) ?? []), ...numbers]);
  return numbers;
}

async function must(world: EdgeWorld, args: string[]): Promise<void> {
  const run = await world.cli(args, { env: NOW });
  if (run.code !== 0) throw new Error(`${args.join(' ')} exited ${run.code}: ${run.stderr}`);
}

async function acknowledgedOrders(world: EdgeWorld, count: number): Promise<number[]> {
  const numbers = putNewOrders(world, count);
  await must(world, ['download-orders']);
  await must(world, ['ack-orders']);
  return numbers;
}

function shipmentsCsv(numbers: number[]): string {
  const path = scratch.path(`shipments-${numbers[0]}.csv`);
  const rows = numbers.flatMap((n) => [
    `${orderNumberOf(n)},1,2,dpd,T${n},2026-03-02`,
    `${orderNumberOf(n)},2,1,dpd,T${n},2026-03-02`,
  ]);
  writeFileSync(path, `order_number,line_ref,quantity,carrier,tracking_number,dispatch_date\n${rows.join('\n')}\n`);
  return path;
}

/** Every order file put is stored exactly once, with its order. */
function ordersStoredOnce(world: EdgeWorld): string[] {
  const violations: string[] = [];
  const logged = world.rows<{ remote_name: string; n: number }>(
    'select remote_name, count(*) as n from inbound_files group by remote_name',
  );
  const byName = new Map(logged.map((row) => [row.remote_name, row.n]));
  const orders = world.rows<{ order_number: string; n: number }>(
    'select order_number, count(*) as n from orders group by order_number',
  );
  const byNumber = new Map(orders.map((row) => [row.order_number, row.n]));
  for (const n of putOrders.get(world) ?? []) {
    if (byName.get(orderFileNameOf(n)) !== 1)
      violations.push(`${orderFileNameOf(n)} logged ${byName.get(orderFileNameOf(n)) ?? 0} times`);
    if (byNumber.get(orderNumberOf(n)) !== 1)
      violations.push(`order ${orderNumberOf(n)} stored ${byNumber.get(orderNumberOf(n)) ?? 0} times`);
  }
  return violations;
}

/**
 * Every outbox row of the marker flows sent, once, under its one name with its bytes and one empty
 * marker; every recorded update belongs to a sent row; the outgoing folder holds nothing else.
 */
function updatesDeliveredOnce(world: EdgeWorld): string[] {
  const violations: string[] = [];
  const rows = world.rows<{ id: number; remote_name: string; status: string; content: Buffer }>(
    "select id, remote_name, status, content from outbox where flow <> 'StockUpdate'",
  );
  const files = world.files(OUTGOING);
  const expected = new Set<string>();
  for (const row of rows) {
    if (row.status !== 'sent') violations.push(`outbox ${row.id} ${row.remote_name} is ${row.status}`);
    const data = files.get(row.remote_name);
    if (!data || !data.equals(row.content)) violations.push(`${row.remote_name} missing or not byte for byte`);
    const marker = files.get(`${row.remote_name}.DONE`);
    if (!marker || marker.length !== 0) violations.push(`${row.remote_name}.DONE missing or not empty`);
    expected.add(row.remote_name).add(`${row.remote_name}.DONE`);
  }
  for (const name of files.keys()) if (!expected.has(name)) violations.push(`unaccounted file ${name} in ${OUTGOING}`);
  const unsent = world.rows<{ id: number; kind: string }>(
    "select u.id, u.kind from order_updates u left join outbox o on o.id = u.outbox_id where o.status is null or o.status <> 'sent'",
  );
  for (const update of unsent) violations.push(`recorded ${update.kind} ${update.id} not delivered`);
  const acks = world.rows<{ order_id: number; n: number }>(
    "select order_id, count(*) as n from outbox where flow = 'OrderAcknowledge' group by order_id having count(*) <> 1",
  );
  for (const ack of acks) violations.push(`order ${ack.order_id} has ${ack.n} acknowledgements`);
  return violations;
}

/** Every inventory file on the server complete and sent; every listed product's stock pushed as it is now. */
function stockPushedCompletely(world: EdgeWorld): string[] {
  const violations: string[] = [];
  const sent = new Map(
    world
      .rows<{
        remote_name: string;
        size: number;
        row_count: number;
      }>("select remote_name, size, row_count from outbox where flow = 'StockUpdate' and status = 'sent'")
      .map((row) => [row.remote_name, row]),
  );
  for (const [name, data] of world.files('/live/inventory')) {
    const row = sent.get(name);
    if (!row) violations.push(`inventory file ${name} on the server is not a sent push`);
    else if (data.length !== row.size || data.toString().split('\n').length !== row.row_count + 2)
      violations.push(`inventory file ${name} is partial (${data.length} of ${row.size} bytes)`);
  }
  const stale = world.rows<{ sku: string }>(
    'select sku from products where channel_item_id is not null and (pushed_stock is null or pushed_stock <> max(stock, 0))',
  );
  if (stale.length > 0) violations.push(`${stale.length} changed products not pushed, e.g. ${stale[0]!.sku}`);
  return violations;
}

const PRODUCT_COLUMNS = 'sku, channel_item_id, ean, lead_time_days, stock, title';

function productsCsv(round: number, random: () => number): string {
  const path = scratch.path(`products-${round}.csv`);
  const lines = ['sku,channel_item_id,ean,lead_time_days,stock,title'];
  for (let n = 0; n < 20_000; n++) {
    lines.push(`P-${n},${30_000_000 + n},,${n % 7},${Math.floor(random() * 50) - 5},"Product ${n}, round ${round}"`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function productTable(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify(
      db.prepare(`select ${PRODUCT_COLUMNS} from products where sku like 'P-%' order by sku`).all(),
    );
  } finally {
    db.close();
  }
}

function buildFlows(random: () => number): Flow[] {
  let productFile = '';
  return [
    {
      name: 'download',
      step: () => ['download-orders'],
      prepare: async (world) => {
        putNewOrders(world, 12);
      },
      check: async (world) => ordersStoredOnce(world),
    },
    {
      name: 'ack',
      step: () => ['ack-orders'],
      prepare: async (world) => {
        putNewOrders(world, 10);
        await must(world, ['download-orders']);
      },
      check: async (world) => [
        ...ordersStoredOnce(world),
        ...updatesDeliveredOnce(world),
        ...world
          .rows<{ order_number: string }>("select order_number from orders where status = 'awaiting_ack'")
          .map((order) => `order ${order.order_number} never acknowledged`),
      ],
    },
    {
      name: 'push-stock',
      step: () => ['push-stock'],
      prepare: async (world, round) => {
        productFile = productsCsv(round, random);
        await must(world, ['import-products', productFile]);
      },
      check: async (world) => stockPushedCompletely(world),
    },
    {
      name: 'send-shipments',
      step: () => ['send-shipments'],
      prepare: async (world) => {
        const numbers = await acknowledgedOrders(world, 6);
        await must(world, ['import-shipments', shipmentsCsv(numbers)]);
      },
      check: async (world) => updatesDeliveredOnce(world),
    },
    {
      name: 'send-cancels',
      step: () => ['send-cancels'],
      prepare: async (world) => {
        for (const n of await acknowledgedOrders(world, 3))
          await must(world, ['orders', 'cancel', orderNumberOf(n), '--reason', 'out of stock']);
      },
      check: async (world) => updatesDeliveredOnce(world),
    },
    {
      name: 'send-refunds',
      step: () => ['send-refunds'],
      prepare: async (world) => {
        const numbers = await acknowledgedOrders(world, 3);
        await must(world, ['import-shipments', shipmentsCsv(numbers)]);
        await must(world, ['send-shipments']);
        for (const n of numbers)
          await must(world, ['orders', 'refund', orderNumberOf(n), '--reason', 'damaged', '--line', '2:1']);
      },
      check: async (world) => updatesDeliveredOnce(world),
    },
    {
      name: 'import-products',
      step: () => ['import-products', productFile],
      prepare: async (world, round) => {
        productFile = productsCsv(round, random);
      },
      check: async (world) => {
        const clean = tempDir('jl-edge-faults-clean-');
        try {
          const run = await runCli(['import-products', productFile, '--db', clean.path('clean.sqlite')], {
            cwd: clean.dir,
            // The import needs an account; a local-folder one from the environment is enough.
            env: { ...NOW, JL_EDGE_ACCOUNT: 'acme', JL_EDGE_LOCAL_ROOT: clean.dir },
          });
          if (run.code !== 0) return [`the clean import failed: ${run.stderr}`];
          return productTable(world.db) === productTable(clean.path('clean.sqlite'))
            ? []
            : ['the product table differs from a clean import of the same file'];
        } finally {
          clean.remove();
        }
      },
    },
  ];
}

interface Figures {
  flow: string;
  runs: number;
  kills: number;
  violations: string[];
}

async function runFlow(world: EdgeWorld, flow: Flow, random: () => number): Promise<Figures> {
  const figures: Figures = { flow: flow.name, runs: 0, kills: 0, violations: [] };
  await world.reset();
  putOrders.set(world, []);
  world.addProducts([
    { sku: 'SKU-1', channelItemId: '11111111' },
    { sku: 'SKU-2', channelItemId: '22222222' },
  ]);
  world.mkdirRemote(INCOMING);
  /** How long a whole run of the step took last: kills land anywhere from its start to its end. */
  let lastRunMs = 1500;
  for (let round = 1; round <= ROUNDS; round++) {
    await flow.prepare(world, round);
    // A run that finishes before its moment is not a kill: try again, within bounds.
    for (let kills = 0, tries = 0; kills < KILLS_PER_ROUND && tries < 2 * KILLS_PER_ROUND; tries++) {
      const killAfterMs = Math.floor(random() * lastRunMs) + 1;
      const run = await world.cli(flow.step(world), { env: NOW, killAfterMs });
      figures.runs++;
      if (run.code === -1) {
        kills++;
        figures.kills++;
      } else if (run.code !== 0)
        figures.violations.push(`round ${round}: a run exited ${run.code}: ${run.stderr.trim()}`);
    }
    const started = Date.now();
    const finish = await world.cli(flow.step(world), { env: NOW, killAfterMs: 300_000 });
    // The longest whole run seen: a finishing run after kills may have little left to do.
    lastRunMs = Math.max(lastRunMs, Date.now() - started);
    figures.runs++;
    if (finish.code !== 0)
      figures.violations.push(`round ${round}: the finishing run exited ${finish.code}: ${finish.stderr.trim()}`);
    for (const violation of await flow.check(world)) figures.violations.push(`round ${round}: ${violation}`);
  }
  return figures;
}

async function main(): Promise<void> {
  const { available, reason } = sshdAvailability();
  if (!available) {
    process.stderr.write(`*** test:faults needs a real sshd: ${reason} ***\n`);
    process.exit(1);
  }
  const random = seeded(SEED);
  const only = process.env.FAULT_FLOWS?.split(',');
  const flows = buildFlows(random).filter((flow) => !only || only.includes(flow.name));
  const world = await EdgeWorld.start();
  const results: Figures[] = [];
  try {
    for (const flow of flows) {
      const figures = await runFlow(world, flow, random);
      results.push(figures);
      process.stdout.write(
        `${flow.name}: ${figures.runs} runs, ${figures.kills} kills, ${figures.violations.length} violations\n`,
      );
    }
  } finally {
    await world.stop();
    scratch.remove();
  }
  const total = results.reduce(
    (sum, r) => ({
      runs: sum.runs + r.runs,
      kills: sum.kills + r.kills,
      violations: sum.violations + r.violations.length,
    }),
    { runs: 0, kills: 0, violations: 0 },
  );
  const table = [
    ['flow', 'runs', 'kills', 'invariant violations'],
    ...results.map((r) => [r.flow, String(r.runs), String(r.kills), String(r.violations.length)]),
    ['total', String(total.runs), String(total.kills), String(total.violations)],
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  process.stdout.write(`\nseed ${SEED}, ${ROUNDS} rounds of ${KILLS_PER_ROUND} kill attempts per flow\n`);
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  for (const r of results)
    for (const violation of r.violations) process.stdout.write(`VIOLATION ${r.flow}: ${violation}\n`);
  process.exitCode = total.violations > 0 ? 1 : 0;
}

await main();
