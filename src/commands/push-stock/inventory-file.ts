/** Building the inventory file (SPEC §4.6) from the products a push selects, streamed page by page. */
import { createHash } from 'node:crypto';
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../core/process.js';
import { PushedRowsBatch, type EncodedPushRows, type PushCandidate } from '../../db/repo/stock.js';
import { DEFAULT_OUTBOUND, encodeText } from '../../formats/delimited.js';
import { INVENTORY_COLUMNS, renderInventoryHeader, renderInventoryRow } from '../../formats/inventory.js';
import { pagesOfLines } from './lines.js';
import { STEP, type PushScope } from './scope.js';

/** One inventory line for --dry-run and --json, named as the file's columns. */
export type InventoryLineView = Record<(typeof INVENTORY_COLUMNS)[number], string | number>;

/** The local inventory file and, beside it, the sent rows in the form `markPushed` takes. */
export interface BuiltInventory {
  path: string;
  /** The `markPushed` batches one after the other, `journalBatchBytes` long each (see `sentBatches`). */
  journalPath: string;
  journalBatchBytes: number[];
  rows: number;
  size: number;
  sha256: string;
  /** Products in the file whose open stock errors this push supersedes once it is delivered. */
  supersedesErrorsOf: number[];
}

/**
 * The lines a run would send, for --dry-run: nothing is written anywhere. Products named in new error
 * files are not marked for re-send by a dry run, so a delta preview shows them only when they changed
 * anyway; the error files themselves are listed in the details.
 */
export async function previewLines(scope: PushScope): Promise<InventoryLineView[]> {
  const lines: InventoryLineView[] = [];
  for await (const page of pagesOfLines(scope)) {
    page.candidates.forEach((candidate, i) => lines.push(lineView(candidate, page.sentStock[i]!)));
  }
  return lines;
}

/**
 * Streams the selected rows page by page into the inventory file and, beside it, a journal of the rows
 * as sent (one `markPushed` batch per page), hashing the file as it is written.
 */
export async function buildInventoryFile(
  scope: PushScope,
  workDir: string,
  namedProductIds: Set<number>,
): Promise<BuiltInventory> {
  const withOpenErrors = await scope.ctx.repo.stock.productIdsWithOpenErrors(scope.account.id);
  const built: BuiltInventory = {
    path: join(workDir, 'inventory.csv'),
    journalPath: join(workDir, 'sent-rows.json'),
    journalBatchBytes: [],
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
    for await (const { candidates, sentStock, changed } of pagesOfLines(scope)) {
      let text = '';
      // Only rows whose pushed record changes: a nightly full push of a steady catalogue records little.
      const toRecord = new PushedRowsBatch();
      for (let i = 0; i < candidates.length; i++) {
        const [productId, partNumber, tradedCode, leadTimeDays] = candidates[i]!;
        const stock = sentStock[i]!;
        text += renderInventoryRow({ partNumber, tradedCode, leadTimeDays, stock }, DEFAULT_OUTBOUND);
        if (withOpenErrors.has(productId) && !namedProductIds.has(productId)) built.supersedesErrorsOf.push(productId);
        if (changed[i]) toRecord.add(productId, partNumber, tradedCode, leadTimeDays, stock);
      }
      await append(text);
      if (toRecord.rows > 0) {
        const batch = Buffer.from(toRecord.encoded(), 'utf8');
        await writeAll(journal, batch);
        built.journalBatchBytes.push(batch.length);
      }
      built.rows += candidates.length;
      scope.ctx.logger.progress(`${STEP} ${scope.account.name}: ${built.rows.toLocaleString('en-GB')} rows written`);
    }
  } finally {
    await file.close();
    await journal.close();
    scope.ctx.logger.progressDone();
  }
  built.sha256 = hash.digest('hex');
  return built;
}

/**
 * The journal's batches as written, one at a time (memory stays flat). Each is read by its length: a
 * line reader over the 200,000 rows of a first push cost more than the reading itself.
 */
export async function* sentBatches(built: BuiltInventory): AsyncGenerator<EncodedPushRows> {
  const journal = await open(built.journalPath, 'r');
  try {
    for (const length of built.journalBatchBytes) {
      const batch = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await journal.read(batch, filled, length - filled);
        if (bytesRead === 0) throw new Error(`${built.journalPath} ends before its batches do`);
        filled += bytesRead;
      }
      yield batch.toString('utf8') as EncodedPushRows;
    }
  } finally {
    await journal.close();
  }
}

/** Local working folders are named after the process, so a killed run's folder can be told from a live one. */
export const WORK_DIR_PREFIX = 'jl-edge-push-stock-';

/**
 * Removes the working folders of runs that were killed before they could remove their own (a copy of the
 * catalogue's stock each). A folder whose process still runs belongs to a live push of another account
 * or another install, and stays; one that cannot be removed (another user's) is left alone.
 */
export async function removeAbandonedWorkDirs(): Promise<void> {
  const pattern = new RegExp(`^${WORK_DIR_PREFIX}(\\d+)-`);
  // Housekeeping only: an unreadable temporary folder must not stop the push.
  for (const entry of await readdir(tmpdir()).catch((): string[] => [])) {
    const pid = Number(pattern.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid))
      await rm(join(tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

function lineView([, partNumber, tradedCode, leadTimeDays]: PushCandidate, sentStock: number): InventoryLineView {
  return {
    part_number: partNumber,
    tradedCode,
    current_lead_time_to_delivery_in_days: leadTimeDays,
    free_stock: sentStock,
  };
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += (await handle.write(bytes, offset)).bytesWritten;
}
