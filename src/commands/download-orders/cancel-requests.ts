/**
 * The customer cancellation requests half of `download-orders` (SPEC §4.8): every ready, unprocessed
 * `cancel-<token>.txt` of the CancellationRequest folder, read after the run's order files so that a request
 * and its order arriving together always meet. Each file is logged once with its raw bytes; a defective one
 * is rejected with its problems (file and line), and never stops the run. A request is stored against its
 * order and lines; one whose order (or line) is not known yet is kept with the reason and applied by the run
 * that stores its order. With `auto_accept_cancellations`, every applied request is accepted at once.
 */
import type { Account } from '../../core/account.js';
import type { Context } from '../../core/context.js';
import { errorMessage } from '../../core/errors.js';
import type { AccountWork, ItemError } from '../../core/step.js';
import { isoNow } from '../../core/time.js';
import type { CancelRequest, NewCancelRequestLine } from '../../db/repo/cancel-requests.js';
import type { InboundStatus } from '../../db/repo/inbound.js';
import type { Order } from '../../db/repo/orders.js';
import { sha256Hex } from '../../core/hash.js';
import { isCancelRequestFileName, parseCancelRequest, type ParsedCancelRequest } from '../../formats/cancel-request.js';
import { joinRemote, type Transport } from '../../transport/transport.js';
import { acceptOpenRequests, describeShortfalls } from '../cancel-requests.js';
import { listedFolder, type ListedFolder } from './listed-folder.js';
import { itemError } from './decide.js';

const FLOW = 'CancellationRequest';
/** Who answers when the account accepts requests by itself. */
const AUTO_ACCEPTED_BY = 'download-orders (auto_accept_cancellations)';

export type CancelFileOutcome = 'stored' | 'rejected' | 'duplicate';

/** What one request file became, for --json and --dry-run. */
export interface CancelFileReport {
  file: string;
  outcome: CancelFileOutcome;
  order_number: string | null;
  /** The requested lines, as `line_ref x qty`. */
  lines: string[];
  problems: string[];
}

interface Classified {
  report: CancelFileReport;
  status: InboundStatus;
  parsed: ParsedCancelRequest;
}

export async function downloadCancelRequests(
  ctx: Context,
  account: Account,
  transport: Transport,
  deadline: number,
  /** The order numbers this run's order files stored (a dry run stored nothing, but would have). */
  ordersOfThisRun: ReadonlySet<string>,
  /** The folder as the run already listed it (the order folder is the same folder). */
  listing?: ListedFolder,
): Promise<AccountWork> {
  return new CancelRequestDownload(ctx, account, transport, deadline, ordersOfThisRun).run(listing);
}

class CancelRequestDownload {
  private readonly dir: string;
  private readonly dryRun: boolean;
  private readonly counts = { cancel_requests: 0, rejected: 0, duplicates: 0, skipped: 0 };
  private readonly errors: ItemError[] = [];
  private readonly files: CancelFileReport[] = [];
  /** Orders whose requests this run stored or applied: the ones auto-accept answers. */
  private readonly touchedOrders = new Map<number, string>();
  private accepted = 0;
  private appliedLater = 0;

  constructor(
    private readonly ctx: Context,
    private readonly account: Account,
    private readonly transport: Transport,
    private readonly deadline: number,
    private readonly ordersOfThisRun: ReadonlySet<string>,
  ) {
    this.dir = account.paths.CancellationRequest;
    this.dryRun = ctx.options.dryRun;
  }

  async run(listed?: ListedFolder): Promise<AccountWork> {
    const listing = listed ?? listedFolder(await this.transport.list(this.dir));
    const ready = listing.entries.filter(
      (entry) => isCancelRequestFileName(entry.name) && listing.isMarked(entry.name),
    );
    const unread = await this.ctx.repo.inbound.unlogged(this.account.id, FLOW, ready);
    this.counts.skipped += ready.length - unread.length;
    for (const entry of unread) {
      if (Date.now() >= this.deadline) {
        this.errors.push({
          message: 'the whole-run deadline was reached; the remaining cancellation requests are read on the next run',
        });
        break;
      }
      await this.importFile(entry.name);
    }
    if (!this.dryRun) {
      await this.applyWaitingRequests();
      if (this.account.autoAcceptCancellations) await this.autoAccept();
    }
    const seen = ready.length > 0 || this.appliedLater > 0;
    return {
      counts: seen
        ? {
            ...this.counts,
            ...(this.appliedLater > 0 ? { cancel_requests_applied: this.appliedLater } : {}),
            ...(this.account.autoAcceptCancellations ? { cancel_requests_accepted: this.accepted } : {}),
          }
        : {},
      errors: this.errors,
      details: this.files.length > 0 ? { cancel_request_files: this.files } : {},
    };
  }

