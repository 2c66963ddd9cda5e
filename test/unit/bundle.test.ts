import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../scripts/bundle.js';
import { readCertificateFacts } from '../../src/admission/certs/certificate-facts.js';
import { issueInChildProcess, ISSUER_SCRIPT_FILE } from '../../src/admission/certs/certificate-issuer.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the shipped bundle', () => {
  it('leaves out client-node\'s generated classes and node-fetch\'s URL stack, and still runs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dm-bundle-'));
    dirs.push(dir);
    // The chunks read `../package.json` for the version, as dist/ does in the package.
    await copyFile('package.json', path.join(dir, 'package.json'));
    const outdir = path.join(dir, 'dist');
    const { entry, inputs } = await buildBundle({ outdir });
    // What scripts/bundle-shims/ replace: evaluated at start, they cost a server ≈ 30 MB.
    expect(inputs.filter((input) => /@kubernetes\/client-node\/dist\/gen\/|node_modules\/(tr46|whatwg-url|node-fetch)\//.test(input))).toEqual([]);
    expect(inputs).toContain('node_modules/@kubernetes/client-node/dist/config.js');
    expect(inputs).toContain('scripts/bundle-shims/client-node-gen.ts');
    // zod's ~40 locales (only English is used) stay out while src imports zod as a namespace.
    expect(inputs.filter((input) => input.startsWith('node_modules/zod/v4/locales/') && !input.endsWith('/en.js'))).toEqual([]);
    const { stdout } = await run(process.execPath, [entry, 'version']);
    expect(stdout).toMatch(/^dockmaster \d+\.\d+\.\d+/);

    // A chunk loaded on demand (undici, at the first registry request) works as bundled: esbuild
    // hands a CommonJS module to import() differently from Node.
    const requests: string[] = [];
    const registry = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      res.end('{"repositories":[]}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const policy = path.join(dir, 'policy.yaml');
      await writeFile(policy, 'apiVersion: dockmaster.dev/v1alpha1\nkind: RetentionPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  external: {url: "https://registry.example.com"}\n  repositories: ["**"]\n  keep: [{mostRecent: 5}]\n');
      const { port } = registry.address() as AddressInfo;
      await run(process.execPath, [entry, 'retention', 'plan', '-f', policy, '--registry', `http://127.0.0.1:${port}`, '--no-in-use']);
      expect(requests).toContain('GET /v2/_catalog?n=1000');
    } finally {
      registry.close();
    }

    // The webhook's certificates come from the bundled issuer, a child process of its own.
    const script = path.join(outdir, ISSUER_SCRIPT_FILE);
    const now = new Date();
    const ca = await issueInChildProcess(script, { kind: 'authority', commonName: 'bundle-test-ca', now: now.toISOString(), lifetimeMs: 86_400_000 });
    const serving = await issueInChildProcess(script, { kind: 'serving', ca, dnsNames: ['webhook.dockmaster-system.svc'], ipAddresses: ['127.0.0.1'], now: now.toISOString(), lifetimeMs: 3_600_000 });
    const facts = await readCertificateFacts(serving.certPem, [ca.certPem]);
    expect(facts).toMatchObject({ dnsNames: ['webhook.dockmaster-system.svc'] });
    expect(facts.issuerFingerprint).toBe((await readCertificateFacts(ca.certPem)).fingerprint);
    expect(serving.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    await expect(issueInChildProcess(script, { kind: 'serving', ca: { certPem: 'not a certificate', keyPem: ca.keyPem }, dnsNames: ['x'], now: now.toISOString(), lifetimeMs: 1000 })).rejects.toThrow(
      /issuing a certificate in a child process failed \(exit 1\): /,
    );
  }, 60_000);
});
