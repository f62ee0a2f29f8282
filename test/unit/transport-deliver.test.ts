import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TransferError } from '../../src/core/errors.js';
import { deliverFile } from '../../src/transport/deliver.js';
import { openLocalTransport } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/transport.js';

const REMOTE = '/live/outgoing/ack-0001.txt';
const CONTENT = Buffer.from('order acknowledgement, complete\n');

/** Records every call made through the transport, in order. */
function recording(inner: Transport, overrides: Partial<Transport> = {}): { transport: Transport; calls: string[] } {
  const calls: string[] = [];
  const transport = new Proxy(inner, {
    get(target, property: keyof Transport) {
      const method = overrides[property] ?? target[property];
      return (...args: unknown[]) => {
        calls.push(`${property} ${String(args[0])}`);
        return (method as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { transport, calls };
}

describe('outbox delivery (deliverFile)', () => {
  let root: string;
  let local: Transport;
  const remoteFile = (remotePath: string): string => join(root, remotePath);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'jl-edge-deliver-'));
    await mkdir(join(root, 'live/outgoing'), { recursive: true });
    local = openLocalTransport(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('uploads a first delivery exclusively without asking first whether it is there, then its marker', async () => {
    const { transport, calls } = recording(local);
    await deliverFile(transport, REMOTE, CONTENT, { marker: true });
    assert.ok((await readFile(remoteFile(REMOTE))).equals(CONTENT));
    assert.equal((await stat(remoteFile(`${REMOTE}.DONE`))).size, 0);
    assert.deepEqual(calls, [`writeNew ${REMOTE}`, `writeMarker ${REMOTE}`]);
  });

  it('writes no marker when asked not to', async () => {
    await deliverFile(local, REMOTE, CONTENT, { marker: false });
    assert.deepEqual(await readdir(remoteFile('/live/outgoing')), ['ack-0001.txt']);
  });

  it('does not upload again a file that a previous run completed, nor add a second marker', async () => {
    await deliverFile(local, REMOTE, CONTENT, { marker: true });
    const before = await stat(remoteFile(REMOTE));
    const { transport, calls } = recording(local);
    await deliverFile(transport, REMOTE, CONTENT, { marker: true });
    // The exclusive create is refused and changes nothing; the sizes show both files are complete.
    assert.deepEqual(calls, [`writeNew ${REMOTE}`, `size ${REMOTE}`, `size ${REMOTE}.DONE`]);
    assert.equal((await stat(remoteFile(REMOTE))).mtimeMs, before.mtimeMs);
    assert.ok((await readFile(remoteFile(REMOTE))).equals(CONTENT));
    assert.deepEqual((await readdir(remoteFile('/live/outgoing'))).sort(), ['ack-0001.txt', 'ack-0001.txt.DONE']);
  });

  it('adds the marker a crashed run did not get to write', async () => {
    await writeFile(remoteFile(REMOTE), CONTENT);
    const { transport, calls } = recording(local);
    await deliverFile(transport, REMOTE, CONTENT, { marker: true });
    assert.deepEqual(calls, [`writeNew ${REMOTE}`, `size ${REMOTE}`, `size ${REMOTE}.DONE`, `writeMarker ${REMOTE}`]);
  });

  it('replaces a partial file left by a killed upload with the same bytes', async () => {
    await writeFile(remoteFile(REMOTE), CONTENT.subarray(0, 7));
    await deliverFile(local, REMOTE, CONTENT, { marker: true });
    assert.ok((await readFile(remoteFile(REMOTE))).equals(CONTENT));
    assert.equal((await stat(remoteFile(`${REMOTE}.DONE`))).size, 0);
  });

  it('deletes and recreates a partial file on a server that refuses to overwrite', async () => {
    await writeFile(remoteFile(REMOTE), CONTENT.subarray(0, 7));
    const refusesOverwrite: Partial<Transport> = {
      async write(path, data) {
        if ((await local.size(path)) !== null) throw new TransferError(`write ${path}: permission denied`);
        await local.write(path, data);
      },
    };
    const { transport, calls } = recording(local, refusesOverwrite);
    await deliverFile(transport, REMOTE, CONTENT, { marker: true });
    assert.ok((await readFile(remoteFile(REMOTE))).equals(CONTENT));
    assert.deepEqual(
      calls.filter((c) => !c.startsWith('size')),
      [`writeNew ${REMOTE}`, `write ${REMOTE}`, `delete ${REMOTE}`, `write ${REMOTE}`, `writeMarker ${REMOTE}`],
    );
  });

  /** Delivery through a transport whose `operation` uploads short fails, and never writes the marker. */
  const failsWithoutMarker = async (operation: 'write' | 'writeNew'): Promise<void> => {
    const shortUpload = async (path: string): Promise<never> => {
      throw new TransferError(`write ${path}: remote size after upload is 3 bytes, expected 32`);
    };
    const { transport, calls } = recording(local, { [operation]: shortUpload });
    await assert.rejects(deliverFile(transport, REMOTE, CONTENT, { marker: true }), /remote size after upload/);
    assert.ok(!calls.some((c) => c.startsWith('writeMarker')));
  };

  it('never writes the marker when the data file could not be written and verified', async () => {
    await failsWithoutMarker('writeNew');
    assert.deepEqual(await readdir(remoteFile('/live/outgoing')), []);
  });

  it('never writes the marker when replacing a partial file fails', async () => {
    await writeFile(remoteFile(REMOTE), CONTENT.subarray(0, 7));
    await failsWithoutMarker('write');
    assert.ok(!(await readdir(remoteFile('/live/outgoing'))).includes('ack-0001.txt.DONE'));
  });
});
