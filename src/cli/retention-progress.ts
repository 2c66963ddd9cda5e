/** The progress bar of `retention plan|apply` on a terminal (stderr): one bar that follows the phase. */
import cliProgress from 'cli-progress';
import type { RetentionProgress } from '../retention/run-retention.js';

export interface ProgressDisplay {
  update(progress: RetentionProgress): void;
  stop(): void;
}

/** Reads the phase: repositories scanned (listing, resolving), then deletes done. */
function barPosition(p: RetentionProgress): { value: number; total: number; phase: string; detail: string } {
  if (p.phase === 'deleting' || (p.phase === 'done' && p.deletesTotal > 0)) {
    return { value: p.deletesDone, total: Math.max(p.deletesTotal, 1), phase: 'Deleting', detail: 'deletes done' };
  }
  return { value: p.repositoriesScanned, total: Math.max(p.repositoriesTotal, 1), phase: 'Listing', detail: `repositories scanned, ${p.tagsResolved} tags resolved` };
}

/** A bar on stderr when it is a terminal; otherwise nothing (the structured logs tell the story). */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream, format: '{phase} |{bar}| {value}/{total} {detail}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const position = barPosition(progress);
      if (!started) {
        bar.start(position.total, position.value, position);
        started = true;
      } else {
        // The total changes with the phase (repositories, then deletes) and once the catalog is read.
        bar.setTotal(position.total);
        bar.update(position.value, position);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
