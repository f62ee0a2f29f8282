import type { ChalkInstance } from 'chalk';

/**
 * Colour only on a terminal and never when NO_COLOR is set (SPEC §5.2): chalk alone would colour a pipe
 * under FORCE_COLOR and ignores NO_COLOR. On a terminal chalk still judges what it supports (TERM=dumb).
 */
export async function colours(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Promise<ChalkInstance> {
  const { Chalk, supportsColor } = await import('chalk');
  const wanted = stream.isTTY === true && !env.NO_COLOR;
  return new Chalk({ level: wanted && supportsColor ? supportsColor.level : 0 });
}
