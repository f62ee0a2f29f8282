/** The sync steps, in the order `sync` runs them (SPEC §5.6). */
export const SYNC_STEPS = [
  'download-orders',
  'ack-orders',
  'push-stock',
  'send-shipments',
  'send-cancels',
  'send-refunds',
] as const;
export type SyncStep = (typeof SYNC_STEPS)[number];

/** Every step that takes a lock and writes the run log, for `status` and `unlock`. */
export const LOCKED_STEPS = [...SYNC_STEPS, 'export-orders', 'import-products', 'import-shipments', 'updates'] as const;

export function isSyncStep(value: string): value is SyncStep {
  return (SYNC_STEPS as readonly string[]).includes(value);
}

/**
 * ◇ How long a sync step may go without completing its work before `status` calls it stale, in minutes:
 * six runs of crontab.example's schedule (every 5 minutes; push-stock every 15). Longer than a deploy or
 * a server blip, short enough that a dead cron, a removed crontab or a host that is down is noticed
 * within the hour (the nightly `push-stock --full` is a push-stock run too). Overridden per account with
 * `accounts set-stale-after`.
 */
export const DEFAULT_STALE_AFTER_MINUTES: Readonly<Record<SyncStep, number>> = {
  'download-orders': 30,
  'ack-orders': 30,
  'push-stock': 90,
  'send-shipments': 30,
  'send-cancels': 30,
  'send-refunds': 30,
};

/** The threshold in force for one step of an account; null when the account turned it off. */
export function staleAfterMinutes(overrides: Partial<Record<SyncStep, number>>, step: SyncStep): number | null {
  const minutes = overrides[step] ?? DEFAULT_STALE_AFTER_MINUTES[step];
  return minutes === 0 ? null : minutes;
}
