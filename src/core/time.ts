/** The clock is injected so tests and the demo can pin "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** `JL_EDGE_NOW` pins the clock (ISO time) for reproducible demos and tests. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env.JL_EDGE_NOW;
  if (!pinned) return systemClock;
  const start = Date.parse(pinned);
  if (Number.isNaN(start)) return systemClock;
  const offset = start - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
