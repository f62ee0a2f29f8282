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
