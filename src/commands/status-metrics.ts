import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError, errorMessage } from '../core/errors.js';
import { ORDER_STATUSES } from '../db/repo/orders.js';
import type { AccountStatus, StatusResult } from './status.js';

/**
 * SPEC §5.9: the figures of `status` as Prometheus metrics (text exposition format 0.0.4), for
 * node_exporter's textfile collector or any scraper. Built from the StatusResult only, so the metrics and
 * `status` never disagree. Gauges throughout: every figure is a snapshot that can go down; none is a
 * counter, so no name ends in `_total`. Ages are 0 when nothing waits, so an alert on `> N` needs no
 * `absent()`. The README lists every metric.
 */

type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

interface MetricFamily {
  name: string;
  help: string;
  /** The samples of one account. */
  samples(account: AccountStatus, nowSeconds: number): Sample[];
}

const UNSENT_UPDATE_STATUSES = ['pending', 'failed'] as const;
const UPDATE_KINDS = ['shipment', 'cancellation', 'refund'] as const;

const seconds = (iso: string): number => Date.parse(iso) / 1000;
const ageSeconds = (iso: string | undefined | null, nowSeconds: number): number =>
  iso ? Math.max(0, nowSeconds - seconds(iso)) : 0;
const flag = (value: boolean): number => (value ? 1 : 0);
const one = (value: number): Sample[] => [{ labels: {}, value }];

/** Per step of the account, the steps `pick` gives a value for. */
function perStep(pick: (step: AccountStatus['steps'][number]) => number | null) {
  return (account: AccountStatus): Sample[] =>
    account.steps.flatMap((step) => {
      const value = pick(step);
      return value === null ? [] : [{ labels: { step: step.step }, value }];
    });
}

/** Per lock the account holds. */
function perLock(pick: (lock: AccountStatus['locks'][number], nowSeconds: number) => number) {
  return (account: AccountStatus, nowSeconds: number): Sample[] =>
    account.locks.map((lock) => ({ labels: { step: lock.step }, value: pick(lock, nowSeconds) }));
}

