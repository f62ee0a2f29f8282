import { markedNames } from '../../formats/order-file.js';
import type { RemoteEntry } from '../../transport/transport.js';

/**
 * A folder as a run listed it, with which of its names have a marker: the order and cancellation-request
 * halves of download-orders share the incoming folder, and a listing is the costly part of a run.
 */
export interface ListedFolder {
  /** Sorted by name. */
  entries: RemoteEntry[];
  isMarked: (name: string) => boolean;
}

export function listedFolder(entries: RemoteEntry[]): ListedFolder {
  return { entries, isMarked: markedNames(entries.map((entry) => entry.name)) };
}
