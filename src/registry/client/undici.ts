/**
 * undici, loaded at the first registry request rather than at start: it is the largest module of
 * the operator (≈ 700 KB of code), and an operator with no Registry, or a webhook-only install,
 * never talks to a registry. Every module that makes registry requests goes through here.
 */
export type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

export function loadUndici(): Promise<Undici> {
  // Node gives a CommonJS module's exports by name to import(); the bundle (esbuild) gives them
  // only as `default`. test/unit/bundle.test.ts runs a request through the bundle for this.
  loading ??= import('undici').then((module) => ('Agent' in module ? module : (module as unknown as { default: Undici }).default));
  return loading;
}
