/**
 * Carrier codes (SPEC §4.4). The Edge expects its own carrier code in a tracking file; sellers and their
 * warehouses write carrier names their own way ("DPD Next Day", "RM 24"). An account's carrier map turns
 * those names into codes, and a carrier that is neither a known code nor a mapped name is refused when
 * the shipment is recorded, so a file The Edge cannot read is never built.
 */

/** ◇ SPEC §4.4: the common UK codes jl-edge knows without any configuration. */
export const BUILT_IN_CARRIER_CODES: readonly string[] = [
  'dpd',
  'royal-mail',
  'parcelforce',
  'dhl',
  'yodel',
  'evri',
  'ups',
  'fedex',
  'tnt',
  'dx',
];

export type CarrierResolution = { code: string } | { error: string };

/** Names are compared without regard to case or repeated spaces: `dpd next day` finds `DPD Next Day`. */
function carrierKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The Edge code for a carrier as a person or a warehouse export wrote it:
 * 1. a name in the account's map gives its code (the map wins, so an account can redirect a built-in name);
 * 2. a built-in code, or a code the account's map points at (that is how an account adds codes:
 *    `--carrier-map "Hermes=hermes"`), is itself, spelled as the code is.
 * Anything else is an error naming the codes that would have been accepted.
 */
export function resolveCarrier(
  name: string,
  account: { name: string; carrierMap: Record<string, string> },
): CarrierResolution {
  const { carrierMap } = account;
  const key = carrierKey(name);
  if (key === '') return { error: 'the carrier is empty' };
  for (const [mappedName, code] of Object.entries(carrierMap)) {
    if (carrierKey(mappedName) === key) return { code };
  }
  const accountCodes = Object.values(carrierMap);
  const known = [...BUILT_IN_CARRIER_CODES, ...accountCodes.filter((code) => !BUILT_IN_CARRIER_CODES.includes(code))];
  const code = known.find((candidate) => carrierKey(candidate) === key);
  if (code !== undefined) return { code };
  const mapped = Object.keys(carrierMap);
  // `accounts set --carrier-map` replaces the whole map, so the hint repeats the entries already there.
  const newMap = [
    ...Object.entries(carrierMap).map(([mappedName, mappedCode]) => `${mappedName}=${mappedCode}`),
    `${name.trim()}=<code>`,
  ];
  return {
    error:
      `unknown carrier ${JSON.stringify(name.trim())}: use one of The Edge's carrier codes (${known.join(', ')})` +
      (mapped.length ? ` or a name in account ${account.name}'s carrier map (${mapped.join(', ')})` : '') +
      `, or map it: jl-edge accounts set ${account.name} --carrier-map "${newMap.join(',')}"`,
  };
}
