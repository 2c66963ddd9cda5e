/**
 * undici, loaded at the first registry request rather than at start: it is the largest module of
 * the operator (≈ 700 KB of code), and an operator with no Registry, or a webhook-only install,
 * never talks to a registry. Every module that makes registry requests goes through here.
 */
export type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

export function loadUndici(): Promise<Undici> {
  loading ??= import('undici');
  return loading;
}
