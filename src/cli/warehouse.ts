import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import type { InboxFileReport } from '../commands/inbox.js';
import type { DestinationFlags, DestinationView } from '../commands/destinations.js';
import type { ExportedFile } from '../commands/export-orders.js';
import { EXPORT_FORMATS } from '../formats/warehouse-export.js';
import { handler, parseWholeNumberOption } from './action.js';
import { type CommandOutput, filePreview, okOutput } from './output.js';
import { syncStepOutput } from './steps.js';

function withDestinationOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return command
    .option('--dir <folder>', 'a local or mounted folder the warehouse reads (absolute path)')
    .option('--host <host>', 'SFTP host of the warehouse')
    .option('--port <port>', 'SFTP port (default 22)', parseWholeNumberOption)
    .option('--username <user>', 'SFTP user name')
    .option('--password-env <VAR>', 'NAME of the environment variable holding the password (never the password)')
    .option('--private-key <file>', 'private key file for SFTP')
    .option('--host-key <SHA256:…>', "the server's SHA256 host-key fingerprint")
    .option('--path <folder>', 'remote folder orders are written to (SFTP)')
    .option('--inbox <folder>', 'folder the warehouse drops shipment and stock files into (local, or remote for SFTP)');
}

function flagsOf(options: Omit<DestinationFlags, 'account'>, account: string | undefined): DestinationFlags {
  return { ...options, account };
}

function destinationLines(view: DestinationView): string[] {
  const where =
    view.transport === 'local'
      ? `folder ${view.dir}`
      : `sftp ${view.username}@${view.host}:${view.port}${view.path} (host key ${view.host_key ?? 'NOT PINNED'}, secret ${view.password_env ? `$${view.password_env}` : view.private_key})`;
  return [
    `${view.name}: ${where}`,
    `  orders of ${view.account ? `account ${view.account}` : 'every account'}; inbox ${view.inbox ?? 'none'}`,
  ];
}

function destinationOutput(command: string, view: DestinationView, done: string, dryRun: boolean): CommandOutput {
  return okOutput({ command, ...view }, [...destinationLines(view), dryRun ? 'dry run: nothing was stored' : done]);
}

function describeExports(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const file of (details.files as ExportedFile[] | undefined) ?? []) {
    lines.push(
      ...filePreview(`${file.destination}/${file.file_name} (${file.kind}: ${file.orders.join(', ')}):`, file.content),
    );
  }
  return lines;
}

/** ◇ How long a file without a marker must keep its size and time before an inbox run reads it. */
const DEFAULT_SETTLE_SECONDS = 5;

/** `--from`, `--settle` and `--strict` of the inbox form of import-shipments and import-products. */
export function withInboxOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return command
    .option('--from <dir|destination>', "collect every new *.csv from this folder, or from a destination's inbox")
    .option(
      '--settle <seconds>',
      `with --from: a file without a <name>.DONE marker is read once its size and time hold this long (default ${DEFAULT_SETTLE_SECONDS})`,
      parseWholeNumberOption,
    );
}

export const INBOX_HELP = `
With --from, every new *.csv in the folder is processed once (by name + content hash), oldest first,
never while it is still being written (it needs a <name>.DONE marker, or the same size and time in two
listings --settle seconds apart). A good file moves to done/; a file with rejected rows (recorded
unless --strict) or an unreadable one moves to failed/ with <name>.errors.txt beside it. The same
bytes dropped again are skipped, moved to failed/ and reported.`;

/** `import-… <file>` or `import-… --from <dir|destination>`: exactly one of the two. */
export function fileOrInbox(
  ctx: Context,
  step: 'import-shipments' | 'import-products',
  file: string | undefined,
  flags: { from?: string; settle?: number; strict?: boolean },
  fromFile: (path: string, strict: boolean) => Promise<CommandOutput>,
): Promise<CommandOutput> {
  if (flags.from !== undefined) {
    if (file !== undefined) throw new UsageError('give a file or --from <dir|destination>, not both');
    return inboxOutput(ctx, step, { ...flags, from: flags.from });
  }
  if (file === undefined) throw new UsageError('give a file (- for stdin) or --from <dir|destination>');
  return fromFile(file, flags.strict === true);
}

async function inboxOutput(
  ctx: Context,
  step: 'import-shipments' | 'import-products',
  flags: { from: string; settle?: number; strict?: boolean },
): Promise<CommandOutput> {
  const { processInbox } = await import('../commands/inbox.js');
  const options = {
    from: flags.from,
    strict: flags.strict === true,
    settleSeconds: flags.settle ?? DEFAULT_SETTLE_SECONDS,
  };
  const result =
    step === 'import-shipments'
      ? await processInbox(ctx, step, 'WarehouseShipments', options, async (...args) =>
          (await import('../commands/import-shipments.js')).importShipmentFile(...args),
        )
      : await processInbox(ctx, step, 'WarehouseProducts', options, async (...args) =>
          (await import('../commands/import-products.js')).importProductFile(...args, options.strict),
        );
  return syncStepOutput(result, ctx.options.dryRun, (details) =>
    ((details.file_reports as InboxFileReport[] | undefined) ?? []).map(
      (file) => `${file.file}: ${file.outcome}${file.errors.length ? ` (${file.errors.join('; ')})` : ''}`,
    ),
  );
}

