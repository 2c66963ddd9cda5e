/**
 * The distribution 2.8 config.yml the harness runs a registry with, as a plain object (pure: the
 * caller has already written the files it names).
 */

export interface RegistryConfigInput {
  port: number;
  storageDir: string;
  deleteEnabled: boolean;
  readOnly: boolean;
  httpSecret: string;
  htpasswdPath?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundlePath: string };
  tls?: { certificatePath: string; keyPath: string };
  /** S3 storage instead of the filesystem (storageDir is then unused). */
  s3?: { endpoint: string; region: string; bucket: string; accessKey: string; secretKey: string; rootDirectory?: string; version: '2.8.2' | '3.1.2' };
  extraConfig?: Record<string, unknown>;
}

type ConfigObject = Record<string, unknown>;

export function buildRegistryConfig(input: RegistryConfigInput): ConfigObject {
  const driver: ConfigObject = input.s3
    ? {
        s3: {
          accesskey: input.s3.accessKey,
          secretkey: input.s3.secretKey,
          region: input.s3.region,
          regionendpoint: input.s3.endpoint,
          bucket: input.s3.bucket,
          secure: false,
          v4auth: true,
          ...(input.s3.rootDirectory && { rootdirectory: input.s3.rootDirectory }),
          // 3.x has forcepathstyle; 2.8 forces path style whenever regionendpoint is set and
          // refuses the unknown key.
          ...(input.s3.version !== '2.8.2' && { forcepathstyle: true }),
        },
      }
    : { filesystem: { rootdirectory: input.storageDir } };
  const storage: ConfigObject = {
    ...driver,
    delete: { enabled: input.deleteEnabled },
    // Map form only: REGISTRY_STORAGE_MAINTENANCE_READONLY as an env var makes 2.8.2 panic
    // (it expects a map and gets a string).
    maintenance: { uploadpurging: { enabled: false }, readonly: { enabled: input.readOnly } },
  };
  const http: ConfigObject = { addr: `127.0.0.1:${input.port}`, secret: input.httpSecret };
  if (input.tls) http.tls = { certificate: input.tls.certificatePath, key: input.tls.keyPath };
  const config: ConfigObject = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage,
    http,
  };
  // One auth provider only (startRegistry refuses both).
  if (input.token) {
    config.auth = {
      token: {
        realm: input.token.realm,
        service: input.token.service,
        issuer: input.token.issuer,
        rootcertbundle: input.token.rootCertBundlePath,
      },
    };
  } else if (input.htpasswdPath) {
    config.auth = { htpasswd: { realm: 'dockmaster-test', path: input.htpasswdPath } };
  }
  return input.extraConfig ? deepMerge(config, input.extraConfig) : config;
}

function isPlainObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `overrides` (arrays, scalars, null) replaces. */
export function deepMerge(base: ConfigObject, overrides: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}
