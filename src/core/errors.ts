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

/** A remote operation failed after the connection was up (upload, rename, read …): an item failure. */
export class TransferError extends JlEdgeError {
  constructor(message: string) {
    super(message, ExitCode.itemsFailed);
  }
}

/** The worst of several exit codes: connection and lock problems outrank item failures. */
export function worstExitCode(codes: Iterable<number>): number {
  const rank = (c: number): number =>
    c === ExitCode.ok
      ? 0
      : c === ExitCode.itemsFailed
        ? 1
        : c === ExitCode.locked
          ? 2
          : c === ExitCode.connection
            ? 3
            : 4;
  let worst = 0;
  for (const c of codes) if (rank(c) > rank(worst)) worst = c;
  return worst;
}

/** The exit code an error ends a run (or one account's step) with: the one mapping of errors to exit codes. */
export function exitCodeOf(err: unknown): number {
  return err instanceof JlEdgeError ? err.exitCode : ExitCode.itemsFailed;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
