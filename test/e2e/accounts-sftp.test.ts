import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { keyLoginOptions, sshdSkip, useSshd } from '../helpers/sshd.js';

describe('accounts against a real SFTP server', { skip: sshdSkip }, () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');

  const server = useSshd('/live', { temp: tmp });

  const addKeyAccount = (name: string, hostKey: string) =>
    runCli(['accounts', 'add', name, ...keyLoginOptions(server(), hostKey), '--db', db, '--quiet']);

  it('accounts test succeeds with the right fingerprint and checks every folder', async () => {
    assert.equal((await addKeyAccount('good', server().hostKeyFingerprint)).code, 0);
    const run = await runCli(['accounts', 'test', 'good', '--db', db, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.json(), {
      account: 'good',
      from_environment: false,
      ok: true,
      connected: true,
      host_key: server().hostKeyFingerprint,
      offered_host_key: null,
      server_host_keys: [{ type: 'ssh-ed25519', fingerprint: server().hostKeyFingerprint, pinned: true }],
      root: { path: '/live', exists: true },
      error: null,
      folders: [
        {
          path: '/live/incoming',
          labels: ['OrderDownload', 'CancellationRequest'],
          exists: true,
          listable: true,
          write: 'not needed',
          note: null,
          error: null,
        },
        {
          path: '/live/inventory',
          labels: ['StockUpdate'],
          exists: true,
          listable: true,
          write: 'not checked',
          note: 'write not checked: The Edge reads every file that appears in this folder',
          error: null,
        },
        {
          path: '/live/inventory/errors',
          labels: ['StockUpdateError'],
          exists: true,
          listable: true,
          write: 'not needed',
          note: null,
          error: null,
        },
        {
          path: '/live/outgoing',
          labels: ['OrderAcknowledge', 'OrderShipment', 'CancellationAcknowledgement', 'OrderCancel', 'OrderRefund'],
          exists: true,
          listable: true,
          write: 'ok',
          note: null,
          error: null,
        },
      ],
    });
    // The probes are gone, from the folder The Edge does not read as from the one it does.
    assert.deepEqual(readdirSync(join(server().jail, 'live/incoming')), []);
    assert.deepEqual(readdirSync(join(server().jail, 'live/outgoing')), []);
  });

  it('a wrong fingerprint is refused with exit 3 naming the fingerprint the server offered', async () => {
    await addKeyAccount('wrong', `SHA256:${'A'.repeat(43)}`);
    const run = await runCli(['accounts', 'test', 'wrong', '--db', db]);
    assert.equal(run.code, 3);
    assert.equal(run.stdout, '');
    assert.ok(run.stderr.includes(`the server offered host key ${server().hostKeyFingerprint}`), run.stderr);
    assert.ok(run.stderr.includes(`jl-edge accounts set wrong --host-key ${server().hostKeyFingerprint}`), run.stderr);
  });

  it('for the account of .env, the hint to pin the host key names the .env variable', async () => {
    const env = {
      JL_EDGE_DB: tmp.path('env.sqlite'),
      JL_EDGE_ACCOUNT: 'shop',
      JL_EDGE_SFTP_HOST: server().host,
      JL_EDGE_SFTP_PORT: String(server().port),
      JL_EDGE_SFTP_USERNAME: server().username,
      JL_EDGE_SFTP_PRIVATE_KEY: server().privateKeyPath,
    };
    const run = await runCli(['accounts', 'test', 'shop'], { env });
    assert.equal(run.code, 3);
    assert.ok(
      run.stderr.endsWith(
        `the server offered host key ${server().hostKeyFingerprint}\n` +
          `if that is John Lewis' server, pin it: set JL_EDGE_SFTP_HOST_KEY=${server().hostKeyFingerprint} in .env\n`,
      ),
      run.stderr,
    );
    const pinned = await runCli(['accounts', 'test', 'shop'], {
      env: { ...env, JL_EDGE_SFTP_HOST_KEY: server().hostKeyFingerprint },
    });
    assert.equal(pinned.code, 0, pinned.stderr);
  });

  it('a missing folder fails the check for that folder only: exit 1', async () => {
    await addKeyAccount('uat', server().hostKeyFingerprint);
    await runCli(['accounts', 'set', 'uat', '--root', '/uat', '--db', db, '--quiet']);
    const run = await runCli(['accounts', 'test', 'uat', '--db', db]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\/uat\/incoming \[OrderDownload, CancellationRequest\]: FAILED: folder does not exist/);
  });

  it('a password given through the environment appears in no output, log or database row', async () => {
    const user = server().passwordUser;
    assert.ok(user, 'the harness could not create its password user (it needs root)');
    const env = { SHOP_SFTP_PASSWORD: user.password };
    await runCli(
      [
        'accounts',
        'add',
        'pw',
        '--host',
        server().host,
        '--port',
        String(server().port),
        '--username',
        user.username,
        '--password-env',
        'SHOP_SFTP_PASSWORD',
        '--host-key',
        server().hostKeyFingerprint,
        '--db',
        db,
        '--quiet',
      ],
      { env },
    );
    const good = await runCli(['accounts', 'test', 'pw', '--db', db, '--json', '--verbose'], { env });
    assert.equal(good.code, 0, good.stderr);
    const wrongPassword = await runCli(['accounts', 'test', 'pw', '--db', db, '--verbose'], {
      env: { SHOP_SFTP_PASSWORD: `${user.password}-wrong` },
    });
    assert.equal(wrongPassword.code, 3);
    const stepRun = await runCli(['download-orders', '--account', 'pw', '--db', db, '--json', '--verbose'], {
      env: { SHOP_SFTP_PASSWORD: `${user.password}-wrong` },
    });
    assert.equal(stepRun.code, 3);
    const show = await runCli(['accounts', 'show', 'pw', '--db', db, '--json'], { env });
    const everything =
      [good, wrongPassword, stepRun, show].map((r) => r.stdout + r.stderr).join('\n') +
      readFileSync(db).toString('latin1');
    assert.ok(!everything.includes(user.password), 'the password leaked');
    assert.match(show.stdout, /"password_env": "SHOP_SFTP_PASSWORD"/);
  });

  it('a frozen server makes a command fail within its --timeout instead of hanging', async () => {
    server().freezeListener();
    try {
      const run = await runCli(['accounts', 'test', 'good', '--db', db, '--timeout', '3'], { killAfterMs: 60_000 });
      assert.notEqual(run.code, -1, 'the command hung until it was killed');
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /deadline|timed out|timeout/i);
    } finally {
      server().thaw();
    }
  });
});
