/**
 * Reads what a garbage-collect Job printed. Two sources of lines:
 * - distribution's own summary, `N blobs marked, M blobs and K manifests eligible for deletion`
 *   (format pinned against 2.8.2 by test/integration/harness/garbage-collect.test.ts). In a real
 *   run every eligible blob is deleted or the command fails, so on exit 0 eligible = deleted;
 *   the manifests counted are the untagged ones --delete-untagged removes.
 * - our Job script's `dockmaster-gc:` lines (see job-script.ts): the byte total of the blob
 *   files before and after, on filesystem storage only, and whether it dropped --delete-untagged.
 * 3.x prints its eligible manifests in another format, but the summary line is the same.
 */

/** Prefix of every line the Job script adds to distribution's output. */
export const GC_MARKER = 'dockmaster-gc:';

const SUMMARY = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion\s*$/gm;
const BLOB_BYTES = new RegExp(`^${GC_MARKER} blob-bytes-(before|after) (\\d+)\\s*$`, 'gm');
const NOT_MEASURED = new RegExp(`^${GC_MARKER} blob-bytes-not-measured (.*)$`, 'm');
const UNTAGGED_REFUSED = new RegExp(`^${GC_MARKER} delete-untagged-refused (.*)$`, 'm');

export interface GarbageCollectOutput {
  /** Undefined when the summary line is missing (the command failed early, or the log is gone). */
  blobsMarked?: number;
  blobsDeleted?: number;
  manifestsDeleted?: number;
  /** Bytes of blob files removed: before − after; undefined when not measured. */
  bytesFreed?: number;
  /** Why bytesFreed is undefined, when the script said so (s3 storage). */
  bytesNotMeasured?: string;
  /** What `registry --version` said when the script dropped --delete-untagged (not distribution 3+). */
  deleteUntaggedRefused?: string;
}

function lastMatch(regex: RegExp, text: string): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of text.matchAll(regex)) last = match;
  return last;
}

export function parseGarbageCollectOutput(text: string): GarbageCollectOutput {
  const result: GarbageCollectOutput = {};
  // The last summary wins: the script repeats it at the end, where a log tail still has it.
  const summary = lastMatch(SUMMARY, text);
  if (summary) {
    result.blobsMarked = Number(summary[1]);
    result.blobsDeleted = Number(summary[2]);
    result.manifestsDeleted = Number(summary[3]);
  }
  let before: number | undefined;
  let after: number | undefined;
  for (const match of text.matchAll(BLOB_BYTES)) {
    if (match[1] === 'before') before = Number(match[2]);
    else after = Number(match[2]);
  }
  // A negative difference would mean something wrote during the window; report nothing rather than a lie.
  if (before !== undefined && after !== undefined && before >= after) result.bytesFreed = before - after;
  const notMeasured = NOT_MEASURED.exec(text);
  if (notMeasured?.[1]) result.bytesNotMeasured = notMeasured[1].trim();
  const refused = UNTAGGED_REFUSED.exec(text);
  if (refused?.[1]) result.deleteUntaggedRefused = refused[1].trim();
  return result;
}

/** The last few non-empty lines of an output, for a failure message. */
export function outputTail(text: string, lines = 3, maxChars = 600): string {
  const tail = text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
