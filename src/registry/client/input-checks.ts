import { isVerifiableDigest } from './digest.js';
import { REGISTRY_ERROR_CODES, RegistryApiError, RegistryClientConfigError } from './errors.js';

/** Checks on what callers pass in, made before any request so a bad argument never reaches the wire. */

/** distribution's repository path grammar (reference/regexp.go), lower-case components joined by "/". */
const REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

/** The registry base URL without a trailing slash; refuses plain HTTP unless allowed. */
export function checkedBaseUrl(raw: string, allowPlainHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RegistryClientConfigError(`registry URL "${raw}" is not a URL; write it as https://host[:port]`);
  }
  if (url.protocol === 'http:' && !allowPlainHttp) {
    throw new RegistryClientConfigError(
      `refusing plain HTTP for ${url.origin}: credentials and content would travel unencrypted. ` +
        `Use https://, or allow plain HTTP explicitly (allowPlainHttp: true; \`insecure: true\` on an external registry).`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RegistryClientConfigError(`registry URL ${raw} must be https:// (or http://)`);
  if (url.username || url.password) throw new RegistryClientConfigError('put registry credentials in `credentials`, not in the URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function checkRepository(repository: string): void {
  if (!REPOSITORY_PATTERN.test(repository)) {
    throw new RegistryApiError({ code: REGISTRY_ERROR_CODES.badRequest, method: '-', url: '-', message: `"${repository}" is not a valid repository path` });
  }
}

export function checkReference(reference: string): void {
  if (!TAG_PATTERN.test(reference) && !isVerifiableDigest(reference)) {
    throw new RegistryApiError({ code: REGISTRY_ERROR_CODES.badRequest, method: '-', url: '-', message: `"${reference}" is neither a tag nor a sha256/sha512 digest` });
  }
}

export function checkDigest(digest: string, operation: string): void {
  if (!isVerifiableDigest(digest)) {
    throw new RegistryApiError({
      code: REGISTRY_ERROR_CODES.badRequest,
      method: '-',
      url: '-',
      message: `${operation} needs a digest (sha256:<64 hex>), got "${digest}"${TAG_PATTERN.test(digest) ? ': tags are refused, resolve the tag to its digest first' : ''}`,
    });
  }
}

/** A tag, never a digest: a DELETE by digest removes every tag on the manifest, and an untag must not. */
export function checkTag(tag: string, operation: string): void {
  if (!TAG_PATTERN.test(tag)) {
    throw new RegistryApiError({ code: REGISTRY_ERROR_CODES.badRequest, method: '-', url: '-', message: `${operation} needs a tag, got "${tag}"` });
  }
}
