/**
 * Host-key pins (SPEC §1, §7): what a seller may write for `--host-key` / JL_EDGE_SFTP_HOST_KEY, and how
 * a key the server offers is matched against it. Pure functions: no I/O.
 *
 * A pin is a fingerprint, optionally preceded by its key type and a space, as `ssh-keyscan` and
 * `accounts test` show it (`ssh-rsa SHA256:…`); several pins are separated by commas, one per key type
 * the server holds. Fingerprints are accepted in the forms sellers are given: OpenSSH's `SHA256:…`,
 * bare base64 of a SHA-256 (what some portals show), `MD5:aa:bb:…` and bare `aa:bb:…` (older OpenSSH).
 */
import { createHash } from 'node:crypto';

/** Host-key families: one key per family on a server. RSA keys are signed with any of three algorithms. */
const KEY_TYPE_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};
export const KEY_TYPES = Object.keys(KEY_TYPE_ALGORITHMS);

export interface HostKeyPin {
  /** Key type when the pin names it; null matches a key of any type. */
  keyType: string | null;
  /** `SHA256:<unpadded base64>` or `MD5:<lower-case hex pairs>`. */
  fingerprint: string;
}

export interface OfferedHostKey {
  keyType: string;
  /** OpenSSH's SHA256 form. */
  fingerprint: string;
  /** `MD5:aa:bb:…`, for pins written that way. */
  md5: string;
}

const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=?$/;
const MD5_HEX = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){15}$/;

export const PIN_FORMAT_HELP =
  'a host key is an OpenSSH fingerprint: SHA256:<43 base64 characters> (ssh-keygen -lf prints it) or ' +
  'MD5:<16 hex pairs>, optionally preceded by its key type (ssh-rsa SHA256:…); several are separated by commas';

/** Parses a comma-separated list of pins; throws an Error saying which pin is wrong and the expected form. */
export function parseHostKeyPins(text: string): HostKeyPin[] {
  const pins = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map(parsePin);
  if (pins.length === 0) throw new Error(`no host key given: ${PIN_FORMAT_HELP}`);
  return pins;
}

function parsePin(text: string): HostKeyPin {
  const parts = text.split(/\s+/);
  if (parts.length > 2) throw new Error(`host key "${text}" is not a fingerprint: ${PIN_FORMAT_HELP}`);
  const keyType = parts.length === 2 ? parts[0] : null;
  if (keyType !== null && !KEY_TYPES.includes(keyType)) {
    throw new Error(`host key "${text}": unknown key type ${keyType} (one of ${KEY_TYPES.join(', ')})`);
  }
  return { keyType, fingerprint: normaliseFingerprint(parts[parts.length - 1], text) };
}

function normaliseFingerprint(value: string, pin: string): string {
  // Older OpenSSH printed MD5 fingerprints as bare hex pairs; their first pair looks like a prefix.
  if (MD5_HEX.test(value)) return `MD5:${value.toLowerCase()}`;
  const colon = value.indexOf(':');
  const prefix = colon > 0 && /^[A-Za-z0-9]+$/.test(value.slice(0, colon)) ? value.slice(0, colon) : null;
  const body = prefix === null ? value : value.slice(colon + 1);
  if ((prefix === 'SHA256' || prefix === null) && SHA256_BASE64.test(body)) return `SHA256:${body.replace(/=$/, '')}`;
  if ((prefix === 'MD5' || prefix === null) && MD5_HEX.test(body)) return `MD5:${body.toLowerCase()}`;
  throw new Error(`host key "${pin}" is not a fingerprint jl-edge can check: ${PIN_FORMAT_HELP}`);
}

/** The pins as stored and shown: normalised, comma-separated. */
export function formatHostKeyPins(pins: HostKeyPin[]): string {
  return pins.map((p) => (p.keyType ? `${p.keyType} ${p.fingerprint}` : p.fingerprint)).join(',');
}

/** OpenSSH's fingerprint of a raw public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function md5FingerprintOf(key: Buffer): string {
  const hex = createHash('md5').update(key).digest('hex');
  return `MD5:${hex.match(/../g)!.join(':')}`;
}

/** The key type written at the start of an SSH public key blob (RFC 4253 §6.6). */
export function keyTypeOf(key: Buffer): string {
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

export function describeOfferedKey(key: Buffer): OfferedHostKey {
  return { keyType: keyTypeOf(key), fingerprint: fingerprintOf(key), md5: md5FingerprintOf(key) };
}

export function matchesPin(key: OfferedHostKey, pins: HostKeyPin[]): boolean {
  return pins.some(
    (pin) =>
      (pin.keyType === null || pin.keyType === key.keyType) &&
      (pin.fingerprint.startsWith('MD5:') ? key.md5 : key.fingerprint) === pin.fingerprint,
  );
}

/**
 * Host-key algorithms to ask the server for: the pinned key types first (so a server holding several
 * keys shows the pinned one), then every other type except those already seen.
 */
export function hostKeyAlgorithmsFor(pins: HostKeyPin[], excludeKeyTypes: readonly string[] = []): string[] {
  const pinnedTypes = pins.map((p) => p.keyType).filter((t): t is string => t !== null);
  const ordered = [...new Set([...pinnedTypes, ...KEY_TYPES])].filter((t) => !excludeKeyTypes.includes(t));
  return ordered.flatMap((t) => KEY_TYPE_ALGORITHMS[t]);
}
