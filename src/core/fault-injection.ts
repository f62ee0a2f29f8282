/**
 * Fault hooks for the crash and overlap tests (SPEC §9), and for nothing else. A hook fires only when
 * the environment holds `JL_EDGE_FAULT=<point>` (or `<point>:<milliseconds>`); cron and people never
 * set it, and every hook is a no-op without it. They make the tests deterministic where timing would not:
 *
 * - `pause-after-lock:<ms>`  a sync step (or import-products) sleeps right after taking its lock
 *                            (overlapping runs), until the time is up or SIGUSR2 arrives;
 * - `after-commit`           download-orders dies (SIGKILL) after its first file's commit, before the
 *                            remote file is archived or deleted;
 * - `after-claim`            ack-orders dies after storing its acknowledgements, before uploading any;
 * - `export-after-record`    export-orders dies after storing a destination's file, before writing it;
 * - `export-after-write`     export-orders dies after writing its first file, before marking it written;
 * - `inbox-after-record`     an inbox run dies after recording its first file, before moving it;
 * - `upload-midway:<ms>`     the outbox sender writes the first half of its first file under the final
 *                            name, then sleeps, so the test can kill the connection mid-upload; push-stock
 *                            does the same with its inventory file (`faultUploadMidwayFromFile`);
 * - `before-marker:<ms>`     the outbox sender sleeps between a complete, size-checked data file and its
 *                            `.DONE` marker, so the test can cut the connection exactly there.
 */
import { readFile } from 'node:fs/promises';
import type { Transport } from '../transport/transport.js';

export type FaultPoint =
  | 'pause-after-lock'
  | 'after-commit'
  | 'after-claim'
  | 'upload-midway'
  | 'export-after-record'
  | 'export-after-write'
  | 'inbox-after-record'
  | 'before-marker';

const fired = new Set<FaultPoint>();

/**
 * The hook's milliseconds (0 when none were given) the FIRST time `point` is reached with the hook set,
 * null otherwise: each hook fires once per process.
 */
function faultArmed(point: FaultPoint, env: NodeJS.ProcessEnv): number | null {
  const [name, ms] = (env.JL_EDGE_FAULT ?? '').split(':');
  if (name !== point || fired.has(point)) return null;
  fired.add(point);
  return Number(ms) || 0;
}

/**
 * SIGUSR2 ends a pause (and any pause still to come): a test holding a run at a point releases it as soon
 * as it has seen what it needed. Listened for from the moment this module loads — before any lock is
 * taken — so the signal can never find the process without a handler (Node's default is to exit).
 */
let pauseReleased = false;
let wakePause: (() => void) | null = null;
if (process.env.JL_EDGE_FAULT) {
  process.on('SIGUSR2', () => {
    pauseReleased = true;
    wakePause?.();
  });
}

/** Sleeps for the hook's milliseconds when `point` is armed, unless released by SIGUSR2. */
export async function faultPause(point: FaultPoint, env: NodeJS.ProcessEnv): Promise<void> {
  const ms = faultArmed(point, env);
  if (!ms || pauseReleased) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wakePause = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  wakePause = null;
}

/** Dies on the spot, as `kill -9` would, when `point` is armed: no cleanup, no lock release. */
export function faultCrash(point: FaultPoint, env: NodeJS.ProcessEnv): void {
  if (faultArmed(point, env) !== null) process.kill(process.pid, 'SIGKILL');
}

/**
 * When `upload-midway` is armed: writes the first half of `content` under the final name (what a
 * dropped connection leaves behind), then sleeps for the hook's milliseconds before the real upload.
 */
export async function faultUploadMidway(
  transport: Transport,
  remotePath: string,
  content: Buffer,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const ms = faultArmed('upload-midway', env);
  if (ms === null) return;
  await transport.write(remotePath, content.subarray(0, Math.floor(content.length / 2)));
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** `upload-midway` for a file streamed from disk (push-stock's inventory file); read only when armed. */
export async function faultUploadMidwayFromFile(
  transport: Transport,
  remotePath: string,
  localFile: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (!(env.JL_EDGE_FAULT ?? '').startsWith('upload-midway')) return;
  await faultUploadMidway(transport, remotePath, await readFile(localFile), env);
}
