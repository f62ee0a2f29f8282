/**
 * Diagnostics go to stderr; stdout is reserved for results (and JSON). Progress lines appear only on
 * a terminal, so cron logs never fill with carriage returns.
 */
export interface Logger {
  verbose(message: string): void;
  warn(message: string): void;
  /** A transient progress line, redrawn in place on a terminal, invisible otherwise. */
  progress(message: string): void;
  progressDone(): void;
}

export function createLogger(
  options: { verbose: boolean; quiet: boolean; json: boolean },
  stream: NodeJS.WriteStream,
): Logger {
  const showProgress = stream.isTTY === true && !options.quiet && !options.json;
  let progressShown = false;
  return {
    verbose(message) {
      if (options.verbose) stream.write(`${message}\n`);
    },
    warn(message) {
      stream.write(`${message}\n`);
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
