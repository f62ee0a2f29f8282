/**
 * `npm run bench` (after a build): runs every benchmark of SPEC §8 and prints one line each.
 *
 *   BENCH_ONLY=import   run the benchmarks whose name contains this text
 *   BENCH_SCALE=0.1     a tenth of the data, for a quick try (the targets hold at 1)
 *   BENCH_RUNS=3        alternating reference/jl-edge runs per benchmark; medians are compared
 *
 * To add a benchmark: write a `Benchmark` (bench/harness.ts) in its own file and list it below.
 * Exit 1 when a benchmark misses its target.
 */
import { resolve } from 'node:path';
import { formatResult, runBenchmark, type Benchmark } from './harness.js';
import { ackOrdersBenchmark } from './ack-orders.js';
import { downloadOrdersBenchmark } from './download-orders.js';
import { downloadHistoryBenchmark } from './download-history.js';
import { helpBenchmark } from './help.js';
import { importProductsBenchmark } from './import-products.js';
import { noOpRunBenchmark } from './no-op-run.js';
import { postgresBenchmarks } from './postgres.js';
import { pushStockFirstBenchmark, pushStockNightlyBenchmark } from './push-stock.js';
import { syncAccountsBenchmark } from './sync-accounts.js';

const BENCHMARKS: Benchmark[] = [
  downloadOrdersBenchmark,
  downloadHistoryBenchmark,
  ackOrdersBenchmark,
  importProductsBenchmark,
  pushStockFirstBenchmark,
  pushStockNightlyBenchmark,
  noOpRunBenchmark,
  helpBenchmark,
  ...postgresBenchmarks,
  syncAccountsBenchmark,
];

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const only = process.env.BENCH_ONLY ?? '';
  const scale = numberFromEnv('BENCH_SCALE', 1);
  const runs = Math.round(numberFromEnv('BENCH_RUNS', 3));
  const root = resolve(import.meta.dirname, '..');
  const selected = BENCHMARKS.filter((b) => b.name.includes(only));
  if (selected.length === 0) {
    console.error(`no benchmark matches BENCH_ONLY=${only} (have: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
    return 2;
  }
  let missed = 0;
  for (const benchmark of selected) {
    const result = await runBenchmark(benchmark, { scale, runs, root });
    console.log(formatResult(result));
    if (!result.passed) missed++;
  }
  if (scale !== 1) console.log(`(BENCH_SCALE=${scale}: the targets are set for scale 1)`);
  return missed > 0 ? 1 : 0;
}

process.exitCode = await main();
