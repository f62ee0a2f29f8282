/** Reading The Edge's stock error files (SPEC §4.7) at the start of a push. */
import { isoNow } from '../../core/time.js';
import { sha256Hex } from '../../core/hash.js';
import { isStockErrorFileName, parseStockErrorFile } from '../../formats/stock-errors.js';
import { joinRemote, type RemoteEntry } from '../../transport/transport.js';
import { errorMessage } from '../../core/errors.js';
import type { PushScope } from './scope.js';

/** A stock error file read in this run, for --json and --dry-run. */
export interface ErrorFileReport {
  file: string;
  errors: { line: number; part_number: string; message: string }[];
  problems: string[];
}

/** What the stock error files of this run changed. */
export interface ErrorFilesRead {
  errorsRead: number;
  /** Products named in this run's error files: their open errors are not cleared by this run's push. */
  namedProductIds: Set<number>;
  reports: ErrorFileReport[];
}

const ERROR_FLOW = 'StockUpdateError';

/**
 * SPEC §4.7: every new error file is stored raw with the errors it reports, each error attached to its
 * product and the product marked for re-send — in one transaction per file, so a file is processed
 * once. A malformed file is reported and kept; the push goes on. A dry run reads and reports only.
 */
export async function readErrorFiles(scope: PushScope): Promise<ErrorFilesRead> {
  const read: ErrorFilesRead = { errorsRead: 0, namedProductIds: new Set(), reports: [] };
  const dir = scope.account.paths.StockUpdateError;
  let listing: RemoteEntry[];
  try {
    listing = (await scope.transport.list(dir)).filter((entry) => isStockErrorFileName(entry.name));
  } catch (err) {
    // Stock levels must still reach The Edge when the error folder cannot be read.
    scope.errors.push({
      file: dir,
      message: `cannot list the stock error folder (StockUpdateError), so The Edge's reports on the stock sent are not read: ${errorMessage(err)} (check it with: jl-edge accounts test ${scope.account.name})`,
      stepFailed: true,
    });
    return read;
  }
  // Name and size from the listing recognise a file already stored without downloading it again.
  for (const entry of await scope.ctx.repo.inbound.unlogged(scope.account.id, ERROR_FLOW, listing)) {
    let raw: Buffer;
    try {
      raw = await scope.transport.read(joinRemote(dir, entry.name));
    } catch (err) {
      scope.errors.push({
        file: entry.name,
        message: `cannot read the stock error file (read again next run): ${errorMessage(err)}`,
      });
      continue;
    }
    const sha256 = sha256Hex(raw);
    if (await scope.ctx.repo.inbound.exists(scope.account.id, entry.name, sha256)) continue;

    const parsed = parseStockErrorFile(raw, { encoding: scope.account.encoding });
    const problems = [...parsed.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    for (const problem of problems) {
      scope.errors.push({
        file: entry.name,
        line: problem.line ?? undefined,
        message: withoutLinePrefix(problem.message),
      });
    }
    read.errorsRead += parsed.errors.length;
    read.reports.push({
      file: entry.name,
      errors: parsed.errors.map((e) => ({ line: e.line, part_number: e.partNumber, message: e.message })),
      problems: problems.map((problem) => problem.message),
    });
    if (scope.ctx.options.dryRun) continue;

    const now = isoNow(scope.ctx.clock);
    const named = await scope.ctx.repo.transaction(async (repo) => {
      const inboundFileId = await repo.inbound.insert({
        accountId: scope.account.id,
        flow: ERROR_FLOW,
        remoteDir: dir,
        remoteName: entry.name,
        raw,
        sha256,
        // Nothing usable in it: kept raw and listed by `status`, never read again.
        status: parsed.errors.length === 0 && problems.length > 0 ? 'rejected' : 'processed',
        error: problems.length > 0 ? problems.map((problem) => problem.message).join('\n') : null,
        disposal: null,
        now,
      });
      return repo.stock.recordErrors({ accountId: scope.account.id, inboundFileId, errors: parsed.errors, now });
    });
    for (const id of named) read.namedProductIds.add(id);
  }
  return read;
}

/** The format's problem messages start with `line N: `; an ItemError carries the line on its own. */
function withoutLinePrefix(message: string): string {
  return message.replace(/^line \d+: /, '');
}
