/**
 * `node:http` for the bundle's ES module imports (scripts/bundle.ts). Node builds the ES module
 * face of a built-in by reading every export, and on Node 22+ `http` exports WebSocket,
 * CloseEvent and MessageEvent as lazy getters that load Node's bundled undici: about 5 MB of a
 * server's memory for classes dockmaster never uses. `require()` reads nothing it is not asked for.
 */
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export default http;
export const { Agent, ClientRequest, IncomingMessage, METHODS, OutgoingMessage, STATUS_CODES, Server, ServerResponse, createServer, get, globalAgent, maxHeaderSize, request, validateHeaderName, validateHeaderValue } = http;
