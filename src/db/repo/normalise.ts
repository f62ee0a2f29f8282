/**
 * SQLite returns booleans as 0/1 and PostgreSQL returns counts and bigints as strings: callers of the
 * repository layer always get numbers and booleans.
 */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  return JSON.parse(String(value)) as T;
}

/** A nullable text column; a missing value (undefined) reads as null too. */
export function toNullableString(value: unknown): string | null {
  return (value as string | null | undefined) ?? null;
}
