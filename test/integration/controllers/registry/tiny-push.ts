import { createHash } from 'node:crypto';
import { request } from 'undici';

/**
 * Pushes one small OCI image through the v2 API (monolithic blob uploads + manifest PUT).
 * The controller tests only need "a push works"; the full fixture builder lives in test/harness.
 */
export interface BasicAuth {
  username: string;
  password: string;
}

function digestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

function headers(auth: BasicAuth | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...extra };
  if (auth) out.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return out;
}

// distribution 2.8.2 ignores `?digest=` on the POST (single-request monolithic upload) and
// answers 202 with an upload session, so: POST to open a session, PUT the bytes to finish it.
async function pushBlob(baseUrl: string, repository: string, body: Buffer, auth?: BasicAuth): Promise<string> {
  const digest = digestOf(body);
  const opened = await request(`${baseUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: headers(auth) });
  await opened.body.dump();
  const location = opened.headers.location;
  if (opened.statusCode !== 202 || typeof location !== 'string') throw new Error(`upload POST answered ${opened.statusCode}`);
  const target = new URL(location, baseUrl);
  target.searchParams.set('digest', digest);
  const res = await request(target, {
    method: 'PUT',
    headers: headers(auth, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }),
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`blob upload PUT answered ${res.statusCode}: ${text}`);
  return digest;
}

/** Returns the manifest digest; throws with the registry's answer on any failure. */
export async function pushTinyImage(baseUrl: string, repository: string, tag: string, auth?: BasicAuth): Promise<string> {
  const layer = Buffer.from(`layer of ${repository}:${tag} ${Date.now()}`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(layer)] } }));
  const configDigest = await pushBlob(baseUrl, repository, config, auth);
  const layerDigest = await pushBlob(baseUrl, repository, layer, auth);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  }));
  const res = await request(`${baseUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: headers(auth, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }),
    body: manifest,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`manifest PUT answered ${res.statusCode}: ${text}`);
  return digestOf(manifest);
}

/** HTTP status of GET /v2/ (200 open, 401 when auth is on). */
export async function v2Status(baseUrl: string, auth?: BasicAuth): Promise<number> {
  const res = await request(`${baseUrl}/v2/`, { headers: headers(auth) });
  await res.body.dump();
  return res.statusCode;
}
