/**
 * Inboxes (SPEC §5.8): `import-shipments --from <dir|destination>` and `import-products --from …` collect
 * the CSV files a warehouse drops into a folder, unattended.
 *
 * - Every `*.csv` is read once, oldest first, and never while it is still being written: it is taken
 *   when its `<name>.DONE` marker exists, or else when its size and modification time are the same in
 *   two listings `settle` apart.
 * - A file is known by name + content hash. Its ledger row (`inbound_files`, raw bytes kept) is written
 *   in the transaction that records what the file produced, with the move still to do; the move to
 *   `done/` (or to `failed/`, with `<name>.errors.txt` naming each line, column and reason) follows, and
 *   a run cut off in between finishes the move next time without reading the file again.
 * - The same bytes dropped again under the same name are skipped, moved to `failed/` and reported; the
 *   same name with new bytes is a new file.
 */
import { resolve } from 'node:path';
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { faultCrash } from '../core/fault-injection.js';
import { formatItemError, runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { InboundFile, InboundFlow } from '../db/repo/inbound.js';
import { sha256Hex } from '../core/hash.js';
import type { Repository } from '../db/repository.js';
import { decodeText } from '../formats/delimited.js';
import { openDestinationTransport } from '../transport/open.js';
import { MARKER_SUFFIX } from '../formats/marker.js';
import { joinRemote, type RemoteEntry, type Transport } from '../transport/transport.js';

export const DONE_FOLDER = 'done';
export const FAILED_FOLDER = 'failed';
export const ERRORS_SUFFIX = '.errors.txt';

export interface InboxOptions {
  /** A destination's name (its inbox), or a local folder. */
  from: string;
  strict: boolean;
  /** How long a file without a marker must keep its size and time before it is read. */
  settleSeconds: number;
}

/** Reads one file's bytes into the database through `ctx.repo`; must not touch any other folder. */
export type InboxFileProcessor = (ctx: Context, account: Account, name: string, data: Buffer) => Promise<AccountWork>;

/** What happened to each file, for --json and --dry-run. */
export interface InboxFileReport {
  file: string;
  outcome: 'processed' | 'failed' | 'duplicate' | 'waiting';
  moved_to: string | null;
  errors: string[];
}

interface InboxLocation {
  label: string;
  folder: string;
  open(deadline: number): Promise<Transport>;
}

export async function processInbox(
  ctx: Context,
  step: 'import-shipments' | 'import-products',
  flow: InboundFlow,
  options: InboxOptions,
  processFile: InboxFileProcessor,
): Promise<StepResult> {
  const accounts = await ctx.selectAccounts();
  if (accounts.length > 1) {
    throw new UsageError(
      `${step} records into one account: choose one with --account (enabled: ${accounts.map((a) => a.name).join(', ')})`,
    );
  }
  const location = await locate(ctx, options.from);
  return runStep(
    ctx,
    step,
    async ({ account, deadline }) => {
      const transport = await location.open(deadline);
      try {
        return await new InboxRun(ctx, account, flow, location, transport, options, processFile).run();
      } finally {
        await transport.end();
      }
    },
    { transport: false },
  );
}

async function locate(ctx: Context, from: string): Promise<InboxLocation> {
  const destination = await ctx.repo.destinations.findByName(from);
  if (destination) {
    if (!destination.inbox) {
      throw new UsageError(`destination "${from}" has no inbox: jl-edge destinations set ${from} --inbox <folder>`);
    }
    return {
      label: `${from}:${destination.inbox}`,
      folder: destination.inbox,
      open: (deadline) => openDestinationTransport(destination, { env: ctx.env, deadline }),
    };
  }
  if (!from.startsWith('/') && !from.startsWith('.')) {
    const known = (await ctx.repo.destinations.list()).map((d) => d.name);
    if (!from.includes('/') && known.length > 0) {
      throw new UsageError(`--from ${from}: neither a destination (${known.join(', ')}) nor a folder path`);
    }
  }
  const folder = resolve(from);
  return {
    label: folder,
    folder,
    open: async () => {
      const { openLocalTransport } = await import('../transport/local.js');
      const transport = openLocalTransport('/');
      if (!(await transport.isDir(folder))) throw new UsageError(`--from ${from}: no such folder ${folder}`);
      return transport;
    },
  };
}

class RollBack extends Error {
  constructor(readonly work: AccountWork) {
    super('rolled back');
  }
}

class InboxRun {
  private readonly counts = { files: 0, processed: 0, failed: 0, duplicates: 0, waiting: 0, rows_rejected: 0 };
  private readonly errors: ItemError[] = [];
  private readonly reports: InboxFileReport[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly flow: InboundFlow,
    private readonly location: InboxLocation,
    private readonly transport: Transport,
    private readonly options: InboxOptions,
    private readonly processFile: InboxFileProcessor,
  ) {}

  async run(): Promise<AccountWork> {
    if (!this.ctx.options.dryRun) await this.finishMoves();
    const { ready, waiting } = await this.readyFiles();
    for (const name of waiting) this.reports.push({ file: name, outcome: 'waiting', moved_to: null, errors: [] });
    this.counts.waiting = waiting.length;
    for (const entry of ready) await this.take(entry);
    return {
      counts: { ...this.counts },
      errors: this.errors,
      details: { inbox: this.location.label, file_reports: this.reports },
    };
  }

  private path(...parts: string[]): string {
    return parts.reduce((dir, name) => joinRemote(dir, name), this.location.folder);
  }

  /** Moves left undone by a run that stopped after recording its files. */
  private async finishMoves(): Promise<void> {
    const pending = await this.ctx.repo.inbound.listPendingDisposals(this.account.id, this.flow);
    for (const file of pending.filter((f) => f.remoteDir === this.location.folder)) await this.move(file);
  }

  /** `*.csv` files ready to read, oldest first, and those still being written. */
  private async readyFiles(): Promise<{ ready: RemoteEntry[]; waiting: string[] }> {
    const first = await this.transport.list(this.location.folder);
    const names = new Set(first.map((entry) => entry.name));
    const candidates = first.filter((entry) => /\.csv$/i.test(entry.name) && !entry.name.startsWith('.'));
    const marked = candidates.filter((entry) => names.has(entry.name + MARKER_SUFFIX));
    const unmarked = candidates.filter((entry) => !names.has(entry.name + MARKER_SUFFIX));
    let stable: RemoteEntry[] = [];
    const waiting: string[] = [];
    if (unmarked.length > 0) {
      await new Promise((done) => setTimeout(done, this.options.settleSeconds * 1000));
      const second = new Map((await this.transport.list(this.location.folder)).map((entry) => [entry.name, entry]));
      for (const entry of unmarked) {
        const again = second.get(entry.name);
        if (again === undefined) continue;
        if (again.size === entry.size && again.modifiedAt === entry.modifiedAt) stable.push(again);
        else waiting.push(entry.name);
      }
    }
    stable = [...marked, ...stable].sort((a, b) => a.modifiedAt - b.modifiedAt || (a.name < b.name ? -1 : 1));
    return { ready: stable, waiting };
  }

  private async take(entry: RemoteEntry): Promise<void> {
    const { repo } = this.ctx;
    const dryRun = this.ctx.options.dryRun;
    this.counts.files++;
    const data = await this.transport.read(this.path(entry.name));
    const sha256 = sha256Hex(data);
    if (await repo.inbound.exists(this.account.id, entry.name, sha256)) {
      this.counts.duplicates++;
      const message = 'the same name and bytes were processed before: skipped, nothing recorded';
      this.errors.push({ file: entry.name, message });
      const movedTo = dryRun ? null : await this.moveAway(entry.name, FAILED_FOLDER, [`${entry.name}: ${message}`]);
      this.reports.push({ file: entry.name, outcome: 'duplicate', moved_to: movedTo, errors: [message] });
      return;
    }

    const unreadable = unreadableReason(data);
    let work: AccountWork;
    if (unreadable) {
      work = { counts: {}, errors: [{ file: entry.name, message: unreadable }] };
      if (!dryRun) await this.record(repo, entry.name, data, sha256, work.errors);
    } else if (dryRun) {
      work = await this.processFile(this.ctx, this.account, entry.name, data);
    } else {
      try {
        work = await repo.transaction(async (txRepo) => {
          const done = await this.processFile({ ...this.ctx, repo: txRepo }, this.account, entry.name, data);
          if (this.options.strict && done.errors.length > 0) throw new RollBack(done);
          await this.record(txRepo, entry.name, data, sha256, done.errors);
          return done;
        });
      } catch (err) {
        if (!(err instanceof RollBack)) throw err;
        const strictNote: ItemError = {
          file: entry.name,
          message: '--strict: nothing was recorded because the file has rejected rows',
        };
        work = { counts: err.work.counts, errors: [...err.work.errors, strictNote] };
        await repo.transaction((txRepo) => this.record(txRepo, entry.name, data, sha256, work.errors));
      }
    }
    faultCrash('inbox-after-record', this.ctx.env);

    const failed = work.errors.length > 0;
    this.errors.push(...work.errors.map((error) => ({ ...error, file: entry.name })));
    this.counts.rows_rejected += work.counts.rejected ?? work.counts.failed ?? 0;
    if (failed) this.counts.failed++;
    else this.counts.processed++;
    let movedTo: string | null = null;
    if (!dryRun) {
      const [logged] = (await repo.inbound.listPendingDisposals(this.account.id, this.flow)).filter(
        (f) => f.remoteDir === this.location.folder && f.remoteName === entry.name && f.sha256 === sha256,
      );
      if (logged) movedTo = await this.move(logged);
    }
    this.reports.push({
      file: entry.name,
      outcome: failed ? 'failed' : 'processed',
      moved_to: movedTo,
      errors: work.errors.map((error) => formatItemError({ ...error, file: undefined })),
    });
  }

  /** The ledger row, with the move to done/ or failed/ still to do. */
  private async record(
    repo: Repository,
    name: string,
    raw: Buffer,
    sha256: string,
    errors: ItemError[],
  ): Promise<void> {
    const failed = errors.length > 0;
    await repo.inbound.insert({
      accountId: this.account.id,
      flow: this.flow,
      remoteDir: this.location.folder,
      remoteName: name,
      raw,
      sha256,
      status: failed ? 'rejected' : 'processed',
      error: failed ? errors.map((error) => formatItemError({ ...error, file: name })).join('\n') : null,
      disposal: { kind: 'archive', dir: this.path(failed ? FAILED_FOLDER : DONE_FOLDER) },
      now: isoNow(this.ctx.clock),
    });
  }

  /** Finishes a logged file's move; a file no longer in the inbox was moved by an earlier run. */
  private async move(file: InboundFile): Promise<string | null> {
    let movedTo: string | null = null;
    if ((await this.transport.size(this.path(file.remoteName))) !== null) {
      const folder = file.pendingDisposal?.kind === 'archive' ? file.pendingDisposal.dir : this.path(DONE_FOLDER);
      const failed = folder.endsWith(`/${FAILED_FOLDER}`);
      movedTo = await this.moveAway(
        file.remoteName,
        failed ? FAILED_FOLDER : DONE_FOLDER,
        failed ? (file.error ?? '').split('\n') : null,
      );
    }
    await this.ctx.repo.inbound.markDisposalDone(file.id);
    return movedTo;
  }

  /**
   * Moves `name` into the sub-folder under a name not taken there (`x.csv`, else `x.2.csv` …), with the
   * errors file beside it first, so a failed file never sits in failed/ without its reasons.
   */
  private async moveAway(name: string, subFolder: string, errorLines: string[] | null): Promise<string> {
    const folder = this.path(subFolder);
    await this.transport.makeDir(folder);
    const target = await freeName(this.transport, folder, name);
    if (errorLines !== null) {
      await this.transport.write(joinRemote(folder, target + ERRORS_SUFFIX), Buffer.from(`${errorLines.join('\n')}\n`));
    }
    await this.transport.rename(this.path(name), joinRemote(folder, target));
    await this.transport.delete(this.path(name + MARKER_SUFFIX));
    return `${subFolder}/${target}`;
  }
}

async function freeName(transport: Transport, folder: string, name: string): Promise<string> {
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem}.${n}${extension}`;
    if ((await transport.size(joinRemote(folder, candidate))) === null) return candidate;
  }
}

/** ◇ A file that is not UTF-8 text (or holds NUL bytes: a binary file) is refused whole, before any row is read. */
export function unreadableReason(data: Buffer): string | null {
  if (data.includes(0)) return 'not a CSV text file: it holds binary data (NUL bytes)';
  const decoded = decodeText(data);
  return 'error' in decoded ? `${decoded.error}: save it as UTF-8 CSV` : null;
}

export interface InboxDismissal {
  account: string;
  file: string;
  /** Rejected copies of that name marked handled (the same name may have been rejected more than once). */
  rejections: number;
  reason: string;
}

/**
 * `inbox dismiss <file> --reason R`: a person dealt with a warehouse file rejected from an inbox, so
 * `status` stops flagging it (SPEC §5.9). Every selected account's unhandled rejections of that name.
 */
export async function dismissInboxRejection(
  ctx: Context,
  options: { file: string; reason: string },
): Promise<InboxDismissal[]> {
  const reason = options.reason.trim();
  if (reason === '') throw new UsageError('--reason must say what was done about the file');
  const dismissed: InboxDismissal[] = [];
  for (const account of await ctx.selectAccounts()) {
    const rejections = ctx.options.dryRun
      ? (await ctx.repo.inbound.unhandledInboxRejections(account.id)).filter((f) => f.remoteName === options.file)
          .length
      : await ctx.repo.inbound.markInboxRejectionHandled(account.id, options.file, reason, isoNow(ctx.clock));
    if (rejections > 0) dismissed.push({ account: account.name, file: options.file, rejections, reason });
  }
  if (dismissed.length === 0)
    throw new UsageError(
      `no rejected inbox file named "${options.file}" is waiting to be handled (jl-edge status lists them)`,
    );
  return dismissed;
}
