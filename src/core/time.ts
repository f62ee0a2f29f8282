/** The clock is injected so tests and the demo can pin "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * `JL_EDGE_NOW` (ISO time) stops the clock at that instant, for reproducible tests: file-name tokens
 * then differ only by their collision bump, and dates are fixed. Timeouts and deadlines never use it.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env.JL_EDGE_NOW;
  if (!pinned) return systemClock;
  const instant = Date.parse(pinned);
  if (Number.isNaN(instant)) return systemClock;
  return { now: () => new Date(instant) };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
