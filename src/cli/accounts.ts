import { resolve } from 'node:path';
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { ExitCode, UsageError, errorMessage } from '../core/errors.js';
import { checkPingUrl } from '../core/heartbeat.js';
import { DEFAULT_STALE_AFTER_MINUTES } from '../core/steps.js';
import { ACCOUNT_DEFAULTS, howToSet, type AccountSettings } from '../core/account-settings.js';
import { parseLegacyAlgorithms } from '../transport/algorithms.js';
import type { AccountView, AccountTestResult } from '../commands/accounts.js';
import { handler, parseWholeNumberOption } from './action.js';
import { type CommandOutput, okOutput } from './output.js';

interface AccountFlags {
  host?: string;
  port?: number;
  username?: string;
  passwordEnv?: string;
  privateKey?: string;
  passphraseEnv?: string;
  hostKey?: string;
  legacyAlgorithms?: string;
  localRoot?: string;
  root?: string;
  leadTime?: number;
  handlingDays?: number;
  tradedCode?: AccountSettings['tradedCodeSource'];
  encoding?: string;
  stockUpload?: AccountSettings['stockUpload'];
  carrierMap?: string;
  autoAcceptCancellations?: 'yes' | 'no';
  cancelRequestAlertMinutes?: number;
  stockBuffer?: number;
  stockShare?: number;
  stockMax?: number | 'none';
  ackAlertMinutes?: number;
  pingUrl?: string;
}

function withSettingOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return command
    .option('--host <host>', 'SFTP host issued by John Lewis')
    .option('--port <port>', 'SFTP port (default 22)', parseWholeNumberOption)
    .option('--username <user>', 'SFTP user name')
    .option('--password-env <VAR>', 'NAME of the environment variable holding the password (never the password)')
    .option('--private-key <file>', 'private key file for SFTP')
    .option('--passphrase-env <VAR>', "NAME of the environment variable holding the private key's passphrase")
    .option(
      '--host-key <SHA256:…>',
      "the server's host-key fingerprint(s), comma-separated, one per key type (accounts test prints them)",
    )
    .option(
      '--legacy-algorithms <names>',
      'weak SSH algorithms to allow for an old server, comma-separated (accounts test names the one needed)',
    )
    .option('--local-root <dir>', 'use a local folder instead of SFTP (sandbox, mounted exchange folders)')
    .option('--root <root>', '/live, /uat (John Lewis test environment), or the absolute folder holding them')
    .option(
      '--lead-time <days>',
      'standard delivery time in days, for products without their own',
      parseWholeNumberOption,
    )
    .option('--handling-days <days>', 'days between acknowledgement and dispatch', parseWholeNumberOption)
    .addOption(
      new Option('--traded-code <source>', 'what to send as tradedCode').choices(['none', 'sku', 'ean'] as const),
    )
    .option('--encoding <name>', 'encoding of inbound files, e.g. utf-8 or latin1')
    .addOption(
      new Option('--stock-upload <mode>', 'inventory upload: direct, or rename (dot name + posix-rename)').choices([
        'direct',
        'rename',
      ] as const),
    )
    .option('--carrier-map <map>', 'carrier names to Edge codes: "DPD Next Day=dpd,RM 24=royal-mail"')
    .addOption(
      new Option(
        '--auto-accept-cancellations <yes|no>',
        'yes: download-orders accepts every customer cancellation request for units not yet shipped (drop shipping)',
      ).choices(['yes', 'no'] as const),
    )
    .option(
      '--cancel-request-alert-minutes <minutes>',
      `status needs a person once a cancellation request is unanswered this long (default ${ACCOUNT_DEFAULTS.cancelRequestAlertMinutes})`,
      parseWholeNumberOption,
    )
    .option(
      '--stock-buffer <units>',
      `units held back from John Lewis on every product (default ${ACCOUNT_DEFAULTS.stockBuffer})`,
      parseWholeNumberOption,
    )
    .option(
      '--stock-share <percent>',
      `percent of the stock left after the buffer offered (default ${ACCOUNT_DEFAULTS.stockShare})`,
      parseWholeNumberOption,
    )
    .option('--stock-max <units>', 'most units ever offered per product, or "none" (the default)', parseStockMax)
    .option(
      '--ack-alert-minutes <minutes>',
      `status flags an order awaiting acknowledgement longer than this (default ${ACCOUNT_DEFAULTS.ackAlertMinutes})`,
      parseWholeNumberOption,
    )
    .option(
      '--ping-url <url>',
      'heartbeat URL of a cron monitor: each step pings <url>/start, then <url> or <url>/fail; "none" for $JL_EDGE_PING_URL',
    );
}

