import type { Clock } from './time.js';

/** Whose run a stderr line is about: one account's run of one step. */
export interface StepSubject {
  step: string;
  account: string;
}

/**
 * Diagnostics go to stderr; stdout is reserved for results (and JSON). Progress lines appear only on
 * a terminal, so cron logs never fill with carriage returns.
 */
export interface Logger {
  verbose(message: string): void;
  /** A line about one account's run of a step, printed even with --quiet. */
  warn(subject: StepSubject, message: string): void;
  /** A transient progress line, redrawn in place on a terminal, invisible otherwise. */
  progress(message: string): void;
  progressDone(): void;
}

/**
 * When a line written now to `stream` must say so: off a terminal (cron mail, a log file) the time in
 * UTC to the second; on a terminal nothing (null), the reader is watching.
 */
export function stderrStamp(stream: { isTTY?: boolean }, clock: Clock): string | null {
  return stream.isTTY === true
    ? null
    : clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
}

/**
 * The one shape of a line a step writes to stderr (SPEC §5.2). On a terminal it reads like the step's
 * stdout line; stamped, it starts with the time and the account, so a line read alone in a rotated log
 * or a cron mail still says when and for whom. A message of several lines gets the prefix on each.
 */
export function stepLine(subject: StepSubject, message: string, stamp: string | null): string {
  const prefix =
    stamp === null ? `${subject.step} ${subject.account}: ` : `${stamp} ${subject.account} ${subject.step}: `;
  return message
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

export function createLogger(
  options: { verbose: boolean; quiet: boolean; json: boolean },
  stream: NodeJS.WriteStream,
  clock: Clock,
): Logger {
  const showProgress = stream.isTTY === true && !options.quiet && !options.json;
  let progressShown = false;
  return {
    verbose(message) {
      if (options.verbose) stream.write(`${message}\n`);
    },
    warn(subject, message) {
      stream.write(`${stepLine(subject, message, stderrStamp(stream, clock))}\n`);
    },
    progress(message) {
      if (!showProgress) return;
      stream.write(`\r\x1b[2K${message}`);
      progressShown = true;
    },
    progressDone() {
      if (progressShown) stream.write('\r\x1b[2K');
      progressShown = false;
    },
  };
}
