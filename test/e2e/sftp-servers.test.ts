/**
 * SFTP servers as a seller meets them (issue 18): OpenSSH allowing keyboard-interactive only, holding
 * several host keys, offering only legacy algorithms, refusing optional requests (FSTAT, deletes), a
 * server that is not chrooted — each runs the whole cron cycle through the binary and must end up with
 * the very files the same cycle writes to a local folder.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, withTempDir } from '../helpers/cli.js';
import {
  assertSameFiles,
  expectedCycleFiles,
  runCronCycle,
  type CycleTarget,
  type FileOnServer,
} from '../helpers/cron-cycle.js';
import { proftpdSkip, startProftpd, type ProftpdServer } from '../helpers/proftpd.js';
import { generateKey, keyLoginOptions, sshdSkip, useSshd, type SshdServer } from '../helpers/sshd.js';

let expected: Map<string, FileOnServer>;
before(async () => {
  expected = await expectedCycleFiles();
});

/** The whole cron cycle against `target` leaves the very files it leaves in a local folder. */
async function cycleLikeLocalFolder(target: CycleTarget): Promise<void> {
  const outcome = await runCronCycle(target);
  assertSameFiles(outcome.files, expected);
}

function sftpArgs(server: SshdServer, login: 'key' | 'password', hostKey = server.hostKeyFingerprint): string[] {
  if (login === 'key') return keyLoginOptions(server, hostKey);
  const user = server.passwordUser;
  assert.ok(user, 'the harness could not create its password user (it needs root)');
  const { host, port } = server;
  return [
    '--host',
    host,
    '--port',
    String(port),
    '--username',
    user.username,
    '--password-env',
    'SFTP_PASSWORD',
    '--host-key',
    hostKey,
  ];
}

describe('an OpenSSH server allowing keyboard-interactive login only', { skip: sshdSkip }, () => {
  const server = useSshd('/live', { variant: { keyboardInteractiveOnly: true } });

  it('runs the whole cron cycle, answering every prompt with the password', () =>
    cycleLikeLocalFolder({
      accountArgs: sftpArgs(server(), 'password'),
      env: { SFTP_PASSWORD: server().passwordUser!.password },
      localRoot: join(server().jail, 'live'),
    }));

  it('a wrong password names the methods the server offers and the ones tried: exit 3', async () => {
    await withTempDir(async (temp) => {
      const env = { SFTP_PASSWORD: 'not-the-password' };
      const db = temp.path('db.sqlite');
      await runCli(['accounts', 'add', 'kbd', ...sftpArgs(server(), 'password'), '--db', db], { env });
      const run = await runCli(['download-orders', '--db', db], { env });
      assert.equal(run.code, 3, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `authentication failed for jledgetest@127\\.0\\.0\\.1:${server().port}: tried keyboard-interactive; ` +
            'the server offers publickey,? ?keyboard-interactive|authentication failed .*tried keyboard-interactive',
        ),
      );
      assert.ok(!run.stderr.includes('not-the-password'));
    });
  });
});