function parsePingUrlOption(text: string): string | null {
  if (text === 'none') return null;
  try {
    return checkPingUrl(text);
  } catch (err) {
    throw new UsageError(`--ping-url: ${errorMessage(err)}`);
  }
}

/** "none" stays a word here: commander turns an option value of null into ''. */
function parseStockMax(value: string): number | 'none' {
  return value === 'none' ? value : parseWholeNumberOption(value);
}

export function parseCarrierMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--carrier-map: "${pair}" is not name=code`);
    map[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return map;
}

function parseLegacyOption(text: string): string[] {
  try {
    return parseLegacyAlgorithms(text);
  } catch (err) {
    throw new UsageError(`--legacy-algorithms: ${errorMessage(err)}`);
  }
}

function settingsFrom(flags: AccountFlags): Partial<AccountSettings> {
  const settings: Partial<AccountSettings> = {
    host: flags.host,
    port: flags.port,
    username: flags.username,
    passwordEnv: flags.passwordEnv,
    passphraseEnv: flags.passphraseEnv,
    // Stored absolute: cron runs from another working directory.
    privateKeyPath: flags.privateKey === undefined ? undefined : resolve(flags.privateKey),
    hostKey: flags.hostKey,
    legacyAlgorithms: flags.legacyAlgorithms === undefined ? undefined : parseLegacyOption(flags.legacyAlgorithms),
    localRoot: flags.localRoot === undefined ? undefined : resolve(flags.localRoot),
    root: flags.root,
    leadTimeDays: flags.leadTime,
    handlingDays: flags.handlingDays,
    tradedCodeSource: flags.tradedCode,
    encoding: flags.encoding,
    stockUpload: flags.stockUpload,
    carrierMap: flags.carrierMap === undefined ? undefined : parseCarrierMap(flags.carrierMap),
    autoAcceptCancellations:
      flags.autoAcceptCancellations === undefined ? undefined : flags.autoAcceptCancellations === 'yes',
    cancelRequestAlertMinutes: flags.cancelRequestAlertMinutes,
    stockBuffer: flags.stockBuffer,
    stockShare: flags.stockShare,
    stockMax: flags.stockMax === 'none' ? null : flags.stockMax,
    ackAlertMinutes: flags.ackAlertMinutes,
    pingUrl: flags.pingUrl === undefined ? undefined : parsePingUrlOption(flags.pingUrl),
  };
  if (flags.localRoot !== undefined) settings.transport = 'local';
  else if (flags.host !== undefined) settings.transport = 'sftp';
  return settings;
}

function accountLines(view: AccountView): string[] {
  const where =
    view.transport === 'local' ? `local folder ${view.local_root}` : `sftp ${view.username}@${view.host}:${view.port}`;
  const secret =
    view.transport === 'local'
      ? ''
      : view.password_env
        ? `password from $${view.password_env}`
        : `key ${view.private_key ?? '(none)'}`;
  return [
    `${view.name} (${view.enabled ? 'enabled' : 'disabled'}): ${where}${secret ? `, ${secret}` : ''}`,
    `  host key: ${view.host_key ?? '(not pinned: jl-edge accounts test prints the fingerprint to pin)'}`,
    `  root ${view.root}, lead time ${view.lead_time_days} days, handling ${view.handling_days} days, tradedCode ${view.traded_code_source}, encoding ${view.encoding}, stock upload ${view.stock_upload}`,
    `  cancellation requests: ${view.auto_accept_cancellations ? 'accepted automatically for units not yet shipped' : 'answered by a person'}, status alerts after ${view.cancel_request_alert_minutes} minutes`,
    `  stock rules: buffer ${view.stock_buffer}, share ${view.stock_share}%, maximum ${view.stock_max ?? 'none'}; acknowledgement alert after ${view.ack_alert_minutes} minutes`,
    ...(view.ping_url ? [`  heartbeat pings: ${view.ping_url}`] : []),
    `  carriers: ${
      Object.entries(view.carrier_map)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '(built-in codes only)'
    }`,
    ...Object.entries(view.paths).map(([label, path]) => `  ${label.padEnd(28)} ${path}`),
    `  stale after (minutes): ${Object.entries(view.stale_after_minutes)
      .map(([step, minutes]) => `${step} ${minutes ?? 'never'}`)
      .join(', ')}`,
  ];
}

function describeStaleDefaults(): string {
  return Object.entries(DEFAULT_STALE_AFTER_MINUTES)
    .map(([step, minutes]) => `${step} ${minutes}`)
    .join(', ');
}

/** "never" is stored as 0, "default" as no override. */
function parseStaleAfter(value: string): number | null {
  if (value === 'default') return null;
  if (value === 'never') return 0;
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new UsageError(`minutes must be a positive whole number, "never" or "default", not "${value}"`);
  return Number(value);
}

function viewOutput(view: AccountView): CommandOutput {
  return okOutput(view, accountLines(view));
}

/** Every key the server holds, as a seller compares them with what John Lewis gave and pins them. */
function hostKeyLines(result: AccountTestResult): string[] {
  if (result.server_host_keys.length === 0) return [];
  return [
    '  the server holds these host keys:',
    ...result.server_host_keys.map((k) => `    ${k.type.padEnd(20)} ${k.fingerprint}${k.pinned ? '  (pinned)' : ''}`),
  ];
}

function testOutput(result: AccountTestResult): CommandOutput {
  const lines: string[] = [];
  const problems: string[] = [];
  if (!result.connected) {
    problems.push(`accounts test ${result.account}: ${result.error}`);
    problems.push(...hostKeyLines(result));
    if (result.offered_host_key) {
      problems.push(`the server offered host key ${result.offered_host_key}`);
      const account = { name: result.account, fromEnvironment: result.from_environment };
      problems.push(`if that is John Lewis' server, pin it: ${howToSet(account, 'hostKey', result.offered_host_key)}`);
    }
    return { exitCode: ExitCode.connection, json: result, lines, problems };
  }
  lines.push(`${result.account}: connected, host key ${result.host_key ?? 'n/a (local folder)'}`);
  lines.push(...hostKeyLines(result));
  if (result.root && !result.root.exists) {
    problems.push(
      `  root ${result.root.path} does not exist on this server; on a server that is not chrooted it sits deeper ` +
        `(e.g. --root /home/<user>${result.root.path})`,
    );
  }
  for (const folder of result.folders) {
    const state = folder.error
      ? `FAILED: ${folder.error}`
      : `ok (${['list', folder.write === 'ok' && 'write'].filter(Boolean).join(', ')})${folder.note ? `; ${folder.note}` : ''}`;
    (folder.error ? problems : lines).push(`  ${folder.path} [${folder.labels.join(', ')}]: ${state}`);
  }
  return { exitCode: result.ok ? ExitCode.ok : ExitCode.itemsFailed, json: result, lines, problems };
}