const FAMILIES: MetricFamily[] = [
  {
    name: 'jl_edge_account_enabled',
    help: '1 when the account is enabled (its sync steps run), 0 when disabled.',
    samples: (a) => one(flag(a.enabled)),
  },
  {
    name: 'jl_edge_account_needs_attention',
    help: '1 when `jl-edge status` says the account needs a person (it would exit 1), else 0.',
    samples: (a) => one(flag(a.attention.length > 0)),
  },
  {
    name: 'jl_edge_account_attention_reasons',
    help: 'Reasons `jl-edge status` gives for needing a person (one per failed run, late line, stale lock ...).',
    samples: (a) => one(a.attention.length),
  },
  {
    name: 'jl_edge_step_last_run_start_timestamp_seconds',
    help: 'When the last run of the step that did its work started (runs skipped on a held lock do not count).',
    samples: perStep((s) => (s.started_at ? seconds(s.started_at) : null)),
  },
  {
    name: 'jl_edge_step_last_run_end_timestamp_seconds',
    help: 'When the last run of the step ended (absent while it runs).',
    samples: perStep((s) => (s.ended_at ? seconds(s.ended_at) : null)),
  },
  {
    name: 'jl_edge_step_last_run_duration_seconds',
    help: 'How long the last run of the step took.',
    samples: perStep((s) => (s.duration_ms === null ? null : s.duration_ms / 1000)),
  },
  {
    name: 'jl_edge_step_last_run_exit_code',
    help: 'Exit code of the last run of the step: 0 done, 1 items failed, 2 usage, 3 connection, 70 internal error.',
    samples: perStep((s) => s.exit_code),
  },
  {
    name: 'jl_edge_step_last_run_outcome',
    help: 'Always 1, labelled with the outcome of the last run of the step: ok, partial, failed, error, running, never_run.',
    samples: (a) => a.steps.map((s) => ({ labels: { step: s.step, outcome: s.outcome.replace(/ /g, '_') }, value: 1 })),
  },
  {
    name: 'jl_edge_step_last_completed_timestamp_seconds',
    help: 'When a run of the step last completed its work (outcome ok or partial).',
    samples: perStep((s) => (s.last_completed_at ? seconds(s.last_completed_at) : null)),
  },
  {
    name: 'jl_edge_step_stale',
    help: '1 when the sync step has not completed a run for longer than its threshold, else 0.',
    samples: perStep((s) => (s.stale_after_minutes === null ? null : flag(s.stale))),
  },
  {
    name: 'jl_edge_step_stale_after_seconds',
    help: 'How long the sync step may go without completing a run before it is stale (accounts set-stale-after).',
    samples: perStep((s) => (s.stale_after_minutes === null ? null : s.stale_after_minutes * 60)),
  },
  {
    name: 'jl_edge_step_locked_skips',
    help: 'Runs of the step that did nothing since its last run because another run held the lock (exit 75).',
    samples: perStep((s) => s.skipped_locked),
  },
  {
    name: 'jl_edge_orders',
    help: 'Orders of the account per status.',
    samples: (a) => ORDER_STATUSES.map((status) => ({ labels: { status }, value: a.orders[status] ?? 0 })),
  },
  {
    name: 'jl_edge_order_awaiting_ack_oldest_age_seconds',
    help: 'Age of the oldest order awaiting its acknowledgement, from when it was downloaded (0 when none waits).',
    samples: (a, now) => one(ageSeconds(a.dates.oldest_awaiting_ack?.received_at, now)),
  },
  {
    name: 'jl_edge_order_awaiting_dispatch_oldest_age_seconds',
    help: 'Age of the oldest acknowledged order not fully dispatched, from when it was downloaded (0 when none).',
    samples: (a, now) => one(ageSeconds(a.dates.oldest_awaiting_dispatch?.received_at, now)),
  },
  {
    name: 'jl_edge_acknowledgements_overdue',
    help: "Orders awaiting their acknowledgement for longer than the account's ack_alert_minutes.",
    samples: (a) => one(a.dates.acknowledgements_overdue.length),
  },
  {
    name: 'jl_edge_order_lines_late',
    help: 'Order lines with units still to dispatch whose due date has passed.',
    samples: (a) => one(a.dates.lines_late.length),
  },
  {
    name: 'jl_edge_order_lines_due_today',
    help: 'Order lines with units still to dispatch that are due today (Europe/London).',
    samples: (a) => one(a.dates.lines_due_today.length),
  },
  {
    name: 'jl_edge_updates_unsent',
    help: 'Outgoing files not sent yet: pending (waiting or retrying) and failed (need a person).',
    samples: (a) =>
      UNSENT_UPDATE_STATUSES.map((status) => ({
        labels: { status },
        value: a.updates.filter((u) => u.status === status).length,
      })),
  },
  {
    name: 'jl_edge_updates_recorded_unsent',
    help: 'Shipments, cancellations and refunds recorded that no file has carried yet.',
    samples: (a) => UPDATE_KINDS.map((kind) => ({ labels: { kind }, value: a.recorded_unsent[kind] ?? 0 })),
  },
  {
    name: 'jl_edge_updates_unsent_overdue',
    help: 'Recorded shipments, cancellations and refunds still not sent well after they were recorded.',
    samples: (a) => one(a.dates.updates_unsent.length),
  },
  {
    name: 'jl_edge_stock_errors_open',
    help: 'Stock errors reported by The Edge and not cleared yet.',
    samples: (a) => one(a.stock_errors_open),
  },
  {
    name: 'jl_edge_cancel_requests_open',
    help: 'Customer cancellation requests not answered yet.',
    samples: (a) => one(a.cancel_requests.length),
  },
  {
    name: 'jl_edge_cancel_request_oldest_age_seconds',
    help: 'Age of the oldest unanswered customer cancellation request (0 when none is open).',
    samples: (a, now) => one(ageSeconds(a.cancel_requests[0]?.received_at, now)),
  },
  {
    name: 'jl_edge_lock_age_seconds',
    help: 'How long the run holding the step lock has held it.',
    samples: perLock((lock, now) => ageSeconds(lock.acquired_at, now)),
  },
  {
    name: 'jl_edge_lock_heartbeat_age_seconds',
    help: 'Time since the holder of the step lock last showed it is alive.',
    samples: perLock((lock, now) => ageSeconds(lock.heartbeat_at, now)),
  },
  {
    name: 'jl_edge_lock_stale',
    help: '1 when the step lock is stale (its holder is gone); `jl-edge unlock` clears it.',
    samples: perLock((lock) => flag(lock.stale)),
  },
];

/** The status as Prometheus text exposition: HELP and TYPE per family, then its samples for every account. */
export function renderMetrics(result: StatusResult): string {
  const nowSeconds = seconds(result.generated_at);
  const lines = [
    '# HELP jl_edge_status_generated_timestamp_seconds When jl-edge computed these figures.',
    '# TYPE jl_edge_status_generated_timestamp_seconds gauge',
    `jl_edge_status_generated_timestamp_seconds ${nowSeconds}`,
  ];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} gauge`);
    for (const account of result.accounts)
      for (const sample of family.samples(account, nowSeconds))
        lines.push(`${family.name}${formatLabels({ account: account.account, ...sample.labels })} ${sample.value}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${pairs.join(',')}}`;
}

/** The exposition format's escapes: backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Writes the metrics for node_exporter's textfile collector: a temp file in the same folder, then a
 * rename, so the collector never reads half a file. The temp name does not end in `.prom`, which the
 * collector ignores. Readable by all (node_exporter runs as its own user); the figures hold no secret.
 */
export async function writeTextfile(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text, { mode: 0o644 });
    // The process umask may have taken bits off the mode above.
    await chmod(temp, 0o644);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new UsageError(`cannot write the textfile ${path}: ${errorMessage(err)}`);
  }
}
