/**
 * Issue 16.6: the command groups show examples in --help, and a password typed on the command line is
 * refused with a pointer to the option that takes the name of the variable holding it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { assertUsageError, runCli, tempDir } from '../helpers/cli.js';

const GROUPS = ['accounts', 'orders', 'products', 'updates', 'stock-errors', 'db', 'destinations'];

describe('group commands show examples in --help', () => {
  for (const group of GROUPS) {
    it(`jl-edge ${group} --help ends with examples of its own subcommands`, async () => {
      const run = await runCli([group, '--help']);
      assert.deepEqual([run.code, run.stderr], [0, '']);
      const examples = /\nExamples:\n((?: {2}\$ .*\n)+)$/.exec(run.stdout);
      assert.ok(examples, `no Examples section at the end of:\n${run.stdout}`);
      const commands = examples[1].split('\n').filter(Boolean);
      assert.ok(commands.length >= 2, `at least two examples: ${examples[1]}`);
      assert.ok(
        commands.some((line) => line.includes(`jl-edge ${group} `)),
        `an example runs a ${group} subcommand: ${examples[1]}`,
      );
    });
  }
});

describe('a password typed on the command line', () => {
  const tmp = tempDir();
  const db = tmp.path('db.sqlite');
  after(() => tmp.remove());

  const hint = (secret: string) =>
    `hint: use --${secret}-env <VAR>, the NAME of an environment variable holding the ${secret} (set it in .env, mode 600); the ${secret} itself never goes on the command line\n`;

  it('accounts add --password points to --password-env: exit 2, nothing stored', async () => {
    const run = await runCli([
      ...'accounts add acme --host sftp.example.com --username acme --password hunter2'.split(' '),
      '--db',
      db,
    ]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `error: unknown option '--password'\n${hint('password')}(run with --help for usage)\n`);
    assert.equal(run.stdout, '');
    assert.equal(existsSync(db), false, 'nothing was opened or stored');
  });

  it('--password=<value> is not echoed back (cron would mail it)', async () => {
    const run = await runCli(['destinations', 'add', '3pl', '--host', 'h', '--username', 'u', '--password=hunter2']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `error: unknown option '--password=…'\n${hint('password')}(run with --help for usage)\n`);
  });

  it('accounts set --passphrase points to --passphrase-env', async () => {
    const run = await runCli(['accounts', 'set', 'acme', '--passphrase', 'open-sesame']);
    assertUsageError(run, `error: unknown option '--passphrase'\n${hint('passphrase')}(run with --help for usage)\n`);
  });

  it('any other unknown option keeps commander’s message alone', async () => {
    const run = await runCli(['accounts', 'add', 'acme', '--colour', 'blue']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `error: unknown option '--colour'\n(run with --help for usage)\n`);
  });
});