export function registerAccounts(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('manage John Lewis accounts (SFTP logins) and their remote folders')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge accounts add acme --host sftp.example.com --username acme --password-env ACME_SFTP_PASSWORD --root /uat
  $ jl-edge accounts test acme                          (prints the host key to pin, checks every folder)
  $ jl-edge accounts set acme --host-key SHA256:abc…
  $ jl-edge accounts list`,
    );

  withSettingOptions(accounts.command('add <name>'))
    .description('add an account')
    .option('--disabled', 'add it disabled')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge accounts add acme --host sftp.example.com --username acme --password-env ACME_SFTP_PASSWORD --root /uat
  $ jl-edge accounts add sandbox --local-root ./sandbox`,
    )
    .action(
      handler(async (ctx, [name], flags) => {
        const { addAccount } = await import('../commands/accounts.js');
        const given = Object.fromEntries(Object.entries(settingsFrom(flags)).filter(([, v]) => v !== undefined));
        const settings: AccountSettings = { ...ACCOUNT_DEFAULTS, ...given, enabled: flags.disabled !== true };
        return viewOutput(await addAccount(ctx, name, settings));
      }),
    );

  accounts
    .command('list')
    .description('list accounts')
    .addHelpText('after', '\nExample:\n  $ jl-edge accounts list --json')
    .action(
      handler(async (ctx) => {
        const { listAccounts } = await import('../commands/accounts.js');
        const views = await listAccounts(ctx);
        const lines = views.map(
          (v) =>
            `${v.name.padEnd(16)} ${v.enabled ? 'enabled ' : 'disabled'} ${v.transport === 'local' ? `local ${v.local_root}` : `sftp ${v.username}@${v.host}:${v.port}`} ${v.root}`,
        );
        return okOutput(views, lines.length ? lines : ['no accounts (add one with jl-edge accounts add)']);
      }),
    );

  accounts
    .command('show <name>')
    .description('show an account, its settings and remote folders')
    .addHelpText('after', '\nExample:\n  $ jl-edge accounts show acme')
    .action(
      handler(async (ctx, [name]) => {
        const { showAccount } = await import('../commands/accounts.js');
        return viewOutput(await showAccount(ctx, name));
      }),
    );

  withSettingOptions(accounts.command('set <name>'))
    .description('change settings of an account')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge accounts set acme --host-key SHA256:abc…   (pin the fingerprint accounts test printed)
  $ jl-edge accounts set acme --root /live             (go live after testing on /uat)
  $ jl-edge accounts set acme --stock-buffer 2 --stock-share 80 --stock-max 50
  $ jl-edge accounts set acme --stock-max none         (no maximum)`,
    )
    .action(
      handler(async (ctx, [name], flags) => {
        const { setAccount } = await import('../commands/accounts.js');
        return viewOutput(await setAccount(ctx, name, settingsFrom(flags)));
      }),
    );

  accounts
    .command('set-path <name> <label> <path>')
    .description('point a path label (OrderDownload, StockUpdate, …) at another remote folder; "default" restores it')
    .addHelpText('after', '\nExample:\n  $ jl-edge accounts set-path acme StockUpdateError /live/inventory/error')
    .action(
      handler(async (ctx, [name, label, path]) => {
        const { setAccountPath } = await import('../commands/accounts.js');
        return viewOutput(await setAccountPath(ctx, name, label, path === 'default' ? null : path));
      }),
    );

  accounts
    .command('set-stale-after <name> <step> <minutes>')
    .description(
      'how long a sync step may go without completing before `status` calls it stale: minutes, "never", or "default"',
    )
    .addHelpText(
      'after',
      `
