import type { Transport } from '../../transport/transport.js';

/**
 * Reads the files a run is about to import some way ahead of it, on the one connection: a read is
 * round trips spent waiting for the server, so the run stores some files while the next ones arrive.
 * A read that failed fails when its file's turn comes.
 */
export class ReadAhead {
  private readonly reads = new Map<number, Promise<Buffer>>();
  private started = 0;

  constructor(
    private readonly transport: Transport,
    private readonly paths: string[],
    /** Reads in flight ahead of the one asked for. */
    private readonly readsAhead: number,
  ) {}

  /** The content of `paths[index]`; indexes only ever move forward (the same one may be asked again). */
  at(index: number): Promise<Buffer> {
    for (const earlier of this.reads.keys()) if (earlier < index) this.reads.delete(earlier);
    for (; this.started < Math.min(index + this.readsAhead, this.paths.length); this.started++) {
      const read = this.transport.read(this.paths[this.started]!);
      // A run that stops early never asks for some reads: their failures are nobody's error.
      read.catch(() => undefined);
      this.reads.set(this.started, read);
    }
    const read = this.reads.get(index);
    if (!read) throw new Error(`ReadAhead: file ${index} was already passed`);
    return read;
  }
}
