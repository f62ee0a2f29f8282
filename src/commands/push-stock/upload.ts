/** Uploading the inventory file (SPEC §4.6): outbox row, upload, size check, then what each product was sent. */
import { errorMessage } from '../../core/errors.js';
import { faultUploadMidwayFromFile } from '../../core/fault-injection.js';
import { outgoingFileNames } from '../../core/outbox-sender.js';
import { isoNow } from '../../core/time.js';
import { inventoryFileName } from '../../formats/inventory.js';
import { joinRemote, type Transport } from '../../transport/transport.js';
import { sentBatches, type BuiltInventory } from './inventory-file.js';
import { STEP, type PushScope } from './scope.js';

/**
 * An inventory outbox row still pending belongs to a run that died mid-upload (the lock guarantees no
 * other run is uploading it). A prefix of the file may sit under its final name, where The Edge would
 * read it: it is removed. A file that did arrive whole is recorded as sent; its products were never
 * marked pushed, so they simply go out again in this run's file.
 */
export async function finishInterruptedUploads(scope: PushScope): Promise<void> {
  for (const row of await scope.ctx.repo.outbox.listPending(scope.account.id, 'StockUpdate')) {
    const finalPath = joinRemote(row.remoteDir, row.remoteName);
    try {
      await scope.transport.delete(joinRemote(row.remoteDir, temporaryUploadName(row.remoteName)));
      const size = await scope.transport.size(finalPath);
      if (size === row.size) {
        await scope.ctx.repo.outbox.markSent(row.id, isoNow(scope.ctx.clock));
        continue;
      }
      if (size !== null) await scope.transport.delete(finalPath);
      const left = size === null ? 'nothing reached the server' : 'the partial file was removed';
      await scope.ctx.repo.outbox.markFailed(
        row.id,
        `the upload was interrupted (${left}); a later push sends a fresh file`,
        isoNow(scope.ctx.clock),
      );
    } catch (err) {
      scope.errors.push({
        file: finalPath,
        message: `cannot clear up an interrupted upload (tried again next run): ${errorMessage(err)}`,
      });
    }
  }
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
export async function deliver(scope: PushScope, built: BuiltInventory): Promise<string | null> {
  const dir = scope.account.paths.StockUpdate;
  const nextName = await outgoingFileNames(scope.ctx.repo, scope.account.id, dir, scope.ctx.clock, inventoryFileName);
  const remoteName = nextName();
  const outboxRow = await scope.ctx.repo.outbox.insertPending({
    accountId: scope.account.id,
    flow: 'StockUpdate',
    orderId: null,
    remoteDir: dir,
    remoteName,
    marker: false,
    rowCount: built.rows,
    now: isoNow(scope.ctx.clock),
    // Only the size and hash: a 200,000-line file does not belong in a database row.
    file: { content: null, size: built.size, sha256: built.sha256 },
  });
  const finalPath = joinRemote(dir, remoteName);
  // ◇ SPEC §4.6: The Edge reads an inventory file as soon as it appears, so by default it is written once,
  // under its final name; `stock_upload = rename` is for servers known to ignore dot-names.
  const uploadPath =
    scope.account.stockUpload === 'rename' ? joinRemote(dir, temporaryUploadName(remoteName)) : finalPath;

  try {
    scope.ctx.logger.progress(
      `${STEP} ${scope.account.name}: uploading ${remoteName} (${built.rows.toLocaleString('en-GB')} rows)`,
    );
    await faultUploadMidwayFromFile(scope.transport, uploadPath, built.path, scope.ctx.env);
    // The transport checks the remote size after the write.
    await scope.transport.writeFromFile(uploadPath, built.path);
    if (uploadPath !== finalPath) await scope.transport.rename(uploadPath, finalPath, { overwrite: true });
  } catch (err) {
    await recordFailedUpload(scope, outboxRow.id, remoteName, uploadPath, err);
    return null;
  } finally {
    scope.ctx.logger.progressDone();
  }

  const sentAt = isoNow(scope.ctx.clock);
  await scope.ctx.repo.transaction(async (repo) => {
    await repo.outbox.markSent(outboxRow.id, sentAt);
    await repo.stock.markPushed(sentBatches(built), sentAt);
    await repo.stock.clearErrorsOfProducts(scope.account.id, built.supersedesErrorsOf, sentAt);
  });
  return remoteName;
}

/**
 * Removes what a failed upload left (best effort, over a fresh connection when the old one is gone) and
 * ends the outbox row. When the partial file cannot be removed the row stays pending, so the next run
 * removes it before anything else (`finishInterruptedUploads`).
 */
async function recordFailedUpload(
  scope: PushScope,
  outboxId: number,
  remoteName: string,
  uploadPath: string,
  failure: unknown,
): Promise<void> {
  const reason = errorMessage(failure);
  const now = (): string => isoNow(scope.ctx.clock);
  const removal = await removeRemoteFile(scope, uploadPath);
  if (removal === null) {
    await scope.ctx.repo.outbox.markFailed(outboxId, reason, now());
    scope.errors.push({
      file: remoteName,
      message: `upload failed, nothing left on the server; its products go out with the next run: ${reason}`,
    });
  } else {
    await scope.ctx.repo.outbox.recordFailedAttempt(
      outboxId,
      `${reason}; the partial file could not be removed: ${removal}`,
      now(),
    );
    scope.errors.push({
      file: remoteName,
      message: `upload failed and the partial file could not be removed (removed by the next run, which also sends the products): ${reason}; ${removal}`,
    });
  }
}

/** Deletes a remote file; returns null when it is gone, else why it could not be deleted. */
async function removeRemoteFile(scope: PushScope, path: string): Promise<string | null> {
  try {
    await scope.transport.delete(path);
    return null;
  } catch {
    // The failure that ended the upload usually took the connection with it.
  }
  let fresh: Transport | null = null;
  try {
    fresh = await scope.ctx.openTransport(scope.account, scope.deadline);
    await fresh.delete(path);
    return null;
  } catch (err) {
    return errorMessage(err);
  } finally {
    await fresh?.end();
  }
}

/** `stock_upload = rename`: the dot-name a file is uploaded under before its rename. */
function temporaryUploadName(remoteName: string): string {
  return `.${remoteName}`;
}