The defaults follow crontab.example (six missed runs): ${describeStaleDefaults()} minutes.

Examples:
  $ jl-edge accounts set-stale-after acme push-stock 180     (stock pushed hourly on this host)
  $ jl-edge accounts set-stale-after acme send-refunds never
  $ jl-edge accounts set-stale-after acme push-stock default`,
    )
    .action(
      handler(async (ctx, [name, step, minutes]) => {
        const { setAccountStaleAfter } = await import('../commands/accounts.js');
        return viewOutput(await setAccountStaleAfter(ctx, name, step, parseStaleAfter(minutes)));
      }),
    );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    accounts
      .command(`${verb} <name>`)
      .description(`${verb} an account (disabled accounts are skipped by every sync step)`)
      .addHelpText('after', `\nExample:\n  $ jl-edge accounts ${verb} acme`)
      .action(
        handler(async (ctx, [name]) => {
          const { setAccount } = await import('../commands/accounts.js');
          return viewOutput(await setAccount(ctx, name, { enabled }));
        }),
      );
  }

  accounts
    .command('test <name>')
    .description('connect, verify the host key, and check every remote folder can be listed and written')
    .addHelpText(
      'after',
      '\nExample:\n  $ jl-edge accounts test acme    (exit 3 and the offered fingerprint when the host key does not match)',
    )
    .action(
      handler(async (ctx, [name]) => {
        const { testAccount } = await import('../commands/accounts.js');
        return testOutput(await testAccount(ctx, name));
      }),
    );
}
