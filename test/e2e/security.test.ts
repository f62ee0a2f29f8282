/**
 * Security rules (SPEC §7; issue 9), through the binary against a real sshd: an unknown or changed host
 * key refused by every network step with exit 3; a password absent from every byte of every output,
 * `--json`, `--verbose`, the cron log and the database files (scanned whole, in plain, hex and base64);
 * the database created owner-only; remote names that try to climb out never used as paths.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, type CliRun } from '../helpers/cli.js';
import { sshdSkip, useSshd, type SshdServer } from '../helpers/sshd.js';
import { item, orderFile, orderFileName, orderSection } from '../fixtures/orders/edge-order.js';
import { assertSafeRemotePath, joinRemote } from '../../src/transport/transport.js';

const NETWORK_STEPS = ['download-orders', 'ack-orders', 'push-stock', 'send-shipments', 'send-cancels', 'send-refunds'];
const NOW = { JL_EDGE_NOW: '2026-03-02T10:00:00Z' };

describe('security against a real SFTP server', { skip: sshdSkip }, () => {
  const temp = tempDir('jl-edge-security-');

  const server = useSshd('/live', { temp: temp });

  /** The single-account bootstrap from the environment (SPEC §5.1), logging in with a password. */
  const passwordAccount = (password: string, hostKey: string | undefined): Record<string, string> => {
    const user = server().passwordUser!;
    return {
      ...NOW,
      JL_EDGE_ACCOUNT: 'shop',
      JL_EDGE_SFTP_HOST: server().host,
      JL_EDGE_SFTP_PORT: String(server().port),
      JL_EDGE_SFTP_USERNAME: user.username,
      JL_EDGE_SFTP_PASSWORD: password,
      ...(hostKey ? { JL_EDGE_SFTP_HOST_KEY: hostKey } : {}),
    };
  };

  for (const [what, hostKey, says] of [
    ['no pinned host key', undefined, /host key/i],
    ['a changed host key', `SHA256:${'B'.repeat(43)}`, /host key/i],
  ] as const) {
    it(`${what}: every network step refuses to talk, exit 3, naming the key the server offered`, async () => {
      const user = server().passwordUser;
      assert.ok(user, 'the harness needs its password user (root)');
      const db = temp.path(`hostkey-${hostKey ? 'changed' : 'none'}.sqlite`);
      const env = passwordAccount(user.password, hostKey);
      const runs = await Promise.all(NETWORK_STEPS.map((step) => runCli([step, '--db', db], { cwd: temp.dir, env })));
      for (const [index, run] of runs.entries()) {
        assert.equal(run.code, 3, `${NETWORK_STEPS[index]}: ${run.stderr}`);
        assert.match(run.stderr, says);
        assert.ok(run.stderr.includes(server().hostKeyFingerprint), `${NETWORK_STEPS[index]}: ${run.stderr}`);
      }
      const sync = await runCli(['sync', '--db', db], { cwd: temp.dir, env });
      assert.equal(sync.code, 3, sync.stderr);
    });
  }

  it('a password appears in no byte of any output, --json, --verbose, the cron log or the database files', async () => {
    const user = server().passwordUser;
    assert.ok(user, 'the harness needs its password user (root)');
    const { password } = user;
    const home = tempDir('jl-edge-secret-');
    try {
      const env = passwordAccount(password, server().hostKeyFingerprint);
      const log = home.path('jl-edge.log');
      writeOrder(server(), orderFileName(1), 'Y100000001');
      const runs: CliRun[] = [];
      const cron = async (args: string[], runEnv = env) => {
        const run = await runCli(args, { cwd: home.dir, env: runEnv });
        appendFileSync(log, run.stdout + run.stderr);
        runs.push(run);
        return run;
      };
      assert.equal((await cron(['download-orders', '--json', '--verbose'])).code, 0);
      assert.equal((await cron(['ack-orders', '--verbose'])).code, 0);
      assert.equal((await cron(['orders', 'ship', 'Y100000001', '--carrier', 'dpd', '--tracking', 'T1'])).code, 0);
      assert.equal((await cron(['sync', '--json', '--verbose'])).code, 0);
      await cron(['status', '--json', '--verbose']);
      await cron(['orders', 'show', 'Y100000001', '--json']);
      await cron(['updates', 'list', '--json']);
      await cron(['accounts', 'list', '--json']);
      await cron(['accounts', 'show', 'shop', '--json', '--verbose']);
      const wrong = await cron(['download-orders', '--json', '--verbose'], {
        ...env,
        JL_EDGE_SFTP_PASSWORD: `${password}-wrong`,
      });
      assert.equal(wrong.code, 3, wrong.stderr);
      await cron(['accounts', 'test', 'shop', '--json', '--verbose']);

      const scanned: [string, Buffer][] = runs.flatMap((run, index): [string, Buffer][] => [
        [`run ${index} stdout`, Buffer.from(run.stdout)],
        [`run ${index} stderr`, Buffer.from(run.stderr)],
      ]);
      // The database (with its -wal and -shm), the log, and anything else the runs left in the folder.
      for (const path of filesUnder(home.dir)) scanned.push([path, readFileSync(path)]);
      assert.ok(
        scanned.some(([name]) => name.endsWith('jl-edge.sqlite')),
        'the database file is among the scanned',
      );
      const forms = [password, Buffer.from(password).toString('hex'), Buffer.from(password).toString('base64')];
      for (const [name, bytes] of scanned) {
        for (const form of forms) assert.equal(bytes.indexOf(form), -1, `the password leaked into ${name}`);
      }
    } finally {
      home.remove();
    }
  });
});

