/**
 * Prometheus' own checker of the exposition format (Debian's `prometheus` package). Tests that need it are
 * skipped loudly when it is missing, unless JL_EDGE_REQUIRE_PROMTOOL=1 (CI), where they run and fail.
 */
import { spawnSync } from 'node:child_process';

const INSTALL_HINT = 'promtool not installed: apt-get install -y --no-install-recommends prometheus';

function promtoolInstalled(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

function computeSkip(): string | false {
  if (promtoolInstalled() || process.env.JL_EDGE_REQUIRE_PROMTOOL === '1') return false;
  process.stderr.write(
    `\n*** promtool tests SKIPPED: ${INSTALL_HINT} (set JL_EDGE_REQUIRE_PROMTOOL=1 to fail instead) ***\n\n`,
  );
  return INSTALL_HINT;
}

/** Pass as `{ skip: promtoolSkip }` to `describe`/`it`. */
export const promtoolSkip: string | false = computeSkip();

/** `promtool check metrics` on `text`: its exit code and everything it printed (lint findings). */
export function checkMetrics(text: string): { code: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool could not run: ${run.error.message} (${INSTALL_HINT})`);
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}