  private async importFile(name: string): Promise<void> {
    let raw: Buffer;
    try {
      raw = await this.transport.read(joinRemote(this.dir, name));
    } catch (err) {
      this.errors.push({ file: name, message: `cannot read the file (tried again next run): ${errorMessage(err)}` });
      return;
    }
    const sha256 = sha256Hex(raw);
    if (await this.ctx.repo.inbound.exists(this.account.id, name, sha256)) {
      this.counts.skipped++;
      return;
    }
    const parsed = parseCancelRequest(raw, { encoding: this.account.encoding });
    const classified = await this.classify(name, parsed);
    this.files.push(classified.report);
    if (this.dryRun) return;

    const now = isoNow(this.ctx.clock);
    await this.ctx.repo.transaction(async (repo) => {
      const inboundFileId = await repo.inbound.insert({
        accountId: this.account.id,
        flow: FLOW,
        remoteDir: this.dir,
        remoteName: name,
        raw,
        sha256,
        status: classified.status,
        error: classified.report.problems.join('\n') || null,
        disposal: null,
        now,
      });
      if (classified.status !== 'processed') return;
      const [order] = await repo.orders.list(
        { accountId: this.account.id, orderNumber: parsed.orderNumber! },
        repo.batchSize,
      );
      const match = matchLines(parsed.orderNumber!, order, parsed.lines);
      const lines: NewCancelRequestLine[] = parsed.lines.map((line, index) => ({
        fileLine: line.line,
        lineRef: line.lineRef,
        lineId: match.lineIds[index],
        quantity: line.quantity,
        reason: line.reason,
        fields: line.fields,
      }));
      await repo.cancelRequests.insert({
        accountId: this.account.id,
        inboundFileId,
        orderNumber: parsed.orderNumber!,
        orderId: order?.id ?? null,
        fields: parsed.order,
        problem: match.problem,
        lines,
        now,
      });
      if (order) this.touchedOrders.set(order.id, order.orderNumber);
    });
  }

  /** Decides what a file becomes, counts it and reports its problems. */
  private async classify(name: string, parsed: ParsedCancelRequest): Promise<Classified> {
    const requested = parsed.lines.map((line) => `${line.lineRef} x${line.quantity}`);
    const report: CancelFileReport = {
      file: name,
      outcome: 'rejected',
      order_number: parsed.orderNumber,
      lines: requested,
      problems: [],
    };
    const high = parsed.problems.filter((problem) => problem.severity === 'high');
    if (parsed.orderNumber === null || high.length > 0) {
      report.problems = high.map((problem) => problem.message);
      this.counts.rejected++;
      for (const problem of high)
        this.errors.push(itemError(name, parsed.orderNumber, 'cancellation request rejected, nothing stored', problem));
      return { report, status: 'rejected', parsed };
    }

    const earlier = (await this.ctx.repo.cancelRequests.listForOrderNumber(this.account.id, parsed.orderNumber)).find(
      (request) => sameUnits(request, requested),
    );
    if (earlier) {
      const message = `order ${parsed.orderNumber}: the same request (${requested.join(', ')}) was already received in ${earlier.fileName} (${earlier.status}); this file changed nothing`;
      report.outcome = 'duplicate';
      report.problems = [message];
      this.counts.duplicates++;
      this.errors.push({ file: name, order: parsed.orderNumber, message: `duplicate: ${message}` });
      return { report, status: 'duplicate', parsed };
    }

    report.outcome = 'stored';
    this.counts.cancel_requests++;
    const [order] = await this.ctx.repo.orders.list(
      { accountId: this.account.id, orderNumber: parsed.orderNumber },
      this.ctx.repo.batchSize,
    );
    const { problem } = matchLines(parsed.orderNumber, order, parsed.lines);
    const wouldMatchInThisDryRun = this.dryRun && !order && this.ordersOfThisRun.has(parsed.orderNumber);
    if (problem !== null && !wouldMatchInThisDryRun) {
      report.problems = [problem];
      this.errors.push({ file: name, order: parsed.orderNumber, message: `cancellation request kept: ${problem}` });
    }
    return { report, status: 'processed', parsed };
  }

