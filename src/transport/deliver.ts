/**
 * The outbox's upload step (SPEC §6.2–6.3), shared by ack-orders, send-shipments, send-cancels and
 * send-refunds. A crash can stop a delivery anywhere, so this is safe to repeat with the same name and
 * bytes: a complete file is not uploaded again, a partial one is replaced, and the marker that tells
 * The Edge to read the file only ever follows a data file whose size has been verified.
 */
import { MARKER_SUFFIX, type Transport } from './transport.js';

export async function deliverFile(
  transport: Transport,
  remotePath: string,
  content: Buffer,
  options: { marker: boolean; beforeMarker?: () => Promise<void> },
): Promise<void> {
  // Almost every delivery is a first one: create the file exclusively, without asking first whether it
  // is there. Exclusive, because a file that IS there (an earlier run was cut off after starting the
  // upload) may already carry its marker: truncating it could let The Edge read a partial file. Such a
  // file is left untouched here and handled below, by size.
  if (await transport.writeNew(remotePath, content)) {
    if (!options.marker) return;
    await options.beforeMarker?.();
    await transport.writeMarker(remotePath);
    return;
  }
  const existingSize = await transport.size(remotePath);
  // Uploads are sequential streams, so an interrupted one leaves a shorter prefix: equal size means
  // an earlier run finished this very file.
  const complete = existingSize === content.length;
  if (!complete) await replaceFile(transport, remotePath, content, existingSize !== null);
  if (!options.marker) return;
  // Only an earlier run that finished the data file can have written the marker; after a fresh
  // upload the check would cost a round trip per file for nothing (the marker is empty either way).
  if (!complete || (await transport.size(remotePath + MARKER_SUFFIX)) === null) {
    await options.beforeMarker?.();
    await transport.writeMarker(remotePath);
  }
}

async function replaceFile(transport: Transport, remotePath: string, content: Buffer, exists: boolean): Promise<void> {
  try {
    await transport.write(remotePath, content);
  } catch (firstFailure) {
    if (!exists) throw firstFailure;
    // Some servers refuse to open an existing file for writing but let it be deleted and recreated.
    try {
      await transport.delete(remotePath);
    } catch {
      throw firstFailure;
    }
    await transport.write(remotePath, content);
  }
}
