/**
 * The upload half of the outbox (SPEC §6.2), shared by ack-orders, send-shipments, send-cancels and
 * send-refunds: every pending row of a flow is delivered under its stored name with its stored bytes
 * (a repeat after a crash is therefore harmless), then marked sent in the same transaction that advances
 * the business state. A failed upload stays pending for the next run, or ends `failed` after
 * MAX_ATTEMPTS; a lost connection stops the loop and leaves the rest pending.
 */
import type { Account, PathLabel } from './account.js';
import type { Context } from './context.js';
import { errorMessage } from './errors.js';
import { faultUploadMidway } from './fault-injection.js';
import type { ItemError } from './step.js';
import { isoNow, type Clock } from './time.js';
import type { Repository } from '../db/repository.js';
import { MAX_ATTEMPTS, type OutboxRow } from '../db/repo/outbox.js';
import { fileNameToken, isFileNameToken } from '../formats/file-name-token.js';
import { deliverFile } from '../transport/deliver.js';
import { joinRemote, type Transport } from '../transport/transport.js';

export interface SendPendingOptions {
  account: Account;
  transport: Transport;
  /** Epoch ms after which no further upload starts. */
  deadline: number;
  flow: PathLabel;
  /** Advances the business state for a delivered row; runs in the transaction that marks the row sent. */
  onSent(repo: Repository, row: OutboxRow, sentAt: string): Promise<void>;
}

export interface SendOutcome {
  sent: number;
  /** Rows that reached MAX_ATTEMPTS in this run and now wait for a person. */
  failed: number;
  /** Rows still pending after this run (a failed attempt below the limit, or not reached). */
  pending: number;
  errors: ItemError[];
}

export async function sendPendingOutbox(ctx: Context, options: SendPendingOptions): Promise<SendOutcome> {
  const { account, transport, flow } = options;
  const rows = await ctx.repo.outbox.listPending(account.id, flow);
  const outcome: SendOutcome = { sent: 0, failed: 0, pending: 0, errors: [] };
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    if (Date.now() >= options.deadline) {
      outcome.errors.push({ message: `the whole-run deadline was reached: ${rows.length - index} ${flow} file(s) left pending for the next run` });
      break;
    }
    const remotePath = joinRemote(row.remoteDir, row.remoteName);
    try {
      if (row.content === null) throw new Error('the outbox row holds no content to upload');
      await faultUploadMidway(transport, remotePath, row.content, ctx.env);
      await deliverFile(transport, remotePath, row.content, { marker: row.marker });
    } catch (err) {
      const after = await ctx.repo.outbox.recordFailedAttempt(row.id, errorMessage(err), isoNow(ctx.clock));
      if (after.status === 'failed') outcome.failed++;
      outcome.errors.push({
        message:
          after.status === 'failed'
            ? `upload failed ${after.attempts} times, not retried again until a person does (jl-edge updates retry ${row.id}): ${errorMessage(err)}`
            : `upload failed (attempt ${after.attempts} of ${MAX_ATTEMPTS}), retried on the next run: ${errorMessage(err)}`,
        file: remotePath,
        order: row.orderNumber ?? undefined,
      });
      if (!(await remoteFolderReachable(transport, row.remoteDir))) {
        const left = rows.length - index - 1;
        if (left > 0) outcome.errors.push({ message: `lost the connection to ${row.remoteDir}: ${left} ${flow} file(s) left pending for the next run` });
        break;
      }
      continue;
    }
    const sentAt = isoNow(ctx.clock);
    await ctx.repo.transaction(async (repo) => {
      // Only a row still pending advances the business state: a person may have failed it meanwhile.
      if (await repo.outbox.markSent(row.id, sentAt)) await options.onSent(repo, row, sentAt);
    });
    outcome.sent++;
  }
  outcome.pending = rows.length - outcome.sent - outcome.failed;
  return outcome;
}

/** After a failed operation: is the folder still there to talk to, or is the connection gone? */
export async function remoteFolderReachable(transport: Transport, dir: string): Promise<boolean> {
  try {
    return await transport.isDir(dir);
  } catch {
    return false;
  }
}

const ZERO_TOKEN = '0'.repeat(20);

/**
 * File names for a run's outgoing files of one kind (`fileName(token)`, e.g. acknowledgementFileName):
 * each token comes from the clock but always sorts after the previous one, and after the latest name of
 * that kind already in the outbox for this folder, so no two files ever share a name.
 */
export async function outgoingFileNames(
  repo: Repository,
  accountId: number,
  remoteDir: string,
  clock: Clock,
  fileName: (token: string) => string,
): Promise<() => string> {
  const template = fileName(ZERO_TOKEN);
  const at = template.indexOf(ZERO_TOKEN);
  const prefix = template.slice(0, at);
  const suffix = template.slice(at + ZERO_TOKEN.length);
  const latest = await repo.outbox.lastRemoteName(accountId, remoteDir, prefix, suffix);
  const latestToken = latest?.slice(prefix.length, prefix.length + ZERO_TOKEN.length);
  let previous = latestToken !== undefined && isFileNameToken(latestToken) ? latestToken : undefined;
  return () => {
    previous = fileNameToken(clock.now(), previous);
    return fileName(previous);
  };
}
