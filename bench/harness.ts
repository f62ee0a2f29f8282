/**
 * The benchmark harness behind `npm run bench` (SPEC §8): every figure is a ratio, in one run, of
 * jl-edge's time against a reference command on the same data, plus jl-edge's peak memory.
 *
 * A benchmark prepares its data once, then the harness alternates reference and subject runs
 * (BENCH_RUNS, default 3) and reports the median of each, so a busy moment on the machine hits both
 * sides alike. Only the process a benchmark returns is timed: setup it does before returning (a fresh
 * database, an account) is not.
 *
 * The growth factor (SPEC §8): the same benchmark again at a tenth of its data, and jl-edge's time at full
 * size over its time at the tenth. A cost that grows linearly with the data gives at most 10 (less, as
 * start-up weighs more at the tenth); above GROWTH_LIMIT some step grows worse than linearly.
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
  /** True when the work does not grow with any data (start-up, a run with nothing to do): no growth factor. */
  fixedSize?: boolean;
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
  /** jl-edge's time at full size over its time at a tenth of the data; null for a fixed-size benchmark. */
  growth: number | null;
  /** What the run missed: `ratio`, `memory`, `growth`; empty when every target holds. */
  missed: string[];
}

/** The largest growth factor for ten times the data: no step may grow worse than linearly. */
export const GROWTH_LIMIT = 11;

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

interface SizeMeasurement {
  description: string;
  subject: Measurement;
  reference: Measurement;
}

/** Prepares `benchmark` at `scale` and times `runs` alternating reference and jl-edge runs. */
async function measureAtScale(
  benchmark: Benchmark,
  options: { scale: number; runs: number; root: string },
): Promise<SizeMeasurement> {
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
  return {
    description: benchmark.describe(ctx),
    subject: {
      seconds: median(subjects.map((m) => m.seconds)),
      peakRssMb: Math.max(...subjects.map((m) => m.peakRssMb)),
    },
    reference: {
      seconds: median(references.map((m) => m.seconds)),
      peakRssMb: Math.max(...references.map((m) => m.peakRssMb)),
    },
  };
}

/**
 * Times `benchmark` at `scale`, then (unless it is fixed-size) at a tenth of it for the growth factor.
 * `progress` hears of each size as it is measured: a full run takes many minutes.
 */
export async function runBenchmark(
  benchmark: Benchmark,
  options: { scale: number; runs: number; root: string; progress: (line: string) => void },
): Promise<BenchResult> {
  const report = (scale: number, size: SizeMeasurement): void =>
    options.progress(
      `${benchmark.name} at scale ${scale}: jl-edge ${size.subject.seconds.toFixed(2)} s, reference ${size.reference.seconds.toFixed(2)} s (${size.description})`,
    );
  const full = await measureAtScale(benchmark, options);
  report(options.scale, full);
  let growth: number | null = null;
  if (!benchmark.fixedSize) {
    const tenthScale = options.scale / 10;
    const tenth = await measureAtScale(benchmark, { ...options, scale: tenthScale });
    report(tenthScale, tenth);
    growth = full.subject.seconds / tenth.subject.seconds;
  }
  return judge(benchmark, full.description, full.subject, full.reference, growth);
}

/** The figures of a benchmark against its targets: the ratio, the memory limit and GROWTH_LIMIT. */
export function judge(
  benchmark: Pick<Benchmark, 'name' | 'targetRatio' | 'memoryLimitMb'>,
  description: string,
  subject: Measurement,
  reference: Measurement,
  growth: number | null,
): BenchResult {
  const ratio = subject.seconds / reference.seconds;
  const missed = [
    ...(ratio > benchmark.targetRatio ? ['ratio'] : []),
    ...(benchmark.memoryLimitMb !== undefined && subject.peakRssMb >= benchmark.memoryLimitMb ? ['memory'] : []),
    ...(growth !== null && growth > GROWTH_LIMIT ? ['growth'] : []),
  ];
  return {
    name: benchmark.name,
    description,
    subject,
    reference,
    ratio,
    targetRatio: benchmark.targetRatio,
    memoryLimitMb: benchmark.memoryLimitMb,
    growth,
    missed,
  };
}

/** A benchmark that could not be measured: it threw (a failed run, a failed check). */
export interface BenchFailure {
  name: string;
  error: string;
}

const isFailure = (outcome: BenchResult | BenchFailure): outcome is BenchFailure => 'error' in outcome;

/** The one table of `npm run bench`, in Markdown with aligned columns so it reads in a terminal too. */
export function formatTable(outcomes: (BenchResult | BenchFailure)[]): string {
  const header = ['benchmark', 'jl-edge', 'reference', 'ratio', 'target', `growth (≤ ${GROWTH_LIMIT})`, 'verdict'];
  const rows = outcomes.map((outcome) => {
    if (isFailure(outcome)) return [outcome.name, '', '', '', '', '', 'ERROR (see above)'];
    return [
      `${outcome.name}: ${outcome.description}`,
      `${outcome.subject.seconds.toFixed(2)} s, ${outcome.subject.peakRssMb.toFixed(0)} MB`,
      `${outcome.reference.seconds.toFixed(2)} s`,
      outcome.ratio.toFixed(2),
      `≤ ${outcome.targetRatio}${outcome.memoryLimitMb !== undefined ? `, < ${outcome.memoryLimitMb} MB` : ''}`,
      outcome.growth === null ? '–' : outcome.growth.toFixed(2),
      outcome.missed.length === 0 ? 'ok' : `MISSED ${outcome.missed.join(', ')}`,
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** True when the outcome fails the bench: it threw or missed a target. */
export function missedTarget(outcome: BenchResult | BenchFailure): boolean {
  return isFailure(outcome) || outcome.missed.length > 0;
}

/** A benchmark's `full` data size at the context's scale: never below one, so a tenth still has work to time. */
export function atScale(ctx: BenchContext, full: number): number {
  return Math.max(1, Math.round(full * ctx.scale));
}

/** The environment jl-edge runs with in a benchmark: like cron's, nothing inherited but PATH. */
export function cronEnvironment(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, TZ: 'UTC' };
}
