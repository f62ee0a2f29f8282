import { createHash } from 'node:crypto';

/** The SHA-256 of some bytes as hex: how files are recognised and stored (exchange log, outbox). */
export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
