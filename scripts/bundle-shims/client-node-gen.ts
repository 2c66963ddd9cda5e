/**
 * Stands in, inside the bundle only, for client-node's generated API index where its config.js
 * imports it (scripts/bundle.ts). config.js needs it for `KubeConfig.makeApiClient`, which
 * dockmaster never calls: its requests go through src/runtime/kube-transport.ts. Loading the real
 * index evaluates every generated model class (≈ 400 KB of code, ≈ 20 MB of heap at start).
 */
const message = 'client-node generated API classes are not part of the dockmaster bundle; use KubeClients.requestJson';

export function createConfiguration(): never {
  throw new Error(message);
}

export class ServerConfiguration {
  constructor() {
    throw new Error(message);
  }
}
