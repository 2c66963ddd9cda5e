import { InvalidImageReferenceError } from './reference-errors.js';

export { InvalidImageReferenceError } from './reference-errors.js';

/**
 * Image references parsed and normalized the way distribution's `reference` package does
 * (`ParseNormalizedNamed`, `FamiliarName`, `FamiliarString`), which is what containerd, the
 * kubelet and `docker pull` use: the admission webhook must see the very registry the node
 * will pull from, or a lookalike reference slips through.
 *
 * Grammar (distribution's):
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]            host := domain-name | "[" IPv6 "]"
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [._] | __ | -+
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex           (sha256: 64 lowercase hex)
 */

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
/** distribution v2.8 (the registry we run) limits the whole name, domain included. */
export const NAME_TOTAL_LENGTH_MAX = 255;

const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const DOMAIN_AND_PORT_RE = new RegExp(`^${DOMAIN_AND_PORT}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** Hex lengths of the algorithms go-digest registers; any other algorithm is unsupported. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** The pieces of a normalized reference: `domain/path[:tag][@digest]`. */
export interface ImageReferenceParts {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** A parsed, normalized image reference (`nginx` → `docker.io/library/nginx`). */
export class ImageReference implements ImageReferenceParts {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;

  constructor(parts: ImageReferenceParts) {
    this.domain = parts.domain;
    this.path = parts.path;
    if (parts.tag !== undefined) this.tag = parts.tag;
    if (parts.digest !== undefined) this.digest = parts.digest;
  }

  /** `domain/path`, what distribution calls `Name()`. */
  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The short name people type: `docker.io/library/nginx` → `nginx`, `docker.io/acme/x` → `acme/x`. */
  get familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name;
    // Only a one-level `library/` path shortens: `library/foo/bar` stays as it is (distribution).
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const remainder = this.path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!remainder.includes('/')) return remainder;
    }
    return this.path;
  }

  /** The familiar name with tag and digest, as `docker` prints it. */
  get familiarString(): string {
    return this.familiarName + this.suffix();
  }

  /** The full normalized reference: `docker.io/library/nginx:1.27@sha256:…`. */
  toString(): string {
    return this.name + this.suffix();
  }

  private suffix(): string {
    return (this.tag !== undefined ? `:${this.tag}` : '') + (this.digest !== undefined ? `@${this.digest}` : '');
  }
}

/**
 * Parses a reference as containerd and the kubelet do (`ParseNormalizedNamed`): adds the
 * default domain and `library/`, keeps tag and digest. Throws InvalidImageReferenceError.
 */
export function parseImageReference(input: string): ImageReference {
  if (input === '') fail(input, 'repository name must have at least one component');
  if (IDENTIFIER_RE.test(input)) {
    fail(input, `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(input);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator > -1 ? remainder.slice(0, tagSeparator) : remainder;
  if (remote.toLowerCase() !== remote) {
    fail(input, `invalid reference format: repository name (${remote}) must be lowercase`, 'repository name must be lowercase');
  }
  return parseCanonical(input, `${domain}/${remainder}`);
}

/** The full normalized string of a reference: `nginx` → `docker.io/library/nginx`. */
export function normalizeImageReference(input: string): string {
  return parseImageReference(input).toString();
}

/** Whether `input` parses; for callers that only need a yes or no. */
export function isValidImageReference(input: string): boolean {
  try {
    parseImageReference(input);
    return true;
  } catch (error) {
    if (error instanceof InvalidImageReferenceError) return false;
    throw error;
  }
}

/** Whether a host (with optional port) is written as distribution allows a domain. */
export function isValidRegistryHost(host: string): boolean {
  return DOMAIN_AND_PORT_RE.test(host);
}

/** Whether one repository path component (between slashes) is valid. */
export function isValidPathComponent(component: string): boolean {
  return PATH_COMPONENT_RE.test(component);
}

