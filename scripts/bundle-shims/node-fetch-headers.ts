/**
 * Stands in, inside the bundle only, for node-fetch where client-node's config.js imports it
 * (scripts/bundle.ts): config.js takes only `Headers` from it, for `applyToFetchOptions`, which
 * dockmaster never calls. node-fetch 2 loads whatwg-url and tr46's Unicode mapping table at
 * import, ≈ 10 MB of heap. Node's own Headers stands in, read only when one is made: touching
 * `globalThis.Headers` at start would load Node's bundled undici (≈ 1 MB of source) for nothing.
 */
export class Headers {
  constructor(init?: ConstructorParameters<typeof globalThis.Headers>[0]) {
    return new globalThis.Headers(init);
  }
}
