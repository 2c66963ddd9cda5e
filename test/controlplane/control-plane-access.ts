import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestApiServer, writeKubeconfig, type ApiServerAccess } from './apiserver-access.js';
import { issueClientCertificate } from './pki.js';

/**
 * What a test needs to use a running control plane, without owning its processes: plain data
 * (so vitest's globalSetup can `provide` it to workers) and the user-minting operations built
 * on it. The CA key stays in the control plane's folder; only its path travels.
 */
export interface ControlPlaneInfo {
  /** The temp folder holding certificates, kubeconfigs, data and logs. */
  dir: string;
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** Kubeconfig of the admin user (client certificate, group system:masters). */
  kubeconfigPath: string;
  caPem: string;
  caKeyPath: string;
  adminCert: string;
  adminKey: string;
}

export interface ServiceAccountToken {
  token: string;
  kubeconfigPath: string;
}

export interface ControlPlaneAccess extends ControlPlaneInfo {
  /**
   * A kubeconfig for user `name` in `groups`, authenticated by a fresh client certificate. The
   * user has no permissions until RBAC grants some.
   */
  mintUser(name: string, groups?: readonly string[]): Promise<string>;
  /**
   * A token for ServiceAccount `namespace/name` from the TokenRequest API (the account is created
   * when missing; `namespace` must exist), and a kubeconfig using it.
   */
  mintServiceAccountToken(namespace: string, name: string, options?: { expirationSeconds?: number }): Promise<ServiceAccountToken>;
}

export class ControlPlaneApiError extends Error {
  readonly code = 'DM_ERR_CONTROL_PLANE_API';
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneApiError';
  }
}

let mintCounter = 0;

export function controlPlaneAccess(info: ControlPlaneInfo): ControlPlaneAccess {
  const admin: ApiServerAccess = {
    server: info.server,
    caPem: info.caPem,
    credentials: { certPem: info.adminCert, keyPem: info.adminKey },
  };
  // Unique per process too: several vitest workers may mint into the same shared folder.
  const uniqueFile = (stem: string): string => join(info.dir, `${stem}-${process.pid}-${++mintCounter}.kubeconfig`);
  const safe = (text: string): string => text.replace(/[^a-zA-Z0-9.-]/g, '_');

  return {
    ...info,
    async mintUser(name, groups = []) {
      const ca = { certPem: info.caPem, keyPem: await readFile(info.caKeyPath, 'utf8') };
      const client = await issueClientCertificate(ca, name, groups);
      const access = { server: info.server, caPem: info.caPem, credentials: client };
      return writeKubeconfig(uniqueFile(`user-${safe(name)}`), access, name);
    },
    async mintServiceAccountToken(namespace, name, options = {}) {
      const accountPath = `/api/v1/namespaces/${namespace}/serviceaccounts`;
      const created = await requestApiServer(admin, 'POST', accountPath, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace },
      });
      if (created.status !== 201 && created.status !== 409) {
        throw new ControlPlaneApiError(`Creating ServiceAccount ${namespace}/${name} answered ${created.status}: ${created.body}`);
      }
      const tokenRequest = await requestApiServer(admin, 'POST', `${accountPath}/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: options.expirationSeconds ?? 3600 },
      });
      if (tokenRequest.status !== 201) {
        throw new ControlPlaneApiError(`TokenRequest for ${namespace}/${name} answered ${tokenRequest.status}: ${tokenRequest.body}`);
      }
      const token = (JSON.parse(tokenRequest.body) as { status: { token: string } }).status.token;
      const access = { server: info.server, caPem: info.caPem, credentials: { token } };
      const userName = `system:serviceaccount:${namespace}:${name}`;
      return { token, kubeconfigPath: await writeKubeconfig(uniqueFile(`sa-${safe(namespace)}-${safe(name)}`), access, userName) };
    },
  };
}
