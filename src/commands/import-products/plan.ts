import type { ItemError } from '../../core/step.js';
import type {
  ChannelItemHolder,
  ImportedField,
  NewProducts,
  ProductsRepo,
  ProductUpdate,
  StoredProduct,
} from '../../db/repo/products.js';
import type { FieldProblem, ProductColumns, ProductRecord, ProductValues } from '../../formats/product-csv.js';
import type { FileProblem } from './reader.js';

export function emptyCounts(): ImportCounts {
  return { inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
}

/** A type, not an interface: step counts are a Record<string, number>. */
export type ImportCounts = {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
};

/**
 * Product id → the line of the file that gave that product, for every product this import has met:
 * 4 bytes a product in pages allocated on demand, so a million-row file stays flat in memory.
 */
class LinesByProductId {
  private static readonly PAGE_SIZE = 1 << 16;
  private readonly pages = new Map<number, Int32Array>();

  get(id: number): number | undefined {
    const line = this.pages.get(Math.floor(id / LinesByProductId.PAGE_SIZE))?.[id % LinesByProductId.PAGE_SIZE];
    return line ? line : undefined;
  }

  set(id: number, line: number): void {
    const key = Math.floor(id / LinesByProductId.PAGE_SIZE);
    let page = this.pages.get(key);
    if (!page) {
      page = new Int32Array(LinesByProductId.PAGE_SIZE);
      this.pages.set(key, page);
    }
    page[id % LinesByProductId.PAGE_SIZE] = line;
  }
}

/** A valid row whose channel item id is held by a product the file may still move: decided at the end. */
interface DeferredRow {
  line: number;
  values: ProductValues;
  channelItemId: string;
}

/** What one batch decided, applied to the import's state only once its writes have succeeded. */
interface BatchPlan {
  rejected: { line: number; sku: string; problems: FieldProblem[] }[];
  deferred: DeferredRow[];
  inserts: { line: number; values: ProductValues }[];
  updates: ProductUpdate[];
  /** Stored products the batch met (updated or unchanged), and their lines. */
  met: { id: number; line: number }[];
  unchanged: number;
  /** The inserts encoded while the previous batch was written. */
  newProducts?: NewProducts;
}

/** A batch on its way to the database while the next one is read and decided (`ProductsRepo.overlapsWrites`). */
interface BatchInFlight {
  /** The plan it was sent with; undefined when it is decided with look-ups on the way. */
  plan: BatchPlan | undefined;
  /** Settles once the batch is written and adopted: true if with `plan`, false if it was decided again. */
  written: Promise<boolean>;
}

/** After this many batches undone by a conflict, an import on an empty account looks up every batch. */
const MAX_OPTIMISTIC_CONFLICTS = 10;

const NOTHING_STORED: ReadonlyMap<string, StoredProduct> = new Map();
const NO_HOLDERS: ReadonlyMap<string, ChannelItemHolder> = new Map();

/**
 * One import's decisions. Rows are taken in file order, batch by batch: each batch reads the stored
 * products it names and the holders of the channel item ids it claims, decides every row, and writes
 * the changed ones. A row claiming a channel item id that a product not yet met in the file holds is
 * deferred to the end, when the whole file has said which ids it frees (SPEC §2: Buying restructures).
 */
export class ProductImport {
  readonly counts: ImportCounts = emptyCounts();
  private readonly rowErrors: ItemError[] = [];
  private readonly fields: ImportedField[];
  private readonly linesById = new LinesByProductId();
  /** SKUs of rejected rows (few): a later row with the same SKU names this line. */
  private readonly rejectedSkuLine = new Map<string, number>();
  private readonly deferred: DeferredRow[] = [];
  private readonly deferredBySku = new Map<string, DeferredRow>();
  /**
   * The account had no products when the import began, so a batch need not look anything up: every
   * SKU and channel item id it meets is new, unless an earlier batch of this file (or another writer)
   * stored it, and then the unique indexes refuse the batch's insert, the batch is undone and decided
   * again with lookups. This is what makes the first import of a large catalogue fast (measured: the
   * lookups were 1.3–1.7 s of a 1,000,000-row import).
   */
  private optimistic: boolean | undefined;
  private conflicts = 0;
  private inFlight: BatchInFlight | undefined;

  constructor(
    private readonly accountId: number,
    private readonly columns: ProductColumns,
    private readonly file: string,
    private readonly now: string,
  ) {
    this.fields = columns.present;
  }

  errors(): ItemError[] {
    return this.rowErrors;
  }

  rejectedAny(problem: FileProblem | null): boolean {
    return this.counts.rejected > 0 || problem !== null;
  }

  /**
   * Decides a batch and writes it. Where the repository overlaps writes (PostgreSQL), the write goes on
   * after this returns, so the caller reads the next batch meanwhile; this batch's outcome, or its error,
   * is taken by the next `apply`, by `resolveDeferred` or by `untilWritten`. At most one batch is in flight.
   */
  async apply(products: ProductsRepo, batch: ProductRecord[]): Promise<void> {
    this.optimistic ??= !(await products.accountHasAny(this.accountId));
    const previous = this.inFlight;
    this.inFlight = undefined;
    // Decided while the previous batch is still on its way, when that needs nothing from the database; it
    // stands if that batch is written as it was decided (its rejected SKUs are then this import's).
    const early =
      previous?.plan && this.optimistic && this.skusToLookUp(batch, false).length === 0
        ? this.decide(batch, NOTHING_STORED, NO_HOLDERS, previous.plan)
        : undefined;
    if (early) early.newProducts = this.prepareNew(products, early.inserts);
    const previousAsDecided = await previous?.written;
    let plan: BatchPlan | undefined;
    if (this.optimistic) plan = early && previousAsDecided ? early : await this.plan(products, batch, false);
    let sent!: () => void;
    const onTheWay = new Promise<void>((resolve) => (sent = resolve));
    const written = this.writeBatch(products, batch, plan, sent);
    if (!products.overlapsWrites) {
      await written;
      return;
    }
    // Its error is taken when the batch is waited for, not as an unhandled rejection meanwhile.
    void written.catch(() => undefined);
    this.inFlight = { plan, written };
    // The caller's next work waits until the rows are on their way: done while the server waits for
    // them, it would keep the server idle (measured: 20–60 ms per batch on a busy machine).
    await Promise.race([onTheWay, written]);
  }

  /**
   * Runs `work`, which applies batches inside one transaction, and waits for the batch it leaves in flight:
   * no transaction may end, by commit or rollback, with a write of its own still on the way. When `work`
   * fails, its error is the one reported.
   */
  async untilWritten(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      await this.inFlight?.written.catch(() => undefined);
      this.inFlight = undefined;
      throw err;
    }
    await this.finishWriting();
  }

  private async finishWriting(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    await inFlight?.written;
  }

  /**
   * Writes a batch with `plan` (decided without look-ups) or, when the unique indexes refuse that or
   * there is none, decided with look-ups. True when written with `plan`.
   */
  private async writeBatch(
    products: ProductsRepo,
    batch: ProductRecord[],
    plan: BatchPlan | undefined,
    sent: () => void,
  ): Promise<boolean> {
    if (plan) {
      try {
        this.adopt(plan, await products.withSavepoint(() => this.write(products, plan, sent)));
        return true;
      } catch (err) {
        if (!products.isUniqueViolation(err)) throw err;
        if (++this.conflicts >= MAX_OPTIMISTIC_CONFLICTS) this.optimistic = false;
      }
    }
    const lookedUp = await this.plan(products, batch, true);
    this.adopt(lookedUp, await this.write(products, lookedUp, sent));
    return false;
  }

  /**
   * The SKUs a batch's decisions read from the database: all of them with look-ups, else those of
   * rejected rows (they are few): a row that repeats the SKU of an earlier good row must not pass for the
   * first occurrence of that SKU.
   */
  private skusToLookUp(batch: ProductRecord[], lookUp: boolean): string[] {
    const skus = new Set<string>();
    for (const { sku, values } of batch) if (sku !== '' && (lookUp || values === undefined)) skus.add(sku);
    return [...skus];
  }

  /** Reads what the batch's decisions need from the database, and decides every row. */
  private async plan(products: ProductsRepo, batch: ProductRecord[], lookUp: boolean): Promise<BatchPlan> {
    const stored = await products.storedBySku(this.accountId, this.skusToLookUp(batch, lookUp));
    const claimed = new Set<string>();
    if (lookUp) {
      for (const { sku, values } of batch) {
        const id = values?.channelItemId;
        if (id && id !== stored.get(sku)?.channelItemId) claimed.add(id);
      }
    }
    return this.decide(batch, stored, await products.holdersOf(this.accountId, [...claimed]));
  }

  /**
   * Decides every row of the batch from what the database said and the import's state, plus the
   * rejections of `previous`, a batch not yet adopted; changes nothing.
   */
  private decide(
    batch: ProductRecord[],
    stored: ReadonlyMap<string, StoredProduct>,
    holders: ReadonlyMap<string, ChannelItemHolder>,
    previous?: BatchPlan,
  ): BatchPlan {
    const rejectedBefore = new Map<string, number>();
    for (const { sku, line } of previous?.rejected ?? [])
      if (sku !== '' && !rejectedBefore.has(sku)) rejectedBefore.set(sku, line);

    // What this batch has done so far, on top of what the database said before it.
    const plan: BatchPlan = { rejected: [], deferred: [], inserts: [], updates: [], met: [], unchanged: 0 };
    const lineInBatch = new Map<string, number>();
    const claimedInBatch = new Map<string, { sku: string; line: number }>();
    const freedInBatch = new Set<string>();

    for (const record of batch) {
      const { line, sku } = record;
      const firstLine =
        sku === '' ? undefined : (lineInBatch.get(sku) ?? this.firstLineOf(sku, stored.get(sku), rejectedBefore));
      if (sku !== '' && firstLine === undefined) lineInBatch.set(sku, line);
      if (record.values === undefined) {
        // Rejected for its own reasons; a later row with its SKU is still a duplicate of it.
        plan.rejected.push({ line, sku, problems: record.problems });
        continue;
      }
      if (firstLine !== undefined) {
        plan.rejected.push({ line, sku, problems: [this.duplicate(sku, firstLine)] });
        continue;
      }
      const { values } = record;
      const current = stored.get(sku);
      const claim = values.channelItemId;
      if (claim && claim !== current?.channelItemId) {
        const rival = claimedInBatch.get(claim);
        if (rival) {
          plan.rejected.push({ line, sku, problems: [this.takenBy(claim, rival.sku, rival.line)] });
          continue;
        }
        const holder = freedInBatch.has(claim) ? undefined : holders.get(claim);
        if (holder && holder.sku !== sku) {
          const holderLine = this.linesById.get(holder.id);
          if (holderLine !== undefined)
            plan.rejected.push({ line, sku, problems: [this.takenBy(claim, holder.sku, holderLine)] });
          else plan.deferred.push({ line, values, channelItemId: claim });
          continue;
        }
      }
      if (
        values.channelItemId !== undefined &&
        current?.channelItemId &&
        values.channelItemId !== current.channelItemId
      ) {
        freedInBatch.add(current.channelItemId);
      }
      if (claim) claimedInBatch.set(claim, { sku, line });
      if (current === undefined) {
        plan.inserts.push({ line, values });
        continue;
      }
      plan.met.push({ id: current.id, line });
      if (changed(current, values, this.fields)) plan.updates.push(this.update(current, values));
      else plan.unchanged++;
    }
    return plan;
  }

  /** Writes a plan's changes; returns the ids of its inserts, in order. `sent`: see `insertNew`. */
  private async write(
    products: ProductsRepo,
    plan: { updates: ProductUpdate[]; inserts: { values: ProductValues }[]; newProducts?: NewProducts },
    sent?: () => void,
  ): Promise<number[]> {
    // Updates first: they may free ids that inserts of the same batch take, never the other way round.
    if (plan.updates.length > 0) await products.updateMany(this.accountId, this.fields, plan.updates, this.now);
    if (plan.inserts.length === 0) return [];
    return products.insertNew(plan.newProducts ?? this.prepareNew(products, plan.inserts), sent);
  }

  private prepareNew(products: ProductsRepo, inserts: { values: ProductValues }[]): NewProducts {
    return products.prepareNew(
      this.accountId,
      this.fields,
      inserts.map((row) => row.values),
      this.now,
    );
  }

  /** Makes a written plan part of the import's state. */
  private adopt(plan: BatchPlan, insertedIds: number[]): void {
    for (const { line, sku, problems } of plan.rejected) this.reject(line, sku, problems);
    for (const row of plan.deferred) {
      this.deferred.push(row);
      this.deferredBySku.set(row.values.sku, row);
    }
    for (const { id, line } of plan.met) this.linesById.set(id, line);
    insertedIds.forEach((id, index) => this.linesById.set(id, plan.inserts[index]!.line));
    this.counts.inserted += plan.inserts.length;
    this.counts.updated += plan.updates.length;
    this.counts.unchanged += plan.unchanged;
  }

  /**
   * Decides the deferred rows once the whole file has been applied. The first row claiming an id gets
   * it when its holder has let it go, or is itself a deferred row that gets its own new id (so swaps
   * and chains of moves work); every other claim is rejected.
   */
  async resolveDeferred(products: ProductsRepo): Promise<void> {
    await this.finishWriting();
    if (this.deferred.length === 0) return;
    const firstClaim = new Map<string, DeferredRow>();
    for (const row of this.deferred) if (!firstClaim.has(row.channelItemId)) firstClaim.set(row.channelItemId, row);
    const stored = new Map<string, StoredProduct>();
    const holders = new Map<string, { id: number; sku: string }>();
    const skus = [...this.deferredBySku.keys()];
    const ids = [...firstClaim.keys()];
    for (let start = 0; start < skus.length; start += products.batchSize) {
      for (const [sku, product] of await products.storedBySku(
        this.accountId,
        skus.slice(start, start + products.batchSize),
      ))
        stored.set(sku, product);
    }
    for (let start = 0; start < ids.length; start += products.batchSize) {
      for (const [id, holder] of await products.holdersOf(this.accountId, ids.slice(start, start + products.batchSize)))
        holders.set(id, holder);
    }

    // Greatest fixed point: grant every first claim, then withdraw those whose holder keeps its id.
    const granted = new Set(firstClaim.values());
    for (let withdrew = true; withdrew;) {
      withdrew = false;
      for (const row of granted) {
        const holder = holders.get(row.channelItemId);
        if (!holder || holder.sku === row.values.sku) continue;
        const holderRow = this.deferredBySku.get(holder.sku);
        if (holderRow === undefined || !granted.has(holderRow)) {
          granted.delete(row);
          withdrew = true;
        }
      }
    }

    const updates: ProductUpdate[] = [];
    const inserts: { line: number; values: ProductValues }[] = [];
    const freeing: number[] = [];
    for (const row of this.deferred) {
      const winner = firstClaim.get(row.channelItemId)!;
      if (!granted.has(row)) {
        const holder = holders.get(row.channelItemId)!;
        const reason =
          winner !== row && granted.has(winner)
            ? this.takenBy(row.channelItemId, winner.values.sku, winner.line)
            : this.takenBy(row.channelItemId, holder.sku, this.linesById.get(holder.id));
        this.reject(row.line, row.values.sku, [reason]);
        continue;
      }
      const current = stored.get(row.values.sku);
      if (current === undefined) {
        inserts.push(row);
        continue;
      }
      this.linesById.set(current.id, row.line);
      if (current.channelItemId !== null) freeing.push(current.id);
      updates.push(this.update(current, row.values));
    }
    // Free the granted rows' old ids first: the unique index on (account, channel item id) holds at every statement.
    await products.clearChannelItemIds(freeing);
    await this.write(products, { updates, inserts });
    this.counts.updated += updates.length;
    this.counts.inserted += inserts.length;
  }

  private update(current: StoredProduct, values: ProductValues): ProductUpdate {
    const newId =
      values.channelItemId !== undefined &&
      values.channelItemId !== null &&
      values.channelItemId !== current.channelItemId;
    // An empty active cell leaves the product as it is.
    return { ...values, active: values.active ?? current.active, resend: current.resend || newId };
  }

  /** The line of an earlier row of this file with this SKU (before the current batch). */
  private firstLineOf(
    sku: string,
    stored: StoredProduct | undefined,
    rejectedBefore: ReadonlyMap<string, number>,
  ): number | undefined {
    return (
      (stored && this.linesById.get(stored.id)) ??
      this.deferredBySku.get(sku)?.line ??
      this.rejectedSkuLine.get(sku) ??
      rejectedBefore.get(sku)
    );
  }

  private duplicate(sku: string, firstLine: number): FieldProblem {
    return {
      column: this.columns.header.sku,
      message: `duplicate SKU ${JSON.stringify(sku)}: first on line ${firstLine}`,
    };
  }

  private takenBy(channelItemId: string, sku: string, line: number | undefined): FieldProblem {
    return {
      column: this.columns.header.channelItemId,
      message:
        line === undefined
          ? `channel item id ${channelItemId} is held by SKU ${JSON.stringify(sku)}`
          : `channel item id ${channelItemId} is already given to SKU ${JSON.stringify(sku)} on line ${line}`,
    };
  }

  private reject(line: number, sku: string, problems: FieldProblem[]): void {
    this.counts.rejected++;
    if (sku !== '' && !this.rejectedSkuLine.has(sku)) this.rejectedSkuLine.set(sku, line);
    for (const { column, message } of problems) {
      this.rowErrors.push(
        column === undefined ? { file: this.file, line, message } : { file: this.file, line, column, message },
      );
    }
  }
}

/** Whether a row changes any field the file carries (an empty active cell changes nothing). */
function changed(current: StoredProduct, values: ProductValues, fields: ImportedField[]): boolean {
  for (const field of fields) if (values[field] !== undefined && values[field] !== current[field]) return true;
  return false;
}
