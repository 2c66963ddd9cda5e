import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { stringify } from 'yaml';

/**
 * How the helper itself talks to the apiserver (a bare HTTPS client: the helper must not depend
 * on the code under test) and the kubeconfig files it hands to tests, kubectl and the demo.
 */

/** Who the caller is: a client certificate or a bearer token. */
export type ApiCredentials = { certPem: string; keyPem: string } | { token: string };

export interface ApiServerAccess {
  server: string;
  caPem: string;
  credentials: ApiCredentials;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export async function requestApiServer(
  access: ApiServerAccess,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5_000,
): Promise<ApiResponse> {
  const url = new URL(path, access.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if ('token' in access.credentials) headers.authorization = `Bearer ${access.credentials.token}`;
  const tls = 'certPem' in access.credentials ? { cert: access.credentials.certPem, key: access.credentials.keyPem } : {};
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: access.caPem, ...tls, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A self-contained kubeconfig (certificates inlined) with one cluster, user and context. */
export async function writeKubeconfig(path: string, access: ApiServerAccess, userName: string): Promise<string> {
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  const user =
    'token' in access.credentials
      ? { token: access.credentials.token }
      : { 'client-certificate-data': b64(access.credentials.certPem), 'client-key-data': b64(access.credentials.keyPem) };
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'dockmaster-test', cluster: { server: access.server, 'certificate-authority-data': b64(access.caPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name: userName, context: { cluster: 'dockmaster-test', user: userName, namespace: 'default' } }],
    'current-context': userName,
    preferences: {},
  };
  await writeFile(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}
