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

/** How each kind of column reads, so that every repository normalises a kind the same way. */
const READERS = {
  string: (value: unknown): string => String(value),
  number: toNumber,
  nullableString: toNullableString,
  nullableNumber: toNullableNumber,
  boolean: toBool,
};

type ColumnKind = keyof typeof READERS;
type KindValue<K extends ColumnKind> = ReturnType<(typeof READERS)[K]>;
type FieldLists = { readonly [K in ColumnKind]?: readonly string[] };
type FieldsOf<S extends FieldLists, K extends ColumnKind> = S[K] extends readonly (infer F extends string)[]
  ? { [Field in F]: KindValue<K> }
  : unknown;
export type ColumnsRead<S extends FieldLists> = FieldsOf<S, 'string'> &
  FieldsOf<S, 'number'> &
  FieldsOf<S, 'nullableString'> &
  FieldsOf<S, 'nullableNumber'> &
  FieldsOf<S, 'boolean'>;

/**
 * Reads a row's plain columns into a domain object's fields, listed by kind: the field `accountId` reads the
 * column `account_id`. Columns under another name, enums, JSON and blobs are read by the caller. The fields
 * come out grouped by kind, so an object printed as-is (its key order is output) is read by hand.
 */
export function columnReader<const S extends FieldLists>(lists: S): (row: Record<string, unknown>) => ColumnsRead<S> {
  const fields = (Object.entries(lists) as [ColumnKind, readonly string[]][]).flatMap(([kind, names]) =>
    names.map((name) => [name, name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), READERS[kind]] as const),
  );
  return (row) => {
    const read: Record<string, unknown> = {};
    for (const [field, column, reader] of fields) read[field] = reader(row[column]);
    return read as ColumnsRead<S>;
  };
}
