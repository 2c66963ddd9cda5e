/**
 * The bench convention in one place: human lines on stdout, then ONE final JSON line
 * `{"bench", ...figures, "targets", "pass"}`, exit 1 when a target is missed. bench/run.ts reads
 * that last line, so nothing may be printed after it.
 */

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One target: the measured value and the bound it must respect. */
export interface TargetCheck {
  value: number;
  max?: number;
  min?: number;
  equals?: number;
}

export interface TargetVerdict {
  /** The bounds, as written into the JSON line: `{ name: { max: 60 } }`. */
  targets: Record<string, { max?: number; min?: number; equals?: number }>;
  /** Names of the targets missed, with the value that missed them. */
  missed: string[];
  pass: boolean;
}

/** Checks every target (pure); `max` and `min` are inclusive. */
export function checkTargets(checks: Record<string, TargetCheck>): TargetVerdict {
  const targets: TargetVerdict['targets'] = {};
  const missed: string[] = [];
  for (const [name, { value, ...bounds }] of Object.entries(checks)) {
    targets[name] = bounds;
    const ok =
      Number.isFinite(value) &&
      (bounds.max === undefined || value <= bounds.max) &&
      (bounds.min === undefined || value >= bounds.min) &&
      (bounds.equals === undefined || value === bounds.equals);
    if (!ok) missed.push(`${name}=${value} (${JSON.stringify(bounds)})`);
  }
  return { targets, missed, pass: missed.length === 0 };
}

/** Prints the final JSON line and returns the exit code it implies. */
export function printResult(bench: string, figures: Record<string, unknown>, verdict: TargetVerdict): number {
  if (!verdict.pass) log(`MISSED: ${verdict.missed.join('; ')}`);
  log(JSON.stringify({ bench, ...figures, targets: verdict.targets, missed: verdict.missed, pass: verdict.pass }));
  return verdict.pass ? 0 : 1;
}

/** Runs a bench's main and exits with its code; a crash prints the stack and exits 1. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Milliseconds since `start` (performance.now()). */
export const elapsedMs = (start: number): number => performance.now() - start;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes (then undefined). */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}
