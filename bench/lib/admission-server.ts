/**
 * The server side of bench/admission.bench.ts, in its own process so the load generator never
 * shares its event loop: `admission` is the real webhook (buildWebhookServer, HTTPS, the real
 * policy and route); `bare` is a Fastify HTTPS route returning a fixed AdmissionReview, with the
 * same JSON body parsing. Prints `{"port":N}` once listening; SIGTERM, or the end of stdin (the bench died), stops it.
 */
import Fastify from 'fastify';
import { MutableCertificateSource } from '../../src/admission/certificate-source.js';
import { createCertificateAuthority, issueServingCertificate } from '../../src/admission/certs/issue-certificates.js';
import { AdmissionPolicyHolder } from '../../src/admission/policy.js';
import { buildWebhookServer } from '../../src/admission/webhook-server.js';

const mode = process.argv[2];
const now = new Date();
const ca = await createCertificateAuthority({ commonName: 'bench-ca', now, lifetimeMs: 86_400_000 });
const serving = await issueServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 86_400_000 });

const FIXED_REVIEW = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'fixed', allowed: true } };

async function start(): Promise<{ port: number; close(): Promise<void> }> {
  if (mode === 'admission') {
    const policy = new AdmissionPolicyHolder({ mode: 'enforce', allowedRegistries: ['registry.k8s.io', 'docker.io/library', 'ghcr.io/acme/*'], exemptNamespaces: ['kube-system'] }, 'dockmaster-system');
    policy.setRegistrySources([{ registry: 'apps/main', namespace: 'apps', clusterWide: true, hostnames: ['registry.example.com'], endpoint: 'main.apps.svc:5000', ignoredHostnames: [] }]);
    const app = buildWebhookServer({ policy, certificateSource: new MutableCertificateSource({ cert: serving.certPem, key: serving.keyPem }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
  }
  if (mode === 'bare') {
    const app = Fastify({ https: { cert: serving.certPem, key: serving.keyPem }, logger: false, bodyLimit: 7 * 1024 * 1024 });
    app.post('/validate', async () => FIXED_REVIEW);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
  }
  throw new Error(`usage: admission-server.ts admission|bare (got ${mode ?? 'nothing'})`);
}

const server = await start();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
// The bench holds our stdin open: when it dies, so do we.
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
