import type { Readable } from 'node:stream';
import {
  CsvRecordSplitter,
  CsvRecordTooLongError,
  isBlankRecord,
  mapProductHeader,
  readProductRecord,
  type CsvRecord,
  type ProductColumns,
  type ProductRecord,
} from '../../formats/product-csv.js';

export interface FileProblem {
  line: number;
  message: string;
}

/**
 * Reads the file in paused mode: `takeReady()` splits and validates only the text already read, without
 * waiting, so a caller can tell "more rows now" from "the input makes us wait".
 */
export class ProductFileReader {
  private readonly splitter = new CsvRecordSplitter();
  private buffered: ProductRecord[] = [];
  private columns: ProductColumns | undefined;
  private headerProblem: FileProblem | undefined;
  private inputEnded = false;
  private splitterEnded = false;
  private failure: Error | undefined;
  /** A defect that stopped the reading before the end of the file. */
  problem: FileProblem | null = null;

  constructor(
    private readonly input: Readable,
    private readonly batchSize: number,
  ) {
    input.on('end', () => (this.inputEnded = true));
    input.on('error', (err: Error) => (this.failure = err));
  }

  /** Reads up to the header (the first line that is not blank) and maps it. */
  async header(): Promise<{ columns: ProductColumns } | { error: string; line?: number }> {
    while (this.columns === undefined && this.headerProblem === undefined && !this.splitterEnded) {
      if (!this.pull()) await this.waitForInput(Infinity);
    }
    if (this.columns) return { columns: this.columns };
    if (this.headerProblem) return { error: this.headerProblem.message, line: this.headerProblem.line };
    return {
      error: this.problem?.message ?? 'the file is empty: it needs a header line with at least a sku column',
      line: this.problem?.line,
    };
  }

  /** The next `batchSize` validated rows (fewer at the end) if the text read so far holds them, else null. */
  takeReady(): ProductRecord[] | null {
    while (this.buffered.length < this.batchSize && this.pull());
    if (this.buffered.length >= this.batchSize) return this.buffered.splice(0, this.batchSize);
    if (this.splitterEnded && this.buffered.length > 0) return this.buffered.splice(0);
    return null;
  }

  /** Every row has been taken. */
  get finished(): boolean {
    return this.splitterEnded && this.buffered.length === 0;
  }

  /** Waits until `takeReady()` has a batch or the file is finished. */
  async waitUntilReady(): Promise<void> {
    while (this.buffered.length < this.batchSize && !this.splitterEnded) {
      if (!this.pull()) await this.waitForInput(Infinity);
    }
  }

  /**
   * Waits until the input has more text, has ended or failed (true), or `timeoutMs` has passed (false).
   * The database driver is synchronous, so a read the stream has started completes only here.
   */
  waitForInput(timeoutMs: number): Promise<boolean> {
    if (this.inputEnded || this.failure || this.input.readableLength > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => wake(false), timeoutMs) : undefined;
      const wake = (ready: boolean): void => {
        clearTimeout(timer);
        this.input.off('readable', onInput).off('end', onInput).off('error', onInput);
        resolve(ready);
      };
      const onInput = (): void => wake(true);
      this.input.on('readable', onInput).on('end', onInput).on('error', onInput);
    });
  }

  /** Splits the next piece of text already read; false when there was none to take without waiting. */
  private pull(): boolean {
    if (this.failure) throw this.failure;
    if (this.splitterEnded) return false;
    try {
      const chunk = this.input.read() as string | null;
      if (chunk !== null) {
        this.accept(this.splitter.push(chunk));
        return true;
      }
      if (!this.inputEnded) return false;
      this.splitterEnded = true;
      this.accept(this.splitter.end());
      return true;
    } catch (err) {
      if (!(err instanceof CsvRecordTooLongError)) throw err;
      this.splitterEnded = true;
      this.problem = { line: err.line, message: err.message };
      return true;
    }
  }

  private accept(records: CsvRecord[]): void {
    let start = 0;
    if (this.columns === undefined) {
      start = records.findIndex((record) => !isBlankRecord(record));
      if (start < 0) return;
      const mapped = mapProductHeader(records[start]!.fields);
      if ('error' in mapped) {
        this.headerProblem = { line: records[start]!.line, message: mapped.error };
        this.splitterEnded = true;
        return;
      }
      this.columns = mapped.columns;
      start++;
    }
    for (let i = start; i < records.length; i++) {
      const record = records[i]!;
      if (!isBlankRecord(record)) this.buffered.push(readProductRecord(record, this.columns));
    }
  }
}
