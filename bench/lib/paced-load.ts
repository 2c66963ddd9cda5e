import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * Open-loop load at a fixed rate: request i is sent at start + i/rate, whether or not earlier
 * ones have been answered, and its latency runs from its send to the end of its response body.
 * Not autocannon's `overallRate`: in autocannon 9 that is a per-second budget per connection
 * (httpClient.js resets `reqsMadeThisSecond` every 1000 ms), so each second starts with a burst
 * at full speed and then idles, which measures queueing in the burst, not latency at a rate.
 */
export interface PacedLoadFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rps: number;
  requests: number;
  errors: number;
  /** How late the generator's timer fired at worst: a large value means the load machine, not the server, was busy. */
  maxScheduleLagMs: number;
}

export async function pacedLoad(options: { origin: string; path: string; body: string; ratePerSecond: number; durationS: number; connections: number }): Promise<PacedLoadFigures> {
  const pool = new Pool(options.origin, { connections: options.connections, connect: { rejectUnauthorized: false } });
  const total = Math.round(options.ratePerSecond * options.durationS);
  const latencies = new Float64Array(total);
  let errors = 0;
  let sent = 0;
  let maxScheduleLagMs = 0;
  const inFlight: Array<Promise<void>> = [];
  const fire = (index: number): void => {
    const t0 = performance.now();
    inFlight.push(
      pool
        .request({ path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: options.body })
        .then(async (response) => {
          await response.body.dump();
          latencies[index] = performance.now() - t0;
          if (response.statusCode !== 200) errors++;
        })
        .catch(() => {
          errors++;
          latencies[index] = performance.now() - t0;
        }),
    );
  };
  // Open every connection (TLS handshakes) before the clock starts.
  await Promise.all(
    Array.from({ length: options.connections * 4 }, () =>
      pool.request({ path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: options.body }).then((r) => r.body.dump()),
    ),
  );
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * options.ratePerSecond) / 1000) + 1);
      if (due > sent) maxScheduleLagMs = Math.max(maxScheduleLagMs, now - start - (sent * 1000) / options.ratePerSecond);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  await pool.close();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q: number): number => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2));
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), rps: Math.round(total / elapsedS), requests: total, errors, maxScheduleLagMs: Number(maxScheduleLagMs.toFixed(1)) };
}