  /** Requests kept from earlier runs whose order (or line) this run may know now. */
  private async applyWaitingRequests(): Promise<void> {
    for (const request of await this.ctx.repo.cancelRequests.listUnapplied(this.account.id)) {
      const [order] = await this.ctx.repo.orders.list(
        { accountId: this.account.id, orderNumber: request.orderNumber },
        this.ctx.repo.batchSize,
      );
      if (!order) continue;
      const match = matchLines(request.orderNumber, order, request.lines);
      const lineIds = new Map<number, number>();
      match.lineIds.forEach((lineId, index) => {
        if (lineId !== null) lineIds.set(request.lines[index].id, lineId);
      });
      const newlyApplied = request.orderId === null || lineIds.size > request.lines.filter((l) => l.lineId).length;
      if (!newlyApplied) continue;
      await this.ctx.repo.cancelRequests.apply(request.id, order.id, lineIds, match.problem);
      this.touchedOrders.set(order.id, order.orderNumber);
      // A request applied by the run that stored it is that run's news, not an old request catching up.
      if (!this.files.some((file) => file.file === request.fileName)) this.appliedLater++;
    }
  }

  /** SPEC §4.8 `auto_accept_cancellations`: the units not yet shipped are cancelled; the rest is reported. */
  private async autoAccept(): Promise<void> {
    for (const [orderId, orderNumber] of this.touchedOrders) {
      const now = isoNow(this.ctx.clock);
      const outcome = await this.ctx.repo.transaction(async (repo) => {
        await repo.orderUpdates.lockOrder(orderId, now);
        const [order] = await repo.orders.list({ accountId: this.account.id, orderNumber }, repo.batchSize);
        return acceptOpenRequests(repo, order, AUTO_ACCEPTED_BY, now);
      });
      if ('refused' in outcome) {
        this.errors.push({ order: orderNumber, message: `cancellation request not accepted: ${outcome.refused}` });
        continue;
      }
      this.accepted += outcome.requests.length;
      const shortfall = describeShortfalls(outcome.shortfalls);
      if (shortfall !== null) {
        const cancelled = outcome.lines.map((line) => `line ${line.lineRef} x${line.quantity}`).join(', ');
        this.errors.push({
          order: orderNumber,
          message: `cancellation request accepted for ${cancelled} only: ${shortfall}`,
        });
      }
    }
  }
}

/** Same order, same lines, same units: the same request received twice. */
function sameUnits(request: CancelRequest, requested: string[]): boolean {
  const units = request.lines.map((line) => `${line.lineRef} x${line.quantity}`);
  return units.length === requested.length && units.every((unit) => requested.includes(unit));
}

/** The order line id of each requested line (null: unknown), and what cannot be tied yet (null: everything). */
function matchLines(
  orderNumber: string,
  order: Order | undefined,
  lines: readonly { lineRef: string }[],
): { lineIds: (number | null)[]; problem: string | null } {
  const lineIds = lines.map((line) => order?.lines.find((orderLine) => orderLine.lineRef === line.lineRef)?.id ?? null);
  if (!order) {
    return {
      lineIds,
      problem: `no order ${orderNumber} has been received yet: the request is kept and applied when the order arrives`,
    };
  }
  const unknown = lines.filter((_, index) => lineIds[index] === null).map((line) => JSON.stringify(line.lineRef));
  return {
    lineIds,
    problem:
      unknown.length === 0
        ? null
        : `order ${orderNumber} has no line ${unknown.join(', ')} (its lines: ${order.lines.map((line) => line.lineRef).join(', ')}); the rest of the request applies`,
  };
}