/**
 * Splits off the registry host. The first component is a host only if it contains `.` or `:`
 * (a domain, an IP, a port, an IPv6 address), is `localhost`, or has uppercase letters (a
 * repository path cannot, so distribution takes it for a host). Anything else is a Docker Hub
 * path, and a one-component Docker Hub path gets `library/`.
 */
function splitDockerDomain(input: string): { domain: string; remainder: string } {
  const slash = input.indexOf('/');
  if (slash === -1) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + input };
  const first = input.slice(0, slash);
  const rest = input.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
    remainder = rest;
  } else {
    domain = DEFAULT_DOMAIN;
    remainder = input;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** distribution's `Parse` on the already domain-qualified string. */
function parseCanonical(input: string, qualified: string): ImageReference {
  const match = REFERENCE_RE.exec(qualified);
  if (!match) {
    const lower = qualified.toLowerCase();
    if (lower !== qualified && REFERENCE_RE.test(lower)) {
      fail(input, 'invalid reference format: repository name must be lowercase', 'repository name must be lowercase');
    }
    const detail = diagnoseFormat(qualified);
    fail(input, detail ? `invalid reference format: ${detail}` : 'invalid reference format', detail ?? 'invalid reference format');
  }
  const [, name = '', tag, digest] = match;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    fail(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const nameMatch = ANCHORED_NAME_RE.exec(name);
  const domain = nameMatch?.[1];
  const path = nameMatch?.[2];
  // distribution returns an empty domain here (`foo_bar.com/x`: a `.` made it a host, the `_`
  // makes it an invalid one); nothing can pull that, so it is an error.
  if (domain === undefined || path === undefined) {
    const host = qualified.slice(0, qualified.indexOf('/'));
    const reason = `registry host (${host}) is not a valid host[:port]`;
    fail(input, `invalid reference format: ${reason}`, reason);
  }
  if (digest !== undefined) validateDigest(input, digest);
  return new ImageReference({ domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) });
}

/** go-digest's `Validate`: a registered algorithm and exactly its length of lowercase hex. */
function validateDigest(input: string, digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) fail(input, 'unsupported digest algorithm');
  if (hex.length !== length) fail(input, 'invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) fail(input, 'invalid checksum digest format');
}

/**
 * distribution only says "invalid reference format"; this names the part that is wrong, so the
 * user need not guess. Returns undefined when no single part stands out.
 */
function diagnoseFormat(qualified: string): string | undefined {
  if (qualified.includes('://')) return 'a reference has no URL scheme (remove the "scheme://" prefix)';
  if (/\s/.test(qualified)) return 'a reference cannot contain whitespace';
  const at = qualified.indexOf('@');
  const beforeDigest = at === -1 ? qualified : qualified.slice(0, at);
  if (at !== -1 && !new RegExp(`^${DIGEST}$`).test(qualified.slice(at + 1))) {
    return `digest (${qualified.slice(at + 1)}) must be algorithm:hex, e.g. sha256: and 64 hex digits`;
  }
  const slash = beforeDigest.indexOf('/');
  const domain = beforeDigest.slice(0, slash);
  if (!DOMAIN_AND_PORT_RE.test(domain)) return `registry host (${domain}) is not a valid host[:port]`;
  const remainder = beforeDigest.slice(slash + 1);
  const lastSlash = remainder.lastIndexOf('/');
  const colon = remainder.indexOf(':', lastSlash + 1);
  const path = colon === -1 ? remainder : remainder.slice(0, colon);
  if (colon !== -1) {
    const tag = remainder.slice(colon + 1);
    if (!TAG_RE.test(tag)) return `tag (${tag}) must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -`;
  }
  for (const component of path.split('/')) {
    if (component === '') return 'a repository path cannot have an empty component (a leading, trailing or double slash)';
    if (!PATH_COMPONENT_RE.test(component)) {
      return `path component (${component}) must be lowercase letters and digits, separated by one ".", one or two "_", or dashes`;
    }
  }
  return undefined;
}

function fail(input: string, message: string, reason: string = message): never {
  throw new InvalidImageReferenceError(input, message, reason);
}
