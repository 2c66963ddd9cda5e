import * as z from 'zod';
import { DockmasterError } from '../errors.js';
import {
  DEFAULT_DOMAIN,
  InvalidImageReferenceError,
  isValidPathComponent,
  isValidRegistryHost,
  parseImageReference,
  type ImageReference,
} from '../registry/reference.js';

/**
 * Allow-list entries name image sources, or exact images. Three forms, all matched against the
 * normalized reference (`nginx` is `docker.io/library/nginx`):
 *
 * - host entry `registry.example.com`, `registry.example.com:5000`, `localhost:5000`,
 *   `[::1]:5000`: every image whose registry host is exactly that host. Case-insensitive; the
 *   port is significant (`registry.example.com` does not admit `registry.example.com:5000`).
 *   `ghcr.io/*` is the same as `ghcr.io`.
 * - path entry `docker.io/library`, `ghcr.io/acme/team`: that host, and a repository path equal
 *   to the entry's path or below it at a `/` boundary. `docker.io/library` admits
 *   `docker.io/library/nginx` and never `docker.io/library-evil/x`.
 *   A trailing `/*` (`ghcr.io/acme/*`) means strictly below: any depth under `ghcr.io/acme/`,
 *   but not a repository named `ghcr.io/acme` itself. `*` anywhere else is refused.
 * - image entry `docker.io/library/ubuntu:20.14` or `ghcr.io/acme/base@sha256:…`: exactly that
 *   image, as Gatekeeper's allowedreposv2 does, so an admin can approve a vetted ("golden") image
 *   without opening its repository. A tag entry admits that tag written without a digest (with a
 *   digest the runtime pulls the digest, which the tag does not vouch for); a digest entry admits
 *   that digest, whatever tag is written beside it.
 *
 * An entry must start with a registry host (a name with `.` or `:port`, `localhost`, or a
 * bracketed IPv6 address): `library/nginx` is refused rather than guessed, and no `library/` is
 * added to Docker Hub entries (`docker.io/bitnami` is an organisation, not `library/bitnami`).
 */
export type AllowEntry =
  | { kind: 'host'; text: string; origin: string; host: string }
  | { kind: 'path'; text: string; origin: string; host: string; path: string; strictlyBelow: boolean }
  | { kind: 'image'; text: string; origin: string; host: string; path: string; tag?: string; digest?: string };

/** An entry that cannot be understood; the message says how to write it. */
export class AllowEntryError extends DockmasterError {
  readonly entry: string;

  constructor(entry: string, message: string) {
    super('DM_ERR_INVALID_ALLOW_ENTRY', message);
    this.entry = entry;
  }
}

// distribution folds only `index.docker.io` into `docker.io`; entries follow the same rule.
const LEGACY_DOCKER_HUB_HOSTS = new Set(['index.docker.io']);

/** Parses one entry. `origin` says where it came from (for messages): "operator configuration", "Registry ns/name". */
export function parseAllowEntry(text: string, origin = 'operator configuration'): AllowEntry {
  const bad = (why: string): never => {
    throw new AllowEntryError(text, `allow-list entry "${text}" ${why}`);
  };
  if (text === '') bad('is empty');
  if (/\s/.test(text)) bad('contains whitespace');
  if (text.includes('://')) bad('must not have a URL scheme: write the host as in an image reference (registry.example.com:5000)');
  const slash = text.indexOf('/');
  const hostText = slash === -1 ? text : text.slice(0, slash);
  const pathText = slash === -1 ? '' : text.slice(slash + 1);
  if (!(hostText === 'localhost' || hostText.startsWith('[') || /[.:]/.test(hostText))) {
    bad(
      `does not start with a registry host (a name with "." or ":port", "localhost" or "[IPv6]:port"); ` +
        `for Docker Hub write "docker.io/${text}"`,
    );
  }
  if (!isValidRegistryHost(hostText)) bad(`has an invalid registry host "${hostText}" (expected host[:port] or [IPv6][:port])`);
  const lowered = hostText.toLowerCase();
  const host = LEGACY_DOCKER_HUB_HOSTS.has(lowered) ? DEFAULT_DOMAIN : lowered;
  if (pathText === '' && slash !== -1) bad('ends with "/": remove it, or write "/*"');
  if (pathText === '' || pathText === '*') return { kind: 'host', text, origin, host };

  if (pathText.includes(':') || pathText.includes('@')) return parseImageEntry(text, origin, bad);
  const strictlyBelow = pathText.endsWith('/*');
  const path = strictlyBelow ? pathText.slice(0, -2) : pathText;
  for (const component of path.split('/')) {
    if (component.includes('*')) bad('uses "*" other than as the whole last segment ("ghcr.io/acme/*")');
    if (component === '') bad('has an empty path segment (a double or trailing "/")');
    if (component.toLowerCase() !== component) bad(`has an uppercase path segment "${component}": repository paths are lowercase`);
    if (!isValidPathComponent(component)) bad(`has an invalid path segment "${component}"`);
  }
  return { kind: 'path', text, origin, host, path, strictlyBelow };
}

/** An exact-image entry (`repository:tag` or `repository@digest`), parsed as the runtime parses images. */
function parseImageEntry(text: string, origin: string, bad: (why: string) => never): AllowEntry {
  if (text.includes('*')) bad('uses "*" in an exact image: name one image, or a repository path without tag or digest');
  let reference: ImageReference;
  try {
    reference = parseImageReference(text);
  } catch (error) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    return bad(`is not a valid image reference: ${error.message}`);
  }
  return {
    kind: 'image',
    text,
    origin,
    host: comparableHost(reference),
    path: reference.path,
    ...(reference.digest ? { digest: reference.digest } : reference.tag ? { tag: reference.tag } : {}),
  };
}

/** A zod string that must be a valid entry; the issue message is the entry error. */
export const allowEntrySchema = z.string().superRefine((value, ctx) => {
  try {
    parseAllowEntry(value);
  } catch (error) {
    if (!(error instanceof AllowEntryError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

/** The registry host of a reference as entries compare it: lowercase, Docker Hub aliases folded. */
export function comparableHost(reference: ImageReference): string {
  const host = reference.domain.toLowerCase();
  return LEGACY_DOCKER_HUB_HOSTS.has(host) ? DEFAULT_DOMAIN : host;
}

/** Whether one entry admits a normalized reference. */
export function entryAllows(entry: AllowEntry, reference: ImageReference): boolean {
  if (comparableHost(reference) !== entry.host) return false;
  if (entry.kind === 'host') return true;
  if (entry.kind === 'image') {
    if (reference.path !== entry.path) return false;
    return entry.digest !== undefined ? reference.digest === entry.digest : reference.digest === undefined && reference.tag === entry.tag;
  }
  const below = reference.path.startsWith(`${entry.path}/`);
  return entry.strictlyBelow ? below : below || reference.path === entry.path;
}

/** The first entry that admits the reference, or undefined. */
export function findAllowingEntry(entries: readonly AllowEntry[], reference: ImageReference): AllowEntry | undefined {
  return entries.find((entry) => entryAllows(entry, reference));
}

/** Entries as people read them in a denial message: `docker.io/library, ghcr.io/acme/*`. */
export function describeAllowList(entries: readonly AllowEntry[]): string {
  if (entries.length === 0) return 'none (no allowed registries are configured)';
  return [...new Set(entries.map((e) => e.text))].join(', ');
}
