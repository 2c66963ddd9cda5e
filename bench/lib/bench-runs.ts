/**
 * The pure half of bench/run.ts: which bench files to run, how to read each one's final JSON
 * line, and the summary table.
 */

export interface BenchRun {
  /** File stem: `reconcile-scale` for bench/reconcile-scale.bench.ts. */
  name: string;
  exitCode: number | null;
  durationS: number;
  /** The bench's final JSON line, or null when it printed none (it crashed). */
  result: Record<string, unknown> | null;
  pass: boolean;
}

/** Bench files whose name contains any filter (all of them without filters), in name order. */
export function selectBenches(files: readonly string[], filters: readonly string[]): string[] {
  return files
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();
}

/** The last stdout line that is a JSON object with a `bench` field (the convention's final line). */
export function finalJsonLine(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (const line of lines.reverse()) {
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && 'bench' in parsed) return parsed as Record<string, unknown>;
    } catch {
      // Not JSON after all: a human line starting with a brace.
    }
  }
  return null;
}

/** A run passes only when it exited 0 and its JSON line says so: either alone could lie after a crash. */
export function runPassed(exitCode: number | null, result: Record<string, unknown> | null): boolean {
  return exitCode === 0 && result?.pass === true;
}

export function summaryTable(runs: readonly BenchRun[]): string {
  const rows = runs.map((run) => {
    const missed = Array.isArray(run.result?.missed) ? (run.result.missed as string[]).join('; ') : '';
    const verdict = run.result === null ? `CRASHED (exit ${run.exitCode})` : run.pass ? 'pass' : 'MISSED';
    return [run.name, verdict, `${run.durationS.toFixed(0)} s`, missed];
  });
  const header = ['bench', 'result', 'time', 'targets missed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
