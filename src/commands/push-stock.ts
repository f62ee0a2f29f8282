/**
 * `push-stock` (SPEC §4.6–4.7, §5.3): reads The Edge's stock error files, then builds the inventory file —
 * a delta by default, every listed product with `--full` — streamed from the database to a private local
 * file, uploads it under its final name without a marker, and only after the size check records what each
 * product was sent. 200,000 products is a normal catalogue: rows move page by page from the database to
 * disk and from disk to the server, so memory stays flat. The parts: push-stock/error-files.ts (read),
 * push-stock/inventory-file.ts (select and build), push-stock/upload.ts (upload and record).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../core/context.js';
import { faultPause } from '../core/fault-injection.js';
import { runStep, type AccountWork, type StepResult } from '../core/step.js';
import type { PushMode } from './push-stock/scope.js';
import { readErrorFiles } from './push-stock/error-files.js';
import {
  buildInventoryFile,
  previewLines,
  removeAbandonedWorkDirs,
  WORK_DIR_PREFIX,
} from './push-stock/inventory-file.js';
import { STEP, type PushScope } from './push-stock/scope.js';
import { deliver, finishInterruptedUploads } from './push-stock/upload.js';

export type { ErrorFileReport } from './push-stock/error-files.js';
export type { InventoryLineView } from './push-stock/inventory-file.js';

export interface PushStockOptions {
  /** Every product with a channel item id, instead of the delta. */
  full: boolean;
}

export async function pushStock(ctx: Context, options: PushStockOptions): Promise<StepResult> {
  const mode: PushMode = options.full ? 'full' : 'delta';
  return runStep(ctx, STEP, async ({ account, transport, deadline }) => {
    await faultPause('pause-after-lock', ctx.env);
    return pushForAccount({ ctx, account, transport, deadline, mode, errors: [] });
  });
}

async function pushForAccount(scope: PushScope): Promise<AccountWork> {
  const dryRun = scope.ctx.options.dryRun;
  if (!dryRun) await finishInterruptedUploads(scope);
  const read = await readErrorFiles(scope);
  const counts = { sent: 0, files: 0, errors_read: read.errorsRead };
  const details: Record<string, unknown> = { mode: scope.mode, error_files: read.reports };
  if (dryRun) {
    const lines = await previewLines(scope);
    return {
      counts: { ...counts, sent: lines.length, files: lines.length > 0 ? 1 : 0 },
      errors: scope.errors,
      details: { ...details, rows: lines },
    };
  }

  await removeAbandonedWorkDirs();
  // Private folder (mkdtemp creates it 0700): the file lives only until the upload is over.
  const workDir = await mkdtemp(join(tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-`));
  try {
    const built = await buildInventoryFile(scope, workDir, read.namedProductIds);
    if (built.rows === 0) return { counts, errors: scope.errors, details: { ...details, file: null } };
    const remoteName = await deliver(scope, built);
    if (remoteName !== null) {
      counts.sent = built.rows;
      counts.files = 1;
    }
    return { counts, errors: scope.errors, details: { ...details, file: remoteName } };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
