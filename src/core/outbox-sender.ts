/**
 * The upload half of the outbox (SPEC §6.2), shared by ack-orders, send-shipments, send-cancels and
 * send-refunds: every pending row of a flow is delivered under its stored name with its stored bytes
 * (a repeat after a crash is therefore harmless), then marked sent in the same transaction that advances
 * the business state. A failed upload stays pending for the next run, or ends `failed` after
 * MAX_ATTEMPTS; a lost connection stops the loop and leaves the rest pending.
 *
 * Deliveries of different orders overlap on the one connection (CONCURRENT_DELIVERIES); an order's own
 * files go one after another. Rows delivered together are marked sent together (SentRecorder).
 */
import type { Account, PathLabel } from './account.js';
import type { Context } from './context.js';
import { errorMessage } from './errors.js';
import { faultPause, faultUploadMidway } from './fault-injection.js';
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
  /**
   * Advances the business state of delivered rows (several at once); runs in the transaction that marks
   * them sent, and only for rows that were still pending.
   */
  onSent(repo: Repository, rows: OutboxRow[], sentAt: string): Promise<void>;
}

export interface SendOutcome {
  sent: number;
  /** Rows that reached MAX_ATTEMPTS in this run and now wait for a person. */
  failed: number;
  /** Rows still pending after this run (a failed attempt below the limit, or not reached). */
  pending: number;
  errors: ItemError[];
}

/**
 * Deliveries in flight at once on the one connection. A delivery is a few round trips, each mostly
 * waiting for the server; overlapping them hides most of that wait (ack-orders of 1,000 files against a
 * loopback sshd: 2.7 s one at a time, 1.8 s with eight; more gained little). Bounded, so a slow server
 * gets a short queue; one connection, so OpenSSH's MaxStartups never refuses us.
 */
export const CONCURRENT_DELIVERIES = 8;

export async function sendPendingOutbox(ctx: Context, options: SendPendingOptions): Promise<SendOutcome> {
  const { account, transport, flow } = options;
  const rows = await ctx.repo.outbox.listPending(account.id, flow);
  const recorder = new SentRecorder(ctx, options.onSent);
  /** Per row, in claim order, so the report reads the same however the deliveries overlapped. */
  const rowErrors = new Map<number, ItemError>();
  const counts = { sent: 0, failed: 0, attempted: 0 };
  /** Why no further delivery starts: the reason, worded once the number of files left is known. */
  const stop: { reason: ((left: number) => ItemError) | null; failure: unknown } = { reason: null, failure: null };

  /** Uploads one row; false when it failed (it stays pending, or has now failed for good). */
  const deliver = async (row: OutboxRow): Promise<boolean> => {
    const remotePath = joinRemote(row.remoteDir, row.remoteName);
    try {
      if (row.content === null) throw new Error('the outbox row holds no content to upload');
      await faultUploadMidway(transport, remotePath, row.content, ctx.env);
      await deliverFile(transport, remotePath, row.content, {
        marker: row.marker,
        beforeMarker: () => faultPause('before-marker', ctx.env),
      });
      return true;
    } catch (err) {
      const after = await ctx.repo.outbox.recordFailedAttempt(row.id, errorMessage(err), isoNow(ctx.clock));
      if (after.status === 'failed') counts.failed++;
      rowErrors.set(row.id, {
        message:
          after.status === 'failed'
            ? `upload failed ${after.attempts} times, not retried again until a person does (jl-edge updates retry ${row.id}): ${errorMessage(err)}`
            : `upload failed (attempt ${after.attempts} of ${MAX_ATTEMPTS}), retried on the next run: ${errorMessage(err)}`,
        file: remotePath,
        order: row.orderNumber ?? undefined,
      });
      if (!stop.reason && !(await remoteFolderReachable(transport, row.remoteDir))) {
        stop.reason = (left) => ({
          message: `lost the connection to ${row.remoteDir}: ${left} ${flow} file(s) left pending for the next run`,
        });
      }
      return false;
    }
  };

  // One update in flight per order (SPEC §3): an order's files go one after another, each only once the
  // one before it is recorded sent; different orders overlap. The last file of an order is recorded while
  // the worker goes on with the next order.
  const queue = [...groupByOrder(rows)];
  const recordings: Promise<void>[] = [];
  const worker = async (): Promise<void> => {
    for (let chain = queue.shift(); chain; chain = queue.shift()) {
      for (const [index, row] of chain.entries()) {
        if (stop.reason || stop.failure) return;
        if (Date.now() >= options.deadline) {
          stop.reason = (left) => ({
            message: `the whole-run deadline was reached: ${left} ${flow} file(s) left pending for the next run`,
          });
          return;
        }
        counts.attempted++;
        try {
          if (!(await deliver(row))) break;
        } catch (err) {
          // The database failed: no further delivery starts; the step fails once the others are done.
          stop.failure = err;
          throw err;
        }
        const followedInOrder = index < chain.length - 1;
        const recorded = recorder.markSent(row, followedInOrder).then(
          () => void counts.sent++,
          (err: unknown) => void (stop.failure ??= err),
        );
        if (!followedInOrder) {
          recordings.push(recorded);
        } else {
          await recorded;
          if (stop.failure) return;
        }
      }
    }
  };
  const workers = await Promise.allSettled(
    Array.from({ length: Math.min(CONCURRENT_DELIVERIES, queue.length) }, worker),
  );
  await recorder.flush();
  await Promise.all(recordings);
  // Rethrown only now, so that no delivery is still using the connection when the step closes it.
  const crashed = workers.find((result) => result.status === 'rejected');
  if (crashed) throw crashed.reason;
  if (stop.failure) throw stop.failure;

  const errors = rows.flatMap((row) => rowErrors.get(row.id) ?? []);
  const left = rows.length - counts.attempted;
  if (stop.reason && left > 0) errors.push(stop.reason(left));
  return { sent: counts.sent, failed: counts.failed, pending: rows.length - counts.sent - counts.failed, errors };
}

