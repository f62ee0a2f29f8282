/**
 * The whole cron cycle a seller runs — download, ack, push-stock, ship + send-shipments, status —
 * through the built binary against one account, so it can be run against every kind of server and
 * compared file for file with the same cycle on a local folder (the clock is stopped, so file names
 * and contents are the same wherever the cycle runs).
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { item, orderFile, orderSection } from '../fixtures/orders/edge-order.js';
import { runCli, tempDir, type CliRun } from './cli.js';

export const CYCLE_ACCOUNT = 'edge';
const ORDER_NUMBER = 'Y100012345';
const ORDER_FILE = 'order-20260301101500000001.txt';
const NOW = { JL_EDGE_NOW: '2026-03-01T10:15:00Z' };
const PRODUCTS = 'sku,channel_item_id,stock\nSKU-1,10000001,5\nSKU-2,10000002,0\n';

export interface CycleTarget {
  /** `accounts add` options after the name: transport, login, host key … */
  accountArgs: string[];
  /** Variables the account refers to (a password, a passphrase). */
  env?: Record<string, string>;
  /** This machine's path of the account's remote root (`/live` on the server). */
  localRoot: string;
}

export interface FileOnServer {
  content: Buffer;
  /** Permission bits. */
  mode: number;
}

export interface CycleOutcome {
  /** Every file under the root after the cycle, by path relative to it. */
  files: Map<string, FileOnServer>;
}

/** Runs the cycle in a fresh database; every step must exit 0 and print nothing on stderr. */
export async function runCronCycle(target: CycleTarget): Promise<CycleOutcome> {
  const temp = tempDir('jl-edge-cycle-');
  try {
    const db = temp.path('db.sqlite');
    const cli = async (args: string[], input?: string): Promise<CliRun> => {
      const run = await runCli([...args, '--db', db, '--quiet'], {
        cwd: temp.dir,
        env: { ...NOW, ...target.env },
        input,
      });
      assert.equal(run.code, 0, `jl-edge ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
      assert.equal(run.stderr, '', `jl-edge ${args.join(' ')} wrote to stderr`);
      return run;
    };
    await cli(['accounts', 'add', CYCLE_ACCOUNT, ...target.accountArgs, '--lead-time', '3']);
    await cli(['import-products', '-'], PRODUCTS);
    const incoming = join(target.localRoot, 'incoming');
    mkdirSync(incoming, { recursive: true });
    const order = orderFile({
      order: orderSection(ORDER_NUMBER),
      items: [item('1', '10000001', '2'), item('2', '10000002', '1')],
    });
    writeFileSync(join(incoming, ORDER_FILE), order);
    writeFileSync(join(incoming, `${ORDER_FILE}.DONE`), '');
    await cli(['download-orders']);
    await cli(['ack-orders']);
    await cli(['push-stock']);
    await cli(['orders', 'ship', ORDER_NUMBER, '--carrier', 'dpd', '--tracking', 'TRACK-1']);
    await cli(['send-shipments']);
    await cli(['status']);
    return { files: new Map([...filesUnder(target.localRoot)].sort(([a], [b]) => (a < b ? -1 : 1))) };
  } finally {
    temp.remove();
  }
}

/** The same cycle on a local folder: what every server must end up holding, byte for byte. */
export async function expectedCycleFiles(): Promise<Map<string, FileOnServer>> {
  const temp = tempDir('jl-edge-cycle-local-');
  try {
    for (const folder of ['incoming', 'outgoing', 'inventory/errors']) {
      mkdirSync(join(temp.dir, 'live', folder), { recursive: true });
    }
    const outcome = await runCronCycle({
      accountArgs: ['--local-root', temp.dir],
      localRoot: join(temp.dir, 'live'),
    });
    const names = [...outcome.files.keys()];
    // A cycle that wrote nothing would match any server that also wrote nothing.
    for (const expected of [
      /^outgoing\/order-\d{20}\.ack$/,
      /^outgoing\/tracking-\d{20}\.txt\.DONE$/,
      /^inventory\//,
    ]) {
      assert.ok(
        names.some((n) => expected.test(n)),
        `the local cycle wrote no ${expected}: ${names.join(', ')}`,
      );
    }
    return outcome.files;
  } finally {
    temp.remove();
  }
}

/** Asserts the server holds exactly the expected files, same bytes, each file we created mode 0644. */
export function assertSameFiles(actual: Map<string, FileOnServer>, expected: Map<string, FileOnServer>): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()]);
  for (const [name, file] of actual) {
    assert.ok(file.content.equals(expected.get(name)!.content), `${name} differs from the local cycle's`);
    if (!name.startsWith('incoming/')) {
      assert.equal(file.mode.toString(8), '644', `${name} was created mode ${file.mode.toString(8)}`);
    }
  }
}

function filesUnder(root: string, prefix = ''): Map<string, FileOnServer> {
  const files = new Map<string, FileOnServer>();
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      for (const [name, file] of filesUnder(root, relative)) files.set(name, file);
    } else {
      const path = join(root, relative);
      files.set(relative, { content: readFileSync(path), mode: lstatSync(path).mode & 0o777 });
    }
  }
  return files;
}
