/**
 * Typed errors and the exit-code contract (SPEC §5.7). The CLI layer is the only place that turns
 * these into process exit codes; commands throw them or report them in their result objects (a held
 * lock is such a result: exit 75 per account, see core/step.ts).
 */
export const ExitCode = {
  ok: 0,
  itemsFailed: 1,
  usage: 2,
  connection: 3,
  /** EX_SOFTWARE: a bug or an unexpected database failure, not something a user's input caused. */
  internal: 70,
  locked: 75,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class JlEdgeError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments, bad configuration, unknown account: exit 2. */
export class UsageError extends JlEdgeError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Could not connect, authenticate, or the host key did not match: exit 3. */
export class ConnectionError extends JlEdgeError {
  constructor(
    message: string,
    /** The SHA256 fingerprint the server offered, when the failure was a host-key refusal. */
    readonly offeredFingerprint?: string,
  ) {
    super(message, ExitCode.connection);
  }
}

/**
 * A remote operation failed after the connection was up (upload, rename, read …): an item failure when
 * a step catches it for one item, a failed run when it stops the step (a folder it cannot list).
 */
export class TransferError extends JlEdgeError {
  constructor(message: string) {
    super(message, ExitCode.itemsFailed);
  }
}

/** Another run holds what this one needs (a schema migration in progress): exit 75, cron tries again. */
export class LockedError extends JlEdgeError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

/** Exit codes from least to most serious: an internal error outranks everything a user can fix. */
const SEVERITY: readonly number[] = [
  ExitCode.ok,
  ExitCode.itemsFailed,
  ExitCode.locked,
  ExitCode.connection,
  ExitCode.usage,
  ExitCode.internal,
];

/** The worst of several exit codes: connection and lock problems outrank item failures. */
export function worstExitCode(codes: Iterable<number>): number {
  let worst = 0;
  for (const c of codes) if (SEVERITY.indexOf(c) > SEVERITY.indexOf(worst)) worst = c;
  return worst;
}

/** The exit code an error ends a run with: anything that is not one of ours is a bug or a database failure. */
export function exitCodeOf(err: unknown): number {
  return err instanceof JlEdgeError ? err.exitCode : ExitCode.internal;
}

/** The one line an error is reported with; an internal error says so, its stack waits for --verbose. */
export function describeError(err: unknown): string {
  return err instanceof JlEdgeError
    ? err.message
    : `internal error (a bug or a database failure; --verbose shows where): ${errorMessage(err)}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
