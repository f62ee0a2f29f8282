/**
 * Legacy SSH algorithms an account may allow explicitly (`--legacy-algorithms`, off by default): the ones
 * ssh2 implements but does not offer unless asked, because they are weak. Some marketplace servers still
 * offer nothing newer. Pure functions: no I/O.
 */
export type AlgorithmKind = 'kex' | 'cipher' | 'hmac';

const LEGACY: Record<AlgorithmKind, readonly string[]> = {
  kex: ['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
  cipher: ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'],
  hmac: ['hmac-sha1-96', 'hmac-md5', 'hmac-md5-96'],
};

const KIND_WORDS: Record<AlgorithmKind, string> = {
  kex: 'key exchange',
  cipher: 'cipher',
  hmac: 'MAC',
};

export const LEGACY_ALGORITHMS: readonly string[] = Object.values(LEGACY).flat();

/** Parses the comma-separated setting; throws an Error naming an unknown algorithm and the known ones. */
export function parseLegacyAlgorithms(text: string): string[] {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  for (const name of names) {
    if (!LEGACY_ALGORITHMS.includes(name)) {
      throw new Error(`unknown legacy algorithm "${name}" (one of: ${LEGACY_ALGORITHMS.join(', ')})`);
    }
  }
  return names;
}

/** ssh2's `algorithms` option: the allowed legacy algorithms appended after its own defaults. */
export function ssh2Algorithms(allowed: readonly string[]): Partial<Record<AlgorithmKind, { append: string[] }>> {
  const result: Partial<Record<AlgorithmKind, { append: string[] }>> = {};
  for (const kind of Object.keys(LEGACY) as AlgorithmKind[]) {
    const append = allowed.filter((name) => LEGACY[kind].includes(name));
    if (append.length > 0) result[kind] = { append };
  }
  return result;
}

/**
 * When a handshake failed for lack of a common algorithm: the legacy algorithms of the server's offer
 * that would have made it work, as a sentence, or null when none would.
 */
export function legacyAdvice(kind: AlgorithmKind, serverOffer: readonly string[]): string | null {
  const usable = serverOffer.filter((name) => LEGACY[kind].includes(name));
  if (usable.length === 0) return null;
  return `the server offers only older ${KIND_WORDS[kind]} algorithms (${serverOffer.join(', ')}); allow ${usable[0]} with --legacy-algorithms ${usable[0]} (JL_EDGE_SFTP_LEGACY_ALGORITHMS)`;
}
