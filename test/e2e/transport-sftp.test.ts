import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionError, TransferError } from '../../src/core/errors.js';
import { deliverFile } from '../../src/transport/deliver.js';
import { openSftpTransport } from '../../src/transport/sftp.js';
import { joinRemote, type Transport } from '../../src/transport/transport.js';
import { assertListsReadsAndSizes } from '../helpers/transport-contract.js';
import { sftpTestOptions, sshdSkip, startSshd, type SshdServer } from '../helpers/sshd.js';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every message and stack an error could surface through: what the CLI prints, logs or stores. */
function everythingShownFor(err: unknown): string {
  const e = err as Error;
  return [e.message, e.stack ?? '', JSON.stringify(e), String(e)].join('\n');
}

describe('SFTP transport against a real OpenSSH server', { skip: sshdSkip }, () => {
  let server: SshdServer;
  let localDir: string;

  before(async () => {
    server = await startSshd();
    await server.makeTree();
    localDir = await mkdtemp(join(tmpdir(), 'jl-edge-sftp-test-'));
  });

  after(async () => {
    await server?.stop();
    if (localDir) await rm(localDir, { recursive: true, force: true });
  });

  const remoteFile = (remotePath: string): string => join(server.jail, remotePath);

  it('writes, lists, reads, sizes, marks, renames, deletes and checks folders in one session', async () => {
    const transport = await openSftpTransport(sftpTestOptions(server));
    try {
      await transport.write('/live/outgoing/b-ack.txt', Buffer.from('a longer first version'));
      await transport.write('/live/outgoing/b-ack.txt', Buffer.from('second'));
      await transport.write('/live/outgoing/a-ack.txt', Buffer.from('first file'));
      await transport.writeMarker('/live/outgoing/a-ack.txt');
      assert.equal(await readFile(remoteFile('/live/outgoing/a-ack.txt'), 'utf8'), 'first file');
      assert.equal((await stat(remoteFile('/live/outgoing/a-ack.txt.DONE'))).size, 0);

      await assertListsReadsAndSizes(transport);

      await assert.rejects(transport.rename('/live/outgoing/b-ack.txt', '/live/outgoing/a-ack.txt'), TransferError);
      await transport.rename('/live/outgoing/b-ack.txt', '/live/outgoing/a-ack.txt', { overwrite: true });
      assert.equal(await readFile(remoteFile('/live/outgoing/a-ack.txt'), 'utf8'), 'second');
      assert.equal(await transport.size('/live/outgoing/b-ack.txt'), null);
      await transport.rename('/live/outgoing/a-ack.txt', '/live/outgoing/c-ack.txt');

      await transport.delete('/live/outgoing/c-ack.txt');
      await transport.delete('/live/outgoing/c-ack.txt');
      await transport.delete('/live/outgoing/a-ack.txt.DONE');
      assert.deepEqual(await readdir(remoteFile('/live/outgoing')), []);

      assert.equal(await transport.isDir('/live/inventory/errors'), true);
      assert.equal(await transport.isDir('/live/nowhere'), false);
      await transport.write('/live/incoming/plain.txt', Buffer.from('x'));
      assert.equal(await transport.isDir('/live/incoming/plain.txt'), false);
      await transport.delete('/live/incoming/plain.txt');

      await assert.rejects(transport.list('/live/nowhere'), TransferError);
      await assert.rejects(
        transport.read('/live/incoming/missing.txt'),
        /read \/live\/incoming\/missing\.txt: no such file/,
      );
    } finally {
      await transport.end();
    }
  });

  it('creates a file exclusively, leaving a file already there as it is, and reads large files whole', async () => {
    const transport = await openSftpTransport(sftpTestOptions(server));
    try {
      assert.equal(await transport.writeNew('/live/outgoing/new.ack', Buffer.from('fresh')), true);
      assert.equal(await readFile(remoteFile('/live/outgoing/new.ack'), 'utf8'), 'fresh');
      assert.equal(await transport.writeNew('/live/outgoing/new.ack', Buffer.from('other bytes')), false);
      assert.equal(await readFile(remoteFile('/live/outgoing/new.ack'), 'utf8'), 'fresh');
      const large = randomBytes(700 * 1024 + 3);
      assert.equal(await transport.writeNew('/live/outgoing/large.ack', large), true);
      assert.ok((await readFile(remoteFile('/live/outgoing/large.ack'))).equals(large));
      assert.ok(
        (await transport.read('/live/outgoing/large.ack')).equals(large),
        'a file larger than one read request is read whole',
      );
      await assert.rejects(
        transport.writeNew('/live/nowhere/x.ack', Buffer.from('x')),
        /write \/live\/nowhere\/x\.ack: no such file/,
      );
    } finally {
      await transport.end();
      await rm(remoteFile('/live/outgoing/new.ack'), { force: true });
      await rm(remoteFile('/live/outgoing/large.ack'), { force: true });
    }
  });

  it('delivers many files at once on one connection, each complete with its marker, without listener warnings', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    const files = Array.from({ length: 40 }, (_, n) => ({
      path: `/live/outgoing/overlap-${n}.ack`,
      content: randomBytes(200 + n * 997),
    }));
    const transport = await openSftpTransport(sftpTestOptions(server));
    try {
      await Promise.all(files.map((file) => deliverFile(transport, file.path, file.content, { marker: true })));
    } finally {
      await transport.end();
      process.off('warning', onWarning);
    }
    for (const file of files) {
      assert.ok((await readFile(remoteFile(file.path))).equals(file.content), file.path);
      assert.equal((await stat(remoteFile(`${file.path}.DONE`))).size, 0);
      await rm(remoteFile(file.path));
      await rm(remoteFile(`${file.path}.DONE`));
    }
    assert.deepEqual(
      warnings.map((w) => w.message),
      [],
    );
  });

  it('uploads a large local file byte for byte and overwrites a longer older copy', async () => {
    const local = join(localDir, 'inventory.csv');
    const content = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(local, content);
    await writeFile(remoteFile('/live/inventory/inventory.csv'), randomBytes(content.length + 1000));
    const transport = await openSftpTransport(sftpTestOptions(server));
    try {
      await transport.writeFromFile('/live/inventory/inventory.csv', local);
      assert.ok((await readFile(remoteFile('/live/inventory/inventory.csv'))).equals(content));
      await assert.rejects(
        transport.writeFromFile('/live/inventory/other.csv', join(localDir, 'missing.csv')),
        /cannot read local file/,
      );
      assert.equal(
        await transport.size('/live/inventory/other.csv'),
        null,
        'a missing local file creates nothing remotely',
      );
    } finally {
      await transport.end();
      await rm(remoteFile('/live/inventory/inventory.csv'), { force: true });
    }
  });

  it('refuses a server whose host key differs from the pinned one and reports the key it offered', async () => {
    const pinned = 'SHA256:' + 'A'.repeat(43);
    const err = await openSftpTransport(sftpTestOptions(server, { hostKey: pinned })).then(
      () => assert.fail('connected to an unpinned server'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.offeredFingerprint, server.hostKeyFingerprint);
    assert.equal(
      err.message,
      `host key mismatch for 127.0.0.1:${server.port}: pinned SHA256:${'A'.repeat(43)}, but the server holds ssh-ed25519 ${server.hostKeyFingerprint}`,
    );
  });

  it('refuses to connect when no host key is pinned, and says how to pin it', async () => {
    const err = await openSftpTransport(sftpTestOptions(server, { hostKey: null })).then(
      () => assert.fail('connected without a pinned host key'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.offeredFingerprint, server.hostKeyFingerprint);
    assert.match(err.message, /jl-edge accounts test/);
    assert.match(err.message, /JL_EDGE_SFTP_HOST_KEY/);
  });

  it('gives up on a port nobody listens on after the configured number of attempts', async () => {
    const err = await openSftpTransport(sftpTestOptions(server, { port: 1, connectAttempts: 2 })).then(
      () => assert.fail('connected to a closed port'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConnectionError);
    assert.match(err.message, /cannot connect to 127\.0\.0\.1:1 after 2 attempt\(s\): .*ECONNREFUSED/);
  });

  it('refuses to start once the whole-run deadline has passed', async () => {
    await assert.rejects(openSftpTransport(sftpTestOptions(server, { deadline: Date.now() - 1 })), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(err.message, /deadline/);
      return true;
    });
  });

  it('logs in with a password, and the password appears in no error message', async (t) => {
    if (!server.passwordUser) {
      t.skip('no password user could be created on this machine');
      return;
    }
    const { username, password } = server.passwordUser;
    const options = sftpTestOptions(server, { username, password, privateKey: undefined });

    const transport = await openSftpTransport(options);
    const failures: unknown[] = [];
    try {
      await transport.write('/live/incoming/by-password.txt', Buffer.from('ok'));
      assert.equal(await readFile(remoteFile('/live/incoming/by-password.txt'), 'utf8'), 'ok');
      await transport.delete('/live/incoming/by-password.txt');
      failures.push(await transport.read('/live/incoming/missing.txt').catch((e: unknown) => e));
      failures.push(await transport.write('/live/nowhere/x.txt', Buffer.from('x')).catch((e: unknown) => e));
    } finally {
      await transport.end();
    }
    failures.push(await openSftpTransport({ ...options, hostKey: 'SHA256:wrong' }).catch((e: unknown) => e));
    failures.push(await openSftpTransport({ ...options, password: `${password}-wrong` }).catch((e: unknown) => e));
    failures.push(await openSftpTransport({ ...options, port: 1, connectAttempts: 1 }).catch((e: unknown) => e));

    assert.equal(failures.length, 5);
    for (const failure of failures) {
      assert.ok(failure instanceof Error, `expected a failure, got ${String(failure)}`);
      assert.ok(!everythingShownFor(failure).includes(password), `password leaked in: ${(failure as Error).message}`);
    }
    assert.match((failures[3] as Error).message, /authentication failed for jledgetest@/);
  });

  it('fails an operation on a frozen server within its timeout, and end() still returns', async () => {
    const busy = await openSftpTransport(sftpTestOptions(server, { operationTimeoutMs: 2000 }));
    const idle = await openSftpTransport(sftpTestOptions(server, { operationTimeoutMs: 2000 }));
    server.freeze();
    try {
      await assert.rejects(busy.list('/live/outgoing'), (err: unknown) => {
        assert.ok(err instanceof TransferError);
        assert.match(err.message, /^list \/live\/outgoing: /);
        return true;
      });
      await busy.end();
      await idle.end();
      await assert.rejects(busy.list('/live/outgoing'), /connection is closed/);
    } finally {
      server.thaw();
    }
  });

  it('stops an operation at the whole-run deadline', async () => {
    const transport = await openSftpTransport(sftpTestOptions(server, { deadline: Date.now() + 1500 }));
    server.freeze();
    try {
      await assert.rejects(
        transport.size('/live/outgoing/x.txt'),
        /size \/live\/outgoing\/x\.txt: the whole-run deadline was reached/,
      );
      await transport.end();
    } finally {
      server.thaw();
    }
  });

  it('lends its connection under another deadline: one login, and ending the loan leaves the connection open', async () => {
    await writeFile(remoteFile('/live/outgoing/lent.txt'), 'twelve bytes');
    const loginsBefore = server.logins();
    const owner = await openSftpTransport(sftpTestOptions(server, { deadline: Date.now() + 300 }));
    await delay(400);
    await assert.rejects(owner.size('/live/outgoing/lent.txt'), /the whole-run deadline has passed/);

    const first = owner.lend(Date.now() + 30_000);
    assert.equal(await first.size('/live/outgoing/lent.txt'), 12);
    await first.end();
    assert.equal(owner.reusable(), true);
    const second = owner.lend(Date.now() + 30_000);
    assert.deepEqual(await second.read('/live/outgoing/lent.txt'), Buffer.from('twelve bytes'));
    await second.end();
    await owner.end();

    assert.equal(owner.reusable(), false);
    await assert.rejects(owner.lend(Date.now() + 30_000).size('/live/outgoing/lent.txt'), /connection is closed/);
    await delay(200);
    assert.equal(server.logins() - loginsBefore, 1);
    await rm(remoteFile('/live/outgoing/lent.txt'));
  });

  it('a loan stopped at its deadline by a frozen server leaves the connection unfit for another', async () => {
    const owner = await openSftpTransport(sftpTestOptions(server));
    const loan = owner.lend(Date.now() + 1500);
    server.freeze();
    try {
      await assert.rejects(loan.size('/live/outgoing/x.txt'), /the whole-run deadline was reached; connection closed/);
      assert.equal(owner.reusable(), false);
      await loan.end();
      await owner.end();
    } finally {
      server.thaw();
    }
  });

  it('a connection dropped mid-upload fails the write; delivering again completes the same bytes and one marker', async () => {
    const remotePath = '/live/outgoing/shipment-dropped.txt';
    const content = randomBytes(96 * 1024 * 1024);
    const transport = await openSftpTransport(sftpTestOptions(server));
    const upload = transport.write(remotePath, content);
    // Hold the server still once bytes have arrived, so the file is provably partial when it dies.
    let partialSize = 0;
    while (partialSize === 0) {
      await delay(2);
      partialSize = await stat(remoteFile(remotePath)).then(
        (s) => s.size,
        () => 0,
      );
    }
    server.freeze();
    partialSize = (await stat(remoteFile(remotePath))).size;
    server.killSessions();
    server.thaw();

    await assert.rejects(upload, (err: unknown) => {
      assert.ok(err instanceof TransferError);
      assert.match(err.message, new RegExp(`^write ${remotePath}: `));
      return true;
    });
    await transport.end();
    assert.ok(partialSize < content.length, `upload finished before the drop (${partialSize} bytes); use more data`);

    const retry = await openSftpTransport(sftpTestOptions(server));
    try {
      await deliverFile(retry, remotePath, content, { marker: true });
      await deliverFile(retry, remotePath, content, { marker: true });
    } finally {
      await retry.end();
    }
    assert.ok((await readFile(remoteFile(remotePath))).equals(content));
    const names = await readdir(remoteFile('/live/outgoing'));
    assert.deepEqual(names.filter((n) => n.startsWith('shipment-dropped')).sort(), [
      'shipment-dropped.txt',
      'shipment-dropped.txt.DONE',
    ]);
    await rm(remoteFile(remotePath));
    await rm(remoteFile(`${remotePath}.DONE`));
  });

  it('rejects unsafe remote paths and names before touching the server', async () => {
    const transport: Transport = await openSftpTransport(sftpTestOptions(server));
    try {
      await assert.rejects(transport.read('/live/../../etc/passwd'), /unsafe remote path/);
      await assert.rejects(transport.write('live/outgoing/relative.txt', Buffer.from('x')), /unsafe remote path/);
      await assert.rejects(transport.rename('/live/outgoing/a.txt', '/live/outgoing/../../a.txt'), TransferError);
      assert.throws(() => joinRemote('/live/incoming', '../secret'), /unsafe remote file name/);
      assert.throws(() => joinRemote('/live/incoming', 'a/b.txt'), /unsafe remote file name/);
      assert.deepEqual(await transport.list('/live/outgoing'), [], 'the connection is still usable');
    } finally {
      await transport.end();
    }
  });
});
