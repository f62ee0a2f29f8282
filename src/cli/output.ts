import { ExitCode } from '../core/errors.js';
import type { StepSubject } from '../core/logger.js';
import type { StepResult } from '../core/step.js';
import { formatItemError } from '../core/step.js';

/** A problem of one account's run of a step: printed in the step line shape, stamped off a terminal. */
export interface StepProblem {
  subject: StepSubject;
  message: string;
  /** Normal under cron (a lock held by a young live run): not printed with --quiet. */
  routine: boolean;
}

/**
 * What a command hands the CLI layer to print: `json` for --json, `lines` for people (stdout, dropped
 * with --quiet), `problems` for stderr (printed even with --quiet, routine step problems aside), and the
 * exit code.
 */
export interface CommandOutput {
  exitCode: number;
  json: unknown;
  lines: string[];
  problems: (string | StepProblem)[];
}

/** A command that succeeded: its JSON and the lines people read, nothing on stderr. */
export function okOutput(json: unknown, lines: string[]): CommandOutput {
  return { exitCode: ExitCode.ok, json, lines, problems: [] };
}

/** A file a --dry-run would write: its heading, then its content indented, without the final newline. */
export function filePreview(heading: string, content: string): string[] {
  return [
    heading,
    ...content
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `  ${line}`),
  ];
}

/** The shared shape of every sync step's output: one line per account, problems on stderr. */
export function stepOutput(result: StepResult): CommandOutput {
  const lines: string[] = [];
  const problems: StepProblem[] = [];
  for (const outcome of result.accounts) {
    const counts = Object.entries(outcome.counts)
      .map(([name, value]) => `${value} ${name.replace(/_/g, ' ')}`)
      .join(', ');
    if (outcome.exitCode === 0 || counts) lines.push(`${result.command} ${outcome.account}: ${counts || 'done'}`);
    const subject = { step: result.command, account: outcome.account };
    for (const error of outcome.errors)
      problems.push({ subject, message: formatItemError(error), routine: outcome.routineOverlap === true });
  }
  return {
    exitCode: result.exitCode,
    json: {
      command: result.command,
      accounts: result.accounts.map((o) => ({
        account: o.account,
        ok: o.ok,
        exit_code: o.exitCode,
        ...o.counts,
        errors: o.errors,
        ...o.details,
      })),
    },
    lines,
    problems,
  };
}