export function registerWarehouse(program: Command): void {
  const destinations = program
    .command('destinations')
    .description('where acknowledged orders go (a warehouse folder, local or SFTP) and where files come back')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge destinations add shed --dir /srv/warehouse/out --inbox /srv/warehouse/in
  $ jl-edge destinations list
  $ jl-edge export-orders --destination shed            (cron step)
  $ jl-edge import-shipments --from shed                (cron step)`,
    );

  withDestinationOptions(destinations.command('add <name>'))
    .description('add a destination; --account ties it to one account (default: every account)')
    .addHelpText(
      'after',
      `
Examples:
  $ jl-edge destinations add shed --dir /srv/warehouse/out --inbox /srv/warehouse/in
  $ jl-edge destinations add 3pl --host sftp.3pl.example --username acme --password-env THREEPL_PASSWORD \\
      --host-key SHA256:… --path /in/orders --inbox /out/shipments --account acme`,
    )
    .action(
      handler(async (ctx, [name], options) => {
        const { addDestination } = await import('../commands/destinations.js');
        const view = await addDestination(ctx, name, flagsOf(options, ctx.options.account));
        return destinationOutput('destinations add', view, `added destination ${view.name}`, ctx.options.dryRun);
      }),
    );

  withDestinationOptions(destinations.command('set <name>'))
    .description('change a destination; --account ties it to that account')
    .addHelpText('after', '\nExample:\n  $ jl-edge destinations set shed --inbox /srv/warehouse/in')
    .action(
      handler(async (ctx, [name], options) => {
        const { setDestination } = await import('../commands/destinations.js');
        const view = await setDestination(ctx, name, flagsOf(options, ctx.options.account));
        return destinationOutput('destinations set', view, `updated destination ${view.name}`, ctx.options.dryRun);
      }),
    );

  destinations
    .command('list')
    .description('every destination')
    .action(
      handler(async (ctx) => {
        const { listDestinations } = await import('../commands/destinations.js');
        const views = await listDestinations(ctx);
        return okOutput(
          views,
          views.length ? views.flatMap(destinationLines) : ['no destinations: add one with `jl-edge destinations add`'],
        );
      }),
    );

  destinations
    .command('show <name>')
    .description('one destination')
    .action(
      handler(async (ctx, [name]) => {
        const { showDestination } = await import('../commands/destinations.js');
        const view = await showDestination(ctx, name);
        return okOutput(view, destinationLines(view));
      }),
    );

  destinations
    .command('remove <name>')
    .description('remove a destination and the record of what it received')
    .action(
      handler(async (ctx, [name]) => {
        const { removeDestination } = await import('../commands/destinations.js');
        const result = await removeDestination(ctx, name);
        return okOutput({ command: 'destinations remove', ...result }, [
          result.removed ? `removed destination ${result.name}` : `dry run: ${result.name} was not removed`,
        ]);
      }),
    );

  const inbox = program
    .command('inbox')
    .description('warehouse files rejected from an inbox (import-shipments|import-products --from)')
    .addHelpText(
      'after',
      `
A rejected file is moved to failed/ beside <name>.errors.txt, and status exits 1 until a person marks
it handled here (fix it and drop a corrected file, or deal with it outside jl-edge).

Examples:
  $ jl-edge status                                       (lists the rejected files)
  $ jl-edge inbox dismiss ship-0302.csv --reason "corrected file sent as ship-0302b.csv"`,
    );

  inbox
    .command('dismiss <file>')
    .description('mark a rejected inbox file handled, so status stops flagging it')
    .requiredOption('--reason <reason>', 'what was done about it (kept with the file)')
    .action(
      handler(async (ctx, [file], options) => {
        const { dismissInboxRejection } = await import('../commands/inbox.js');
        const dismissed = await dismissInboxRejection(ctx, { file, reason: options.reason });
        const verb = ctx.options.dryRun ? 'would mark' : 'marked';
        return okOutput(
          dismissed,
          dismissed.map(
            (d) =>
              `${verb} inbox file ${d.file} (${d.account}) handled: ${d.reason}` +
              (d.rejections > 1 ? ` (${d.rejections} rejections)` : ''),
          ),
        );
      }),
    );

  program
    .command('export-orders')
    .description('write every acknowledged order not yet exported to each destination, one file per run (cron step)')
    .option('--destination <name>', 'only this destination (default: every destination of the account)')
    .addOption(new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('csv'))
    .addHelpText(
      'after',
      `
One file per destination and run, orders-<token>.csv (or .jsonl): one row per order line with the
delivery details (columns in the README). Each order goes to each destination once: the file is stored
with its orders before it is written, written under a temporary name and renamed into place, and a run
cut off midway writes the same name and bytes again. A cancellation recorded after an order went out
follows as cancellations-<token>.csv, and so does a customer's cancellation request of an exported
order (status requested: hold the units; request_rejected once it is rejected: ship them). Counts:
orders, cancellations, cancel requests, files written, files waiting.

Examples:
  $ jl-edge export-orders --quiet
  $ jl-edge export-orders --destination shed --dry-run     (prints the file it would write)`,
    )
    .action(
      handler(async (ctx, _args, options) => {
        const { exportOrders } = await import('../commands/export-orders.js');
        const result = await exportOrders(ctx, options);
        return syncStepOutput(result, ctx.options.dryRun, describeExports);
      }),
    );
}
