import type { Logger } from './logger.js';

/**
 * SPEC §5.9: heartbeat pings for a cron monitor (healthchecks.io, Cronitor …). A step run pings
 * `<url>/start`, then `<url>` when it did its job or `<url>/fail` when it could not. A ping never fails
 * the run, and the pings of one run add at most PING_TIMEOUT_MS to it: the start ping goes out while
 * the step works, and the end ping waits for it within the same budget. Nothing but the step, the
 * account, the exit code and the step's counts is sent: no error text (it names files and orders).
 */

/** ◇ The most a run waits for the monitor: long enough for a slow HTTPS round trip, short against any step. */
export const PING_TIMEOUT_MS = 5_000;

/** The base URL as given, or an Error saying why it cannot be pinged. */
export function checkPingUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a URL (e.g. https://hc-ping.com/<uuid>)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${text}" must start with https:// or http://`);
  return text;
}

/** `<base>/<suffix>`, keeping the base's query string (`?rid=…`) where it belongs. */
function withSuffix(base: string, suffix: 'start' | 'fail' | null): string {
  const url = new URL(base);
  if (suffix) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix}`;
  return url.toString();
}

export interface Heartbeat {
  /** The end ping: `failed` sends `<url>/fail`. Never throws. */
  finish(failed: boolean, summary: string): Promise<void>;
}

/** Sends `<url>/start` now, without waiting for the answer. */
export function startHeartbeat(url: string, logger: Logger, timeoutMs = PING_TIMEOUT_MS): Heartbeat {
  const host = new URL(url).host;
  const started = ping(withSuffix(url, 'start'), undefined, timeoutMs, host, logger);
  return {
    async finish(failed, summary) {
      const budgetEnd = Date.now() + timeoutMs;
      // A monitor that has not answered the start ping yet would keep the end ping waiting as long.
      if (!(await settlesWithin(started, timeoutMs))) return;
      await ping(withSuffix(url, failed ? 'fail' : null), summary, budgetEnd - Date.now(), host, logger);
    },
  };
}

/** True when the ping answered (or gave up); resolves false once `ms` have passed without an answer. */
function settlesWithin(ping: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([ping.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

async function ping(
  url: string,
  body: string | undefined,
  timeoutMs: number,
  host: string,
  logger: Logger,
): Promise<void> {
  if (timeoutMs <= 0) return;
  try {
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      body,
      headers: body === undefined ? undefined : { 'content-type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read to the end so the connection is released.
    await response.arrayBuffer();
    if (!response.ok) logger.verbose(`heartbeat ping to ${host}: HTTP ${response.status}`);
  } catch (err) {
    // The URL itself may hold the monitor's key: name the host only.
    logger.verbose(
      `heartbeat ping to ${host} failed: ${(err as Error).name === 'TimeoutError' ? 'no answer' : (err as Error).message}`,
    );
  }
}
