import assert from 'node:assert/strict';
import type { Transport } from '../../src/transport/transport.js';

/**
 * What every transport must show after writing /live/outgoing/a-ack.txt ("first file") with its marker
 * and /live/outgoing/b-ack.txt ("second"): the SFTP server and the local folder answer the same.
 */
export async function assertListsReadsAndSizes(transport: Transport): Promise<void> {
  assert.deepEqual(await transport.list('/live'), [], 'sub-folders are not files');
  const outgoing = await transport.list('/live/outgoing');
  assert.deepEqual(
    outgoing.map((e) => [e.name, e.size]),
    [
      ['a-ack.txt', 10],
      ['a-ack.txt.DONE', 0],
      ['b-ack.txt', 6],
    ],
  );
  assert.ok(outgoing.every((e) => e.modifiedAt > 0));

  assert.equal((await transport.read('/live/outgoing/a-ack.txt')).toString(), 'first file');
  assert.equal(await transport.size('/live/outgoing/b-ack.txt'), 6);
  assert.equal(await transport.size('/live/outgoing/missing.txt'), null);
}
