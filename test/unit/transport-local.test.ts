import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TransferError } from '../../src/core/errors.js';
import { openLocalTransport } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/transport.js';
import { assertListsReadsAndSizes } from '../helpers/transport-contract.js';

describe('local folder transport', () => {
  let root: string;
  let transport: Transport;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'jl-edge-local-'));
    for (const folder of ['live/incoming', 'live/outgoing', 'live/inventory/errors']) {
      await mkdir(join(root, folder), { recursive: true });
    }
    transport = openLocalTransport(root);
  });

  after(async () => {
    await transport.end();
    await rm(root, { recursive: true, force: true });
  });

  it('writes, lists, reads, sizes, marks, renames, deletes and checks folders like the SFTP server', async () => {
    await transport.write('/live/outgoing/b-ack.txt', Buffer.from('second'));
    await transport.write('/live/outgoing/a-ack.txt', Buffer.from('first file'));
    await transport.writeMarker('/live/outgoing/a-ack.txt');
    assert.equal(await readFile(join(root, 'live/outgoing/a-ack.txt'), 'utf8'), 'first file');

    await assertListsReadsAndSizes(transport);

    await assert.rejects(
      transport.rename('/live/outgoing/b-ack.txt', '/live/outgoing/a-ack.txt'),
      /rename \/live\/outgoing\/b-ack\.txt -> \/live\/outgoing\/a-ack\.txt: target already exists/,
    );
    await transport.rename('/live/outgoing/b-ack.txt', '/live/outgoing/a-ack.txt', { overwrite: true });
    assert.equal(await readFile(join(root, 'live/outgoing/a-ack.txt'), 'utf8'), 'second');
    assert.equal(await transport.size('/live/outgoing/b-ack.txt'), null);
    await transport.rename('/live/outgoing/a-ack.txt', '/live/outgoing/c-ack.txt');

    await transport.delete('/live/outgoing/c-ack.txt');
    await transport.delete('/live/outgoing/c-ack.txt');
    await transport.delete('/live/outgoing/a-ack.txt.DONE');
    assert.deepEqual(await readdir(join(root, 'live/outgoing')), []);

    assert.equal(await transport.isDir('/live/inventory/errors'), true);
    assert.equal(await transport.isDir('/live/nowhere'), false);
    await transport.write('/live/incoming/plain.txt', Buffer.from('x'));
    assert.equal(await transport.isDir('/live/incoming/plain.txt'), false);
    await transport.delete('/live/incoming/plain.txt');
  });

  it('reports a missing folder or file as a TransferError naming the remote path, not the local one', async () => {
    await assert.rejects(transport.list('/live/nowhere'), (err: unknown) => {
      assert.ok(err instanceof TransferError);
      assert.equal(err.message, 'list /live/nowhere: no such file or folder (ENOENT)');
      return true;
    });
    await assert.rejects(transport.read('/live/incoming/missing.txt'), TransferError);
    await assert.rejects(transport.write('/live/nowhere/x.txt', Buffer.from('x')), TransferError);
  });

  it('creates a file exclusively: a file already there is left as it is', async () => {
    assert.equal(await transport.writeNew('/live/outgoing/new.ack', Buffer.from('fresh')), true);
    assert.equal(await readFile(join(root, 'live/outgoing/new.ack'), 'utf8'), 'fresh');
    assert.equal(await transport.writeNew('/live/outgoing/new.ack', Buffer.from('other bytes')), false);
    assert.equal(await readFile(join(root, 'live/outgoing/new.ack'), 'utf8'), 'fresh');
    await assert.rejects(transport.writeNew('/live/nowhere/x.txt', Buffer.from('x')), TransferError);
    await rm(join(root, 'live/outgoing/new.ack'));
  });

  it('copies a local file under its final name and overwrites a longer older copy', async () => {
    const source = join(root, 'stock.csv');
    await writeFile(source, 'sku,qty\nA,1\n');
    await writeFile(join(root, 'live/inventory/stock.csv'), 'an older, longer file that must not leave a tail');
    await transport.writeFromFile('/live/inventory/stock.csv', source);
    assert.equal(await readFile(join(root, 'live/inventory/stock.csv'), 'utf8'), 'sku,qty\nA,1\n');
    await assert.rejects(
      transport.writeFromFile('/live/inventory/other.csv', join(root, 'missing.csv')),
      /cannot read local file/,
    );
    await rm(join(root, 'live/inventory/stock.csv'));
  });

  it('keeps every path inside the root', async () => {
    const escapee = `${basename(root)}-escaped.txt`;
    await assert.rejects(transport.write(`/../${escapee}`, Buffer.from('x')), /unsafe remote path/);
    await assert.rejects(transport.read('/live/../../etc/passwd'), /unsafe remote path/);
    await assert.rejects(transport.list('live/incoming'), /unsafe remote path/);
    await assert.rejects(
      transport.rename('/live/incoming/a', '/live/incoming/../../../a', { overwrite: true }),
      TransferError,
    );
    await assert.rejects(transport.delete('/live/incoming/./x'), /unsafe remote path/);
    await assert.rejects(stat(join(root, '..', escapee)), { code: 'ENOENT' });
  });
});
