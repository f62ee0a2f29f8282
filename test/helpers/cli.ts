import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/jl-edge');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws when it is not). */
  json<T = unknown>(): T;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** Kill the process after this many ms (fault tests); the run then reports code -1. */
  killAfterMs?: number;
  /** Called with the process once it is started (to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Runs the built binary as cron would: no terminal, a clean environment (no inherited JL_EDGE_*
 * variables, HOME pointing at a temp folder so no stray .env is read).
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: options.cwd ?? tmpdir(), TZ: 'UTC' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((done, fail) => {
    const child = spawn(BIN, args, { cwd: options.cwd ?? tmpdir(), env, stdio: ['pipe', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', fail);
    const timer = options.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs) : null;
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      done({
        code: code ?? -1,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        json<T>() {
          return JSON.parse(stdout) as T;
        },
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** How a step's stderr line starts off a terminal: the time in UTC to the second (src/core/logger.ts). */
export const STDERR_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /;

/**
 * A step's stderr without the time stamps, after checking every line has one: for the tests that do not
 * pin the clock. The lines then read `<account> <step>: <message>`.
 */
export function withoutStamps(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => {
      if (line === '') return line;
      assert.match(line, STDERR_STAMP, `a stderr line of a step without its time stamp: ${line}`);
      return line.replace(STDERR_STAMP, '');
    })
    .join('\n');
}

/** A temp folder removed after the test; `path(...)` joins inside it. */
/** A usage error (exit 2, SPEC §5.7) that printed exactly `stderr`. */
export function assertUsageError(run: CliRun, stderr: string): void {
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stderr, stderr);
}

export type TempDir = { dir: string; path(...parts: string[]): string; remove(): void };

export function tempDir(prefix = 'jl-edge-test-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (...parts) => join(dir, ...parts), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `work` in a fresh temp folder, removed after it whether it passed or failed; `db` is where a test's
 * database file goes in it.
 */
export async function withTempDir(work: (temp: TempDir, db: string) => Promise<void>): Promise<void> {
  const temp = tempDir();
  try {
    await work(temp, temp.path('db.sqlite'));
  } finally {
    temp.remove();
  }
}
