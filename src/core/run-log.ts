/**
 * How a step's run ended, as the run log keeps it and `status` shows it. `partial`: the step did its job
 * but some items failed; `failed`: it could not do its job (no connection, a folder it cannot list);
 * `error`: a bug or a database failure stopped it (exit 70).
 */
export type RunOutcome = 'ok' | 'partial' | 'failed' | 'error' | 'locked' | 'dry-run';

/** Who holds a step's lock for an account (SPEC §6.4). */
export interface LockHolder {
  step: string;
  account: string;
  owner: string;
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
}
