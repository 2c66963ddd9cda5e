import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { INVALID_RESOURCES } from '../../unit/api/invalid-resources.js';

/**
 * The generated CRDs (crds/) on the real apiserver: they install and become Established, every
 * example in examples/ is accepted, `kubectl explain` prints the descriptions written in the zod
 * schemas, printer columns and short names work, and the invalid-resource table shared with the
 * unit tests is refused by the apiserver's own validation (OpenAPI schema and CEL) naming the field.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const crdsDir = `${repoRoot}crds`;
const examplesDir = `${repoRoot}examples`;
const admin = sharedControlPlane().kubeconfigPath;
const CRD_NAMES = ['registries.dockmaster.dev', 'retentionpolicies.dockmaster.dev'];

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  // -k: crds/ holds a kustomization.yaml, which `apply -f crds/` would try to apply as an object.
  await kubectlOk(admin, ['apply', '--server-side', '--field-manager=crd-tests', '-k', crdsDir]);
  await kubectlOk(admin, ['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES.map((name) => `crd/${name}`)]);
});

describe('generated CRDs on the real apiserver', () => {
  it('are Established with the names the issue asks for', async () => {
    const names = await kubectlOk(admin, ['get', 'crd', ...CRD_NAMES, '-o', 'jsonpath={range .items[*]}{.spec.names.kind}/{.spec.names.shortNames[0]} {end}']);
    expect(names.trim().split(' ')).toEqual(['Registry/reg', 'RetentionPolicy/rp']);
  });

  it('accept every file in examples/ (kubectl apply)', async () => {
    // The namespace first: the others live in it (kubectl would apply a folder alphabetically).
    const files = readdirSync(examplesDir)
      .filter((file) => file.endsWith('.yaml'))
      .sort((a, b) => Number(b === 'namespace.yaml') - Number(a === 'namespace.yaml'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const result = await kubectl(admin, ['apply', '-f', `${examplesDir}/${file}`]);
      expect({ file, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ file, exitCode: 0, stderr: '' });
    }
    const objects = await kubectlOk(admin, ['-n', 'registries', 'get', 'reg,rp', '-o', 'name']);
    expect(objects.trim().split('\n').length).toBeGreaterThanOrEqual(3);
  });

  it('show the printer columns on kubectl get reg / rp', async () => {
    const registries = await kubectlOk(admin, ['-n', 'registries', 'get', 'reg']);
    expect(collapse(registries.split('\n')[0] ?? '')).toBe('NAME ENDPOINT READY READONLY LAST GC MIRROR AGE');
    const policies = await kubectlOk(admin, ['-n', 'registries', 'get', 'rp']);
    expect(collapse(policies.split('\n')[0] ?? '')).toBe('NAME REGISTRY SCHEDULE LAST RUN DELETED AGE');
  });

  it('kubectl explain registry.spec.garbageCollection prints the zod descriptions', async () => {
    const crd = parse(readFileSync(`${crdsDir}/dockmaster.dev_registries.yaml`, 'utf8')) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { description: string; properties: Record<string, { description: string }> }> } } } } }[] };
    };
    const gc = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.garbageCollection;
    if (!gc) throw new Error('The Registry CRD has no spec.garbageCollection');
    // The OpenAPI v3 document of a new CRD is published a moment after it is Established.
    const explained = await eventually(async () => {
      const result = await kubectl(admin, ['explain', 'registry.spec.garbageCollection']);
      return result.exitCode === 0 ? collapse(result.stdout) : undefined;
    });
    expect(explained).toContain(collapse(gc.description));
    for (const [field, schema] of Object.entries(gc.properties)) {
      expect(explained).toContain(field);
      expect(explained).toContain(collapse(schema.description).slice(0, 60));
    }
  });

  describe('refuse the invalid-resource table, naming the field', () => {
    const namespace = uniqueNamespaceName('crd-invalid');
    beforeAll(async () => {
      await kubectlOk(admin, ['create', 'namespace', namespace]);
    });

    // kubectl asks for strict field validation (unknown fields refused as BadRequest); a client that
    // does not (fieldValidation=Ignore) gets unknown fields pruned, and the schema and CEL still refuse.
    const refused = INVALID_RESOURCES.filter((testCase) => !testCase.zodOnly);
    const validations = ['--validate=strict', '--validate=false'] as const;
    const cases = refused.flatMap((testCase) => validations.map((validate) => [testCase.name, validate, testCase] as const));
    it.each(cases)('%s (%s)', async (_name, validate, testCase) => {
      const result = await kubectl(admin, ['-n', namespace, 'create', validate, '-f', '-'], JSON.stringify(testCase.manifest));
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain(testCase.expectField);
    });

    // CEL has no cron parser or time-zone database: the apiserver admits these, the controllers report them.
    const zodOnly = INVALID_RESOURCES.filter((testCase) => testCase.zodOnly);
    it.each(zodOnly.map((testCase) => [testCase.name, testCase] as const))('%s (zod only: admitted by the apiserver)', async (_name, testCase) => {
      const result = await kubectl(admin, ['-n', namespace, 'create', '-f', '-'], JSON.stringify(testCase.manifest));
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
    });
  });
});