describe('an OpenSSH server holding an ECDSA and an RSA host key', { skip: sshdSkip }, () => {
  const server = useSshd('/live', { variant: { hostKeyTypes: ['ecdsa', 'rsa'] } });
  const rsa = () => server().hostKeys.find((k) => k.keyType === 'ssh-rsa')!;

  it('runs the whole cron cycle for a seller who pinned only the RSA fingerprint', () =>
    cycleLikeLocalFolder({
      accountArgs: sftpArgs(server(), 'key', rsa().fingerprint),
      localRoot: join(server().jail, 'live'),
    }));

  it('accounts test lists every key the server holds, marking the pinned one', async () => {
    await withTempDir(async (temp, db) => {
      await runCli([
        'accounts',
        'add',
        'two',
        ...sftpArgs(server(), 'key', `ssh-rsa ${rsa().fingerprint}`),
        '--db',
        db,
      ]);
      const run = await runCli(['accounts', 'test', 'two', '--db', db, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const result = run.json<{ host_key: string; server_host_keys: unknown[] }>();
      assert.equal(result.host_key, `ssh-rsa ${rsa().fingerprint}`);
      assert.deepEqual(result.server_host_keys, [
        { type: 'ecdsa-sha2-nistp256', fingerprint: server().hostKeys[0].fingerprint, pinned: false },
        { type: 'ssh-rsa', fingerprint: rsa().fingerprint, pinned: true },
      ]);
      const human = await runCli(['accounts', 'test', 'two', '--db', db]);
      assert.match(human.stdout, new RegExp(`ssh-rsa +${rsa().fingerprint.replace(/[+/]/g, '\\$&')}  \\(pinned\\)`));
    });
  });

  it('a pin matching neither key is refused naming both: exit 3', async () => {
    await withTempDir(async (temp, db) => {
      const wrong = `SHA256:${'B'.repeat(43)}`;
      await runCli(['accounts', 'add', 'wrong', ...sftpArgs(server(), 'key', wrong), '--db', db]);
      const run = await runCli(['download-orders', '--db', db]);
      assert.equal(run.code, 3);
      const [ecdsa, rsaKey] = server().hostKeys;
      assert.ok(
        run.stderr.includes(
          `host key mismatch for 127.0.0.1:${server().port}: pinned ${wrong}, but the server holds ` +
            `${ecdsa.keyType} ${ecdsa.fingerprint}, ${rsaKey.keyType} ${rsaKey.fingerprint}`,
        ),
        run.stderr,
      );
    });
  });
});

describe('an OpenSSH server offering only legacy algorithms', { skip: sshdSkip }, () => {
  const server = useSshd('/live', { variant: { legacyAlgorithmsOnly: true } });

  it('accounts test names the algorithm the server needs, one handshake step at a time', async () => {
    await withTempDir(async (temp, db) => {
      await runCli(['accounts', 'add', 'old', ...sftpArgs(server(), 'key'), '--db', db]);
      const first = await runCli(['accounts', 'test', 'old', '--db', db]);
      assert.equal(first.code, 3);
      assert.match(
        first.stderr,
        /no matching key exchange algorithm: the server offers only older key exchange algorithms \(diffie-hellman-group14-sha1\); allow diffie-hellman-group14-sha1 with --legacy-algorithms diffie-hellman-group14-sha1/,
      );
      await runCli(['accounts', 'set', 'old', '--legacy-algorithms', 'diffie-hellman-group14-sha1', '--db', db]);
      const second = await runCli(['accounts', 'test', 'old', '--db', db]);
      assert.equal(second.code, 3);
      assert.match(
        second.stderr,
        /no matching C->S cipher: the server offers only older cipher algorithms \(aes128-cbc, aes256-cbc\); allow aes128-cbc with --legacy-algorithms aes128-cbc/,
      );
    });
  });

  it('runs the whole cron cycle once the account allows them', () =>
    cycleLikeLocalFolder({
      accountArgs: [...sftpArgs(server(), 'key'), '--legacy-algorithms', 'diffie-hellman-group14-sha1,aes128-cbc'],
      localRoot: join(server().jail, 'live'),
    }));

  it('an unknown algorithm name is a usage error listing the known ones: exit 2', async () => {
    await withTempDir(async (temp, db) => {
      const run = await runCli([
        'accounts',
        'add',
        'x',
        ...sftpArgs(server(), 'key'),
        '--legacy-algorithms',
        'rot13',
        '--db',
        db,
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        /--legacy-algorithms: unknown legacy algorithm "rot13" \(one of: diffie-hellman-group14-sha1, /,
      );
    });
  });
});

describe('an OpenSSH server that refuses FSTAT', { skip: sshdSkip }, () => {
  const server = useSshd('/live', { variant: { deniedRequests: ['fstat'] } });

  it('runs the whole cron cycle: sizes are checked by path', () =>
    cycleLikeLocalFolder({
      accountArgs: sftpArgs(server(), 'key'),
      localRoot: join(server().jail, 'live'),
    }));
});

describe('an OpenSSH server that refuses deletes', { skip: sshdSkip }, () => {
  const server = useSshd('/live', { variant: { deniedRequests: ['remove'] } });

  it('accounts test leaves no probe where The Edge reads and does not call the folders unable to receive', async () => {
    await withTempDir(async (temp, db) => {
      await runCli(['accounts', 'add', 'nodelete', ...sftpArgs(server(), 'key'), '--db', db]);
      const run = await runCli(['accounts', 'test', 'nodelete', '--db', db, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const result = run.json<{ ok: boolean; folders: { path: string; write: string; note: string | null }[] }>();
      assert.equal(result.ok, true);
      assert.deepEqual(
        result.folders.map((f) => [f.path, f.write, f.note]),
        [
          ['/live/incoming', 'not needed', null],
          [
            '/live/inventory',
            'not checked',
            'write not checked: The Edge reads every file that appears in this folder',
          ],
          ['/live/inventory/errors', 'not needed', null],
          [
            '/live/outgoing',
            'not checked',
            'write not checked: the server refuses deletes, so a probe could not be removed',
          ],
        ],
      );
      for (const folder of ['outgoing', 'inventory', 'inventory/errors']) {
        assert.deepEqual(
          readdirSync(join(server().jail, 'live', folder)).filter((n) => n.startsWith('.')),
          [],
          `a probe was left in /live/${folder}`,
        );
      }
    });
  });
});

describe('a server that is not chrooted: the folders sit under /home/acme/live', { skip: sshdSkip }, () => {
  const server = useSshd('/home/acme/live');

  it('runs the whole cron cycle with --root /home/acme/live', () =>
    cycleLikeLocalFolder({
      accountArgs: [...sftpArgs(server(), 'key'), '--root', '/home/acme/live'],
      localRoot: join(server().jail, 'home/acme/live'),
    }));

  it('accounts test says when the root is not there', async () => {
    await withTempDir(async (temp, db) => {
      await runCli(['accounts', 'add', 'chrooted', ...sftpArgs(server(), 'key'), '--db', db]);
      const run = await runCli(['accounts', 'test', 'chrooted', '--db', db]);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /root \/live does not exist on this server; on a server that is not chrooted it sits deeper \(e\.g\. --root \/home\/<user>\/live\)/,
      );
    });
  });
});

describe('a passphrase-protected private key', { skip: sshdSkip }, () => {
  const server = useSshd();

  it('is used with the passphrase from the variable --passphrase-env names; without it, the error says so', async () => {
    await withTempDir(async (temp, db) => {
      const keyPath = temp.path('client_key');
      await generateKey(keyPath, 'ed25519', 'open sesame');
      await server().authorizeKey(`${keyPath}.pub`);
      const args = [...sftpArgs(server(), 'key'), '--private-key', keyPath];
      await runCli(['accounts', 'add', 'locked', ...args, '--db', db]);
      const without = await runCli(['accounts', 'test', 'locked', '--db', db]);
      assert.equal(without.code, 2);
      assert.match(
        without.stderr,
        /private key .*client_key is protected by a passphrase: give the NAME of the variable holding it with --passphrase-env/,
      );
      await runCli(['accounts', 'set', 'locked', '--passphrase-env', 'KEY_PASSPHRASE', '--db', db]);
      const wrong = await runCli(['accounts', 'test', 'locked', '--db', db], { env: { KEY_PASSPHRASE: 'wrong' } });
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /the passphrase does not open it/);
      const good = await runCli(['accounts', 'test', 'locked', '--db', db], { env: { KEY_PASSPHRASE: 'open sesame' } });
      assert.equal(good.code, 0, good.stderr);
    });
  });
});

describe('ProFTPD with mod_sftp: a second SFTP server implementation', { skip: proftpdSkip }, () => {
  let server: ProftpdServer;
  before(async () => {
    server = await startProftpd();
    await server.makeTree();
  });
  after(() => server?.stop());

  it('runs the whole cron cycle', () =>
    cycleLikeLocalFolder({
      accountArgs: [...keyLoginOptions(server, server.hostKeys.map((k) => k.fingerprint).join(','))],
      localRoot: join(server.jail, 'live'),
    }));
});
