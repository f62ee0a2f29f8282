/**
 * The benchmark harness behind `npm run bench` (SPEC §8): every figure is a ratio, in one run, of
 * jl-edge's time against a reference command on the same data, plus jl-edge's peak memory.
 *
 * A benchmark prepares its data once, then the harness alternates reference and subject runs
 * (BENCH_RUNS, default 3) and reports the median of each, so a busy moment on the machine hits both
 * sides alike. Only the process a benchmark returns is timed: setup it does before returning (a fresh
 * database, an account) is not.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A process to time. */
export interface TimedProcess {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface BenchContext {
  /** BENCH_SCALE: 1 is the data size of SPEC §8, 0.1 a tenth of it for a quick try. */
  scale: number;
  /** The repository root. */
  root: string;
  /** The built CLI, `bin/jl-edge`. */
  bin: string;
  /** This benchmark's own folder under bench/.work/ (gitignored), kept between runs for cached data. */
  workDir: string;
}

export interface Benchmark {
  name: string;
  /** What the data is, for the report line ("1,000,000 rows"). */
  describe(ctx: BenchContext): string;
  /** Largest acceptable ratio jl-edge / reference. */
  targetRatio: number;
  /** Largest acceptable peak RSS of jl-edge, in MB, when the spec sets one. */
  memoryLimitMb?: number;
  /** Builds the data, once. */
  prepare(ctx: BenchContext): Promise<void>;
  /** Untimed setup for one reference run, then the process to time. */
  reference(ctx: BenchContext): Promise<TimedProcess>;
  /** Untimed setup for one jl-edge run, then the process to time. */
  subject(ctx: BenchContext): Promise<TimedProcess>;
  /** After each jl-edge run: throws when the run did not do the work (a fast wrong answer is no result). */
  check?(ctx: BenchContext): Promise<void>;
  /** After the last run, also when one failed: stops what `prepare` started (a server). */
  dispose?(ctx: BenchContext): Promise<void>;
}

export interface Measurement {
  seconds: number;
  /** Peak resident set size in MB. */
  peakRssMb: number;
}

export interface BenchResult {
  name: string;
  description: string;
  subject: Measurement;
  reference: Measurement;
  ratio: number;
  targetRatio: number;
  memoryLimitMb?: number;
  passed: boolean;
}

const TIME_BINARY = '/usr/bin/time';
/** How often the fallback samples /proc/<pid>/status when GNU time is missing. */
const RSS_POLL_MS = 10;

/**
 * Runs one process and measures its wall-clock time and peak RSS. With GNU time (`/usr/bin/time -v`),
 * the peak is the kernel's own maximum resident set size of the process. Without it, the harness
 * samples `VmHWM` (the kernel's high-water mark of the resident set) from /proc/<pid>/status every
 * 10 ms until the process exits; the last sample misses at most the final 10 ms of the run.
 */
export async function measure(run: TimedProcess): Promise<Measurement> {
  const useTime = existsSync(TIME_BINARY);
  const reportFile = join(run.cwd ?? process.cwd(), `.time-${process.pid}-${Date.now()}.txt`);
  const [command, args] = useTime
    ? [TIME_BINARY, ['-v', '-o', reportFile, run.command, ...run.args]]
    : [run.command, run.args];
  const started = process.hrtime.bigint();
  const child = spawn(command, args, {
    cwd: run.cwd,
    env: run.env ?? { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let sampledKb = 0;
  const poller = useTime
    ? null
    : setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match) sampledKb = Math.max(sampledKb, Number(match[1]));
        } catch {
          // The process has just exited: the previous sample stands.
        }
      }, RSS_POLL_MS);
  const code = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (exitCode) => done(exitCode ?? -1));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (poller) clearInterval(poller);
  let peakKb = sampledKb;
  if (useTime) {
    const report = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
    rmSync(reportFile, { force: true });
    peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1] ?? 0);
  }
  if (code !== 0) throw new Error(`${run.command} ${run.args.join(' ')} exited ${code}\n${stderr.trim()}`);
  return { seconds, peakRssMb: peakKb / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function runBenchmark(
  benchmark: Benchmark,
  options: { scale: number; runs: number; root: string },
): Promise<BenchResult> {
  const workDir = resolve(options.root, 'bench/.work', benchmark.name);
  mkdirSync(workDir, { recursive: true });
  const ctx: BenchContext = {
    scale: options.scale,
    root: options.root,
    bin: resolve(options.root, 'bin/jl-edge'),
    workDir,
  };
  const references: Measurement[] = [];
  const subjects: Measurement[] = [];
  try {
    await benchmark.prepare(ctx);
    for (let run = 0; run < options.runs; run++) {
      references.push(await measure(await benchmark.reference(ctx)));
      subjects.push(await measure(await benchmark.subject(ctx)));
      await benchmark.check?.(ctx);
    }
  } finally {
    await benchmark.dispose?.(ctx);
  }
  const subject = {
    seconds: median(subjects.map((m) => m.seconds)),
    peakRssMb: Math.max(...subjects.map((m) => m.peakRssMb)),
  };
  const reference = {
    seconds: median(references.map((m) => m.seconds)),
    peakRssMb: Math.max(...references.map((m) => m.peakRssMb)),
  };
  const ratio = subject.seconds / reference.seconds;
  const memoryOk = benchmark.memoryLimitMb === undefined || subject.peakRssMb < benchmark.memoryLimitMb;
  return {
    name: benchmark.name,
    description: benchmark.describe(ctx),
    subject,
    reference,
    ratio,
    targetRatio: benchmark.targetRatio,
    memoryLimitMb: benchmark.memoryLimitMb,
    passed: ratio <= benchmark.targetRatio && memoryOk,
  };
}

/** `name: jl-edge X.XXs, reference Y.YYs, ratio Z.ZZ (target ≤ T), peak RSS N MB (limit L MB), data`. */
export function formatResult(result: BenchResult): string {
  const memory = `peak RSS ${result.subject.peakRssMb.toFixed(0)} MB${result.memoryLimitMb !== undefined ? ` (limit ${result.memoryLimitMb} MB)` : ''}`;
  return (
    `${result.name}: jl-edge ${result.subject.seconds.toFixed(2)}s, reference ${result.reference.seconds.toFixed(2)}s, ` +
    `ratio ${result.ratio.toFixed(2)} (target ≤ ${result.targetRatio.toFixed(1)}), ${memory}, ${result.description}` +
    (result.passed ? '' : '  MISSED')
  );
}

/** The environment jl-edge runs with in a benchmark: like cron's, nothing inherited but PATH. */
export function cronEnvironment(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, TZ: 'UTC' };
}
