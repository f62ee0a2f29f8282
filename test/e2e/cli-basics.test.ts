import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { runCli, tempDir } from '../helpers/cli.js';

describe('the command line contract', () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');
  after(() => tmp.remove());

  it('help lists the commands with examples and exits 0', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Commands:\n\s+accounts/);
    assert.match(run.stdout, /Exit codes: 0 all done, 1 some items failed, 2 usage or configuration error/);
    assert.match(run.stdout, /Examples:\n\s+\$ jl-edge accounts add acme/);
    assert.equal(run.stderr, '');
  });

  it('an unknown command is a usage error: exit 2', async () => {
    const run = await runCli(['bogus']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command 'bogus'/);
  });

  it('a missing --env-file is a configuration error: exit 2', async () => {
    const run = await runCli(['accounts', 'list', '--db', db, '--env-file', tmp.path('nope.env')]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `jl-edge accounts list: --env-file ${tmp.path('nope.env')}: no such file\n`);
  });

  it('the database is created owner-only and migrated on first use', async () => {
    const first = await runCli(['db', 'migrate', '--db', db, '--json']);
    assert.equal(first.code, 0);
    assert.deepEqual(first.json(), {
      command: 'db migrate',
      applied: [
        '0001_initial_schema',
        '0002_warehouse_round_trip',
        '0003_account_stale_after',
        '0004_cancel_requests',
        '0005_sftp_server_variants',
        '0006_stock_rules_and_ack_alert',
        '0007_order_history',
        '0008_destination_host_keys',
        '0009_account_ping_url',
        '0010_inbox_file_handled',
        '0011_inbound_listing_indexes',
        '0012_history_indexes',
        '0013_run_log_index',
        '0014_products_room_for_push_records',
      ],
    });
    assert.equal(statSync(db).mode & 0o777, 0o600);
    const again = await runCli(['db', 'migrate', '--db', db]);
    assert.equal(again.stdout, 'schema is up to date\n');
  });
});

describe('accounts', () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');
  after(() => tmp.remove());

  it('add, set, set-path, disable and show an account; no secret is ever stored', async () => {
    const add = await runCli(
      [
        'accounts',
        'add',
        'acme',
        '--host',
        'sftp.example.com',
        '--username',
        'acme',
        '--password-env',
        'ACME_PW',
        '--root',
        '/uat',
        '--lead-time',
        '4',
        '--db',
        db,
        '--json',
      ],
      { env: { ACME_PW: 'hunter2-secret' } },
    );
    assert.equal(add.code, 0, add.stderr);
    const view = add.json<Record<string, unknown>>();
    assert.equal(view.password_env, 'ACME_PW');
    assert.deepEqual(view.paths, {
      OrderDownload: '/uat/incoming',
      OrderAcknowledge: '/uat/outgoing',
      OrderShipment: '/uat/outgoing',
      CancellationAcknowledgement: '/uat/outgoing',
      OrderCancel: '/uat/outgoing',
      OrderRefund: '/uat/outgoing',
      StockUpdate: '/uat/inventory',
      StockUpdateError: '/uat/inventory/errors',
      CancellationRequest: '/uat/incoming',
    });
    assert.deepEqual(
      [view.auto_accept_cancellations, view.cancel_request_alert_minutes],
      [false, 60],
      'customer cancellation requests are answered by a person unless the account says otherwise',
    );

    const setPath = await runCli([
      'accounts',
      'set-path',
      'acme',
      'StockUpdateError',
      '/uat/inventory/error',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(setPath.code, 0, setPath.stderr);
    const live = await runCli([
      'accounts',
      'set',
      'acme',
      '--root',
      '/live',
      '--traded-code',
      'sku',
      '--db',
      db,
      '--json',
    ]);
    const liveView = live.json<{ paths: Record<string, string>; traded_code_source: string }>();
    assert.equal(liveView.paths.OrderDownload, '/live/incoming');
    assert.equal(liveView.paths.StockUpdateError, '/uat/inventory/error', 'an explicit path survives a root switch');
    assert.equal(liveView.traded_code_source, 'sku');

    const disable = await runCli(['accounts', 'disable', 'acme', '--db', db, '--json']);
    assert.equal(disable.json<{ enabled: boolean }>().enabled, false);
    const list = await runCli(['accounts', 'list', '--db', db]);
    assert.match(list.stdout, /^acme\s+disabled sftp acme@sftp\.example\.com:22 \/live\n$/);

    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(db, { readonly: true });
    const dump = JSON.stringify(raw.prepare('select * from accounts').all());
    raw.close();
    assert.ok(!dump.includes('hunter2-secret'));
  });

  it('refuses bad settings with exit 2 and a reason', async () => {
    const cases: [string[], RegExp][] = [
      [['accounts', 'add', 'x', '--host', 'h'], /needs --host and --username/],
      [
        ['accounts', 'add', 'x', '--host', 'h', '--username', 'u', '--host-key', 'abc'],
        /--host-key: host key "abc" is not a fingerprint jl-edge can check: .*SHA256:<43 base64 characters>/,
      ],
      [
        ['accounts', 'add', 'x', '--local-root', tmp.dir, '--root', 'live'],
        /--root: must be an absolute folder such as \/live, \/uat or \/home\/acme\/live/,
      ],
      [['accounts', 'add', 'x', '--local-root', tmp.dir, '--lead-time', 'two'], /"two" is not a whole number/],
      [['accounts', 'set-path', 'acme', 'Nowhere', '/x'], /unknown path label "Nowhere"/],
      [['accounts', 'show', 'ghost'], /no account named "ghost" \(known: acme\)/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli([...args, '--db', db]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });
});

describe('the single-account bootstrap from the environment', () => {
  const tmp = tempDir();
  before(() =>
    writeFileSync(
      tmp.path('.env'),
      `JL_EDGE_LOCAL_ROOT=./exchange\nJL_EDGE_ACCOUNT=shop\nJL_EDGE_LEAD_TIME_DAYS=5\nJL_EDGE_DB=${tmp.path('env.sqlite')}\n`,
    ),
  );
  after(() => tmp.remove());

  it('.env in the working directory defines the account and the database', async () => {
    const run = await runCli(['accounts', 'show', 'shop', '--json'], { cwd: tmp.dir });
    assert.equal(run.code, 0, run.stderr);
    const view = run.json<Record<string, unknown>>();
    assert.equal(view.transport, 'local');
    assert.equal(view.local_root, tmp.path('exchange'));
    assert.equal(view.lead_time_days, 5);
    assert.equal(statSync(tmp.path('env.sqlite')).mode & 0o777, 0o600);
  });
});
