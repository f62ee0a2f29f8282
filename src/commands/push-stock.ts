/**
 * `push-stock` (SPEC §4.6–4.7, §5.3): reads The Edge's stock error files, then builds the inventory file —
 * a delta by default, every listed product with `--full` — streamed from the database to a private local
 * file, uploads it under its final name without a marker, and only after the size check records what each
 * product was sent. 200,000 products is a normal catalogue: rows move page by page from the database to
 * disk and from disk to the server, so memory stays flat.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Account } from '../core/account.js';
import type { Context } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import { faultPause, faultUploadMidwayFromFile } from '../core/fault-injection.js';
import { outgoingFileNames } from '../core/outbox-sender.js';
import { processAlive, runStep, type AccountWork, type ItemError, type StepResult } from '../core/step.js';
import { isoNow } from '../core/time.js';
import { sha256Hex } from '../db/repo/outbox.js';
import { encodePushedRows, type EncodedPushRows, type PushMode, type PushRow } from '../db/repo/stock.js';
import { DEFAULT_OUTBOUND, encodeText } from '../formats/delimited.js';
import {
  INVENTORY_COLUMNS,
  inventoryFileName,
  renderInventoryHeader,
  renderInventoryRow,
} from '../formats/inventory.js';
import { isStockErrorFileName, parseStockErrorFile } from '../formats/stock-errors.js';
import { joinRemote, type RemoteEntry, type Transport } from '../transport/transport.js';

export interface PushStockOptions {
  /** Every product with a channel item id, instead of the delta. */
  full: boolean;
}

/** One inventory line for --dry-run and --json, named as the file's columns. */
export type InventoryLineView = Record<(typeof INVENTORY_COLUMNS)[number], string | number>;

/** A stock error file read in this run, for --json and --dry-run. */
export interface ErrorFileReport {
  file: string;
  errors: { line: number; part_number: string; message: string }[];
  problems: string[];
}

const STEP = 'push-stock';
const ERROR_FLOW = 'StockUpdateError';

export async function pushStock(ctx: Context, options: PushStockOptions): Promise<StepResult> {
  const mode: PushMode = options.full ? 'full' : 'delta';
  return runStep(ctx, STEP, async (scope) => {
    await faultPause('pause-after-lock', ctx.env);
    return new StockPush(ctx, scope.account, scope.transport, scope.deadline, mode).run();
  });
}

/** What the stock error files of this run changed. */
interface ErrorFilesRead {
  errorsRead: number;
  /** Products named in this run's error files: their open errors are not cleared by this run's push. */
  namedProductIds: Set<number>;
  reports: ErrorFileReport[];
}

/** The local inventory file and, beside it, the sent rows in the form `markPushed` takes. */
interface BuiltInventory {
  path: string;
  journalPath: string;
  rows: number;
  size: number;
  sha256: string;
  /** Products in the file whose open stock errors this push supersedes once it is delivered. */
  supersedesErrorsOf: number[];
}

