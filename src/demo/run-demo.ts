/**
 * `npm run demo`: the whole John Lewis cycle on a local sandbox, through the real binary, with no
 * server and no credentials. Everything lives under ./demo/ and is rebuilt on every run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileNameToken, londonDate } from '../formats/file-name-token.js';

const demoDir = resolve('demo');
const edgeRoot = join(demoDir, 'edge');
const warehouseOrders = join(demoDir, 'warehouse/orders');
const warehouseInbox = join(demoDir, 'warehouse/inbox');
const bin = resolve(import.meta.dirname, '../../bin/jl-edge');
// The demo's own demo/.env names its database; a developer's JL_EDGE_* variables must not leak in.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JL_EDGE_')));

function step(title: string, args: string[], expectedCode = 0): void {
  const shown = args.map((arg) => (/[\s"']/.test(arg) ? `"${arg}"` : arg)).join(' ');
  process.stdout.write(`\n# ${title}\n$ jl-edge ${shown}\n`);
  const run = spawnSync(bin, args, { cwd: demoDir, env, stdio: 'inherit' });
  if (run.status !== expectedCode) {
    process.stderr.write(`demo: "jl-edge ${args.join(' ')}" exited ${run.status}, expected ${expectedCode}\n`);
    process.exit(1);
  }
}

/** A calendar date `days` from today, as The Edge writes promised dates. */
function promisedIn(days: number): string {
  return `${londonDate(new Date(Date.now() + days * 86_400_000))}T00:00:00`;
}

function orderFile(orderNumber: string, lines: [lineRef: string, partNumber: string, quantity: number, unitPrice: string][], promisedDate: string, countOverride?: number): string {
  const rows = [
    'order_number,supplier_ref,test_flag,order_date,shipping_full_name,shipping_address_1,shipping_city,shipping_postcode,shipping_country,currency_code',
    `${orderNumber},,N,2026-03-01T10:14:52,Tom Brown,12 Orchard Road,Leeds,LS1 4AB,GB,GBP`,
    'line_ref,part_number,quantity,description,unit_price,promised_date',
    ...lines.map(([ref, part, qty, price]) => `${ref},${part},${qty},"Demo item, ${part}",${price},${promisedDate}`),
  ];
  return `${[...rows, String(countOverride ?? rows.length)].join('\n')}\n`;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [`${relative(demoDir, path).padEnd(64)} ${statSync(path).size} bytes`];
    });
}

rmSync(demoDir, { recursive: true, force: true });
for (const folder of ['live/incoming', 'live/outgoing', 'live/inventory/errors']) mkdirSync(join(edgeRoot, folder), { recursive: true });
for (const folder of [warehouseOrders, warehouseInbox]) mkdirSync(folder, { recursive: true });
writeFileSync(join(demoDir, '.env'), 'JL_EDGE_DB=./jl-edge.sqlite\n');

writeFileSync(
  join(demoDir, 'products.csv'),
  [
    'sku,channel_item_id,ean,lead_time_days,stock,title,stock_buffer',
    // Two cushions are held back for the shop counter: John Lewis is offered 8.
    'CUSH-RED,12345678,5012345678900,,10,Linen cushion cover red,2',
    'TABLE-OAK,87654321,,5,-2,Oak side table,',
    'LAMP-BRASS,11223344,5012345678917,,4,Brass desk lamp,',
    'RUG-WOOL,,,,7,Wool rug (not listed on John Lewis yet),',
    '',
  ].join('\n'),
);

const orders: [string, string][] = [
  ['Y100000001', orderFile('Y100000001', [['1', '12345678', 2, '14.00'], ['2', '87654321', 1, '89.00']], promisedIn(2))],
  ['Y100000002', orderFile('Y100000002', [['1', '11223344', 1, '35.00']], promisedIn(2))],
  // Broken on purpose: the count line says 9 where the file has 4 lines before it.
  ['Y100000003', orderFile('Y100000003', [['1', '12345678', 1, '14.00']], promisedIn(2), 9)],
  // Promised for dispatch yesterday and never shipped: late.
  ['Y100000004', orderFile('Y100000004', [['1', '11223344', 1, '35.00']], promisedIn(-1))],
];
let token: string | undefined;
for (const [, content] of orders) {
  token = fileNameToken(new Date(), token);
  const name = `order-${token}.txt`;
  writeFileSync(join(edgeRoot, 'live/incoming', name), content);
  writeFileSync(join(edgeRoot, 'live/incoming', `${name}.DONE`), '');
}

step('A sandbox account on a local folder laid out like The Edge', ['accounts', 'add', 'sandbox', '--local-root', edgeRoot, '--lead-time', '3', '--quiet']);
step('Import the product list John Lewis sent', ['import-products', 'products.csv']);
step('Download orders (one file is broken: it is stored as incomplete, exit 1)', ['download-orders'], 1);
step('Acknowledge the new orders', ['ack-orders']);
step('Push stock and lead times (the cushion goes out as 8: 2 are held back)', ['push-stock']);
step('Why the cushion is sent as 8', ['products', 'show', 'CUSH-RED']);
step('A warehouse: a folder it reads orders from, and an inbox it drops files into', ['destinations', 'add', 'warehouse', '--dir', warehouseOrders, '--inbox', warehouseInbox]);
step('Export the acknowledged orders to the warehouse', ['export-orders']);
process.stdout.write(`\n# ${relative(demoDir, warehouseOrders)}/${readdirSync(warehouseOrders)[0]}\n${readFileSync(join(warehouseOrders, readdirSync(warehouseOrders)[0]!), 'utf8')}`);

// The warehouse picks and packs Y100000001 and drops its shipment file, then the marker that says it is complete.
const shipmentFile = join(warehouseInbox, 'dispatched-1.csv');
writeFileSync(
  shipmentFile,
  'order_number,line_ref,quantity,carrier,tracking_number,tracking_url\n' +
    'Y100000001,1,2,dpd,15501234567890,https://track.dpd.co.uk/parcels/15501234567890\n' +
    'Y100000001,2,1,dpd,15501234567890,https://track.dpd.co.uk/parcels/15501234567890\n',
);
writeFileSync(`${shipmentFile}.DONE`, '');
process.stdout.write(`\n# The warehouse drops ${relative(demoDir, shipmentFile)} (and its .DONE marker)\n`);
step('Collect it from the inbox', ['import-shipments', '--from', 'warehouse']);
step('Send it on to John Lewis', ['send-shipments']);
step('Cancel order Y100000002 before shipping', ['orders', 'cancel', 'Y100000002', '--reason', 'Out of stock']);
step('Send the cancellation to John Lewis', ['send-cancels']);
step('Tell the warehouse not to ship it', ['export-orders']);
step('Refund one cushion of order Y100000001 after dispatch', ['orders', 'refund', 'Y100000001', '--reason', 'Damaged in transit', '--line', '1:1']);
step('Send the refund', ['send-refunds']);
step('Where things stand (exit 1: the broken order and the late one need a person)', ['status'], 1);

process.stdout.write(`\n# Files in the sandbox (${relative(process.cwd(), edgeRoot)})\n${listFiles(edgeRoot).join('\n')}\n`);
process.stdout.write(`\n# Files in the demo warehouse\n${listFiles(join(demoDir, 'warehouse')).join('\n')}\n`);
process.stdout.write(`\nDemo complete. Try: cd demo && ../bin/jl-edge orders show Y100000001\n`);
