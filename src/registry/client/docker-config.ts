import * as z from 'zod';
import { InputValidationError } from '../../errors.js';
import { parseWithSchema } from '../../api/schema-parse.js';
import type { RegistryCredentials } from './auth.js';

/**
 * Registry credentials from a `kubernetes.io/dockerconfigjson` Secret, whose `.dockerconfigjson`
 * key holds a `~/.docker/config.json` document: `{"auths": {"<registry>": {...}}}`.
 */
const authEntrySchema = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** A registry bearer token, sent as is. */
  registrytoken: z.string().optional(),
  /** An OAuth2 refresh token (docker login to some cloud registries); not supported, see below. */
  identitytoken: z.string().optional(),
  email: z.string().optional(),
});

const dockerConfigSchema = z.object({
  auths: z.record(z.string(), authEntrySchema),
});

/** Docker Hub's names: the CLI stores `https://index.docker.io/v1/`, references say `docker.io`. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The host (and port) a config key or registry URL names, lower-cased, with Docker Hub's aliases
 * folded into `docker.io`: `https://index.docker.io/v1/` → `docker.io`, `http://r:5000/v2/` → `r:5000`.
 */
export function normalizeRegistryHost(keyOrUrl: string): string {
  const withoutScheme = keyOrUrl.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0]!.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

export interface DockerConfigEntry {
  /** The key as written in the document. */
  key: string;
  host: string;
  credentials: RegistryCredentials | null;
}

/** Parsed credentials, in document order. */
export interface DockerConfigCredentials {
  entries: DockerConfigEntry[];
}

/**
 * Parses a dockerconfigjson document (text, bytes or an already parsed object). Throws an
 * InputValidationError naming the offending field (e.g. `auths["r.example"].auth`).
 */
export function parseDockerConfigJson(input: string | Uint8Array | unknown, source = 'dockerconfigjson'): DockerConfigCredentials {
  let document: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new InputValidationError(source, [{ path: '', message: `not valid JSON (${(error as Error).message})` }]);
    }
  }
  const config = parseWithSchema(dockerConfigSchema, document, source);
  const issues: Array<{ path: string; message: string }> = [];
  const entries: DockerConfigEntry[] = [];
  for (const [key, entry] of Object.entries(config.auths)) {
    const path = `auths[${JSON.stringify(key)}]`;
    const credentials = credentialsOfEntry(entry, path, issues);
    entries.push({ key, host: normalizeRegistryHost(key), credentials });
  }
  if (issues.length > 0) throw new InputValidationError(source, issues);
  return { entries };
}

// Docker's CLI decodes `auth` and lets it override username/password (cli/config/configfile),
// so the same precedence is kept here.
function credentialsOfEntry(
  entry: z.infer<typeof authEntrySchema>,
  path: string,
  issues: Array<{ path: string; message: string }>,
): RegistryCredentials | null {
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = decodeBase64(entry.auth);
    const colon = decoded === null ? -1 : decoded.indexOf(':');
    if (decoded === null || colon < 0) {
      issues.push({ path: `${path}.auth`, message: 'must be base64 of "username:password"' });
      return null;
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined && entry.username !== '' && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  if (entry.registrytoken !== undefined && entry.registrytoken !== '') return { token: entry.registrytoken };
  // An identity token (OAuth2 refresh token) needs the OAuth POST flow, which this client does not
  // speak; such an entry gives no credentials and requests go out anonymously.
  return null;
}

function decodeBase64(value: string): string | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 === 1) return null;
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

/**
 * The credentials for a registry (URL, `host:port` or a reference's domain such as `docker.io`):
 * an entry whose key is exactly `registry` wins, then the first entry naming the same host.
 */
export function credentialsForRegistry(config: DockerConfigCredentials, registry: string): RegistryCredentials | undefined {
  const exact = config.entries.find((entry) => entry.key === registry && entry.credentials);
  if (exact?.credentials) return exact.credentials;
  const host = normalizeRegistryHost(registry);
  return config.entries.find((entry) => entry.host === host && entry.credentials)?.credentials ?? undefined;
}