describe('files jl-edge creates are the owner’s only', () => {
  it('the default database folder is 0700, the database and its -wal/-shm 0600', async () => {
    const home = tempDir('jl-edge-modes-');
    try {
      const run = await runCli(['db', 'migrate'], { cwd: home.dir });
      assert.equal(run.code, 0, run.stderr);
      const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
      assert.equal(mode(home.path('data')), '700');
      const created = readdirSync(home.path('data')).sort();
      assert.ok(created.includes('jl-edge.sqlite'), created.join(' '));
      for (const name of created) assert.equal(mode(home.path('data', name)), '600', name);
    } finally {
      home.remove();
    }
  });
});

describe('remote names that try to climb out', () => {
  const CLIMBING_NAMES = ['..', '.', '../etc/passwd', 'a/../../b', '..\\..\\x', 'order-1.txt\0.png', '/etc/passwd', ''];

  for (const name of CLIMBING_NAMES) {
    it(`${JSON.stringify(name)} never becomes a path`, () => {
      assert.throws(() => joinRemote('/live/incoming', name), /unsafe remote file name/);
    });
  }

  for (const path of ['/live/../../etc', 'live/incoming', '/live/./incoming', '/live/incoming\0/x']) {
    it(`the folder ${JSON.stringify(path)} is refused`, () => {
      assert.throws(() => assertSafeRemotePath(path), /unsafe remote path/);
    });
  }

  it('--archive-to climbing out of the server root is a usage error (exit 2), nothing is read', async () => {
    const home = tempDir('jl-edge-climb-');
    try {
      const run = await runCli(['download-orders', '--archive-to', '/live/../../etc'], {
        cwd: home.dir,
        env: { JL_EDGE_LOCAL_ROOT: home.path('edge') },
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        /--archive-to \/live\/\.\.\/\.\.\/etc: give an absolute remote folder without \. or \.\. segments/,
      );
    } finally {
      home.remove();
    }
  });
});

function writeOrder(server: SshdServer, name: string, orderNumber: string): void {
  const dir = join(server.jail, 'live/incoming');
  const content = orderFile({ order: orderSection(orderNumber), items: [item('1', '11111111', '1')] });
  appendFileSync(join(dir, name), content);
  appendFileSync(join(dir, `${name}.DONE`), '');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