class StockPush {
  private readonly errors: ItemError[] = [];
  private readonly dryRun: boolean;

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly transport: Transport,
    private readonly deadline: number,
    private readonly mode: PushMode,
  ) {
    this.dryRun = ctx.options.dryRun;
  }

  async run(): Promise<AccountWork> {
    if (!this.dryRun) await this.finishInterruptedUploads();
    const read = await this.readErrorFiles();
    const counts = { sent: 0, files: 0, errors_read: read.errorsRead };
    const details: Record<string, unknown> = { mode: this.mode, error_files: read.reports };
    if (this.dryRun) {
      const lines = await this.previewLines();
      return {
        counts: { ...counts, sent: lines.length, files: lines.length > 0 ? 1 : 0 },
        errors: this.errors,
        details: { ...details, rows: lines },
      };
    }

    await removeAbandonedWorkDirs();
    // Private folder (mkdtemp creates it 0700): the file lives only until the upload is over.
    const workDir = await mkdtemp(join(tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-`));
    try {
      const built = await this.buildInventoryFile(workDir, read.namedProductIds);
      if (built.rows === 0) return { counts, errors: this.errors, details: { ...details, file: null } };
      const remoteName = await this.deliver(built);
      if (remoteName !== null) {
        counts.sent = built.rows;
        counts.files = 1;
      }
      return { counts, errors: this.errors, details: { ...details, file: remoteName } };
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * An inventory outbox row still pending belongs to a run that died mid-upload (the lock guarantees no
   * other run is uploading it). A prefix of the file may sit under its final name, where The Edge would
   * read it: it is removed. A file that did arrive whole is recorded as sent; its products were never
   * marked pushed, so they simply go out again in this run's file.
   */
  private async finishInterruptedUploads(): Promise<void> {
    for (const row of await this.ctx.repo.outbox.listPending(this.account.id, 'StockUpdate')) {
      const finalPath = joinRemote(row.remoteDir, row.remoteName);
      try {
        await this.transport.delete(joinRemote(row.remoteDir, temporaryUploadName(row.remoteName)));
        const size = await this.transport.size(finalPath);
        if (size === row.size) {
          await this.ctx.repo.outbox.markSent(row.id, isoNow(this.ctx.clock));
          continue;
        }
        if (size !== null) await this.transport.delete(finalPath);
        const left = size === null ? 'nothing reached the server' : 'the partial file was removed';
        await this.ctx.repo.outbox.markFailed(
          row.id,
          `the upload was interrupted (${left}); a later push sends a fresh file`,
          isoNow(this.ctx.clock),
        );
      } catch (err) {
        this.errors.push({
          file: finalPath,
          message: `cannot clear up an interrupted upload (tried again next run): ${errorMessage(err)}`,
        });
      }
    }
  }

  /**
   * SPEC §4.7: every new error file is stored raw with the errors it reports, each error attached to its
   * product and the product marked for re-send — in one transaction per file, so a file is processed
   * once. A malformed file is reported and kept; the push goes on. A dry run reads and reports only.
   */
  private async readErrorFiles(): Promise<ErrorFilesRead> {
    const read: ErrorFilesRead = { errorsRead: 0, namedProductIds: new Set(), reports: [] };
    const dir = this.account.paths.StockUpdateError;
    let listing: RemoteEntry[];
    try {
      listing = (await this.transport.list(dir)).filter((entry) => isStockErrorFileName(entry.name));
    } catch (err) {
      // Stock levels must still reach The Edge when the error folder cannot be read.
      this.errors.push({
        file: dir,
        message: `cannot list the stock error folder (read again next run): ${errorMessage(err)}`,
      });
      return read;
    }
    const known = await this.ctx.repo.inbound.knownByName(
      this.account.id,
      ERROR_FLOW,
      listing.map((e) => e.name),
      this.ctx.repo.batchSize,
    );
    for (const entry of listing) {
      // Name and size from the listing recognise a file already stored without downloading it again.
      if (known.some((file) => file.remoteName === entry.name && file.size === entry.size)) continue;
      let raw: Buffer;
      try {
        raw = await this.transport.read(joinRemote(dir, entry.name));
      } catch (err) {
        this.errors.push({
          file: entry.name,
          message: `cannot read the stock error file (read again next run): ${errorMessage(err)}`,
        });
        continue;
      }
      const sha256 = sha256Hex(raw);
      if (await this.ctx.repo.inbound.exists(this.account.id, entry.name, sha256)) continue;

      const parsed = parseStockErrorFile(raw, { encoding: this.account.encoding });
      const problems = [...parsed.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      for (const problem of problems) {
        this.errors.push({
          file: entry.name,
          line: problem.line ?? undefined,
          message: withoutLinePrefix(problem.message),
        });
      }
      read.errorsRead += parsed.errors.length;
      read.reports.push({
        file: entry.name,
        errors: parsed.errors.map((e) => ({ line: e.line, part_number: e.partNumber, message: e.message })),
        problems: problems.map((problem) => problem.message),
      });
      if (this.dryRun) continue;

      const now = isoNow(this.ctx.clock);
      const named = await this.ctx.repo.transaction(async (repo) => {
        const inboundFileId = await repo.inbound.insert({
          accountId: this.account.id,
          flow: ERROR_FLOW,
          remoteDir: dir,
          remoteName: entry.name,
          raw,
          sha256,
          // Nothing usable in it: kept raw and listed by `status`, never read again.
          status: parsed.errors.length === 0 && problems.length > 0 ? 'rejected' : 'processed',
          error: problems.length > 0 ? problems.map((problem) => problem.message).join('\n') : null,
          disposal: null,
          now,
        });
        return repo.stock.recordErrors({ accountId: this.account.id, inboundFileId, errors: parsed.errors, now });
      });
      for (const id of named) read.namedProductIds.add(id);
    }
    return read;
  }

  private selection() {
    return {
      accountId: this.account.id,
      defaultLeadTimeDays: this.account.leadTimeDays,
      tradedCodeSource: this.account.tradedCodeSource,
      mode: this.mode,
    };
  }

  /**
   * The lines a run would send, for --dry-run: nothing is written anywhere. Products named in new error
   * files are not marked for re-send by a dry run, so a delta preview shows them only when they changed
   * anyway; the error files themselves are listed in the details.
   */
  private async previewLines(): Promise<InventoryLineView[]> {
    const lines: InventoryLineView[] = [];
    for await (const page of this.ctx.repo.stock.pagesToPush(this.selection())) {
      for (const row of page) lines.push(lineView(row));
    }
    return lines;
  }

  /**
   * Streams the selected rows page by page into the inventory file and, beside it, a journal of the rows
   * as sent (one `markPushed` batch per page), hashing the file as it is written.
   */
  private async buildInventoryFile(workDir: string, namedProductIds: Set<number>): Promise<BuiltInventory> {
    const withOpenErrors = await this.ctx.repo.stock.productIdsWithOpenErrors(this.account.id);
    const built: BuiltInventory = {
      path: join(workDir, 'inventory.csv'),
      journalPath: join(workDir, 'sent-rows.jsonl'),
      rows: 0,
      size: 0,
      sha256: '',
      supersedesErrorsOf: [],
    };
    const file = await open(built.path, 'wx', 0o600);
    const journal = await open(built.journalPath, 'wx', 0o600);
    const hash = createHash('sha256');
    const append = async (text: string): Promise<void> => {
      const bytes = encodeText(text, DEFAULT_OUTBOUND.encoding);
      hash.update(bytes);
      built.size += bytes.length;
      await writeAll(file, bytes);
    };
    try {
      await append(renderInventoryHeader(DEFAULT_OUTBOUND));
      for await (const page of this.ctx.repo.stock.pagesToPush(this.selection())) {
        let text = '';
        // Only rows whose pushed record changes: a nightly full push of a steady catalogue records little.
        const toRecord: PushRow[] = [];
        for (const row of page) {
          const [productId, partNumber, tradedCode, leadTimeDays, stock, changed] = row;
          text += renderInventoryRow({ partNumber, tradedCode, leadTimeDays, stock }, DEFAULT_OUTBOUND);
          if (withOpenErrors.has(productId) && !namedProductIds.has(productId))
            built.supersedesErrorsOf.push(productId);
          if (changed === 1) toRecord.push(row);
        }
        await append(text);
        if (toRecord.length > 0) await writeAll(journal, Buffer.from(`${encodePushedRows(toRecord)}\n`, 'utf8'));
        built.rows += page.length;
        this.ctx.logger.progress(`${STEP} ${this.account.name}: ${built.rows.toLocaleString('en-GB')} rows written`);
      }
    } finally {
      await file.close();
      await journal.close();
      this.ctx.logger.progressDone();
    }
    built.sha256 = hash.digest('hex');
    return built;
  }

  /**
   * Records the file in the outbox, uploads it and, once its size is verified, records what each product
   * was sent. Returns the remote name, or null when the upload failed.
   *
   * A failed upload ends its outbox row `failed`, never retried by name: the inventory file is a snapshot
   * of the selected rows when it was built, and re-sending it later could overwrite newer stock at The
   * Edge with older figures. Its products stay unpushed, so the next run builds a fresh file with their
   * current values.
   */
  private async deliver(built: BuiltInventory): Promise<string | null> {
    const dir = this.account.paths.StockUpdate;
    const nextName = await outgoingFileNames(this.ctx.repo, this.account.id, dir, this.ctx.clock, inventoryFileName);
    const remoteName = nextName();
    const outboxRow = await this.ctx.repo.outbox.insertPending({
      accountId: this.account.id,
      flow: 'StockUpdate',
      orderId: null,
      remoteDir: dir,
      remoteName,
      marker: false,
      rowCount: built.rows,
      now: isoNow(this.ctx.clock),
      // Only the size and hash: a 200,000-line file does not belong in a database row.
      file: { content: null, size: built.size, sha256: built.sha256 },
    });
    const finalPath = joinRemote(dir, remoteName);
    // ◇ SPEC §4.6: The Edge reads an inventory file as soon as it appears, so by default it is written once,
    // under its final name; `stock_upload = rename` is for servers known to ignore dot-names.
    const uploadPath =
      this.account.stockUpload === 'rename' ? joinRemote(dir, temporaryUploadName(remoteName)) : finalPath;

    try {
      this.ctx.logger.progress(
        `${STEP} ${this.account.name}: uploading ${remoteName} (${built.rows.toLocaleString('en-GB')} rows)`,
      );
      await faultUploadMidwayFromFile(this.transport, uploadPath, built.path, this.ctx.env);
      // The transport checks the remote size after the write.
      await this.transport.writeFromFile(uploadPath, built.path);
      if (uploadPath !== finalPath) await this.transport.rename(uploadPath, finalPath, { overwrite: true });
    } catch (err) {
      await this.recordFailedUpload(outboxRow.id, remoteName, uploadPath, err);
      return null;
    } finally {
      this.ctx.logger.progressDone();
    }

    const sentAt = isoNow(this.ctx.clock);
    await this.ctx.repo.transaction(async (repo) => {
      await repo.outbox.markSent(outboxRow.id, sentAt);
      for await (const batch of createInterface({ input: createReadStream(built.journalPath), crlfDelay: Infinity })) {
        // Each line was written by encodePushedRows above.
        await repo.stock.markPushed(batch as EncodedPushRows, sentAt);
      }
      await repo.stock.clearErrorsOfProducts(this.account.id, built.supersedesErrorsOf, sentAt);
    });
    return remoteName;
  }

  /**
   * Removes what a failed upload left (best effort, over a fresh connection when the old one is gone) and
   * ends the outbox row. When the partial file cannot be removed the row stays pending, so the next run
   * removes it before anything else (`finishInterruptedUploads`).
   */
  private async recordFailedUpload(
    outboxId: number,
    remoteName: string,
    uploadPath: string,
    failure: unknown,
  ): Promise<void> {
    const reason = errorMessage(failure);
    const now = (): string => isoNow(this.ctx.clock);
    const removal = await this.removeRemoteFile(uploadPath);
    if (removal === null) {
      await this.ctx.repo.outbox.markFailed(outboxId, reason, now());
      this.errors.push({
        file: remoteName,
        message: `upload failed, nothing left on the server; its products go out with the next run: ${reason}`,
      });
    } else {
      await this.ctx.repo.outbox.recordFailedAttempt(
        outboxId,
        `${reason}; the partial file could not be removed: ${removal}`,
        now(),
      );
      this.errors.push({
        file: remoteName,
        message: `upload failed and the partial file could not be removed (removed by the next run, which also sends the products): ${reason}; ${removal}`,
      });
    }
  }

  /** Deletes a remote file; returns null when it is gone, else why it could not be deleted. */
  private async removeRemoteFile(path: string): Promise<string | null> {
    try {
      await this.transport.delete(path);
      return null;
    } catch {
      // The failure that ended the upload usually took the connection with it.
    }
    let fresh: Transport | null = null;
    try {
      fresh = await this.ctx.openTransport(this.account, this.deadline);
      await fresh.delete(path);
      return null;
    } catch (err) {
      return errorMessage(err);
    } finally {
      await fresh?.end();
    }
  }
}

/** Local working folders are named after the process, so a killed run's folder can be told from a live one. */
const WORK_DIR_PREFIX = 'jl-edge-push-stock-';

/**
 * Removes the working folders of runs that were killed before they could remove their own (a copy of the
 * catalogue's stock each). A folder whose process still runs belongs to a live push of another account
 * or another install, and stays; one that cannot be removed (another user's) is left alone.
 */
async function removeAbandonedWorkDirs(): Promise<void> {
  const pattern = new RegExp(`^${WORK_DIR_PREFIX}(\\d+)-`);
  // Housekeeping only: an unreadable temporary folder must not stop the push.
  for (const entry of await readdir(tmpdir()).catch((): string[] => [])) {
    const pid = Number(pattern.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid))
      await rm(join(tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** `stock_upload = rename`: the dot-name a file is uploaded under before its rename. */
function temporaryUploadName(remoteName: string): string {
  return `.${remoteName}`;
}

function lineView([, partNumber, tradedCode, leadTimeDays, stock]: PushRow): InventoryLineView {
  return {
    part_number: partNumber,
    tradedCode,
    current_lead_time_to_delivery_in_days: leadTimeDays,
    free_stock: stock,
  };
}

/** The format's problem messages start with `line N: `; an ItemError carries the line on its own. */
function withoutLinePrefix(message: string): string {
  return message.replace(/^line \d+: /, '');
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += (await handle.write(bytes, offset)).bytesWritten;
}
