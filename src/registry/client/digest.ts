import { createHash } from 'node:crypto';

/** Algorithms we can verify; distribution accepts exactly these for content digests. */
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/** A digest we can verify: `sha256:<64 hex>` or `sha512:<128 hex>`. */
export function isVerifiableDigest(value: string): boolean {
  const match = /^(sha256|sha512):([a-f0-9]+)$/.exec(value);
  return match !== null && match[2]!.length === HEX_LENGTH[match[1]!];
}

/** The digest of `content` with the algorithm of `like` (sha256 when not given). */
export function digestOf(content: Uint8Array, like = 'sha256:'): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`;
}

/** True when `content` hashes to `expected` (with `expected`'s algorithm). */
export function contentMatchesDigest(content: Uint8Array, expected: string): boolean {
  return isVerifiableDigest(expected) && digestOf(content, expected) === expected;
}
