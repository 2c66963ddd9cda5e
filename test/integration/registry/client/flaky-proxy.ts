import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of a real registry that can fail chosen requests (503, 429 or a
 * dropped connection) and records how many requests were in flight at once. The registry behind
 * it stays real; only the failures are injected.
 */
export interface FlakyProxy {
  url: string;
  /** Requests received, failed ones included. */
  readonly received: number;
  /** Most requests being handled at the same moment. */
  readonly peakInFlight: number;
  /** Fail the next `count` requests the given way. */
  failNext(count: number, mode: 'status-503' | 'status-429' | 'reset', retryAfterSeconds?: number): void;
  /** Hold every forwarded request this long (to make concurrency observable). */
  setDelay(ms: number): void;
  resetCounters(): void;
  close(): Promise<void>;
}

export async function startFlakyProxy(targetUrl: string): Promise<FlakyProxy> {
  const target = new URL(targetUrl);
  let failures: { remaining: number; mode: 'status-503' | 'status-429' | 'reset'; retryAfter?: number } = { remaining: 0, mode: 'status-503' };
  let delayMs = 0;
  let received = 0;
  let inFlight = 0;
  let peakInFlight = 0;

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    received++;
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    // 'finish' fires when the last byte is handed to the socket, before the client can see it, so
    // a client's next request never overlaps this one in the count; 'close' covers dropped sockets.
    let done = false;
    const settle = (): void => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('finish', settle);
    res.on('close', settle);
    if (failures.remaining > 0) {
      failures.remaining--;
      if (failures.mode === 'reset') {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failures.retryAfter !== undefined) headers['retry-after'] = String(failures.retryAfter);
      const status = failures.mode === 'status-429' ? 429 : 503;
      res.writeHead(status, headers).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected failure' }] }));
      return;
    }
    setTimeout(() => forward(req, res), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    failNext(count, mode, retryAfterSeconds) {
      failures = { remaining: count, mode, retryAfter: retryAfterSeconds };
    },
    setDelay(ms) {
      delayMs = ms;
    },
    resetCounters() {
      received = 0;
      peakInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
