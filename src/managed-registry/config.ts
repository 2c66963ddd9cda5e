import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { RegistrySpec } from '../api/registry.js';
import { childMetadata, REGISTRY_CONTAINER_PORT, type RegistryIdentity } from './children.js';
import { TLS_CERT_KEY, TLS_KEY_KEY } from './credentials.js';
import { storageDriverFor } from './storage/index.js';
import { proxyConfigBlock } from './mirror.js';

/** Where the pod sees each piece the config file names; the Deployment mounts them there. */
export const CONFIG_MOUNT_DIR = '/etc/docker/registry';
export const CONFIG_FILE_KEY = 'config.yml';
export const HTPASSWD_MOUNT_DIR = '/auth';
export const HTPASSWD_FILE = 'htpasswd';
export const TLS_MOUNT_DIR = '/certs';

export interface RegistryConfigOptions {
  /** Realm shown in the basic-auth challenge; the Registry's name reads well. */
  realm: string;
  /** Driven by the GC window state (issue 6): true while garbage collection may run. */
  readOnly: boolean;
}

type ConfigDocument = Record<string, unknown>;

function storageSection(spec: RegistrySpec, readOnly: boolean): ConfigDocument {
  return {
    ...storageDriverFor(spec).configBlock(spec),
    // Retention deletes manifests by digest; without this distribution answers 405 UNSUPPORTED.
    delete: { enabled: true },
    maintenance: {
      // Abandoned uploads older than a week are removed daily; dryrun false so it actually purges.
      uploadpurging: { enabled: true, age: '168h', interval: '24h', dryrun: false },
      // Map form on purpose: distribution 2.8 panics on the env-var form
      // (REGISTRY_STORAGE_MAINTENANCE_READONLY=...) because it expects a map here.
      readonly: { enabled: readOnly },
    },
  };
}

/** http.draintimeout: how long a stopping registry lets requests in flight finish. */
export const REGISTRY_DRAIN_TIMEOUT = '25s';

function httpSection(spec: RegistrySpec): ConfigDocument {
  // http.secret is deliberately absent: it comes from the REGISTRY_HTTP_SECRET env var (from
  // the http Secret), so the secret never sits in a ConfigMap and all replicas share one value,
  // which distribution needs to accept upload state signed by another replica.
  const http: ConfigDocument = {
    addr: `:${REGISTRY_CONTAINER_PORT}`,
    headers: { 'X-Content-Type-Options': ['nosniff'] },
    // On SIGTERM (a rollout, the read-only switch of a GC window) distribution stops accepting
    // and lets requests in flight finish for this long before it exits, so an upload is not cut
    // off; under the pod's 30 s termination grace period.
    draintimeout: REGISTRY_DRAIN_TIMEOUT,
  };
  if (spec.tls) {
    http.tls = {
      certificate: `${TLS_MOUNT_DIR}/${TLS_CERT_KEY}`,
      key: `${TLS_MOUNT_DIR}/${TLS_KEY_KEY}`,
    };
  }
  return http;
}

/**
 * The distribution (2.8) `config.yml` for a Registry. Deterministic for equal input: the text
 * is hashed into the pod template, so any byte difference rolls the pods.
 */
export function buildRegistryConfig(spec: RegistrySpec, options: RegistryConfigOptions): string {
  const config: ConfigDocument = {
    version: '0.1',
    log: { level: 'info', formatter: 'text' },
    storage: storageSection(spec, options.readOnly),
    http: httpSection(spec),
  };
  if (spec.auth?.htpasswdSecret) {
    config.auth = { htpasswd: { realm: options.realm, path: `${HTPASSWD_MOUNT_DIR}/${HTPASSWD_FILE}` } };
  }
  const proxy = proxyConfigBlock(spec);
  if (proxy) config.proxy = proxy;
  // A failing storage driver turns every request (and the readiness probe on `/`) into a 503.
  config.health = { storagedriver: { enabled: true, interval: '10s', threshold: 3 } };
  return stringify(config, { lineWidth: 0 });
}

export function buildConfigMap(owner: RegistryIdentity, configMapName: string, configText: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(owner, configMapName),
    data: { [CONFIG_FILE_KEY]: configText },
  };
}
