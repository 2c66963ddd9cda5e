import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { registryChildNames } from '../../../../src/managed-registry/children.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';
import { eventually } from '../../runtime/wait.js';
import { startOperatorUnderTest, type OperatorUnderTest } from './operator-under-test.js';

let env: OperatorUnderTest;
const ns = `registry-tls-${Date.now().toString(36)}`;
let certPem = '';
let keyPem = '';

beforeAll(async () => {
  // A self-signed serving certificate, made by openssl as a user would before `kubectl create secret tls`.
  const dir = mkdtempSync(path.join(tmpdir(), 'registry-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=secure',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')], { stdio: 'ignore' });
  certPem = readFileSync(path.join(dir, 'tls.crt'), 'utf8');
  keyPem = readFileSync(path.join(dir, 'tls.key'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  env = await startOperatorUnderTest(ns);
});
afterAll(async () => {
  await env?.stop();
});

describe('Registry with TLS on the real apiserver', () => {
  it('serves HTTPS with the certificate from the TLS Secret and turns Ready', async () => {
    await env.applyAsUser({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': certPem, 'tls.key': keyPem } } as never);
    await env.applyAsUser({
      apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'secure' },
      spec: { image: 'registry:2.8.2', replicas: 1, storage: { emptyDir: {} }, tls: { secretName: 'secure-tls' }, service: { port: 443 } },
    } as never);
    await eventually(async () => {
      const reg = await env.user.requestJson<{ status?: { endpoint?: string; conditions?: Array<{ type: string; status: string }> } }>('GET', objectPath(RESOURCES.registry, ns, 'secure'));
      expect(reg.status?.conditions?.find((c) => c.type === 'Ready')?.status, JSON.stringify(reg.status)).toBe('True');
      expect(reg.status?.endpoint).toBe(`secure.${ns}.svc:443`);
    }, 60_000, 200);
    const dep = await env.user.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, ns, registryChildNames('secure').deployment));
    const url = dep.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? '';
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // Trusting exactly the user's certificate proves the registry serves it.
    const dispatcher = new Agent({ connect: { ca: certPem } });
    const res = await request(`${url}/v2/`, { dispatcher });
    await res.body.dump();
    await dispatcher.close();
    expect(res.statusCode).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });
});
