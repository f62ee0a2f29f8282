import type { StepResult } from '../core/step.js';
import { formatItemError } from '../core/step.js';

/**
 * What a command hands the CLI layer to print: `json` for --json, `lines` for people (stdout, dropped
 * with --quiet), `problems` for stderr (always printed), and the exit code.
 */
export interface CommandOutput {
  exitCode: number;
  json: unknown;
  lines: string[];
  problems: string[];
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
  const problems: string[] = [];
  for (const outcome of result.accounts) {
    const counts = Object.entries(outcome.counts)
      .map(([name, value]) => `${value} ${name.replace(/_/g, ' ')}`)
      .join(', ');
    if (outcome.exitCode === 0 || counts) lines.push(`${result.command} ${outcome.account}: ${counts || 'done'}`);
    for (const error of outcome.errors)
      problems.push(`${result.command} ${outcome.account}: ${formatItemError(error)}`);
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