/** Rows grouped by order, in claim order; a row of no order is a group of its own. */
function groupByOrder(rows: OutboxRow[]): OutboxRow[][] {
  const groups = new Map<number | string, OutboxRow[]>();
  for (const row of rows) {
    const key = row.orderId ?? `row ${row.id}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()];
}

/**
 * How long a delivered row may wait to be marked sent, so that the rows delivered meanwhile share its
 * transaction. On SQLite a commit blocks the one thread that also drives the uploads, and committing each
 * time the previous commit was done gave transactions of one or two rows (ack-orders of 1,000: 600
 * transactions, 12,500 writes to the database files); a crash in this window only costs the next run a
 * size check of each file (deliverFile).
 */
const RECORD_DELAY_MS = 100;

/**
 * Marks delivered rows sent and advances their business state, many rows per transaction. A row is only
 * ever marked once its file and marker are on the server (SPEC §6.2); a crash before its transaction
 * commits leaves it pending, and the next run finds the file complete and sends nothing again.
 */
class SentRecorder {
  private waiting: { row: OutboxRow; done: () => void; fail: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | null = null;

  constructor(
    private readonly ctx: Context,
    private readonly onSent: SendPendingOptions['onSent'],
  ) {}

  /** `awaited`: the caller waits for it (the next file of the order), so it is committed at once. */
  markSent(row: OutboxRow, awaited: boolean): Promise<void> {
    return new Promise((done, fail) => {
      this.waiting.push({ row, done, fail });
      this.schedule(awaited ? 0 : RECORD_DELAY_MS);
    });
  }

  /** Commits every row still waiting; resolves once none is left. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length > 0 || this.committing) await this.startCommit();
  }

  /** A commit in `delayMs` unless one is sooner; a commit under way takes whatever waits when it ends. */
  private schedule(delayMs: number): void {
    if (this.committing || (this.timer && delayMs > 0)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.startCommit();
    }, delayMs);
  }

  private startCommit(): Promise<void> {
    this.committing ??= this.commitWaiting().finally(() => {
      this.committing = null;
      // Rows that came after the last transaction's batch was taken, as it ended.
      if (this.waiting.length > 0) this.schedule(0);
    });
    return this.committing;
  }

  private async commitWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      try {
        const sentAt = isoNow(this.ctx.clock);
        await this.ctx.repo.transaction(async (repo) => {
          const marked = new Set(
            await repo.outbox.markSentMany(
              batch.map(({ row }) => row.id),
              sentAt,
              repo.batchSize,
            ),
          );
          // Only a row still pending advances the business state: a person may have failed it meanwhile.
          const sent = batch.map(({ row }) => row).filter((row) => marked.has(row.id));
          if (sent.length > 0) await this.onSent(repo, sent, sentAt);
        });
        for (const entry of batch) entry.done();
      } catch (err) {
        for (const entry of batch) entry.fail(err);
      }
    }
  }
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
