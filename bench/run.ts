/**
 * `npm run bench` (after a build): runs every benchmark of SPEC §8 and prints one table: per benchmark
 * jl-edge's time and peak memory, the reference's time, their ratio against its target, the growth factor
 * (bench/harness.ts) and the verdict. Progress goes to stderr as each size is measured.
 *
 *   --quick             a try, not a measurement: BENCH_SCALE=0.1 and BENCH_RUNS=1 unless they are set
 *   BENCH_ONLY=import   run the benchmarks whose name contains this text
 *   BENCH_SCALE=0.1     a tenth of the data (the targets are set for 1); the growth runs use a tenth of this
 *   BENCH_RUNS=3        alternating reference/jl-edge runs per size; medians are compared
 *
 * To add a benchmark: write a `Benchmark` (bench/harness.ts) in its own file and list it below.
 * Exit 1 when a benchmark misses a target or fails, 2 on a bad argument.
 */
import { resolve } from 'node:path';
import { errorMessage } from '../src/core/errors.js';
import {
  formatTable,
  missedTarget,
  runBenchmark,
  type BenchFailure,
  type BenchResult,
  type Benchmark,
} from './harness.js';
import { ackOrdersBenchmark } from './ack-orders.js';
import { downloadOrdersBenchmark } from './download-orders.js';
import { downloadHistoryBenchmark } from './download-history.js';
import { helpBenchmark } from './help.js';
import { importProductsBenchmark } from './import-products.js';
import { largeDatabaseOrdersListBenchmark, largeDatabaseStatusBenchmark } from './large-database.js';
import { noOpRunBenchmark } from './no-op-run.js';
import { postgresBenchmarks } from './postgres.js';
import { pushStockFirstBenchmark, pushStockNightlyBenchmark } from './push-stock.js';
import { syncAccountsBenchmark, syncAccountsLatencyBenchmark } from './sync-accounts.js';

const BENCHMARKS: Benchmark[] = [
  downloadOrdersBenchmark,
  downloadHistoryBenchmark,
  ackOrdersBenchmark,
  importProductsBenchmark,
  pushStockFirstBenchmark,
  pushStockNightlyBenchmark,
  noOpRunBenchmark,
  helpBenchmark,
  largeDatabaseStatusBenchmark,
  largeDatabaseOrdersListBenchmark,
  ...postgresBenchmarks,
  syncAccountsBenchmark,
  syncAccountsLatencyBenchmark,
];

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

/** `--quick`: enough data and runs to see that every benchmark works, in a few minutes. */
const QUICK = { scale: 0.1, runs: 1 };

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')} (usage: npm run bench [-- --quick])`);
    return 2;
  }
  const quick = args.includes('--quick');
  const only = process.env.BENCH_ONLY ?? '';
  const scale = numberFromEnv('BENCH_SCALE', quick ? QUICK.scale : 1);
  const runs = Math.round(numberFromEnv('BENCH_RUNS', quick ? QUICK.runs : 3));
  const root = resolve(import.meta.dirname, '..');
  const selected = BENCHMARKS.filter((b) => b.name.includes(only));
  if (selected.length === 0) {
    console.error(`no benchmark matches BENCH_ONLY=${only} (have: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
    return 2;
  }
  if (quick) console.error(`--quick: BENCH_SCALE=${scale}, BENCH_RUNS=${runs} — a try, not a measurement`);
  const started = process.hrtime.bigint();
  const outcomes: (BenchResult | BenchFailure)[] = [];
  for (const benchmark of selected) {
    try {
      outcomes.push(await runBenchmark(benchmark, { scale, runs, root, progress: (line) => console.error(line) }));
    } catch (error) {
      console.error(`${benchmark.name} failed: ${errorMessage(error)}`);
      outcomes.push({ name: benchmark.name, error: errorMessage(error) });
    }
  }
  const totalSeconds = Math.round(Number(process.hrtime.bigint() - started) / 1e9);
  console.log(formatTable(outcomes));
  console.log(
    `${outcomes.length} benchmark(s) in ${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s, BENCH_SCALE=${scale}, BENCH_RUNS=${runs}` +
      (quick ? ' (--quick)' : '') +
      (scale !== 1 ? '; the targets are set for scale 1' : ''),
  );
  return outcomes.some(missedTarget) ? 1 : 0;
}

process.exitCode = await main();
