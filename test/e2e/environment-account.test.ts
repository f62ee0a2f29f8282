import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { assertUsageError, runCli, tempDir, withoutStamps } from '../helpers/cli.js';

/** The stored row of an account, as the next command finds it. */
function storedAccount(db: string, name: string): Record<string, unknown> {
  const raw = new Database(db, { readonly: true });
  try {
    return raw
      .prepare(
        'select root, lead_time_days, handling_days, traded_code_source, enabled, host_key from accounts where name = ?',
      )
      .get(name) as Record<string, unknown>;
  } finally {
    raw.close();
  }
}

describe('the account defined in .env (JL_EDGE_*)', () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');
  const env = {
    JL_EDGE_DB: db,
    JL_EDGE_ACCOUNT: 'shop',
    JL_EDGE_LOCAL_ROOT: tmp.path('edge'),
    JL_EDGE_LEAD_TIME_DAYS: '3',
  };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { env: { ...env, ...extra }, cwd: tmp.dir });
  after(() => tmp.remove());

  it('is stored by the first command, with the defaults of accounts add for what .env does not say', async () => {
    const show = await cli(['accounts', 'show', 'shop', '--json']);
    assert.equal(show.code, 0, show.stderr);
    const view = show.json<Record<string, unknown>>();
    assert.equal(view.from_environment, true);
    assert.deepEqual(storedAccount(db, 'shop'), {
      root: '/live',
      lead_time_days: 3,
      handling_days: 0,
      traded_code_source: 'none',
      enabled: 1,
      host_key: null,
    });
  });

  it('--dry-run shows the values of .env but writes nothing, even when .env changed', async () => {
    const status = await cli(['status', '--dry-run'], { JL_EDGE_LEAD_TIME_DAYS: '5', JL_EDGE_ROOT: '/uat' });
    assert.equal(status.code, 0, status.stderr);
    const preview = await cli(['accounts', 'show', 'shop', '--dry-run', '--json'], {
      JL_EDGE_LEAD_TIME_DAYS: '5',
      JL_EDGE_ROOT: '/uat',
    });
    const view = preview.json<{ lead_time_days: number; root: string; paths: Record<string, string> }>();
    assert.equal(view.lead_time_days, 5);
    assert.equal(view.root, '/uat');
    assert.equal(view.paths.OrderDownload, '/uat/incoming');
    assert.equal(storedAccount(db, 'shop').lead_time_days, 3);
    assert.equal(storedAccount(db, 'shop').root, '/live');
  });

  it('a change in .env is stored by the next command that is not a dry run', async () => {
    const list = await cli(['accounts', 'list'], { JL_EDGE_LEAD_TIME_DAYS: '5' });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(storedAccount(db, 'shop').lead_time_days, 5);
  });

  it('accounts set of a value .env owns is refused, naming the .env variable, and changes nothing', async () => {
    const set = await cli(['accounts', 'set', 'shop', '--lead-time', '7']);
    assert.equal(set.code, 2);
    assert.equal(set.stdout, '');
    assert.equal(
      set.stderr,
      'jl-edge accounts set: account "shop" comes from the environment, which sets --lead-time: edit JL_EDGE_LEAD_TIME_DAYS in .env instead\n',
    );
    assert.equal(storedAccount(db, 'shop').lead_time_days, 3);
    const stockRule = await cli(['accounts', 'set', 'shop', '--stock-buffer', '2']);
    assertUsageError(
      stockRule,
      'jl-edge accounts set: account "shop" comes from the environment, which sets --stock-buffer: edit JL_EDGE_STOCK_BUFFER in .env instead\n',
    );
  });

  it('accounts set of a value .env does not own sticks across later commands', async () => {
    const set = await cli(['accounts', 'set', 'shop', '--traded-code', 'sku']);
    assert.equal(set.code, 0, set.stderr);
    await cli(['status']);
    assert.equal(storedAccount(db, 'shop').traded_code_source, 'sku');
  });

  it('accounts disable works on it (the emergency stop) and lasts until accounts enable', async () => {
    const disable = await cli(['accounts', 'disable', 'shop']);
    assert.equal(disable.code, 0, disable.stderr);
    const push = await cli(['push-stock']);
    assert.equal(push.code, 2);
    assert.equal(
      withoutStamps(push.stderr),
      'jl-edge push-stock: every account is disabled (jl-edge accounts enable <name>)\n',
    );
    assert.equal(storedAccount(db, 'shop').enabled, 0);
    const enable = await cli(['accounts', 'enable', 'shop']);
    assert.equal(enable.code, 0, enable.stderr);
    assert.equal(storedAccount(db, 'shop').enabled, 1);
  });

  it('.env values go through the checks of accounts add, and the refusal names the variable', async () => {
    const sftp = { JL_EDGE_LOCAL_ROOT: '', JL_EDGE_SFTP_HOST: 'sftp.example.com', JL_EDGE_SFTP_USERNAME: 'shop' };
    const badKey = await cli(['status'], { ...sftp, JL_EDGE_SFTP_HOST_KEY: 'not-a-fingerprint' });
    assertUsageError(
      badKey,
      'jl-edge status: JL_EDGE_SFTP_HOST_KEY: host key "not-a-fingerprint" is not a fingerprint jl-edge can check: ' +
        'a host key is an OpenSSH fingerprint: SHA256:<43 base64 characters> (ssh-keygen -lf prints it) or ' +
        'MD5:<16 hex pairs>, optionally preceded by its key type (ssh-rsa SHA256:…); several are separated by commas\n',
    );
    const noUser = await cli(['status'], { ...sftp, JL_EDGE_SFTP_USERNAME: '' });
    assertUsageError(
      noUser,
      'jl-edge status: account "shop" needs JL_EDGE_SFTP_HOST and JL_EDGE_SFTP_USERNAME in .env (or JL_EDGE_LOCAL_ROOT for a local folder)\n',
    );
    const badRoot = await cli(['status'], { JL_EDGE_ROOT: 'prod' });
    assertUsageError(
      badRoot,
      'jl-edge status: JL_EDGE_ROOT: must be an absolute folder such as /live, /uat or /home/acme/live (no . or ..), not "prod"\n',
    );
    assert.equal(storedAccount(db, 'shop').host_key, null);
  });
});

describe('the dry-run preview of an account', () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');
  after(() => tmp.remove());

  it('shows the folders under the root it would have: /uat for a /uat account', async () => {
    const add = await runCli([
      'accounts',
      'add',
      'acme',
      '--local-root',
      tmp.path('edge'),
      '--root',
      '/uat',
      '--dry-run',
      '--json',
      '--db',
      db,
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.json<{ paths: Record<string, string> }>().paths.StockUpdateError, '/uat/inventory/errors');
    await runCli(['accounts', 'add', 'acme', '--local-root', tmp.path('edge'), '--db', db]);
    await runCli(['accounts', 'set-path', 'acme', 'StockUpdate', '/custom/stock', '--db', db]);
    const set = await runCli(['accounts', 'set', 'acme', '--root', '/uat', '--dry-run', '--json', '--db', db]);
    assert.equal(set.code, 0, set.stderr);
    const paths = set.json<{ paths: Record<string, string> }>().paths;
    assert.equal(paths.OrderDownload, '/uat/incoming');
    assert.equal(paths.StockUpdate, '/custom/stock');
  });
});
