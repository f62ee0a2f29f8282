/**
 * `download-orders` (SPEC §4.2, §5.3): reads every ready, unprocessed order file of OrderDownload and
 * stores its order (or the reason it could not) together with the file in one transaction. What a file
 * becomes is decided in download-orders/decide.ts; the reads ahead are in download-orders/read-ahead.ts.
 */
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { TransferError, UsageError, errorMessage } from '../core/errors.js';
import { faultCrash, faultPause } from '../core/fault-injection.js';
import { remoteFolderReachable } from '../core/outbox-sender.js';
import { runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import type { InboundStatus, NewInboundFile, RemoteDisposal, UnloggedFile } from '../db/repo/inbound.js';
import type { Repository } from '../db/repository.js';
import type { OrderStatus } from '../db/repo/orders.js';
import { sha256Hex } from '../core/hash.js';
import {
  isOrderFileName,
  isOrderFileOrMarkerName,
  markerNamesFor,
  parseOrderFile,
  type ParsedOrder,
} from '../formats/order-file.js';
import {
  assertSafeRemotePath,
  joinRemote,
  type RemoteEntry,
  type SkippedEntry,
  type Transport,
} from '../transport/transport.js';
import {
  COUNT_OF,
  decideOrderFile,
  usableOrderNumber,
  type EarlierOrder,
  type FileReport,
  type OrderFileDecision,
} from './download-orders/decide.js';
import { downloadCancelRequests } from './download-orders/cancel-requests.js';
import { listedFolder, type ListedFolder } from './download-orders/listed-folder.js';
import { ReadAhead } from './download-orders/read-ahead.js';

export type { FileOutcome, FileReport } from './download-orders/decide.js';

export interface DownloadOrdersOptions {
  /** Remote folder to move each recorded order file and its marker into, after the commit. */
  archiveTo?: string;
  /** Delete each recorded order file and its marker after the commit. */
  delete?: boolean;
}

const FLOW = 'OrderDownload';
export async function downloadOrders(ctx: Context, options: DownloadOrdersOptions): Promise<StepResult> {
  const disposal = disposalFrom(options);
  return runStep(ctx, 'download-orders', async ({ account, transport, deadline }) => {
    await faultPause('pause-after-lock', ctx.env);
    const download = new OrderDownload(ctx, account, transport, deadline, disposal);
    const orders = await download.run();
    const stored = ((orders.details?.files as FileReport[] | undefined) ?? []).flatMap((file) =>
      file.outcome === 'downloaded' || file.outcome === 'incomplete' ? [file.order_number!] : [],
    );
    // After the orders, so a request arriving with its order in one run finds it (SPEC §4.8).
    // Both labels name the incoming folder by default: one listing serves both (a listing is the costly part).
    const cancelListing =
      account.paths.CancellationRequest === account.paths.OrderDownload ? download.listing : undefined;
    return addWork(
      orders,
      await downloadCancelRequests(ctx, account, transport, deadline, new Set(stored), cancelListing),
    );
  });
}

/** One account's work of two halves of a step: counts added up, errors and details together. */
function addWork(first: AccountWork, second: AccountWork): AccountWork {
  const counts = { ...first.counts };
  for (const [name, value] of Object.entries(second.counts)) counts[name] = (counts[name] ?? 0) + value;
  return {
    counts,
    errors: [...first.errors, ...second.errors],
    details: { ...first.details, ...second.details },
  };
}

function disposalFrom(options: DownloadOrdersOptions): RemoteDisposal | null {
  if (options.archiveTo !== undefined && options.delete)
    throw new UsageError('--archive-to and --delete cannot be used together');
  if (options.delete) return { kind: 'delete' };
  if (options.archiveTo === undefined) return null;
  try {
    assertSafeRemotePath(options.archiveTo);
  } catch {
    throw new UsageError(
      `--archive-to ${options.archiveTo}: give an absolute remote folder without . or .. segments, e.g. /live/incoming/archive`,
    );
  }
  return { kind: 'archive', dir: options.archiveTo.replace(/(.)\/+$/, '$1') };
}

/** Stop reading more files: the connection is gone or the deadline passed. */
class RunStopped extends Error {}

/** Files imported per transaction (and looked up per query). */
const IMPORT_BATCH_FILES = 25;

interface ReadOrderFile {
  name: string;
  raw: Buffer;
  sha256: string;
  parsed: ParsedOrder;
}

type ClassifiedOrderFile = ReadOrderFile & { report: OrderFileDecision };
type StoredOrder = { id: number; status: OrderStatus; inboundFileName: string | null };

class OrderDownload {
  private readonly dir: string;
  private readonly dryRun: boolean;
  private readonly counts = {
    downloaded: 0,
    incomplete: 0,
    duplicates: 0,
    rejected: 0,
    skipped: 0,
    archived: 0,
    deleted: 0,
  };
  private readonly errors: ItemError[] = [];
  private readonly files: FileReport[] = [];
  private readonly notReady: string[] = [];
  /** Low-severity problems of stored orders (an unknown part number …): shown, but not failures. */
  private readonly warnings: ItemError[] = [];
  /** Orders a dry run would have stored, so a second file with the same number is reported as a duplicate. */
  private readonly dryRunOrders = new Map<string, EarlierOrder>();
  /** The order folder as this run listed it (empty until run() has listed it). */
  listing: ListedFolder = { entries: [], isMarked: () => false };
  /** Names in the listing, made when a disposal first needs them (most runs never do), less those disposed of. */
  private presentNames: Set<string> | null = null;
  /** Product id per part number looked up in this run; null: no product has it. */
  private readonly productIdCache = new Map<string, number | null>();

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly transport: Transport,
    private readonly deadline: number,
    private readonly disposal: RemoteDisposal | null,
  ) {
    this.dir = account.paths.OrderDownload;
    this.dryRun = ctx.options.dryRun;
  }

  async run(): Promise<AccountWork> {
    const listing = await this.transport
      .list(this.dir, (entry) => this.warnIfSkippedOrderFile(entry))
      .catch((err: unknown) => {
        throw new TransferError(
          `cannot list the order folder (OrderDownload), so no order can be read: ${errorMessage(err)} (check it with: jl-edge accounts test ${this.account.name})`,
        );
      });
    this.listing = listedFolder(listing);
    try {
      if (!this.dryRun) await this.finishPendingDisposals();
      await this.importReadyFiles(listing);
    } catch (err) {
      if (!(err instanceof RunStopped)) throw err;
      this.errors.push({ message: err.message });
    }
    return { counts: this.reportedCounts(), errors: this.errors, details: this.details() };
  }

  /**
   * A symbolic link, FIFO or device is never read as an order file (it could block the run or point
   * anywhere), and neither is a folder named like one; each is said once per run, not skipped silently.
   */
  private warnIfSkippedOrderFile(entry: SkippedEntry): void {
    if (entry.kind === 'folder' && !isOrderFileOrMarkerName(entry.name)) return;
    const what = { folder: 'a folder', symlink: 'a symbolic link', other: 'a special file (FIFO, socket or device)' };
    this.warnings.push({
      file: entry.name,
      message: `skipped: ${what[entry.kind]}, not a regular file; only regular files are read as order files`,
    });
  }

  private reportedCounts(): Record<string, number> {
    const { archived, deleted, ...counts } = this.counts;
    // Disposal counts only when asked for, or when a disposal left over from an earlier run was completed.
    return {
      ...counts,
      ...(this.disposal?.kind === 'archive' || archived > 0 ? { archived } : {}),
      ...(this.disposal?.kind === 'delete' || deleted > 0 ? { deleted } : {}),
    };
  }

  private details(): Record<string, unknown> {
    return {
      files: this.files,
      ...(this.notReady.length > 0 ? { not_ready: this.notReady } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
    };
  }

  /** Moves or deletes that an earlier run committed to but could not finish (SPEC §4.2: retried, never re-imported). */
  private async finishPendingDisposals(): Promise<void> {
    for (const file of await this.ctx.repo.inbound.listPendingDisposals(this.account.id, FLOW)) {
      await this.dispose(file.id, file.remoteDir, file.remoteName, file.pendingDisposal!);
    }
  }

  private async importReadyFiles(listing: RemoteEntry[]): Promise<void> {
    const ready: RemoteEntry[] = [];
    let previous: string | undefined;
    for (const entry of listing) {
      // The listing is sorted: a name it repeats comes right after itself, and is never read twice in a run.
      if (entry.name === previous || !isOrderFileName(entry.name)) continue;
      previous = entry.name;
      // Files this run already archived or deleted (left over from an earlier run) are gone.
      if (this.presentNames !== null && !this.presentNames.has(entry.name)) continue;
      if (this.listing.isMarked(entry.name)) ready.push(entry);
      else this.notReady.push(entry.name);
    }
    this.counts.skipped += this.notReady.length;

    // Name and size from the listing recognise a file already logged without reading it again.
    const unread = await this.ctx.repo.inbound.unlogged(this.account.id, FLOW, ready);
    this.counts.skipped += ready.length - unread.length;
    if (this.disposal && !this.dryRun) {
      for (const logged of await this.ctx.repo.inbound.loggedNotDisposed(this.account.id, FLOW, ready)) {
        await this.ctx.repo.inbound.requestDisposal(logged.id, this.disposal);
        await this.dispose(logged.id, this.dir, logged.name, this.disposal);
      }
    }
    await this.importFiles(unread);
  }

  /**
   * Imports the files the log does not hold yet, in listing order, a batch at a time: read ahead (see
   * ReadAhead), then looked up in the database with one query per batch, and logged with their orders in
   * one transaction per batch — a transaction per file cost more than reading the file.
   */
  private async importFiles(fresh: UnloggedFile[]): Promise<void> {
    // A batch's worth and more in flight, so the next batch arrives while one is stored.
    const reads = new ReadAhead(
      this.transport,
      fresh.map((entry) => joinRemote(this.dir, entry.name)),
      2 * IMPORT_BATCH_FILES,
    );
    let next = 0;
    while (next < fresh.length) {
      const batch: ReadOrderFile[] = [];
      const orderNumbers = new Set<string>();
      let stopped: RunStopped | null = null;
      while (next < fresh.length && batch.length < IMPORT_BATCH_FILES) {
        if (Date.now() >= this.deadline) {
          stopped = new RunStopped(
            'the whole-run deadline was reached; the remaining order files are read on the next run',
          );
          break;
        }
        const { name, nameLogged } = fresh[next]!;
        let raw: Buffer;
        try {
          raw = await reads.at(next);
        } catch (err) {
          next++;
          this.errors.push({
            file: name,
            message: `cannot read the file (tried again next run): ${errorMessage(err)}`,
          });
          if (!(await remoteFolderReachable(this.transport, this.dir))) {
            stopped = new RunStopped(
              `lost the connection to ${this.dir}; the remaining order files are read on the next run`,
            );
            break;
          }
          continue;
        }
        const sha256 = sha256Hex(raw);
        // A name the log does not know cannot be this file: this run, holding the lock, is the only writer.
        if (nameLogged && (await this.ctx.repo.inbound.exists(this.account.id, name, sha256))) {
          this.counts.skipped++;
          next++;
          continue;
        }
        const parsed = parseOrderFile(raw, { encoding: this.account.encoding });
        const orderNumber = usableOrderNumber(parsed);
        // A second file of one order number goes into the next batch, which finds the first one stored.
        if (orderNumber !== null && orderNumbers.has(orderNumber)) break;
        if (orderNumber !== null) orderNumbers.add(orderNumber);
        batch.push({ name, raw, sha256, parsed });
        next++;
      }
      await this.storeBatch(batch, [...orderNumbers]);
      if (stopped) throw stopped;
    }
  }

  /** Classifies the files of a batch in order, then logs them with their orders in one transaction. */
  private async storeBatch(batch: ReadOrderFile[], orderNumbers: string[]): Promise<void> {
    if (batch.length === 0) return;
    const stored =
      orderNumbers.length > 0
        ? await this.ctx.repo.orders.findStoredMany(this.account.id, orderNumbers, this.ctx.repo.batchSize)
        : new Map();
    await this.lookUpProducts(batch.flatMap((file) => file.parsed.lines.map((line) => line.partNumber)));
    const classified = batch.map((file) => {
      const report = decideOrderFile({
        name: file.name,
        parsed: file.parsed,
        account: this.account,
        earlier: (orderNumber) => this.storedOrder(orderNumber, stored),
        productIds: this.knownProductIds(file.parsed.lines.map((line) => line.partNumber)),
      });
      this.counts[COUNT_OF[report.file.outcome]]++;
      this.errors.push(...report.errors);
      this.warnings.push(...report.warnings);
      if (this.dryRun && report.order)
        this.dryRunOrders.set(report.order.orderNumber, {
          from: file.name,
          status: `${report.order.status}, in this dry run`,
        });
      this.files.push(report.file);
      return { ...file, report };
    });
    if (this.dryRun) return;

    const now = isoNow(this.ctx.clock);
    let ids: Map<string, number>;
    try {
      ids = await this.ctx.repo.transaction(async (repo) => {
        const logged = await repo.inbound.insertMany(
          classified.map((file) => this.logEntry(file, now)),
          repo.batchSize,
        );
        const orders = classified.flatMap((file) =>
          file.report.order && file.report.replaces === null
            ? [{ ...file.report.order, inboundFileId: logged.get(file.name)!, now }]
            : [],
        );
        await repo.orders.insertMany(orders, repo.batchSize);
        for (const file of classified) await this.replaceOrder(repo, file, logged.get(file.name)!, now);
        return logged;
      });
    } catch {
      // A file the database refuses must not cost the others: each is stored on its own instead.
      ids = new Map();
      for (const file of classified) ids.set(file.name, await this.storeOne(file, now));
    }
    faultCrash('after-commit', this.ctx.env);
    if (this.disposal) {
      for (const file of classified) await this.dispose(ids.get(file.name)!, this.dir, file.name, this.disposal);
    }
  }

  /** One file and its order in a transaction of their own: the file's log id. */
  private async storeOne(file: ClassifiedOrderFile, now: string): Promise<number> {
    try {
      return await this.ctx.repo.transaction(async (repo) => {
        const id = await repo.inbound.insert(this.logEntry(file, now));
        if (file.report.order && file.report.replaces === null)
          await repo.orders.insert({ ...file.report.order, inboundFileId: id, now }, repo.batchSize);
        await this.replaceOrder(repo, file, id, now);
        return id;
      });
    } catch (err) {
      return this.rejectUnstorable(file.name, file.raw, file.sha256, file.report.file, err, now);
    }
  }

  /** Replaces the incomplete order a corrected file is for; a no-op for any other file. */
  private async replaceOrder(repo: Repository, file: ClassifiedOrderFile, inboundFileId: number, now: string) {
    const { order, replaces } = file.report;
    if (!order || replaces === null) return;
    if (!(await repo.orders.replaceIncomplete(replaces, { ...order, inboundFileId, now }, repo.batchSize))) {
      // Acknowledged or dismissed since this run looked: the file is a duplicate after all, and stored as one.
      throw new Error(`order ${order.orderNumber} is no longer incomplete`);
    }
  }

  /** The exchange-log row of a file read now; a disposal asked for is recorded as pending with it. */
  private logEntry(file: ClassifiedOrderFile, now: string): NewInboundFile {
    const { report } = file;
    const status: InboundStatus = report.order
      ? 'processed'
      : report.file.outcome === 'duplicate'
        ? 'duplicate'
        : 'rejected';
    return this.rejectedEntry(file.name, file.raw, file.sha256, status, report.exchangeError, now);
  }

  private rejectedEntry(
    name: string,
    raw: Buffer,
    sha256: string,
    status: InboundStatus,
    error: string | null,
    now: string,
  ): NewInboundFile {
    return {
      accountId: this.account.id,
      flow: FLOW,
      remoteDir: this.dir,
      remoteName: name,
      raw,
      sha256,
      status,
      error,
      disposal: this.disposal,
      now,
    };
  }

  /**
   * A file whose order the database refused (a value too long for its column …) is still logged, with
   * the reason, so it is kept and not read again every run. If even that fails it is tried next run.
   */
  private async rejectUnstorable(
    name: string,
    raw: Buffer,
    sha256: string,
    report: FileReport,
    cause: unknown,
    now: string,
  ): Promise<number> {
    const reason = `could not store the order: ${errorMessage(cause)}`;
    this.counts[COUNT_OF[report.outcome]]--;
    this.counts.rejected++;
    report.outcome = 'rejected';
    report.problems.push(reason);
    this.errors.push({
      file: name,
      ...(report.order_number ? { order: report.order_number } : {}),
      message: `rejected, no order stored: ${reason}`,
    });
    try {
      return await this.ctx.repo.inbound.insert(this.rejectedEntry(name, raw, sha256, 'rejected', reason, now));
    } catch (err) {
      throw new RunStopped(`the database refused to log ${name} (it is read again next run): ${errorMessage(err)}`);
    }
  }

  /** Looks up the products of part numbers this run has not looked up yet: orders of a run share products. */
  private async lookUpProducts(partNumbers: string[]): Promise<void> {
    const unknown = [
      ...new Set(partNumbers.filter((partNumber) => partNumber !== '' && !this.productIdCache.has(partNumber))),
    ];
    if (unknown.length === 0) return;
    const found = await this.ctx.repo.orders.productIdsByChannelItemId(
      this.account.id,
      unknown,
      this.ctx.repo.batchSize,
    );
    for (const partNumber of unknown) this.productIdCache.set(partNumber, found.get(partNumber) ?? null);
  }

  /** Product id by part number, for part numbers looked up already. */
  private knownProductIds(partNumbers: string[]): Map<string, number> {
    const ids = new Map<string, number>();
    for (const partNumber of partNumbers) {
      const id = this.productIdCache.get(partNumber);
      if (id !== null && id !== undefined) ids.set(partNumber, id);
    }
    return ids;
  }

  private storedOrder(orderNumber: string, stored: Map<string, StoredOrder>): EarlierOrder | null {
    const inThisDryRun = this.dryRunOrders.get(orderNumber);
    if (inThisDryRun) return inThisDryRun;
    const order = stored.get(orderNumber);
    if (!order) return null;
    const earlier = { from: order.inboundFileName ?? 'an unknown file', status: order.status };
    return order.status === 'incomplete' ? { ...earlier, incompleteId: order.id } : earlier;
  }

  /**
   * Moves (or deletes) an order file and its markers, markers first so that a half-finished disposal
   * never leaves a marker that points at nothing. Repeatable: names no longer present are skipped.
   */
  private async dispose(inboundId: number, dir: string, name: string, disposal: RemoteDisposal): Promise<void> {
    try {
      for (const each of [...markerNamesFor(name), name]) {
        if (!(await this.remoteFileExists(dir, each))) continue;
        if (disposal.kind === 'archive') {
          await this.transport.rename(joinRemote(dir, each), joinRemote(disposal.dir, each), { overwrite: true });
        } else {
          await this.transport.delete(joinRemote(dir, each));
        }
        if (dir === this.dir) this.present().delete(each);
      }
    } catch (err) {
      const verb = disposal.kind === 'archive' ? `move it to ${disposal.dir}` : 'delete it';
      this.errors.push({
        file: name,
        message: `recorded, but could not ${verb} (tried again next run): ${errorMessage(err)}`,
      });
      if (!(await remoteFolderReachable(this.transport, this.dir)))
        throw new RunStopped(`lost the connection to ${this.dir}`);
      return;
    }
    await this.ctx.repo.inbound.markDisposalDone(inboundId);
    if (disposal.kind === 'archive') this.counts.archived++;
    else this.counts.deleted++;
  }

  private present(): Set<string> {
    return (this.presentNames ??= new Set(this.listing.entries.map((entry) => entry.name)));
  }

  /** The listing answers for the download folder (no extra round trip); another folder is asked. */
  private async remoteFileExists(dir: string, name: string): Promise<boolean> {
    if (dir === this.dir) return this.present().has(name);
    return (await this.transport.size(joinRemote(dir, name))) !== null;
  }
}
